// PLX Spot-Check (0x2A5E) and PLX Continuous (0x2A5F) from the Pulse Oximeter Service 1.0 field
// tables.
#include <boost/test/unit_test.hpp>
#include <chrono>

#include "test_bytes.hpp"
#include "vigil/devices/gatt.hpp"

using namespace vigil::devices;
using namespace vigil::devices::test;

namespace {

// Spot-check flags: bit0 timestamp, bit1 measurement status, bit2 device/sensor status,
// bit3 pulse amplitude index, bit4 device clock not set.
std::vector<std::uint8_t> buildSpot(unsigned flags) {
  Le b;
  b.u8(flags).u16(0x0061).u16(0x0048);  // SpO2 97 %, PR 72 /min
  if (flags & 1) b.dateTime(2026, 11, 29, 6, 0, 0);
  if (flags & 2) b.u16(0x0080);    // bit 7: validated data
  if (flags & 4) b.u24(0x000020);  // bit 5: low perfusion
  if (flags & 8) b.u16(0xF04B);    // 75e-1 = 7.5 %
  return b;
}

// Continuous flags: bit0 fast, bit1 slow, bit2 measurement status, bit3 device/sensor status,
// bit4 pulse amplitude index.
std::vector<std::uint8_t> buildContinuous(unsigned flags) {
  Le b;
  b.u8(flags).u16(97).u16(72);
  if (flags & 1) b.u16(96).u16(73);
  if (flags & 2) b.u16(98).u16(71);
  if (flags & 4) b.u16(0x0100);    // bit 8: fully qualified
  if (flags & 8) b.u24(0x008000);  // bit 15: sensor disconnected
  if (flags & 16) b.u16(0xF04B);
  return b;
}

const Decoder kSpot = [](std::span<const std::uint8_t> v) { return decodePlxSpotCheck(v); };
const Decoder kCont = [](std::span<const std::uint8_t> v) { return decodePlxContinuous(v); };

}  // namespace

BOOST_AUTO_TEST_SUITE(GattPlx)

BOOST_AUTO_TEST_CASE(spot_check_decodes_hand_assembled_value) {
  // flags 0x03: timestamp + measurement status; 98 %, 64 /min; 2021-03-04 05:06:07; status 0x0200
  const auto r = decodePlxSpotCheck(hex("03 62 00 40 00 E5 07 03 04 05 06 07 00 02"));
  BOOST_REQUIRE(r.ok());
  BOOST_REQUIRE(r.readings.size() == 2U);
  BOOST_TEST((r.readings[0].kind == ReadingKind::spo2));
  BOOST_TEST(r.readings[0].loinc == "59408-5");
  BOOST_TEST(r.readings[0].unit == "%");
  BOOST_TEST(*r.readings[0].value.number == 98.0);
  BOOST_TEST((r.readings[1].kind == ReadingKind::heartRate));
  BOOST_TEST(*r.readings[1].value.number == 64.0);
  BOOST_TEST(r.readings[0].flags.has(Flag::fromMeasurementStorage));
  BOOST_TEST(r.readings[0].time.has_value());
}

BOOST_AUTO_TEST_CASE(spot_check_every_flag_combination) {
  for (unsigned flags = 0; flags < 32; ++flags) {
    BOOST_TEST_CONTEXT("flags " << flags) {
      const auto r = decodePlxSpotCheck(buildSpot(flags));
      BOOST_REQUIRE(r.ok());
      BOOST_REQUIRE(r.readings.size() == ((flags & 8) ? 3U : 2U));
      BOOST_TEST(*r.readings[0].value.number == 97.0);
      BOOST_TEST(*r.readings[1].value.number == 72.0);
      // A clock that is not set makes the timestamp meaningless: no time, a flag instead.
      BOOST_TEST(r.readings[0].time.has_value() == ((flags & 1) && !(flags & 16)));
      BOOST_TEST(r.readings[0].flags.has(Flag::deviceClockNotSet) == bool(flags & 16));
      BOOST_TEST(r.readings[0].flags.has(Flag::validatedData) == bool(flags & 2));
      BOOST_TEST(r.readings[1].flags.has(Flag::lowPerfusion) == bool(flags & 4));
      if (flags & 8) {
        BOOST_TEST((r.readings[2].kind == ReadingKind::pulseAmplitudeIndex));
        BOOST_TEST(*r.readings[2].value.number == 7.5);
      }
      requireEveryPrefixTruncated(kSpot, buildSpot(flags));
      requireTrailingByteRefused(kSpot, buildSpot(flags));
    }
  }
  requireReservedFlagsRefused(kSpot, buildSpot(0x1F), 0xE0);
}

