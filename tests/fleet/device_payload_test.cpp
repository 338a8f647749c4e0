#include "vigil/fleet/device_payload.hpp"

#include <boost/test/unit_test.hpp>

#include "vigil/devices/gatt.hpp"
#include "vigil/devices/payload.hpp"

using namespace vigil;
using namespace vigil::fleet;
using namespace std::chrono;

namespace {

DeviceClockTime clockAt(int hour, int minute, int second) {
  return time_point_cast<milliseconds>(sys_days{year{2026} / November / 29} + hours{hour} +
                                       minutes{minute} + seconds{second});
}

const devices::Reading* find(const std::vector<devices::Reading>& rs, devices::ReadingKind k) {
  for (const auto& r : rs)
    if (r.kind == k) return &r;
  return nullptr;
}

double number(const devices::Reading* r) {
  BOOST_TEST_REQUIRE(r);
  BOOST_TEST_REQUIRE(r->value.number.has_value());
  return *r->value.number;
}

double component(const devices::Reading* r, std::string_view name) {
  BOOST_TEST_REQUIRE(r);
  auto c = r->components.find(name);
  BOOST_TEST_REQUIRE(c);
  return *c->value.number;
}

/// The persona's values come back out of the devices/ decoders (tolerance for glucose's
/// kg/L SFLOAT scaling only).
void checkSameValues(const Measurement& m, const std::vector<devices::Reading>& rs) {
  using devices::ReadingKind;
  auto tol = boost::test_tools::tolerance(1e-9);
  switch (m.device) {
    case VitalDevice::bloodPressure: {
      auto bp = find(rs, ReadingKind::bloodPressure);
      BOOST_TEST(component(bp, "systolic") == *m.systolic);
      BOOST_TEST(component(bp, "diastolic") == *m.diastolic);
      BOOST_TEST(number(find(rs, ReadingKind::heartRate)) == *m.pulse);
      break;
    }
    case VitalDevice::pulseOximeter:
      BOOST_TEST(number(find(rs, ReadingKind::spo2)) == *m.spo2);
      BOOST_TEST(number(find(rs, ReadingKind::heartRate)) == *m.pulse);
      break;
    case VitalDevice::weightScale:
      BOOST_TEST(number(find(rs, ReadingKind::bodyWeight)) == *m.weightKg);
      break;
    case VitalDevice::thermometer:
      BOOST_TEST(number(find(rs, ReadingKind::bodyTemperature)) == *m.temperatureC);
      break;
    case VitalDevice::glucometer:
      BOOST_TEST(number(find(rs, ReadingKind::glucose)) == *m.glucoseMgDl, tol);
      break;
    case VitalDevice::heartRate:
      BOOST_TEST(number(find(rs, ReadingKind::heartRate)) == *m.pulse);
      break;
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(DevicePayload)

BOOST_AUTO_TEST_CASE(gatt_bytes_decode_back_to_the_personas_values) {
  for (auto p : kAllPersonas) {
    Persona persona(p, 5, clockAt(0, 0, 0));
    for (int i = 0; i < 300; ++i) {
      for (auto d : kAllVitalDevices) {
        auto when = clockAt(i % 24, i % 60, (i * 7) % 60);
        auto m = persona.measure(d, when);
        auto v = encodeGatt(m, when, static_cast<std::uint16_t>(i));
        auto decoded = devices::decodeCharacteristic(v.characteristic, v.bytes);
        BOOST_TEST_REQUIRE(decoded.ok(), (decoded.error ? decoded.error->message() : ""));
        checkSameValues(m, decoded.readings);
        if (d != VitalDevice::heartRate) {  // a heart-rate strap has no clock
          const auto& r = decoded.readings.front();
          BOOST_TEST_REQUIRE(r.time.has_value());
          BOOST_TEST(r.time->isLocal());
          BOOST_TEST((r.time->wallClock == when));
        }
        if (d == VitalDevice::glucometer) BOOST_TEST(*decoded.readings.front().sequence == i);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(gatt_payload_passes_the_hub_schema) {
  Persona persona(PersonaKind::copd, 9, clockAt(0, 0, 0));
  auto m = persona.measure(VitalDevice::pulseOximeter, clockAt(8, 0, 0));
  auto json =
      gattPayload(77, encodeGatt(m, clockAt(8, 0, 0), 0), bleAddressFor("hub-1"), clockAt(8, 0, 2));
  auto r = devices::decodeGattPayload(json);
  BOOST_TEST_REQUIRE(r.ok(), json << " " << (r.error ? r.error->message() : ""));
  BOOST_TEST(r.payload->seq == 77u);
  BOOST_TEST(r.payload->characteristic == devices::gatt::kPlxSpotCheckMeasurement);
  BOOST_TEST(r.payload->address == bleAddressFor("hub-1"));
  BOOST_TEST((r.payload->receivedAt == clockAt(8, 0, 2)));
  checkSameValues(m, r.payload->readings);
}

BOOST_AUTO_TEST_CASE(readings_payload_decodes_back_to_the_personas_values_and_times) {
  for (auto p : kAllPersonas) {
    Persona persona(p, 6, clockAt(0, 0, 0));
    for (int i = 0; i < 100; ++i) {
      for (auto d : kAllVitalDevices) {
        auto measured = clockAt(i % 24, 0, 0) + milliseconds(i * 13);
        auto m = persona.measure(d, measured);
        auto json = readingsPayload(1000 + static_cast<std::uint64_t>(i), m, measured,
                                    measured + seconds(30), 80);
        auto r = devices::decodeReadingsPayload(json);
        BOOST_TEST_REQUIRE(r.ok(), json << " " << (r.error ? r.error->message() : ""));
        BOOST_TEST(r.payload->seq == 1000u + static_cast<unsigned>(i));
        BOOST_TEST(*r.payload->batteryPercent == 80);
        BOOST_TEST((*r.payload->sentAt == measured + seconds(30)));
        checkSameValues(m, r.payload->readings);
        for (const auto& reading : r.payload->readings)
          BOOST_TEST((reading.time->utc() == measured));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(ble_address_is_stable_per_device_and_differs_between_devices) {
  BOOST_TEST(bleAddressFor("cuff-1") == bleAddressFor("cuff-1"));
  BOOST_TEST(bleAddressFor("cuff-1") != bleAddressFor("cuff-2"));
  BOOST_TEST(bleAddressFor("cuff-1").size() == 17u);
}

BOOST_AUTO_TEST_SUITE_END()
