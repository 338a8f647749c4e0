// Blood Pressure Measurement (0x2A35) and Intermediate Cuff Pressure (0x2A36), built from the
// Blood Pressure Service 1.0 field table: flags (bit0 kPa, bit1 time stamp, bit2 pulse rate,
// bit3 user id, bit4 measurement status), systolic, diastolic, MAP (SFLOAT), [Date Time],
// [pulse SFLOAT], [user u8], [status u16].
#include <boost/test/unit_test.hpp>
#include <chrono>

#include "test_bytes.hpp"
#include "vigil/devices/gatt.hpp"

using namespace vigil::devices;
using namespace vigil::devices::test;
using namespace std::chrono;

namespace {

// SFLOATs: mmHg 120, 80, 93 (exp 0); kPa 16.0 = 0xF0A0 (160e-1), 10.7 = 0xF06B, 12.4 = 0xF07C.
std::vector<std::uint8_t> build(unsigned flags) {
  Le b;
  b.u8(flags);
  if (flags & 1)
    b.u16(0xF0A0).u16(0xF06B).u16(0xF07C);
  else
    b.u16(0x0078).u16(0x0050).u16(0x005D);
  if (flags & 2) b.dateTime(2026, 11, 29, 10, 15, 30);
  if (flags & 4) b.u16(0x0048);  // 72 /min
  if (flags & 8) b.u8(3);
  if (flags & 16) b.u16(0x0005);  // body movement + irregular pulse
  return b;
}

const Decoder kBp = [](std::span<const std::uint8_t> v) { return decodeBloodPressure(v); };
const Decoder kIcp = [](std::span<const std::uint8_t> v) {
  return decodeIntermediateCuffPressure(v);
};

}  // namespace

BOOST_AUTO_TEST_SUITE(GattBloodPressure)

BOOST_AUTO_TEST_CASE(decodes_full_measurement_from_hand_assembled_bytes) {
  // flags 0x1E: time stamp, pulse, user, status; 120/80/93 mmHg; 2020-11-29 10:15:00;
  // pulse 72; user 1; status 0x0004 (irregular pulse).
  const auto r =
      decodeBloodPressure(hex("1E 78 00 50 00 5D 00 E4 07 0B 1D 0A 0F 00 48 00 01 04 00"));
  BOOST_REQUIRE(r.ok());
  BOOST_REQUIRE(r.readings.size() == 2U);
  const Reading& bp = r.readings[0];
  BOOST_TEST((bp.kind == ReadingKind::bloodPressure));
  BOOST_TEST(bp.loinc == "85354-9");
  BOOST_TEST(bp.unit == "mm[Hg]");
  BOOST_TEST(bp.originalUnit.empty());
  BOOST_TEST(bp.components.find("systolic")->loinc == "8480-6");
  BOOST_TEST(*bp.components.find("systolic")->value.number == 120.0);
  BOOST_TEST(bp.components.find("diastolic")->loinc == "8462-4");
  BOOST_TEST(*bp.components.find("diastolic")->value.number == 80.0);
  BOOST_TEST(*bp.components.find("mean")->value.number == 93.0);
  BOOST_REQUIRE(bp.time.has_value());
  BOOST_TEST(bp.time->isLocal());
  BOOST_TEST((bp.time->wallClock == DeviceClock{sys_days{year{2020} / 11 / 29} + 10h + 15min}));
  BOOST_TEST(bp.userId == std::uint8_t{1});
  BOOST_TEST(bp.flags.has(Flag::irregularPulse));
  BOOST_TEST(!bp.flags.has(Flag::bodyMovement));
  BOOST_TEST(bp.characteristic == 0x2A35);
  const Reading& hr = r.readings[1];
  BOOST_TEST((hr.kind == ReadingKind::heartRate));
  BOOST_TEST(hr.loinc == "8867-4");
  BOOST_TEST(hr.unit == "/min");
  BOOST_TEST(*hr.value.number == 72.0);
}

