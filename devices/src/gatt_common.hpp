#pragma once
// Helpers shared by the GATT decoders (internal): a bounds-checked little-endian reader, Date Time
// parsing, SFLOAT values with unit conversion, and the error results.

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "vigil/devices/gatt.hpp"
#include "vigil/devices/ieee11073.hpp"

namespace vigil::devices::detail {

/// Little-endian reads that fail (return false) instead of running past the end.
class ByteReader {
 public:
  explicit ByteReader(Bytes bytes) : bytes_(bytes) {}
  std::size_t remaining() const { return bytes_.size() - pos_; }
  bool u8(std::uint8_t& v) {
    if (remaining() < 1) return false;
    v = bytes_[pos_++];
    return true;
  }
  bool u16(std::uint16_t& v) {
    if (remaining() < 2) return false;
    v = static_cast<std::uint16_t>(bytes_[pos_] | (bytes_[pos_ + 1] << 8));
    pos_ += 2;
    return true;
  }
  bool s16(std::int16_t& v) {
    std::uint16_t u = 0;
    if (!u16(u)) return false;
    v = static_cast<std::int16_t>(u);
    return true;
  }
  bool u24(std::uint32_t& v) {
    if (remaining() < 3) return false;
    v = static_cast<std::uint32_t>(bytes_[pos_]) |
        (static_cast<std::uint32_t>(bytes_[pos_ + 1]) << 8) |
        (static_cast<std::uint32_t>(bytes_[pos_ + 2]) << 16);
    pos_ += 3;
    return true;
  }
  bool u32(std::uint32_t& v) {
    if (remaining() < 4) return false;
    v = static_cast<std::uint32_t>(bytes_[pos_]) |
        (static_cast<std::uint32_t>(bytes_[pos_ + 1]) << 8) |
        (static_cast<std::uint32_t>(bytes_[pos_ + 2]) << 16) |
        (static_cast<std::uint32_t>(bytes_[pos_ + 3]) << 24);
    pos_ += 4;
    return true;
  }
  Bytes take(std::size_t n) {
    Bytes out = bytes_.subspan(pos_, n);
    pos_ += n;
    return out;
  }

 private:
  Bytes bytes_;
  std::size_t pos_ = 0;
};

inline DecodeResult failed(DecodeError e) {
  DecodeResult r;
  r.error = std::move(e);
  return r;
}
DecodeResult truncated(std::string_view field);
DecodeResult reservedFlags(std::string_view field);
DecodeResult reservedValue(std::string_view field);
DecodeResult trailingBytes();
DecodeResult impossible(std::string_view field);

/// Reads a 7-byte Date Time; on success `time` is empty when the device marks it unknown.
std::optional<DecodeError> readDateTime(ByteReader& in, std::string_view field,
                                        std::optional<DeviceTime>& time);

/// An SFLOAT as a Value, multiplied by `factor` (1: no conversion, original not kept).
Value sfloatValue(std::uint16_t raw, double factor = 1.0);
/// A number as a Value, converted by `factor` when not 1 (original kept).
Value scaledValue(double deviceValue, double factor);

/// Checks the plausible range of a reading's value and components; names `field` when not.
bool plausible(const Reading& r);

/// Sets the flags of the PLX Measurement Status and Device and Sensor Status fields.
void plxMeasurementStatus(std::uint16_t status, Flags& flags);
void plxDeviceSensorStatus(std::uint32_t status, Flags& flags);

}  // namespace vigil::devices::detail
