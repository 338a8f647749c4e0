// Glucose Measurement (0x2A18) and Glucose Measurement Context (0x2A34) from the Glucose Service
// 1.0 field tables.
#include <boost/test/unit_test.hpp>
#include <chrono>

#include "test_bytes.hpp"
#include "vigil/devices/gatt.hpp"

using namespace vigil::devices;
using namespace vigil::devices::test;
using namespace std::chrono;

namespace {

// Measurement flags: bit0 time offset, bit1 concentration + type/location, bit2 mol/L, bit3
// sensor status annunciation, bit4 context follows.
std::vector<std::uint8_t> buildMeasurement(unsigned flags) {
  Le b;
  b.u8(flags).u16(7).dateTime(2026, 11, 29, 7, 30, 0);
  if (flags & 1) b.u16(60);  // +60 min
  if (flags & 2) {
    b.u16((flags & 4) ? 0xC035 : 0xB05F);  // 53e-4 mol/L / 95e-5 kg/L
    b.u8(0x11);                            // capillary whole blood, finger
  }
  if (flags & 8) b.u16(0x0001);  // battery low
  return b;
}

// Context flags: bit0 carbohydrate, bit1 meal, bit2 tester-health, bit3 exercise, bit4
// medication, bit5 medication in litres, bit6 HbA1c, bit7 extended flags.
std::vector<std::uint8_t> buildContext(unsigned flags) {
  Le b;
  b.u8(flags).u16(7);
  if (flags & 0x80) b.u8(0);
  if (flags & 0x01) b.u8(1).u16(0xE005);  // breakfast, 5e-2 kg = 50 g
  if (flags & 0x02) b.u8(1);              // preprandial
  if (flags & 0x04) b.u8(0x51);           // tester self, health: no health issues
  if (flags & 0x08) b.u16(1800).u8(40);   // 1800 s at 40 %
  if (flags & 0x10) b.u8(1).u16((flags & 0x20) ? 0xC001 : 0xA001);  // 1e-4 L / 1e-6 kg
  if (flags & 0x40) b.u16(0xF041);                                  // 65e-1 = 6.5 %
  return b;
}

const Decoder kGlucose = [](std::span<const std::uint8_t> v) { return decodeGlucose(v); };
const Decoder kContext = [](std::span<const std::uint8_t> v) { return decodeGlucoseContext(v); };

const Reading* find(const DecodeResult& r, ReadingKind kind) {
  for (const auto& x : r.readings)
    if (x.kind == kind) return &x;
  return nullptr;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(GattGlucose)

BOOST_AUTO_TEST_CASE(decodes_hand_assembled_measurement) {
  // flags 0x03: time offset + concentration (kg/L); seq 1; 2026-11-29 07:30:00; offset -30 min;
  // 0xB05F = 95e-5 kg/L = 95 mg/dL; type-location 0x11
  const auto r = decodeGlucose(hex("03 01 00 EA 07 0B 1D 07 1E 00 E2 FF 5F B0 11"));
  BOOST_REQUIRE(r.ok());
  BOOST_REQUIRE(r.readings.size() == 1U);
  const Reading& g = r.readings[0];
  BOOST_TEST((g.kind == ReadingKind::glucose));
  BOOST_TEST(g.loinc == "41653-7");
  BOOST_TEST(g.unit == "mg/dL");
  BOOST_TEST(*g.value.number == 95.0, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(g.originalUnit == "kg/L");
  BOOST_TEST(*g.value.original == 0.00095);
  BOOST_TEST(g.sequence == std::uint32_t{1});
  BOOST_TEST((g.time->wallClock == DeviceClock{sys_days{year{2026} / 11 / 29} + 7h}));
  BOOST_TEST(g.tags.get("sample_type") == "capillary_whole_blood");
  BOOST_TEST(g.tags.get("sample_location") == "finger");
}

BOOST_AUTO_TEST_CASE(every_measurement_flag_combination) {
  for (unsigned flags = 0; flags < 32; ++flags) {
    BOOST_TEST_CONTEXT("flags " << flags) {
      const auto r = decodeGlucose(buildMeasurement(flags));
      BOOST_REQUIRE(r.ok());
      if (!(flags & 2)) {
        BOOST_TEST(r.readings.empty());  // no concentration: nothing to store
      } else {
        BOOST_REQUIRE(r.readings.size() == 1U);
        const Reading& g = r.readings[0];
        const double expected = (flags & 4) ? 0.0053 * 18015.6 : 95.0;
        BOOST_TEST(*g.value.number == expected, boost::test_tools::tolerance(1e-9));
        BOOST_TEST(g.originalUnit == ((flags & 4) ? "mol/L" : "kg/L"));
        const auto base = sys_days{year{2026} / 11 / 29} + 7h + 30min;
        BOOST_TEST((g.time->wallClock == DeviceClock{base + minutes((flags & 1) ? 60 : 0)}));
        BOOST_TEST(g.flags.has(Flag::batteryLow) == bool(flags & 8));
        BOOST_TEST(g.tags.get("context") == ((flags & 16) ? "follows" : ""));
        BOOST_TEST(g.sequence == std::uint32_t{7});
      }
      requireEveryPrefixTruncated(kGlucose, buildMeasurement(flags));
      requireTrailingByteRefused(kGlucose, buildMeasurement(flags));
    }
  }
  requireReservedFlagsRefused(kGlucose, buildMeasurement(0x1F), 0xE0);
}

BOOST_AUTO_TEST_CASE(sample_types_pick_the_loinc_code_and_reserved_ones_are_refused) {
  auto withTypeLocation = [](unsigned tl) {
    return decodeGlucose(Le().u8(0x02).u16(1).dateTime(2026, 1, 1, 0, 0, 0).u16(0xB05F).u8(tl));
  };
  BOOST_TEST(withTypeLocation(0x12).readings[0].loinc == "2345-7");  // capillary plasma
  BOOST_TEST(withTypeLocation(0x13).readings[0].loinc == "2339-0");  // venous whole blood
  BOOST_TEST(withTypeLocation(0xF9).readings[0].tags.get("sample_location").empty());
  BOOST_TEST(withTypeLocation(0x4A).readings[0].flags.has(Flag::controlSolution));
  for (unsigned tl : {0x10U, 0x1BU, 0x1FU}) {
    const auto r = withTypeLocation(tl);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST((r.error->code == DecodeErrc::reservedValue));
    BOOST_TEST(r.error->field == "type");
  }
  for (unsigned tl : {0x01U, 0x51U, 0xE1U}) {
    const auto r = withTypeLocation(tl);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error->field == "sample_location");
  }
}

BOOST_AUTO_TEST_CASE(sensor_status_annunciation_bits_map_to_flags) {
  const Flag expected[] = {Flag::batteryLow,
                           Flag::sensorFault,
                           Flag::sampleSizeInsufficient,
                           Flag::stripInsertionError,
                           Flag::stripTypeIncorrect,
                           Flag::resultTooHigh,
                           Flag::resultTooLow,
                           Flag::sensorTemperatureTooHigh,
                           Flag::sensorTemperatureTooLow,
                           Flag::stripPulledTooSoon,
                           Flag::generalDeviceFault,
                           Flag::timeFault};
  for (unsigned bit = 0; bit < 12; ++bit) {
    const auto r = decodeGlucose(
        Le().u8(0x0A).u16(1).dateTime(2026, 1, 1, 0, 0, 0).u16(0xB05F).u8(0x11).u16(1U << bit));
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r.readings[0].flags.has(expected[bit]));
  }
}

BOOST_AUTO_TEST_CASE(special_concentration_is_not_converted) {
  const auto r =
      decodeGlucose(Le().u8(0x06).u16(1).dateTime(2026, 1, 1, 0, 0, 0).u16(0x07FF).u8(0x11));
  BOOST_REQUIRE(r.ok());
  BOOST_TEST((r.readings[0].value.special == SpecialValue::nan));
  BOOST_TEST(!r.readings[0].value.original.has_value());
}

BOOST_AUTO_TEST_CASE(decodes_hand_assembled_context) {
  // flags 0x42: meal + HbA1c; seq 7; meal 2 (postprandial); HbA1c 0xF041 = 6.5 %
  const auto r = decodeGlucoseContext(hex("42 07 00 02 41 F0"));
  BOOST_REQUIRE(r.ok());
  BOOST_REQUIRE(r.readings.size() == 2U);
  BOOST_TEST((r.readings[0].kind == ReadingKind::glucoseContext));
  BOOST_TEST(r.readings[0].tags.get("meal") == "postprandial");
  BOOST_TEST(r.readings[0].sequence == std::uint32_t{7});
  BOOST_TEST((r.readings[1].kind == ReadingKind::hba1c));
  BOOST_TEST(r.readings[1].loinc == "4548-4");
  BOOST_TEST(*r.readings[1].value.number == 6.5);
  BOOST_TEST(r.readings[1].sequence == std::uint32_t{7});
}

BOOST_AUTO_TEST_CASE(every_context_flag_combination) {
  for (unsigned flags = 0; flags < 256; ++flags) {
    BOOST_TEST_CONTEXT("flags " << flags) {
      const auto bytes = buildContext(flags);
      const auto r = decodeGlucoseContext(bytes);
      BOOST_REQUIRE(r.ok());
      BOOST_TEST((r.readings[0].kind == ReadingKind::glucoseContext));
      BOOST_TEST(r.readings[0].tags.get("meal") == ((flags & 2) ? "preprandial" : ""));
      BOOST_TEST(r.readings[0].tags.get("tester") == ((flags & 4) ? "self" : ""));
      BOOST_TEST(r.readings[0].tags.get("health") == ((flags & 4) ? "no_health_issues" : ""));
      const Reading* carbs = find(r, ReadingKind::carbohydrateIntake);
      BOOST_TEST((carbs != nullptr) == bool(flags & 1));
      if (carbs) {
        BOOST_TEST(*carbs->value.number == 50.0, boost::test_tools::tolerance(1e-9));
        BOOST_TEST(carbs->tags.get("carbohydrate") == "breakfast");
      }
      const Reading* duration = find(r, ReadingKind::exerciseDuration);
      BOOST_TEST((duration != nullptr) == bool(flags & 8));
      if (duration) {
        BOOST_TEST(*duration->value.number == 1800.0);
        BOOST_TEST(*find(r, ReadingKind::exerciseIntensity)->value.number == 40.0);
      }
      const Reading* med = find(r, ReadingKind::medicationDose);
      BOOST_TEST((med != nullptr) == bool(flags & 0x10));
      if (med) {
        BOOST_TEST(med->unit == ((flags & 0x20) ? "mL" : "mg"));
        BOOST_TEST(*med->value.number == ((flags & 0x20) ? 0.1 : 1.0),
                   boost::test_tools::tolerance(1e-9));
        BOOST_TEST(med->tags.get("medication") == "rapid_acting_insulin");
      }
      BOOST_TEST((find(r, ReadingKind::hba1c) != nullptr) == bool(flags & 0x40));
      for (const auto& x : r.readings) BOOST_TEST(x.sequence == std::uint32_t{7});
      requireEveryPrefixTruncated(kContext, bytes);
      requireTrailingByteRefused(kContext, bytes);
    }
  }
}

BOOST_AUTO_TEST_CASE(reserved_extended_flags_and_reserved_values_are_refused) {
  const auto ext = decodeGlucoseContext(hex("80 01 00 01"));
  BOOST_REQUIRE(!ext.ok());
  BOOST_TEST((ext.error->code == DecodeErrc::reservedFlags));
  BOOST_TEST(ext.error->field == "extended_flags");
  struct Case {
    const char* bytes;
    const char* field;
  };
  for (auto c : {Case{"02 01 00 00", "meal"}, Case{"02 01 00 06", "meal"},
                 Case{"01 01 00 08 05 E0", "carbohydrate_id"}, Case{"04 01 00 54", "tester"},
                 Case{"04 01 00 61", "health"}, Case{"10 01 00 06 01 A0", "medication_id"}}) {
    const auto r = decodeGlucoseContext(hex(c.bytes));
    BOOST_TEST_CONTEXT(c.bytes) {
      BOOST_REQUIRE(!r.ok());
      BOOST_TEST((r.error->code == DecodeErrc::reservedValue));
      BOOST_TEST(r.error->field == c.field);
    }
  }
  const auto notAvailable = decodeGlucoseContext(hex("04 01 00 FF"));
  BOOST_REQUIRE(notAvailable.ok());
  BOOST_TEST(notAvailable.readings[0].tags.empty());
}

BOOST_AUTO_TEST_CASE(exercise_duration_overrun_is_a_special_value) {
  const auto r = decodeGlucoseContext(hex("08 01 00 FF FF 32"));
  BOOST_REQUIRE(r.ok());
  const Reading* d = find(r, ReadingKind::exerciseDuration);
  BOOST_TEST((d->value.special == SpecialValue::positiveInfinity));
}

BOOST_AUTO_TEST_SUITE_END()
