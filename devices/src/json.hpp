#pragma once
// A small strict JSON parser for device payloads (internal).
//
// Why not Poco::JSON: it throws on bad input (the ingest hot path wants a status), accepts
// duplicate keys silently (last one wins, which lets a payload smuggle a second "seq"), and has
// no limits on depth or value count. This parser is RFC 8259 strict: no comments, no trailing
// commas, no leading zeros, no NaN/Infinity, valid UTF-8 only, no unescaped control characters,
// surrogate pairs checked, duplicate keys refused; depth, string length and value count are
// bounded, so a hostile payload costs at most O(size) time and memory.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::devices::detail {

struct JsonMember;

struct JsonValue {
  enum class Type { null, boolean, number, string, array, object };
  Type type = Type::null;
  bool boolean = false;
  double number = 0;
  std::string_view numberText;   // the literal, for exact integer parsing
  bool numberIsInteger = false;  // no fraction, no exponent
  std::string string;
  std::vector<JsonValue> items;     // array
  std::vector<JsonMember> members;  // object, in document order

  const JsonValue* member(std::string_view key) const;
};

struct JsonMember {
  std::string key;
  JsonValue value;
};

struct JsonLimits {
  std::size_t maxDepth = 8;
  std::size_t maxStringBytes = 1024;
  std::size_t maxValues = 8192;
};

struct JsonParseResult {
  std::optional<JsonValue> value;
  std::string error;  // "syntax error at byte N: why"
};

/// Parses a whole document (the top level may be any value); trailing non-space is an error.
/// numberText views point into `text`, which must outlive the result.
JsonParseResult parseJson(std::string_view text, const JsonLimits& limits);

/// The value of an integer literal if it is a non-negative integer <= max.
std::optional<std::uint64_t> jsonUnsigned(const JsonValue& v, std::uint64_t max);

}  // namespace vigil::devices::detail
