// The dispatcher, UUID parsing and Date Time (0x2A08: year u16, month, day, hours, minutes,
// seconds; 0 = unknown for year, month and day).
#include "vigil/devices/gatt.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>

#include "test_bytes.hpp"

using namespace vigil::devices;
using namespace vigil::devices::test;
using namespace std::chrono;

BOOST_AUTO_TEST_SUITE(Gatt)

BOOST_AUTO_TEST_CASE(parses_short_prefixed_and_full_base_uuids) {
  BOOST_TEST(parseCharacteristicUuid("2A35") == std::uint16_t{0x2A35});
  BOOST_TEST(parseCharacteristicUuid("2a35") == std::uint16_t{0x2A35});
  BOOST_TEST(parseCharacteristicUuid("0x2A9D") == std::uint16_t{0x2A9D});
  BOOST_TEST(parseCharacteristicUuid("00002a37-0000-1000-8000-00805f9b34fb") ==
             std::uint16_t{0x2A37});
  BOOST_TEST(parseCharacteristicUuid("00002A37-0000-1000-8000-00805F9B34FB") ==
             std::uint16_t{0x2A37});
  BOOST_TEST(!parseCharacteristicUuid("2A3").has_value());
  BOOST_TEST(!parseCharacteristicUuid("2A35 ").has_value());
  BOOST_TEST(!parseCharacteristicUuid("12342a37-0000-1000-8000-00805f9b34fb").has_value());
  BOOST_TEST(!parseCharacteristicUuid("00002a37-0000-1000-8000-00805f9b34fc").has_value());
  BOOST_TEST(characteristicName(0x2A5E) == "2A5E");
}

BOOST_AUTO_TEST_CASE(dispatches_by_uuid_and_refuses_unknown_characteristics) {
  BOOST_TEST(decodeCharacteristic(0x2A37, hex("00 48")).readings.size() == 1U);
  BOOST_TEST((decodeCharacteristic(0x2A35, hex("00 78 00 50 00 5D 00")).readings[0].kind ==
              ReadingKind::bloodPressure));
  BOOST_TEST((decodeCharacteristic(0x2A36, hex("00 78 00 FF 07 FF 07")).readings[0].kind ==
              ReadingKind::cuffPressure));
  BOOST_TEST(
      (decodeCharacteristic(0x2A9D, hex("00 E2 36")).readings[0].kind == ReadingKind::bodyWeight));
  const auto unknown = decodeCharacteristic(0x2A00, hex("00"));
  BOOST_REQUIRE(!unknown.ok());
  BOOST_TEST((unknown.error->code == DecodeErrc::unsupported));
  BOOST_TEST(!isSupportedCharacteristic(0x2A00));
  for (unsigned u :
       {0x2A08U, 0x2A18U, 0x2A1CU, 0x2A34U, 0x2A35U, 0x2A36U, 0x2A37U, 0x2A5EU, 0x2A5FU, 0x2A9DU})
    BOOST_TEST(isSupportedCharacteristic(static_cast<std::uint16_t>(u)));
}

BOOST_AUTO_TEST_CASE(date_time_decodes_as_device_local) {
  const auto t = decodeDateTime(hex("E4 07 0B 1D 0A 0F 1E"));  // 2020-11-29 10:15:30
  BOOST_REQUIRE(t.ok());
  BOOST_REQUIRE(t.time.has_value());
  BOOST_TEST(t.time->isLocal());
  BOOST_TEST(
      (t.time->wallClock == DeviceClock{sys_days{year{2020} / 11 / 29} + 10h + 15min + 30s}));
}

BOOST_AUTO_TEST_CASE(date_time_unknown_parts_give_no_time) {
  for (const char* bytes :
       {"00 00 0B 1D 0A 0F 1E", "E4 07 00 1D 0A 0F 1E", "E4 07 0B 00 0A 0F 1E"}) {
    const auto t = decodeDateTime(hex(bytes));
    BOOST_TEST(t.ok());
    BOOST_TEST(!t.time.has_value());
  }
}

BOOST_AUTO_TEST_CASE(date_time_out_of_range_truncated_and_trailing_are_refused) {
  for (const char* bytes :
       {"2D 06 0B 1D 0A 0F 1E" /* 1581 */, "10 27 0B 1D 0A 0F 1E" /* 10000 */,
        "E4 07 0D 1D 0A 0F 1E", "E4 07 0B 20 0A 0F 1E", "E4 07 0B 1D 18 0F 1E",
        "E4 07 0B 1D 0A 3C 1E", "E4 07 0B 1D 0A 0F 3C", "E5 07 02 1D 00 00 00"}) {
    const auto t = decodeDateTime(hex(bytes));
    BOOST_TEST_CONTEXT(bytes) {
      BOOST_REQUIRE(!t.ok());
      BOOST_TEST((t.error->code == DecodeErrc::invalidTime));
      BOOST_TEST(!t.time.has_value());
    }
  }
  const auto valid = hex("E4 07 0B 1D 0A 0F 1E");
  for (std::size_t n = 0; n < valid.size(); ++n) {
    const auto t = decodeDateTime(std::span(valid.data(), n));
    BOOST_TEST((t.error->code == DecodeErrc::truncated));
  }
  auto longer = valid;
  longer.push_back(0);
  BOOST_TEST((decodeDateTime(longer).error->code == DecodeErrc::trailingBytes));
  BOOST_TEST(decodeDateTime(hex("E4 07 02 1D 00 00 00")).ok());  // 2020 is a leap year
}

BOOST_AUTO_TEST_CASE(error_message_names_field_and_reason) {
  const auto r = decodeBloodPressure(hex("00 78 00"));
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error->message() == "diastolic: value ends before this field (truncated)");
}

BOOST_AUTO_TEST_SUITE_END()
