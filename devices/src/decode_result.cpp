#include "vigil/devices/decode_result.hpp"

namespace vigil::devices {

std::string_view reasonCode(DecodeErrc code) {
  switch (code) {
    case DecodeErrc::truncated:
      return "truncated";
    case DecodeErrc::trailingBytes:
      return "trailing_bytes";
    case DecodeErrc::reservedFlags:
      return "reserved_flags";
    case DecodeErrc::reservedValue:
      return "reserved_value";
    case DecodeErrc::invalidTime:
      return "invalid_time";
    case DecodeErrc::unsupported:
      return "unsupported";
    case DecodeErrc::malformed:
      return "malformed";
    case DecodeErrc::oversized:
      return "oversized";
    case DecodeErrc::impossibleValue:
      return "impossible_value";
  }
  return "malformed";
}

std::string DecodeError::message() const {
  return field + ": " + detail + " (" + std::string(reasonCode(code)) + ")";
}

}  // namespace vigil::devices
