// Temperature Measurement (0x2A1C) from the Health Thermometer Service 1.0 field table: flags
// (bit0 Fahrenheit, bit1 time stamp, bit2 temperature type), FLOAT, [Date Time], [type u8].
#include <boost/test/unit_test.hpp>

#include "test_bytes.hpp"
#include "vigil/devices/gatt.hpp"

using namespace vigil::devices;
using namespace vigil::devices::test;

namespace {

std::vector<std::uint8_t> build(unsigned flags) {
  Le b;
  b.u8(flags).u32((flags & 1) ? 0xFF0003D1 : 0xFF00016D);  // 97.7 °F / 36.5 °C
  if (flags & 2) b.dateTime(2026, 11, 29, 23, 59, 59);
  if (flags & 4) b.u8(6);  // mouth
  return b;
}

const Decoder kTemp = [](std::span<const std::uint8_t> v) { return decodeTemperature(v); };

}  // namespace

BOOST_AUTO_TEST_SUITE(GattTemperature)

BOOST_AUTO_TEST_CASE(decodes_hand_assembled_value) {
  // flags 0x06: time + type; 36.5 °C (FLOAT 0xFF00016D); 2020-11-29 10:15:00; type 3 (ear)
  const auto r = decodeTemperature(hex("06 6D 01 00 FF E4 07 0B 1D 0A 0F 00 03"));
  BOOST_REQUIRE(r.ok());
  BOOST_REQUIRE(r.readings.size() == 1U);
  const Reading& t = r.readings[0];
  BOOST_TEST((t.kind == ReadingKind::bodyTemperature));
  BOOST_TEST(t.loinc == "8310-5");
  BOOST_TEST(t.unit == "Cel");
  BOOST_TEST(*t.value.number == 36.5);
  BOOST_TEST(t.tags.get("site") == "ear");
  BOOST_TEST(t.time.has_value());
}

BOOST_AUTO_TEST_CASE(decodes_every_flag_combination) {
  for (unsigned flags = 0; flags < 8; ++flags) {
    BOOST_TEST_CONTEXT("flags " << flags) {
      const auto r = decodeTemperature(build(flags));
      BOOST_REQUIRE(r.ok());
      const Reading& t = r.readings[0];
      BOOST_TEST(*t.value.number == 36.5, boost::test_tools::tolerance(1e-12));
      if (flags & 1) {
        BOOST_TEST(t.originalUnit == "[degF]");
        BOOST_TEST(*t.value.original == 97.7);
      }
      BOOST_TEST(t.time.has_value() == bool(flags & 2));
      BOOST_TEST(t.tags.get("site") == ((flags & 4) ? "mouth" : ""));
      requireEveryPrefixTruncated(kTemp, build(flags));
      requireTrailingByteRefused(kTemp, build(flags));
    }
  }
  requireReservedFlagsRefused(kTemp, build(0x07), 0xF8);
}

BOOST_AUTO_TEST_CASE(every_temperature_type_and_reserved_types) {
  const char* sites[] = {"armpit", "body",   "ear", "finger",  "gastrointestinal_tract",
                         "mouth",  "rectum", "toe", "tympanum"};
  for (unsigned type = 1; type <= 9; ++type) {
    const auto r = decodeTemperature(Le().u8(0x04).u32(0xFF00016D).u8(type));
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r.readings[0].tags.get("site") == sites[type - 1]);
  }
  for (unsigned type : {0U, 10U, 255U}) {
    const auto r = decodeTemperature(Le().u8(0x04).u32(0xFF00016D).u8(type));
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST((r.error->code == DecodeErrc::reservedValue));
    BOOST_TEST(r.error->field == "temperature_type");
  }
}

BOOST_AUTO_TEST_CASE(special_float_values_are_not_converted) {
  for (std::uint32_t raw : {0x007FFFFFU, 0x00800000U, 0x007FFFFEU, 0x00800002U, 0x00800001U}) {
    const auto r = decodeTemperature(Le().u8(0x01).u32(raw));
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(!r.readings[0].value.number.has_value());
    BOOST_TEST(!r.readings[0].value.original.has_value());
    BOOST_TEST((r.readings[0].value.special != SpecialValue::none));
  }
}

BOOST_AUTO_TEST_CASE(impossible_temperature_is_refused) {
  const auto r = decodeTemperature(hex("00 E8 03 00 00"));  // 1000 °C
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST((r.error->code == DecodeErrc::impossibleValue));
}

BOOST_AUTO_TEST_SUITE_END()
