#define BOOST_TEST_MODULE fleet
#include "vigil/fleet/persona.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>

#include "vigil/devices/reading.hpp"

using namespace vigil::fleet;
using namespace std::chrono;
using Time = Persona::Time;

namespace {

Time at(int day, int hour, int minute = 0) {
  return time_point_cast<milliseconds>(sys_days{year{2026} / November / 1} + days{day} +
                                       hours{hour} + minutes{minute});
}

struct Stats {
  double min = 1e9, max = -1e9, sum = 0;
  int n = 0;
  void add(double v) {
    min = std::min(min, v);
    max = std::max(max, v);
    sum += v;
    ++n;
  }
  double mean() const { return sum / n; }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(PersonaTest)

BOOST_AUTO_TEST_CASE(names_round_trip) {
  for (auto p : kAllPersonas) BOOST_TEST((personaFromName(personaName(p)) == p));
  for (auto d : kAllVitalDevices) BOOST_TEST((vitalDeviceFromName(vitalDeviceName(d)) == d));
  BOOST_TEST(!personaFromName("sick"));
}

BOOST_AUTO_TEST_CASE(same_seed_gives_same_vitals_and_another_seed_differs) {
  Persona a(PersonaKind::hypertensive, 42, at(0, 0));
  Persona b(PersonaKind::hypertensive, 42, at(0, 0));
  Persona c(PersonaKind::hypertensive, 43, at(0, 0));
  bool differs = false;
  for (int i = 0; i < 50; ++i) {
    auto ma = a.measure(VitalDevice::bloodPressure, at(0, i % 24));
    auto mb = b.measure(VitalDevice::bloodPressure, at(0, i % 24));
    auto mc = c.measure(VitalDevice::bloodPressure, at(0, i % 24));
    BOOST_TEST(*ma.systolic == *mb.systolic);
    BOOST_TEST(*ma.diastolic == *mb.diastolic);
    BOOST_TEST(*ma.pulse == *mb.pulse);
    differs = differs || *ma.systolic != *mc.systolic;
  }
  BOOST_TEST(differs);
}

BOOST_AUTO_TEST_CASE(every_value_is_plausible_and_rounded_like_a_device) {
  using vigil::devices::plausibleRange;
  using vigil::devices::ReadingKind;
  for (auto p : kAllPersonas) {
    Persona persona(p, 7, at(0, 0));
    for (int i = 0; i < 2000; ++i) {
      for (auto d : kAllVitalDevices) {
        auto m = persona.measure(d, at(i / 96, (i / 4) % 24, (i % 4) * 15));
        auto in = [](std::optional<double> v, ReadingKind k) {
          auto r = plausibleRange(k);
          return v && *v >= r.min && *v <= r.max;
        };
        switch (d) {
          case VitalDevice::bloodPressure:
            BOOST_TEST_REQUIRE(in(m.systolic, ReadingKind::bloodPressure));
            BOOST_TEST_REQUIRE(in(m.diastolic, ReadingKind::bloodPressure));
            BOOST_TEST_REQUIRE(*m.systolic > *m.diastolic);
            BOOST_TEST_REQUIRE(*m.systolic == std::round(*m.systolic));
            BOOST_TEST_REQUIRE(in(m.pulse, ReadingKind::heartRate));
            break;
          case VitalDevice::pulseOximeter:
            BOOST_TEST_REQUIRE(in(m.spo2, ReadingKind::spo2));
            BOOST_TEST_REQUIRE(*m.spo2 <= 100);
            BOOST_TEST_REQUIRE(in(m.pulse, ReadingKind::heartRate));
            break;
          case VitalDevice::weightScale:
            BOOST_TEST_REQUIRE(in(m.weightKg, ReadingKind::bodyWeight));
            BOOST_TEST_REQUIRE(std::abs(*m.weightKg * 10 - std::round(*m.weightKg * 10)) < 1e-9);
            break;
          case VitalDevice::thermometer:
            BOOST_TEST_REQUIRE(in(m.temperatureC, ReadingKind::bodyTemperature));
            break;
          case VitalDevice::glucometer:
            BOOST_TEST_REQUIRE(in(m.glucoseMgDl, ReadingKind::glucose));
            break;
          case VitalDevice::heartRate:
            BOOST_TEST_REQUIRE(in(m.pulse, ReadingKind::heartRate));
            break;
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(blood_pressure_dips_at_night_and_temperature_peaks_in_the_afternoon) {
  Persona p(PersonaKind::normal, 1, at(0, 0));
  auto night = p.baseline(at(0, 3));
  auto morning = p.baseline(at(0, 9));
  auto afternoon = p.baseline(at(0, 17));
  BOOST_TEST(night.systolic + 10 < morning.systolic);
  BOOST_TEST(night.pulse < afternoon.pulse);
  BOOST_TEST(p.baseline(at(0, 5)).temperatureC + 0.5 < afternoon.temperatureC);
  // Glucose rises after meals.
  BOOST_TEST(p.baseline(at(0, 9)).glucoseMgDl > p.baseline(at(0, 4)).glucoseMgDl + 20);
}

BOOST_AUTO_TEST_CASE(rhythm_follows_the_patients_local_time) {
  Persona utc(PersonaKind::normal, 1, at(0, 0), 0);
  Persona newYork(PersonaKind::normal, 1, at(0, 0), -300);
  // 08:00 in New York is 13:00 UTC.
  BOOST_TEST(newYork.baseline(at(0, 13)).systolic == utc.baseline(at(0, 8)).systolic,
             boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(heart_failure_gains_weight_day_after_day) {
  Persona hf(PersonaKind::heartFailure, 3, at(0, 0));
  Persona normal(PersonaKind::normal, 3, at(0, 0));
  BOOST_TEST(hf.baseline(at(10, 7)).weightKg - hf.baseline(at(0, 7)).weightKg > 1.0);
  // Decompensating: more than the 2 kg a week of the clinic's weight.gain.week rule, so the
  // demo's heart-failure patient shows the alert the rule exists for.
  BOOST_TEST(hf.baseline(at(7, 7)).weightKg - hf.baseline(at(0, 7)).weightKg >= 2.2);
  BOOST_TEST(std::abs(normal.baseline(at(10, 7)).weightKg - normal.baseline(at(0, 7)).weightKg) <
             1e-9);
}

BOOST_AUTO_TEST_CASE(conditions_show_their_signs_including_out_of_range_values) {
  auto sample = [](PersonaKind k, VitalDevice d, auto pick) {
    Persona p(k, 11, at(0, 0));
    Stats s;
    for (int i = 0; i < 3000; ++i) s.add(pick(p.measure(d, at(i / 96, (i / 4) % 24))));
    return s;
  };
  auto sys = [](const Measurement& m) { return *m.systolic; };
  auto spo2 = [](const Measurement& m) { return *m.spo2; };
  auto glucose = [](const Measurement& m) { return *m.glucoseMgDl; };
  auto normalBp = sample(PersonaKind::normal, VitalDevice::bloodPressure, sys);
  auto htnBp = sample(PersonaKind::hypertensive, VitalDevice::bloodPressure, sys);
  BOOST_TEST(htnBp.mean() > normalBp.mean() + 25);
  BOOST_TEST(htnBp.max >= 180);  // crises: the demo's alerts
  BOOST_TEST(normalBp.max < 160);
  auto copd = sample(PersonaKind::copd, VitalDevice::pulseOximeter, spo2);
  auto normalSpo2 = sample(PersonaKind::normal, VitalDevice::pulseOximeter, spo2);
  BOOST_TEST(copd.mean() < 92);
  BOOST_TEST(copd.min < 88);
  BOOST_TEST(normalSpo2.min >= 93);
  auto diabetic = sample(PersonaKind::diabetic, VitalDevice::glucometer, glucose);
  BOOST_TEST(diabetic.max > 250);
  BOOST_TEST(diabetic.min < 70);
}

BOOST_AUTO_TEST_SUITE_END()
