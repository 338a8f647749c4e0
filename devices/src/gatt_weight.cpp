// Weight Measurement (0x2A9D), Weight Scale Service 1.0.
//   flags u8: bit0 units (0 SI: kg and m, 1 imperial: lb and in), bit1 time stamp, bit2 user id,
//             bit3 BMI and height, bits 4-7 reserved
//   weight u16 (SI 0.005 kg, imperial 0.01 lb; 0xFFFF = measurement unsuccessful)
//   [time stamp: Date Time] [user id u8, 0xFF unknown] [BMI u16 (0.1 kg/m2), height u16
//   (SI 0.001 m, imperial 0.1 in)]
// Resolutions are applied by dividing (raw / 200 kg) so 14 050 × 0.005 is exactly 70.25.
// Height is stored in cm (FHIR vital signs); its original unit (m or [in_i]) is kept.
#include "gatt_common.hpp"

namespace vigil::devices {

DecodeResult decodeWeight(Bytes value) {
  using detail::ByteReader;
  ByteReader in(value);
  std::uint8_t flags = 0;
  if (!in.u8(flags)) return detail::truncated("flags");
  if (flags & 0xF0U) return detail::reservedFlags("flags");
  const bool imperial = flags & 0x01U;
  std::uint16_t weight = 0;
  if (!in.u16(weight)) return detail::truncated("weight");
  std::optional<DeviceTime> time;
  if (flags & 0x02U)
    if (auto e = detail::readDateTime(in, "time_stamp", time)) return detail::failed(*e);
  std::optional<std::uint8_t> user;
  if (flags & 0x04U) {
    std::uint8_t u = 0;
    if (!in.u8(u)) return detail::truncated("user_id");
    if (u != 0xFF) user = u;
  }
  std::uint16_t bmi = 0, height = 0;
  const bool hasBmi = flags & 0x08U;
  if (hasBmi) {
    if (!in.u16(bmi)) return detail::truncated("bmi");
    if (!in.u16(height)) return detail::truncated("height");
  }
  if (in.remaining() != 0) return detail::trailingBytes();

  DecodeResult result;
  result.readings.reserve(hasBmi ? 3 : 1);
  auto base = [&](ReadingKind kind, std::string_view code, std::string_view unit) {
    Reading r;
    r.kind = kind;
    r.loinc = code;
    r.unit = unit;
    r.time = time;
    r.userId = user;
    r.characteristic = gatt::kWeightMeasurement;
    return r;
  };
  Reading w = base(ReadingKind::bodyWeight, loinc::kBodyWeight, ucum::kKg);
  if (weight == 0xFFFF) {
    w.value = Value::specialValue(SpecialValue::unsuccessful);
  } else if (imperial) {
    w.originalUnit = ucum::kPound;
    w.value = detail::scaledValue(weight / 100.0, conversion::kKgPerPound);
  } else {
    w.value = Value::of(weight / 200.0);
  }
  if (!detail::plausible(w)) return detail::impossible("weight");
  result.readings.push_back(w);
  if (hasBmi) {
    Reading b = base(ReadingKind::bmi, loinc::kBmi, ucum::kKgPerM2);
    b.value = Value::of(bmi / 10.0);
    if (!detail::plausible(b)) return detail::impossible("bmi");
    result.readings.push_back(b);
    Reading h = base(ReadingKind::bodyHeight, loinc::kBodyHeight, ucum::kCm);
    if (imperial) {
      h.originalUnit = ucum::kInch;
      h.value = detail::scaledValue(height / 10.0, conversion::kCmPerInch);
    } else {
      h.originalUnit = ucum::kMeter;
      h.value = Value::converted(height / 10.0, height / 1000.0);
    }
    if (!detail::plausible(h)) return detail::impossible("height");
    result.readings.push_back(h);
  }
  return result;
}

}  // namespace vigil::devices