BOOST_AUTO_TEST_CASE(decodes_every_flag_combination) {
  for (unsigned flags = 0; flags < 32; ++flags) {
    BOOST_TEST_CONTEXT("flags " << flags) {
      const auto r = decodeBloodPressure(build(flags));
      BOOST_REQUIRE(r.ok());
      BOOST_REQUIRE(r.readings.size() == ((flags & 4) ? 2U : 1U));
      const Reading& bp = r.readings[0];
      if (flags & 1) {
        BOOST_TEST(bp.originalUnit == "kPa");
        const auto& sys = bp.components.find("systolic")->value;
        BOOST_TEST(*sys.original == 16.0);
        BOOST_TEST(*sys.number == 16.0 * kMmHgPerKPa, boost::test_tools::tolerance(1e-9));
        BOOST_TEST(*bp.components.find("diastolic")->value.number == 10.7 * kMmHgPerKPa,
                   boost::test_tools::tolerance(1e-9));
        BOOST_TEST(*bp.components.find("mean")->value.original == 12.4);
      } else {
        BOOST_TEST(bp.originalUnit.empty());
        BOOST_TEST(*bp.components.find("systolic")->value.number == 120.0);
        BOOST_TEST(!bp.components.find("systolic")->value.original.has_value());
      }
      BOOST_TEST(bp.time.has_value() == bool(flags & 2));
      if (flags & 2)
        BOOST_TEST((bp.time->wallClock ==
                    DeviceClock{sys_days{year{2026} / 11 / 29} + 10h + 15min + 30s}));
      if (flags & 4) BOOST_TEST(*r.readings[1].value.number == 72.0);
      BOOST_TEST(bp.userId.has_value() == bool(flags & 8));
      BOOST_TEST(bp.flags.has(Flag::bodyMovement) == bool(flags & 16));
      BOOST_TEST(bp.flags.has(Flag::irregularPulse) == bool(flags & 16));
    }
  }
}

BOOST_AUTO_TEST_CASE(truncated_at_every_length_is_refused) {
  for (unsigned flags = 0; flags < 32; ++flags) requireEveryPrefixTruncated(kBp, build(flags));
}

BOOST_AUTO_TEST_CASE(trailing_bytes_are_refused) {
  for (unsigned flags = 0; flags < 32; ++flags) requireTrailingByteRefused(kBp, build(flags));
}

BOOST_AUTO_TEST_CASE(reserved_flag_bits_are_refused) {
  requireReservedFlagsRefused(kBp, build(0x1F), 0xE0);
}

BOOST_AUTO_TEST_CASE(special_values_are_not_numbers) {
  // systolic NaN, diastolic NRes, mean +INF, pulse -INF
  const auto r = decodeBloodPressure(hex("04 FF 07 00 08 FE 07 02 08"));
  BOOST_REQUIRE(r.ok());
  const auto& c = r.readings[0].components;
  BOOST_TEST(!c.find("systolic")->value.number.has_value());
  BOOST_TEST((c.find("systolic")->value.special == SpecialValue::nan));
  BOOST_TEST((c.find("diastolic")->value.special == SpecialValue::nres));
  BOOST_TEST((c.find("mean")->value.special == SpecialValue::positiveInfinity));
  BOOST_TEST((r.readings[1].value.special == SpecialValue::negativeInfinity));
  BOOST_TEST(!r.readings[1].value.number.has_value());
}

BOOST_AUTO_TEST_CASE(special_values_in_kpa_are_not_converted) {
  const auto r = decodeBloodPressure(hex("01 01 08 6B F0 7C F0"));  // systolic reserved, kPa
  BOOST_REQUIRE(r.ok());
  const auto& sys = r.readings[0].components.find("systolic")->value;
  BOOST_TEST((sys.special == SpecialValue::reserved));
  BOOST_TEST(!sys.number.has_value());
  BOOST_TEST(!sys.original.has_value());
}

