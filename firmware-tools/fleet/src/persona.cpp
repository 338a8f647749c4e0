#include "vigil/fleet/persona.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace vigil::fleet {
namespace {

struct Profile {
  double systolic, diastolic, pulse, spo2, weightKg, glucoseFasting, glucoseMealRise;
  double weightGainPerDay;  // heart failure: fluid retention
};

Profile profileOf(PersonaKind k) {
  switch (k) {
    case PersonaKind::normal:
      return {118, 76, 68, 97.5, 72, 90, 35, 0};
    case PersonaKind::hypertensive:
      return {154, 95, 74, 97, 88, 98, 40, 0};
    case PersonaKind::heartFailure:
      return {112, 70, 84, 94.5, 84, 100, 40, 0.35};  // 2.45 kg a week: decompensating
    case PersonaKind::copd:
      return {128, 80, 90, 90.5, 66, 95, 40, 0};
    case PersonaKind::diabetic:
      return {134, 84, 76, 96.5, 96, 140, 75, 0};
  }
  return {118, 76, 68, 97.5, 72, 90, 35, 0};
}

/// -1 at `lowHour`, +1 twelve hours later.
double rhythm(double hour, double lowHour) {
  return -std::cos(2 * std::numbers::pi * (hour - lowHour) / 24.0);
}

double bump(double hour, double centre, double width) {
  double d = hour - centre;
  return std::exp(-d * d / (2 * width * width));
}

/// Rounds to 1/scale (division last, so 72.3 is the double nearest 72.3, as a decoder gives it).
double roundTo(double v, double scale) {
  return std::round(v * scale) / scale;
}

}  // namespace

std::string_view vitalDeviceName(VitalDevice d) {
  switch (d) {
    case VitalDevice::bloodPressure:
      return "blood_pressure";
    case VitalDevice::pulseOximeter:
      return "pulse_oximeter";
    case VitalDevice::weightScale:
      return "weight_scale";
    case VitalDevice::thermometer:
      return "thermometer";
    case VitalDevice::glucometer:
      return "glucometer";
    case VitalDevice::heartRate:
      return "heart_rate";
  }
  return "heart_rate";
}

std::optional<VitalDevice> vitalDeviceFromName(std::string_view name) {
  for (auto d : kAllVitalDevices)
    if (vitalDeviceName(d) == name) return d;
  return std::nullopt;
}

std::string_view personaName(PersonaKind p) {
  switch (p) {
    case PersonaKind::normal:
      return "normal";
    case PersonaKind::hypertensive:
      return "hypertensive";
    case PersonaKind::heartFailure:
      return "heart_failure";
    case PersonaKind::copd:
      return "copd";
    case PersonaKind::diabetic:
      return "diabetic";
  }
  return "normal";
}

std::optional<PersonaKind> personaFromName(std::string_view name) {
  for (auto p : kAllPersonas)
    if (personaName(p) == name) return p;
  return std::nullopt;
}

Persona::Persona(PersonaKind kind, std::uint64_t seed, Time start, int utcOffsetMinutes)
    : kind_(kind), rng_(seed), start_(start), utcOffsetMinutes_(utcOffsetMinutes) {
  // Each patient differs a little from the profile's centre.
  auto p = profileOf(kind);
  sysBase_ = p.systolic + noise(4);
  diaBase_ = p.diastolic + noise(3);
  pulseBase_ = p.pulse + noise(3);
  weightBase_ = p.weightKg + noise(6);
}

double Persona::noise(double sd) {
  std::normal_distribution<double> n(0, sd);
  return n(rng_);
}

bool Persona::chance(double p) {
  std::uniform_real_distribution<double> u(0, 1);
  return u(rng_) < p;
}

