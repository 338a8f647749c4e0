#include "vigil/devices/gatt.hpp"

#include <cctype>
#include <cstdio>

#include "gatt_common.hpp"

namespace vigil::devices {

DateTimeResult decodeDateTime(Bytes value) {
  detail::ByteReader in(value);
  DateTimeResult r;
  if (auto e = detail::readDateTime(in, "date_time", r.time)) {
    r.error = std::move(*e);
    r.time.reset();
    return r;
  }
  if (in.remaining() != 0) {
    r.error = detail::trailingBytes().error;
    r.time.reset();
  }
  return r;
}

DecodeResult decodeCharacteristic(std::uint16_t uuid, Bytes value) {
  switch (uuid) {
    case gatt::kBloodPressureMeasurement:
      return decodeBloodPressure(value);
    case gatt::kIntermediateCuffPressure:
      return decodeIntermediateCuffPressure(value);
    case gatt::kHeartRateMeasurement:
      return decodeHeartRate(value);
    case gatt::kPlxSpotCheckMeasurement:
      return decodePlxSpotCheck(value);
    case gatt::kPlxContinuousMeasurement:
      return decodePlxContinuous(value);
    case gatt::kWeightMeasurement:
      return decodeWeight(value);
    case gatt::kTemperatureMeasurement:
      return decodeTemperature(value);
    case gatt::kGlucoseMeasurement:
      return decodeGlucose(value);
    case gatt::kGlucoseMeasurementContext:
      return decodeGlucoseContext(value);
    case gatt::kDateTime: {
      DateTimeResult t = decodeDateTime(value);
      DecodeResult r;
      r.error = t.error;
      return r;
    }
    default:
      return DecodeResult::failure(DecodeErrc::unsupported, "characteristic",
                                   "not a characteristic we decode");
  }
}

bool isSupportedCharacteristic(std::uint16_t uuid) {
  switch (uuid) {
    case gatt::kBloodPressureMeasurement:
    case gatt::kIntermediateCuffPressure:
    case gatt::kHeartRateMeasurement:
    case gatt::kPlxSpotCheckMeasurement:
    case gatt::kPlxContinuousMeasurement:
    case gatt::kWeightMeasurement:
    case gatt::kTemperatureMeasurement:
    case gatt::kGlucoseMeasurement:
    case gatt::kGlucoseMeasurementContext:
    case gatt::kDateTime:
      return true;
    default:
      return false;
  }
}

std::optional<std::uint16_t> parseCharacteristicUuid(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  auto parse16 = [&](std::string_view h) -> std::optional<std::uint16_t> {
    if (h.size() != 4) return std::nullopt;
    unsigned v = 0;
    for (char c : h) {
      const int d = hex(c);
      if (d < 0) return std::nullopt;
      v = (v << 4) | static_cast<unsigned>(d);
    }
    return static_cast<std::uint16_t>(v);
  };
  if (text.size() == 6 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
    return parse16(text.substr(2));
  if (text.size() == 4) return parse16(text);
  if (text.size() == 36) {
    // 0000XXXX-0000-1000-8000-00805F9B34FB
    constexpr std::string_view kBase = "-0000-1000-8000-00805f9b34fb";
    if (text.substr(0, 4) != "0000") return std::nullopt;
    for (std::size_t i = 0; i < kBase.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(text[8 + i])) != kBase[i]) return std::nullopt;
    return parse16(text.substr(4, 4));
  }
  return std::nullopt;
}

std::string characteristicName(std::uint16_t uuid) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04X", static_cast<unsigned>(uuid));
  return buf;
}

}  // namespace vigil::devices
