// Weight Measurement (0x2A9D) from the Weight Scale Service 1.0 field table: flags (bit0
// imperial, bit1 time stamp, bit2 user id, bit3 BMI and height), weight u16 (0.005 kg / 0.01 lb),
// [Date Time], [user u8], [BMI u16 0.1 kg/m2, height u16 0.001 m / 0.1 in].
#include <boost/test/unit_test.hpp>

#include "test_bytes.hpp"
#include "vigil/devices/gatt.hpp"

using namespace vigil::devices;
using namespace vigil::devices::test;

namespace {

std::vector<std::uint8_t> build(unsigned flags) {
  Le b;
  b.u8(flags).u16((flags & 1) ? 15488 : 14050);  // 154.88 lb / 70.25 kg
  if (flags & 2) b.dateTime(2026, 1, 2, 7, 8, 9);
  if (flags & 4) b.u8(2);
  if (flags & 8) b.u16(229).u16((flags & 1) ? 689 : 1750);  // BMI 22.9; 68.9 in / 1.750 m
  return b;
}

const Decoder kWeight = [](std::span<const std::uint8_t> v) { return decodeWeight(v); };

}  // namespace

BOOST_AUTO_TEST_SUITE(GattWeight)

BOOST_AUTO_TEST_CASE(decodes_hand_assembled_si_value) {
  // flags 0x0E: time, user, BMI+height; 0x36E2 = 14050 × 0.005 = 70.25 kg; user 1;
  // BMI 0x00E5 = 22.9; height 0x06D6 = 1750 × 0.001 = 1.75 m
  const auto r = decodeWeight(hex("0E E2 36 EA 07 0C 1F 17 3B 3B 01 E5 00 D6 06"));
  BOOST_REQUIRE(r.ok());
  BOOST_REQUIRE(r.readings.size() == 3U);
  BOOST_TEST((r.readings[0].kind == ReadingKind::bodyWeight));
  BOOST_TEST(r.readings[0].loinc == "29463-7");
  BOOST_TEST(r.readings[0].unit == "kg");
  BOOST_TEST(*r.readings[0].value.number == 70.25);
  BOOST_TEST(r.readings[0].userId == std::uint8_t{1});
  BOOST_TEST((r.readings[1].kind == ReadingKind::bmi));
  BOOST_TEST(r.readings[1].loinc == "39156-5");
  BOOST_TEST(*r.readings[1].value.number == 22.9);
  BOOST_TEST((r.readings[2].kind == ReadingKind::bodyHeight));
  BOOST_TEST(r.readings[2].loinc == "8302-2");
  BOOST_TEST(r.readings[2].unit == "cm");
  BOOST_TEST(*r.readings[2].value.number == 175.0);
  BOOST_TEST(r.readings[2].originalUnit == "m");
  BOOST_TEST(*r.readings[2].value.original == 1.75);
}

BOOST_AUTO_TEST_CASE(decodes_every_flag_combination) {
  for (unsigned flags = 0; flags < 16; ++flags) {
    BOOST_TEST_CONTEXT("flags " << flags) {
      const auto r = decodeWeight(build(flags));
      BOOST_REQUIRE(r.ok());
      BOOST_REQUIRE(r.readings.size() == ((flags & 8) ? 3U : 1U));
      const Reading& w = r.readings[0];
      if (flags & 1) {
        BOOST_TEST(w.originalUnit == "[lb_av]");
        BOOST_TEST(*w.value.original == 154.88);
        BOOST_TEST(*w.value.number == 154.88 * 0.45359237, boost::test_tools::tolerance(1e-12));
      } else {
        BOOST_TEST(w.originalUnit.empty());
        BOOST_TEST(*w.value.number == 70.25);
      }
      BOOST_TEST(w.time.has_value() == bool(flags & 2));
      BOOST_TEST(w.userId.has_value() == bool(flags & 4));
      if (flags & 8) {
        BOOST_TEST(*r.readings[1].value.number == 22.9);
        const Reading& h = r.readings[2];
        if (flags & 1) {
          BOOST_TEST(h.originalUnit == "[in_i]");
          BOOST_TEST(*h.value.number == 68.9 * 2.54, boost::test_tools::tolerance(1e-12));
        } else {
          BOOST_TEST(*h.value.number == 175.0);
        }
      }
      requireEveryPrefixTruncated(kWeight, build(flags));
      requireTrailingByteRefused(kWeight, build(flags));
    }
  }
  requireReservedFlagsRefused(kWeight, build(0x0F), 0xF0);
}

BOOST_AUTO_TEST_CASE(unsuccessful_measurement_is_a_special_value) {
  const auto r = decodeWeight(hex("00 FF FF"));
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(!r.readings[0].value.number.has_value());
  BOOST_TEST((r.readings[0].value.special == SpecialValue::unsuccessful));
  const auto imperial = decodeWeight(hex("01 FF FF"));
  BOOST_TEST(!imperial.readings[0].value.original.has_value());
}

BOOST_AUTO_TEST_CASE(largest_si_weight_is_plausible_and_user_0xff_is_unknown) {
  const auto r = decodeWeight(hex("04 FE FF FF"));  // 65534 × 0.005 = 327.67 kg, user unknown
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(*r.readings[0].value.number == 327.67);
  BOOST_TEST(!r.readings[0].userId.has_value());
}

BOOST_AUTO_TEST_SUITE_END()