Persona::Baseline Persona::baseline(Time at) const {
  auto p = profileOf(kind_);
  auto local = at + std::chrono::minutes(utcOffsetMinutes_);
  auto sinceMidnight = local - std::chrono::floor<std::chrono::days>(local);
  double hour = std::chrono::duration<double, std::ratio<3600>>(sinceMidnight).count();
  double days = std::chrono::duration<double, std::ratio<86400>>(at - start_).count();

  Baseline b{};
  // Blood pressure: nocturnal dip (lowest ~03:00) and a morning surge around 08:00.
  b.systolic = sysBase_ + 8 * rhythm(hour, 3) + 7 * bump(hour, 8, 1.5);
  b.diastolic = diaBase_ + 5 * rhythm(hour, 3) + 4 * bump(hour, 8, 1.5);
  b.pulse = pulseBase_ + 7 * rhythm(hour, 4);
  // COPD patients desaturate more at night.
  b.spo2 = p.spo2 + (kind_ == PersonaKind::copd ? 1.0 : 0.4) * rhythm(hour, 3);
  // Lightest on waking (07:00); heart failure gains fluid day after day.
  b.weightKg =
      weightBase_ + 0.35 * (1 + rhythm(hour, 7)) + p.weightGainPerDay * std::max(0.0, days);
  // Core temperature: lowest before dawn, highest in the late afternoon.
  b.temperatureC = 36.75 + 0.35 * rhythm(hour, 5);
  // Glucose: fasting level plus a rise about an hour after each meal.
  b.glucoseMgDl = p.glucoseFasting + p.glucoseMealRise * (bump(hour, 9, 0.8) + bump(hour, 14, 0.8) +
                                                          bump(hour, 20, 0.8));
  return b;
}

Measurement Persona::measure(VitalDevice device, Time at) {
  const Baseline b = baseline(at);
  Measurement m;
  m.device = device;
  switch (device) {
    case VitalDevice::bloodPressure: {
      double sys = b.systolic + noise(5);
      double dia = b.diastolic + noise(4);
      if (kind_ == PersonaKind::hypertensive && chance(0.04)) {  // hypertensive crisis
        sys += 38 + noise(6);
        dia += 16 + noise(4);
      }
      if (kind_ == PersonaKind::heartFailure && chance(0.03)) {  // hypotension on diuretics
        sys -= 28;
        dia -= 15;
      }
      sys = std::round(std::clamp(sys, 75.0, 240.0));
      dia = std::round(std::clamp(dia, 40.0, sys - 15));
      m.systolic = sys;
      m.diastolic = dia;
      m.mean = std::round(dia + (sys - dia) / 3);
      m.pulse = std::round(std::clamp(b.pulse + noise(3), 38.0, 170.0));
      break;
    }
    case VitalDevice::pulseOximeter: {
      double s = b.spo2 + noise(0.8);
      if ((kind_ == PersonaKind::copd && chance(0.05)) ||
          (kind_ == PersonaKind::heartFailure && chance(0.03)))
        s -= 5 + std::abs(noise(1.5));  // desaturation episode
      m.spo2 = std::round(std::clamp(s, 75.0, 100.0));
      m.pulse = std::round(std::clamp(b.pulse + noise(3), 38.0, 170.0));
      break;
    }
    case VitalDevice::weightScale:
      m.weightKg = roundTo(std::clamp(b.weightKg + noise(0.15), 30.0, 250.0), 10);
      break;
    case VitalDevice::thermometer: {
      double t = b.temperatureC + noise(0.1);
      if (chance(0.01)) t += 1.4 + std::abs(noise(0.3));  // a fever now and then
      m.temperatureC = roundTo(std::clamp(t, 34.5, 41.0), 10);
      break;
    }
    case VitalDevice::glucometer: {
      double g = b.glucoseMgDl * (1 + noise(0.08));
      if (kind_ == PersonaKind::diabetic) {
        if (chance(0.04)) g += 130 + std::abs(noise(30));  // missed insulin
        if (chance(0.02)) g = 55 + noise(5);               // hypoglycaemia
      }
      m.glucoseMgDl = std::round(std::clamp(g, 40.0, 500.0));
      break;
    }
    case VitalDevice::heartRate: {
      double hr = b.pulse + noise(4);
      if ((kind_ == PersonaKind::heartFailure || kind_ == PersonaKind::copd) && chance(0.03))
        hr += 40 + std::abs(noise(8));  // tachycardia episode
      m.pulse = std::round(std::clamp(hr, 38.0, 190.0));
      break;
    }
  }
  return m;
}

}  // namespace vigil::fleet
