#pragma once
// A JSON object written straight into a string, for the answers the portal asks for most (the
// alert queue, issue 28): a page of 50 alerts built as Poco::JSON objects cost more than the rest
// of the request (one heap-allocated Var and map node per field, then a stream per character on
// output). Same JSON as Poco's for the same values: strings escaped by core::appendJsonString,
// numbers in their shortest round-trip form (std::to_chars), null for absent values.

#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "vigil/core/clock.hpp"
#include "vigil/core/json_text.hpp"
#include "vigil/core/time.hpp"

namespace vigil::web::api {

/// Members of one JSON object, appended to `out` in the order given; close() ends it.
class JsonObjectWriter {
 public:
  explicit JsonObjectWriter(std::string& out) : out_(out) { out_ += '{'; }

  void string(std::string_view key, std::string_view value) {
    name(key);
    core::appendJsonString(out_, value);
  }
  void integer(std::string_view key, std::int64_t value) {
    name(key);
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    out_.append(buf, end);
  }
  void number(std::string_view key, double value) {
    name(key);
    if (!std::isfinite(value)) {
      out_ += "null";
      return;
    }
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    out_.append(buf, end);
  }
  void boolean(std::string_view key, bool value) {
    name(key);
    out_ += value ? "true" : "false";
  }
  void null(std::string_view key) {
    name(key);
    out_ += "null";
  }
  void optionalInteger(std::string_view key, const std::optional<std::int64_t>& value) {
    if (value) {
      integer(key, *value);
    } else {
      null(key);
    }
  }
  /// RFC 3339 in UTC with milliseconds, as the API writes every time.
  void time(std::string_view key, TimePoint value) {
    string(key, core::formatUtc(value, core::Fraction::millis));
  }
  void optionalTime(std::string_view key, const std::optional<TimePoint>& value) {
    if (value) {
      time(key, *value);
    } else {
      null(key);
    }
  }
  /// A member whose value the caller appends itself (an array, a nested object).
  std::string& raw(std::string_view key) {
    name(key);
    return out_;
  }
  void close() { out_ += '}'; }

 private:
  void name(std::string_view key) {
    if (!first_) out_ += ',';
    first_ = false;
    core::appendJsonString(out_, key);
    out_ += ':';
  }

  std::string& out_;
  bool first_ = true;
};

}  // namespace vigil::web::api