BOOST_AUTO_TEST_CASE(measurement_and_sensor_status_bits_map_to_flags) {
  const Flag ms[] = {Flag::measurementOngoing,
                     Flag::earlyEstimate,
                     Flag::validatedData,
                     Flag::fullyQualifiedData,
                     Flag::fromMeasurementStorage,
                     Flag::demonstrationData,
                     Flag::testingData,
                     Flag::calibrationOngoing,
                     Flag::measurementUnavailable,
                     Flag::questionableMeasurement,
                     Flag::invalidMeasurement};
  for (unsigned bit = 5; bit < 16; ++bit) {
    const auto r = decodePlxSpotCheck(Le().u8(0x02).u16(97).u16(72).u16(1U << bit));
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r.readings[0].flags.has(ms[bit - 5]));
  }
  const auto reserved = decodePlxSpotCheck(Le().u8(0x06).u16(97).u16(72).u16(0x001F).u24(0xFF0000));
  BOOST_REQUIRE(reserved.ok());
  BOOST_TEST(reserved.readings[0].flags.empty());
  const Flag dss[] = {Flag::extendedDisplayUpdateOngoing,
                      Flag::equipmentMalfunction,
                      Flag::signalProcessingIrregularity,
                      Flag::inadequateSignal,
                      Flag::poorSignal,
                      Flag::lowPerfusion,
                      Flag::erraticSignal,
                      Flag::nonpulsatileSignal,
                      Flag::questionablePulse,
                      Flag::signalAnalysisOngoing,
                      Flag::sensorInterference,
                      Flag::sensorUnconnected,
                      Flag::unknownSensor,
                      Flag::sensorDisplaced,
                      Flag::sensorMalfunction,
                      Flag::sensorDisconnected};
  for (unsigned bit = 0; bit < 16; ++bit) {
    const auto r = decodePlxSpotCheck(Le().u8(0x04).u16(97).u16(72).u24(1U << bit));
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r.readings[0].flags.has(dss[bit]));
  }
}

BOOST_AUTO_TEST_CASE(spot_check_special_values) {
  const auto r = decodePlxSpotCheck(hex("00 FF 07 00 08"));  // SpO2 NaN, PR NRes
  BOOST_REQUIRE(r.ok());
  BOOST_TEST((r.readings[0].value.special == SpecialValue::nan));
  BOOST_TEST((r.readings[1].value.special == SpecialValue::nres));
  BOOST_TEST(!r.readings[0].value.number.has_value());
}

BOOST_AUTO_TEST_CASE(spot_check_impossible_saturation_is_refused) {
  const auto r = decodePlxSpotCheck(hex("00 65 00 48 00"));  // 101 %
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST((r.error->code == DecodeErrc::impossibleValue));
  BOOST_TEST(r.error->field == "spo2");
}

BOOST_AUTO_TEST_CASE(continuous_every_flag_combination) {
  for (unsigned flags = 0; flags < 32; ++flags) {
    BOOST_TEST_CONTEXT("flags " << flags) {
      const auto r = decodePlxContinuous(buildContinuous(flags));
      BOOST_REQUIRE(r.ok());
      const std::size_t expected =
          2U + ((flags & 1) ? 2U : 0U) + ((flags & 2) ? 2U : 0U) + ((flags & 16) ? 1U : 0U);
      BOOST_REQUIRE(r.readings.size() == expected);
      BOOST_TEST(*r.readings[0].value.number == 97.0);
      BOOST_TEST(*r.readings[1].value.number == 72.0);
      BOOST_TEST(!r.readings[0].flags.has(Flag::fastResponse));
      std::size_t i = 2;
      if (flags & 1) {
        BOOST_TEST(*r.readings[i].value.number == 96.0);
        BOOST_TEST(*r.readings[i + 1].value.number == 73.0);
        BOOST_TEST(r.readings[i].flags.has(Flag::fastResponse));
        i += 2;
      }
      if (flags & 2) {
        BOOST_TEST(*r.readings[i].value.number == 98.0);
        BOOST_TEST(*r.readings[i + 1].value.number == 71.0);
        BOOST_TEST(r.readings[i + 1].flags.has(Flag::slowResponse));
        i += 2;
      }
      BOOST_TEST(r.readings[0].flags.has(Flag::fullyQualifiedData) == bool(flags & 4));
      BOOST_TEST(r.readings[0].flags.has(Flag::sensorDisconnected) == bool(flags & 8));
      if (flags & 16) BOOST_TEST(*r.readings[i].value.number == 7.5);
      BOOST_TEST(!r.readings[0].time.has_value());
      BOOST_TEST(r.readings[0].characteristic == 0x2A5F);
      requireEveryPrefixTruncated(kCont, buildContinuous(flags));
      requireTrailingByteRefused(kCont, buildContinuous(flags));
    }
  }
  requireReservedFlagsRefused(kCont, buildContinuous(0x1F), 0xE0);
}

BOOST_AUTO_TEST_SUITE_END()
