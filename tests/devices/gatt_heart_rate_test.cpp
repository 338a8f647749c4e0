// Heart Rate Measurement (0x2A37) from the Heart Rate Service 1.0 field table: flags (bit0 u16
// value, bits1-2 sensor contact, bit3 energy expended, bit4 RR-intervals), value, [energy u16 kJ],
// [RR u16 1/1024 s ...].
#include <boost/test/unit_test.hpp>

#include "test_bytes.hpp"
#include "vigil/devices/gatt.hpp"

using namespace vigil::devices;
using namespace vigil::devices::test;

namespace {

std::vector<std::uint8_t> build(unsigned flags, int rrCount = 1) {
  Le b;
  b.u8(flags);
  if (flags & 1)
    b.u16(150);
  else
    b.u8(72);
  if (flags & 8) b.u16(0x0102);  // 258 kJ
  if (flags & 16)
    for (int i = 0; i < rrCount; ++i) b.u16(i % 2 ? 0x0200 : 0x0400);  // 1.0 s, 0.5 s
  return b;
}

const Decoder kHr = [](std::span<const std::uint8_t> v) { return decodeHeartRate(v); };

}  // namespace

BOOST_AUTO_TEST_SUITE(GattHeartRate)

BOOST_AUTO_TEST_CASE(decodes_hand_assembled_value_with_contact_and_rr_intervals) {
  // 0x16: u8 value, contact detected (bits 1-2 = 3), RR present; 72 /min; RR 0x0401, 0x0200
  const auto r = decodeHeartRate(hex("16 48 01 04 00 02"));
  BOOST_REQUIRE(r.ok());
  BOOST_REQUIRE(r.readings.size() == 3U);
  BOOST_TEST((r.readings[0].kind == ReadingKind::heartRate));
  BOOST_TEST(r.readings[0].loinc == "8867-4");
  BOOST_TEST(*r.readings[0].value.number == 72.0);
  BOOST_TEST(r.readings[0].flags.has(Flag::sensorContactDetected));
  BOOST_TEST((r.readings[1].kind == ReadingKind::rrInterval));
  BOOST_TEST(r.readings[1].unit == "s");
  BOOST_TEST(*r.readings[1].value.number == 1025.0 / 1024.0);
  BOOST_TEST(*r.readings[2].value.number == 0.5);
}

BOOST_AUTO_TEST_CASE(decodes_every_flag_combination) {
  for (unsigned flags = 0; flags < 32; ++flags) {
    BOOST_TEST_CONTEXT("flags " << flags) {
      const auto r = decodeHeartRate(build(flags, 3));
      BOOST_REQUIRE(r.ok());
      const std::size_t expected = 1U + ((flags & 8) ? 1U : 0U) + ((flags & 16) ? 3U : 0U);
      BOOST_REQUIRE(r.readings.size() == expected);
      BOOST_TEST(*r.readings[0].value.number == ((flags & 1) ? 150.0 : 72.0));
      const unsigned contact = (flags >> 1) & 3;
      BOOST_TEST(r.readings[0].flags.has(Flag::sensorContactDetected) == (contact == 3));
      BOOST_TEST(r.readings[0].flags.has(Flag::sensorContactNotDetected) == (contact == 2));
      std::size_t i = 1;
      if (flags & 8) {
        BOOST_TEST((r.readings[i].kind == ReadingKind::energyExpended));
        BOOST_TEST(r.readings[i].unit == "kJ");
        BOOST_TEST(*r.readings[i].value.number == 258.0);
        ++i;
      }
      if (flags & 16) {
        BOOST_TEST(*r.readings[i].value.number == 1.0);
        BOOST_TEST(*r.readings[i + 1].value.number == 0.5);
        BOOST_TEST(*r.readings[i + 2].value.number == 1.0);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(truncated_at_every_length_is_refused) {
  for (unsigned flags = 0; flags < 32; ++flags) requireEveryPrefixTruncated(kHr, build(flags, 1));
}

BOOST_AUTO_TEST_CASE(half_an_rr_interval_is_refused) {
  for (unsigned flags = 16; flags < 32; ++flags) {
    auto bytes = build(flags, 2);
    bytes.push_back(0x01);
    const auto r = decodeHeartRate(bytes);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST((r.error->code == DecodeErrc::truncated));
    BOOST_TEST(r.error->field == "rr_interval");
  }
}

BOOST_AUTO_TEST_CASE(trailing_bytes_without_rr_flag_are_refused) {
  for (unsigned flags = 0; flags < 16; ++flags) requireTrailingByteRefused(kHr, build(flags));
}

BOOST_AUTO_TEST_CASE(reserved_flag_bits_are_refused) {
  requireReservedFlagsRefused(kHr, build(0x1F), 0xE0);
}

BOOST_AUTO_TEST_CASE(impossible_rate_is_refused) {
  const auto r = decodeHeartRate(hex("01 E8 03"));  // 1000 /min
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST((r.error->code == DecodeErrc::impossibleValue));
  BOOST_TEST(r.error->field == "heart_rate");
}

BOOST_AUTO_TEST_SUITE_END()
