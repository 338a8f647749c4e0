// Pulse Oximeter Service 1.0: PLX Spot-Check Measurement (0x2A5E) and PLX Continuous
// Measurement (0x2A5F).
//   0x2A5E flags u8: bit0 timestamp, bit1 measurement status, bit2 device and sensor status,
//          bit3 pulse amplitude index, bit4 device clock is not set, bits 5-7 reserved
//          SpO2 SFLOAT (%), PR SFLOAT (/min), [timestamp: Date Time], [measurement status u16],
//          [device and sensor status u24], [pulse amplitude index SFLOAT (%)]
//   0x2A5F flags u8: bit0 SpO2PR-Fast, bit1 SpO2PR-Slow, bit2 measurement status, bit3 device
//          and sensor status, bit4 pulse amplitude index, bits 5-7 reserved
//          SpO2PR-Normal (2 SFLOAT), [SpO2PR-Fast (2 SFLOAT)], [SpO2PR-Slow (2 SFLOAT)],
//          [measurement status u16], [device and sensor status u24], [PAI SFLOAT]
// When the device says its clock is not set, its timestamp means nothing: the reading gets no
// time (ingest uses the receive time) and the flag device_clock_not_set.
#include "gatt_common.hpp"

namespace vigil::devices {
namespace {

using detail::ByteReader;

Reading plxReading(ReadingKind kind, std::uint16_t raw, std::uint16_t uuid, const Flags& flags) {
  Reading r;
  r.kind = kind;
  switch (kind) {
    case ReadingKind::spo2:
      r.loinc = loinc::kSpo2;
      r.unit = ucum::kPercent;
      break;
    case ReadingKind::heartRate:
      r.loinc = loinc::kHeartRate;
      r.unit = ucum::kPerMinute;
      break;
    default:
      r.unit = ucum::kPercent;
      break;
  }
  r.value = detail::sfloatValue(raw);
  r.flags = flags;
  r.characteristic = uuid;
  return r;
}

const char* fieldOf(ReadingKind kind) {
  switch (kind) {
    case ReadingKind::spo2:
      return "spo2";
    case ReadingKind::heartRate:
      return "pulse_rate";
    default:
      return "pulse_amplitude_index";
  }
}

}  // namespace

DecodeResult decodePlxSpotCheck(Bytes value) {
  ByteReader in(value);
  std::uint8_t flags = 0;
  if (!in.u8(flags)) return detail::truncated("flags");
  if (flags & 0xE0U) return detail::reservedFlags("flags");
  std::uint16_t spo2 = 0, pr = 0;
  if (!in.u16(spo2)) return detail::truncated("spo2");
  if (!in.u16(pr)) return detail::truncated("pulse_rate");
  std::optional<DeviceTime> time;
  if (flags & 0x01U)
    if (auto e = detail::readDateTime(in, "timestamp", time)) return detail::failed(*e);
  Flags status;
  if (flags & 0x02U) {
    std::uint16_t ms = 0;
    if (!in.u16(ms)) return detail::truncated("measurement_status");
    detail::plxMeasurementStatus(ms, status);
  }
  if (flags & 0x04U) {
    std::uint32_t dss = 0;
    if (!in.u24(dss)) return detail::truncated("device_and_sensor_status");
    detail::plxDeviceSensorStatus(dss, status);
  }
  std::optional<std::uint16_t> pai;
  if (flags & 0x08U) {
    std::uint16_t p = 0;
    if (!in.u16(p)) return detail::truncated("pulse_amplitude_index");
    pai = p;
  }
  if (in.remaining() != 0) return detail::trailingBytes();
  if (flags & 0x10U) {
    status.set(Flag::deviceClockNotSet);
    time.reset();
  }

  DecodeResult result;
  result.readings.reserve(pai ? 3 : 2);
  const std::uint16_t uuid = gatt::kPlxSpotCheckMeasurement;
  for (auto [kind, raw] :
       {std::pair{ReadingKind::spo2, spo2}, std::pair{ReadingKind::heartRate, pr}}) {
    Reading r = plxReading(kind, raw, uuid, status);
    r.time = time;
    if (!detail::plausible(r)) return detail::impossible(fieldOf(kind));
    result.readings.push_back(r);
  }
  if (pai) {
    Reading r = plxReading(ReadingKind::pulseAmplitudeIndex, *pai, uuid, status);
    r.time = time;
    if (!detail::plausible(r)) return detail::impossible(fieldOf(r.kind));
    result.readings.push_back(r);
  }
  return result;
}

DecodeResult decodePlxContinuous(Bytes value) {
  ByteReader in(value);
  std::uint8_t flags = 0;
  if (!in.u8(flags)) return detail::truncated("flags");
  if (flags & 0xE0U) return detail::reservedFlags("flags");
  std::uint16_t normal[2] = {}, fast[2] = {}, slow[2] = {};
  if (!in.u16(normal[0])) return detail::truncated("spo2");
  if (!in.u16(normal[1])) return detail::truncated("pulse_rate");
  if (flags & 0x01U) {
    if (!in.u16(fast[0])) return detail::truncated("spo2_fast");
    if (!in.u16(fast[1])) return detail::truncated("pulse_rate_fast");
  }
  if (flags & 0x02U) {
    if (!in.u16(slow[0])) return detail::truncated("spo2_slow");
    if (!in.u16(slow[1])) return detail::truncated("pulse_rate_slow");
  }
  Flags status;
  if (flags & 0x04U) {
    std::uint16_t ms = 0;
    if (!in.u16(ms)) return detail::truncated("measurement_status");
    detail::plxMeasurementStatus(ms, status);
  }
  if (flags & 0x08U) {
    std::uint32_t dss = 0;
    if (!in.u24(dss)) return detail::truncated("device_and_sensor_status");
    detail::plxDeviceSensorStatus(dss, status);
  }
  std::optional<std::uint16_t> pai;
  if (flags & 0x10U) {
    std::uint16_t p = 0;
    if (!in.u16(p)) return detail::truncated("pulse_amplitude_index");
    pai = p;
  }
  if (in.remaining() != 0) return detail::trailingBytes();

  DecodeResult result;
  result.readings.reserve(7);
  const std::uint16_t uuid = gatt::kPlxContinuousMeasurement;
  auto addPair = [&](const std::uint16_t(&pair)[2], std::optional<Flag> averaging) {
    for (int i = 0; i < 2; ++i) {
      const ReadingKind kind = i == 0 ? ReadingKind::spo2 : ReadingKind::heartRate;
      Reading r = plxReading(kind, pair[i], uuid, status);
      if (averaging) r.flags.set(*averaging);
      if (!detail::plausible(r)) return false;
      result.readings.push_back(r);
    }
    return true;
  };
  if (!addPair(normal, std::nullopt)) return detail::impossible("spo2_pr_normal");
  if ((flags & 0x01U) && !addPair(fast, Flag::fastResponse))
    return detail::impossible("spo2_pr_fast");
  if ((flags & 0x02U) && !addPair(slow, Flag::slowResponse))
    return detail::impossible("spo2_pr_slow");
  if (pai) {
    Reading r = plxReading(ReadingKind::pulseAmplitudeIndex, *pai, uuid, status);
    if (!detail::plausible(r)) return detail::impossible("pulse_amplitude_index");
    result.readings.push_back(r);
  }
  return result;
}

}  // namespace vigil::devices