BOOST_AUTO_TEST_CASE(measurement_status_bits_map_to_flags) {
  auto statusFlags = [](unsigned status) {
    const auto r = decodeBloodPressure(Le().u8(0x10).u16(0x78).u16(0x50).u16(0x5D).u16(status));
    BOOST_REQUIRE(r.ok());
    return r.readings[0].flags;
  };
  BOOST_TEST(statusFlags(0x0001).has(Flag::bodyMovement));
  BOOST_TEST(statusFlags(0x0002).has(Flag::cuffTooLoose));
  BOOST_TEST(statusFlags(0x0004).has(Flag::irregularPulse));
  BOOST_TEST(statusFlags(0x0008).has(Flag::pulseRateAboveRange));
  BOOST_TEST(statusFlags(0x0010).has(Flag::pulseRateBelowRange));
  BOOST_TEST(statusFlags(0x0018).empty());  // range value 3 is reserved: no flag
  BOOST_TEST(statusFlags(0x0020).has(Flag::improperPosition));
  BOOST_TEST(statusFlags(0xFFC0).empty());  // reserved status bits are ignored
  BOOST_TEST(statusFlags(0x0000).empty());
}

BOOST_AUTO_TEST_CASE(unknown_user_0xff_gives_no_user) {
  const auto r = decodeBloodPressure(hex("08 78 00 50 00 5D 00 FF"));
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(!r.readings[0].userId.has_value());
}

BOOST_AUTO_TEST_CASE(time_stamp_out_of_range_is_refused_and_unknown_date_gives_no_time) {
  const auto bad =
      decodeBloodPressure(Le().u8(0x02).u16(120).u16(80).u16(93).dateTime(2026, 13, 1, 0, 0, 0));
  BOOST_REQUIRE(!bad.ok());
  BOOST_TEST((bad.error->code == DecodeErrc::invalidTime));
  BOOST_TEST(bad.error->field == "time_stamp");
  const auto feb30 =
      decodeBloodPressure(Le().u8(0x02).u16(120).u16(80).u16(93).dateTime(2026, 2, 30, 0, 0, 0));
  BOOST_TEST((feb30.error->code == DecodeErrc::invalidTime));
  const auto hour24 =
      decodeBloodPressure(Le().u8(0x02).u16(120).u16(80).u16(93).dateTime(2026, 2, 3, 24, 0, 0));
  BOOST_TEST((hour24.error->code == DecodeErrc::invalidTime));
  const auto unknown =
      decodeBloodPressure(Le().u8(0x02).u16(120).u16(80).u16(93).dateTime(0, 0, 0, 0, 0, 0));
  BOOST_REQUIRE(unknown.ok());
  BOOST_TEST(!unknown.readings[0].time.has_value());
}

BOOST_AUTO_TEST_CASE(impossible_pressure_is_refused) {
  const auto r = decodeBloodPressure(hex("00 FF 0F 50 00 5D 00"));  // systolic -1
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST((r.error->code == DecodeErrc::impossibleValue));
}

BOOST_AUTO_TEST_CASE(intermediate_cuff_pressure_reports_the_current_pressure) {
  // flags 0x04 (pulse), cuff 150 mmHg, diastolic and MAP NaN as the spec asks, pulse 70
  const auto r = decodeIntermediateCuffPressure(hex("04 96 00 FF 07 FF 07 46 00"));
  BOOST_REQUIRE(r.ok());
  BOOST_REQUIRE(r.readings.size() == 2U);
  BOOST_TEST((r.readings[0].kind == ReadingKind::cuffPressure));
  BOOST_TEST(r.readings[0].unit == "mm[Hg]");
  BOOST_TEST(*r.readings[0].value.number == 150.0);
  BOOST_TEST(r.readings[0].components.empty());
  BOOST_TEST(r.readings[0].characteristic == 0x2A36);
  BOOST_TEST(*r.readings[1].value.number == 70.0);
}

BOOST_AUTO_TEST_CASE(intermediate_cuff_pressure_every_flag_combination_and_truncation) {
  for (unsigned flags = 0; flags < 32; ++flags) {
    const auto bytes = build(flags);
    const auto r = decodeIntermediateCuffPressure(bytes);
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(*r.readings[0].value.number == ((flags & 1) ? 16.0 * kMmHgPerKPa : 120.0),
               boost::test_tools::tolerance(1e-9));
    requireEveryPrefixTruncated(kIcp, bytes);
    requireTrailingByteRefused(kIcp, bytes);
  }
  requireReservedFlagsRefused(kIcp, build(0), 0xE0);
}

BOOST_AUTO_TEST_SUITE_END()
