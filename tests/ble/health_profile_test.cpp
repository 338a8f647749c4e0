#define BOOST_TEST_MODULE vigil_ble
// The pure parts of the BLE gateway: UUID forms and the discovery filter, device uids, the
// Current Time value and the gatt payload a notification becomes.
#include "vigil/ble/health_profile.hpp"

#include <boost/test/unit_test.hpp>

#include "vigil/devices/gatt.hpp"
#include "vigil/devices/payload.hpp"

using namespace vigil::ble;
using namespace std::chrono;

BOOST_AUTO_TEST_SUITE(HealthProfile)

BOOST_AUTO_TEST_CASE(converts_between_16_and_128_bit_uuids) {
  BOOST_TEST(uuid128(0x1810) == "00001810-0000-1000-8000-00805f9b34fb");
  BOOST_TEST(uuid16("00002A35-0000-1000-8000-00805F9B34FB").value() == 0x2A35);
  BOOST_TEST(!uuid16("00002a35-0000-1000-8000-00805f9b34fc"));  // not the Bluetooth base
  BOOST_TEST(!uuid16("12342a35-0000-1000-8000-00805f9b34fb"));  // a 32-bit UUID
  BOOST_TEST(!uuid16("0000zz35-0000-1000-8000-00805f9b34fb"));
  BOOST_TEST(!uuid16("2a35"));
}

BOOST_AUTO_TEST_CASE(filters_discovery_on_the_six_health_services) {
  auto f = healthServiceFilter();
  BOOST_TEST_REQUIRE(f.size() == 6U);
  for (auto u : {0x1810, 0x180D, 0x1822, 0x181D, 0x1809, 0x1808})
    BOOST_TEST((std::find(f.begin(), f.end(), uuid128(static_cast<std::uint16_t>(u))) != f.end()));
}

BOOST_AUTO_TEST_CASE(recognises_devices_offering_a_health_service) {
  BOOST_TEST(offersHealthService({uuid128(0x1800), uuid128(0x1808)}));
  BOOST_TEST(!offersHealthService({uuid128(0x1812), uuid128(0x180F)}));  // HID, battery
  BOOST_TEST(!offersHealthService({}));
}

BOOST_AUTO_TEST_CASE(subscribes_to_measurements_only) {
  BOOST_TEST(isMeasurementCharacteristic(0x2A35));
  BOOST_TEST(isMeasurementCharacteristic(0x2A18));
  BOOST_TEST(isMeasurementCharacteristic(0x2A34));
  BOOST_TEST(!isMeasurementCharacteristic(0x2A08));  // Date Time yields no readings
  BOOST_TEST(!isMeasurementCharacteristic(uuid::kRecordAccessControlPoint));
  BOOST_TEST(!isMeasurementCharacteristic(uuid::kCurrentTime));
}

BOOST_AUTO_TEST_CASE(derives_the_registry_uid_from_the_address) {
  BOOST_TEST(deviceUidForAddress("c4:7c:8d:6a:12:34").value() == "ble-C47C8D6A1234");
  BOOST_TEST(!deviceUidForAddress("c4:7c:8d:6a:12"));
  BOOST_TEST(!deviceUidForAddress("c4-7c-8d-6a-12-34"));
  BOOST_TEST(!deviceUidForAddress("g4:7c:8d:6a:12:34"));
}

BOOST_AUTO_TEST_CASE(encodes_current_time_with_day_of_week) {
  // Sunday 29 November 2026, 10:15:30 (local wall clock).
  auto t = sys_days{2026y / November / 29} + 10h + 15min + 30s;
  auto v = encodeCurrentTime(time_point_cast<milliseconds>(t));
  std::array<std::uint8_t, 10> expected{0xEA, 0x07, 11, 29, 10, 15, 30, 7, 0, 0x01};
  BOOST_TEST(v == expected);
}

BOOST_AUTO_TEST_CASE(wraps_a_notification_in_a_gatt_payload_ingest_accepts) {
  Notification n;
  n.address = "C4:7C:8D:6A:12:34";
  n.characteristic = 0x2A37;
  n.value = {0x00, 0x48};  // 72 /min
  n.receivedAt = time_point_cast<milliseconds>(sys_days{2026y / November / 29} + 10h);
  auto payload = gattPayload(n, 1234);
  auto decoded = vigil::devices::decodeGattPayload(payload);
  BOOST_TEST_REQUIRE(decoded.ok());
  BOOST_TEST(decoded.payload->seq == 1234U);
  BOOST_TEST(decoded.payload->characteristic == 0x2A37);
  BOOST_TEST(decoded.payload->address == n.address);
  BOOST_TEST_REQUIRE(decoded.payload->readings.size() == 1U);
  BOOST_TEST(decoded.payload->readings[0].value.number.value() == 72.0);
}

BOOST_AUTO_TEST_SUITE_END()
