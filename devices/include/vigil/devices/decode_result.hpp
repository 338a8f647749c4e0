#pragma once
// Decoding never throws on bad input: every decoder returns a DecodeResult holding either the
// readings or one DecodeError that names the field and the reason (never a measured value).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/devices/reading.hpp"

namespace vigil::devices {

/// Why input was refused. reasonCode() gives the stable snake_case name ingest records.
enum class DecodeErrc {
  truncated,        // fewer bytes than the flags promise
  trailingBytes,    // bytes after the last field the flags announce
  reservedFlags,    // a reserved (RFU) bit is set in a flags field
  reservedValue,    // an enumerated field holds a reserved value
  invalidTime,      // a date/time field outside its range
  unsupported,      // unknown characteristic, unknown payload version
  malformed,        // JSON syntax, base64, wrong type, missing or unknown field
  oversized,        // a size limit was exceeded
  impossibleValue,  // a number outside what a body can produce
};
std::string_view reasonCode(DecodeErrc code);

/// A refusal: the reason and the field it concerns ("flags", "readings[2].unit" …).
struct DecodeError {
  DecodeErrc code = DecodeErrc::malformed;
  std::string field;
  std::string detail;  // a short human-readable why, without values

  /// "<field>: <detail> (<reason code>)"
  std::string message() const;
};

/// Readings, or the error that stopped decoding.
struct DecodeResult {
  std::vector<Reading> readings;
  std::optional<DecodeError> error;

  bool ok() const { return !error.has_value(); }
  static DecodeResult failure(DecodeErrc code, std::string field, std::string detail) {
    DecodeResult r;
    r.error = DecodeError{code, std::move(field), std::move(detail)};
    return r;
  }
};

}  // namespace vigil::devices
