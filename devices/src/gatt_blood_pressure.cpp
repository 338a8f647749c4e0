// Blood Pressure Measurement (0x2A35) and Intermediate Cuff Pressure (0x2A36), Blood Pressure
// Service 1.0: the two share one layout.
//   flags u8: bit0 unit (0 mmHg, 1 kPa), bit1 time stamp, bit2 pulse rate, bit3 user id,
//             bit4 measurement status, bits 5-7 reserved
//   systolic, diastolic, mean arterial pressure: SFLOAT each (0x2A36: current cuff pressure in
//   the systolic field, the other two unused)
//   [time stamp: Date Time] [pulse rate: SFLOAT] [user id: u8, 0xFF unknown] [status: u16]
// The measurement status flags apply to the whole measurement: they go on every reading.
#include "gatt_common.hpp"

namespace vigil::devices {
namespace {

using detail::ByteReader;

void statusFlags(std::uint16_t status, Flags& flags) {
  if (status & 0x0001U) flags.set(Flag::bodyMovement);
  if (status & 0x0002U) flags.set(Flag::cuffTooLoose);
  if (status & 0x0004U) flags.set(Flag::irregularPulse);
  const unsigned range = (status >> 3) & 0x3U;
  if (range == 1) flags.set(Flag::pulseRateAboveRange);
  if (range == 2) flags.set(Flag::pulseRateBelowRange);
  if (status & 0x0020U) flags.set(Flag::improperPosition);
}

DecodeResult decodePressure(Bytes value, bool intermediate) {
  const std::uint16_t uuid =
      intermediate ? gatt::kIntermediateCuffPressure : gatt::kBloodPressureMeasurement;
  ByteReader in(value);
  std::uint8_t flags = 0;
  if (!in.u8(flags)) return detail::truncated("flags");
  if (flags & 0xE0U) return detail::reservedFlags("flags");
  const bool kPa = flags & 0x01U;
  std::uint16_t sys = 0, dia = 0, mean = 0;
  if (!in.u16(sys)) return detail::truncated(intermediate ? "cuff_pressure" : "systolic");
  if (!in.u16(dia)) return detail::truncated("diastolic");
  if (!in.u16(mean)) return detail::truncated("mean_arterial_pressure");

  std::optional<DeviceTime> time;
  if (flags & 0x02U) {
    if (auto e = detail::readDateTime(in, "time_stamp", time)) return detail::failed(*e);
  }
  std::optional<std::uint16_t> pulse;
  if (flags & 0x04U) {
    std::uint16_t p = 0;
    if (!in.u16(p)) return detail::truncated("pulse_rate");
    pulse = p;
  }
  std::optional<std::uint8_t> user;
  if (flags & 0x08U) {
    std::uint8_t u = 0;
    if (!in.u8(u)) return detail::truncated("user_id");
    if (u != 0xFF) user = u;
  }
  Flags status;
  if (flags & 0x10U) {
    std::uint16_t s = 0;
    if (!in.u16(s)) return detail::truncated("measurement_status");
    statusFlags(s, status);
  }
  if (in.remaining() != 0) return detail::trailingBytes();

  const double factor = kPa ? conversion::kMmHgPerKPa : 1.0;
  DecodeResult result;
  result.readings.reserve(pulse ? 2 : 1);
  Reading p;
  p.loinc = intermediate ? std::string_view{} : loinc::kBloodPressurePanel;
  p.unit = ucum::kMmHg;
  p.originalUnit = kPa ? ucum::kKPa : std::string_view{};
  p.time = time;
  p.userId = user;
  p.flags = status;
  p.characteristic = uuid;
  if (intermediate) {
    p.kind = ReadingKind::cuffPressure;
    p.value = detail::sfloatValue(sys, factor);
  } else {
    p.kind = ReadingKind::bloodPressure;
    p.components.push_back({"systolic", loinc::kSystolic, detail::sfloatValue(sys, factor)});
    p.components.push_back({"diastolic", loinc::kDiastolic, detail::sfloatValue(dia, factor)});
    p.components.push_back({"mean", loinc::kMeanPressure, detail::sfloatValue(mean, factor)});
  }
  if (!detail::plausible(p)) return detail::impossible(intermediate ? "cuff_pressure" : "pressure");
  result.readings.push_back(p);
  if (pulse) {
    Reading hr;
    hr.kind = ReadingKind::heartRate;
    hr.loinc = loinc::kHeartRate;
    hr.unit = ucum::kPerMinute;
    hr.value = detail::sfloatValue(*pulse);
    hr.time = time;
    hr.userId = user;
    hr.flags = status;
    hr.characteristic = uuid;
    if (!detail::plausible(hr)) return detail::impossible("pulse_rate");
    result.readings.push_back(hr);
  }
  return result;
}

}  // namespace

DecodeResult decodeBloodPressure(Bytes value) {
  return decodePressure(value, false);
}
DecodeResult decodeIntermediateCuffPressure(Bytes value) {
  return decodePressure(value, true);
}

}  // namespace vigil::devices
