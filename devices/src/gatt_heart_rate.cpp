// Heart Rate Measurement (0x2A37), Heart Rate Service 1.0.
//   flags u8: bit0 value format (0 u8, 1 u16), bits1-2 sensor contact (0/1 not supported,
//             2 supported but not detected, 3 detected), bit3 energy expended, bit4 RR-intervals,
//             bits 5-7 reserved
//   heart rate: u8 or u16 (/min) [energy expended: u16 kJ] [RR-interval: u16, 1/1024 s, one or
//   more, filling the rest of the value]
#include "gatt_common.hpp"

namespace vigil::devices {

DecodeResult decodeHeartRate(Bytes value) {
  using detail::ByteReader;
  ByteReader in(value);
  std::uint8_t flags = 0;
  if (!in.u8(flags)) return detail::truncated("flags");
  if (flags & 0xE0U) return detail::reservedFlags("flags");
  std::uint16_t rate = 0;
  if (flags & 0x01U) {
    if (!in.u16(rate)) return detail::truncated("heart_rate");
  } else {
    std::uint8_t r8 = 0;
    if (!in.u8(r8)) return detail::truncated("heart_rate");
    rate = r8;
  }
  std::optional<std::uint16_t> energy;
  if (flags & 0x08U) {
    std::uint16_t e = 0;
    if (!in.u16(e)) return detail::truncated("energy_expended");
    energy = e;
  }
  const bool hasRr = flags & 0x10U;
  if (hasRr && in.remaining() < 2) return detail::truncated("rr_interval");
  if (!hasRr && in.remaining() != 0) return detail::trailingBytes();
  if (in.remaining() % 2 != 0) return detail::truncated("rr_interval");

  DecodeResult result;
  result.readings.reserve(1 + (energy ? 1 : 0) + in.remaining() / 2);
  Reading hr;
  hr.kind = ReadingKind::heartRate;
  hr.loinc = loinc::kHeartRate;
  hr.unit = ucum::kPerMinute;
  hr.value = Value::of(rate);
  hr.characteristic = gatt::kHeartRateMeasurement;
  const unsigned contact = (flags >> 1) & 0x3U;
  if (contact == 2) hr.flags.set(Flag::sensorContactNotDetected);
  if (contact == 3) hr.flags.set(Flag::sensorContactDetected);
  if (!detail::plausible(hr)) return detail::impossible("heart_rate");
  result.readings.push_back(hr);
  if (energy) {
    Reading e;
    e.kind = ReadingKind::energyExpended;
    e.unit = ucum::kKiloJoule;
    e.value = Value::of(*energy);
    e.characteristic = gatt::kHeartRateMeasurement;
    result.readings.push_back(e);
  }
  while (in.remaining() >= 2) {
    std::uint16_t raw = 0;
    in.u16(raw);
    Reading rr;
    rr.kind = ReadingKind::rrInterval;
    rr.unit = ucum::kSecond;
    rr.value = Value::of(raw / 1024.0);
    rr.characteristic = gatt::kHeartRateMeasurement;
    result.readings.push_back(rr);
  }
  return result;
}

}  // namespace vigil::devices
