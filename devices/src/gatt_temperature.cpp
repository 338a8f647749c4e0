// Temperature Measurement (0x2A1C), Health Thermometer Service 1.0.
//   flags u8: bit0 units (0 Celsius, 1 Fahrenheit), bit1 time stamp, bit2 temperature type,
//             bits 3-7 reserved
//   temperature FLOAT, [time stamp: Date Time], [temperature type u8: 1 armpit, 2 body (general),
//   3 ear (usually ear lobe), 4 finger, 5 gastro-intestinal tract, 6 mouth, 7 rectum, 8 toe,
//   9 tympanum (ear drum); 0 and 10-255 reserved]
#include <array>

#include "gatt_common.hpp"

namespace vigil::devices {

DecodeResult decodeTemperature(Bytes value) {
  static constexpr std::array<std::string_view, 10> kSites = {
      "",      "armpit", "body", "ear",     "finger", "gastrointestinal_tract",
      "mouth", "rectum", "toe",  "tympanum"};
  using detail::ByteReader;
  ByteReader in(value);
  std::uint8_t flags = 0;
  if (!in.u8(flags)) return detail::truncated("flags");
  if (flags & 0xF8U) return detail::reservedFlags("flags");
  std::uint32_t raw = 0;
  if (!in.u32(raw)) return detail::truncated("temperature");
  std::optional<DeviceTime> time;
  if (flags & 0x02U)
    if (auto e = detail::readDateTime(in, "time_stamp", time)) return detail::failed(*e);
  std::string_view site;
  if (flags & 0x04U) {
    std::uint8_t type = 0;
    if (!in.u8(type)) return detail::truncated("temperature_type");
    if (type == 0 || type >= kSites.size()) return detail::reservedValue("temperature_type");
    site = kSites[type];
  }
  if (in.remaining() != 0) return detail::trailingBytes();

  Reading r;
  r.kind = ReadingKind::bodyTemperature;
  r.loinc = loinc::kBodyTemperature;
  r.unit = ucum::kCelsius;
  r.time = time;
  r.characteristic = gatt::kTemperatureMeasurement;
  if (!site.empty()) r.tags.push_back({"site", site});
  const MedicalFloat t = decodeFloat(raw);
  if (t.isSpecial()) {
    r.value = Value::specialValue(t.special);
  } else if (flags & 0x01U) {
    r.originalUnit = ucum::kFahrenheit;
    r.value = Value::converted((*t.number - 32.0) * 5.0 / 9.0, *t.number);
  } else {
    r.value = Value::of(*t.number);
  }
  if (!detail::plausible(r)) return detail::impossible("temperature");
  DecodeResult result;
  result.readings.push_back(r);
  return result;
}

}  // namespace vigil::devices
