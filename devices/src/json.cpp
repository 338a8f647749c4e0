#include "json.hpp"

#include <charconv>
#include <cstdint>

#include "vigil/devices/utf8.hpp"

namespace vigil::devices::detail {

const JsonValue* JsonValue::member(std::string_view key) const {
  for (const auto& [k, v] : members)
    if (k == key) return &v;
  return nullptr;
}

namespace {

class Parser {
 public:
  Parser(std::string_view text, const JsonLimits& limits) : s_(text), limits_(limits) {}

  JsonParseResult run() {
    JsonParseResult r;
    JsonValue v;
    skipSpace();
    if (!value(v, 0)) {
      r.error = "syntax error at byte " + std::to_string(pos_) + ": " + why_;
      return r;
    }
    skipSpace();
    if (pos_ != s_.size()) {
      r.error = "syntax error at byte " + std::to_string(pos_) + ": data after the document";
      return r;
    }
    r.value = std::move(v);
    return r;
  }

 private:
  bool fail(const char* why) {
    why_ = why;
    return false;
  }
  bool eof() const { return pos_ >= s_.size(); }
  char peek() const { return s_[pos_]; }
  void skipSpace() {
    while (!eof() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++pos_;
  }
  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return fail("unknown literal");
    pos_ += word.size();
    return true;
  }

  bool value(JsonValue& out, std::size_t depth) {
    if (++values_ > limits_.maxValues) return fail("too many values");
    if (eof()) return fail("unexpected end");
    switch (peek()) {
      case '{':
        return object(out, depth + 1);
      case '[':
        return array(out, depth + 1);
      case '"':
        out.type = JsonValue::Type::string;
        return string(out.string);
      case 't':
        out.type = JsonValue::Type::boolean;
        out.boolean = true;
        return literal("true");
      case 'f':
        out.type = JsonValue::Type::boolean;
        out.boolean = false;
        return literal("false");
      case 'n':
        out.type = JsonValue::Type::null;
        return literal("null");
      default:
        return number(out);
    }
  }

  bool object(JsonValue& out, std::size_t depth) {
    if (depth > limits_.maxDepth) return fail("nested too deep");
    out.type = JsonValue::Type::object;
    ++pos_;  // {
    skipSpace();
    if (!eof() && peek() == '}') {
      ++pos_;
      return true;
    }
    for (;;) {
      skipSpace();
      if (eof() || peek() != '"') return fail("expected a member name");
      std::string key;
      if (!string(key)) return false;
      for (const auto& m : out.members)
        if (m.key == key) return fail("duplicate member name");
      skipSpace();
      if (eof() || peek() != ':') return fail("expected ':'");
      ++pos_;
      skipSpace();
      out.members.push_back(JsonMember{std::move(key), JsonValue{}});
      if (!value(out.members.back().value, depth)) return false;
      skipSpace();
      if (eof()) return fail("unexpected end");
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        return true;
      }
      return fail("expected ',' or '}'");
    }
  }

  bool array(JsonValue& out, std::size_t depth) {
    if (depth > limits_.maxDepth) return fail("nested too deep");
    out.type = JsonValue::Type::array;
    ++pos_;  // [
    skipSpace();
    if (!eof() && peek() == ']') {
      ++pos_;
      return true;
    }
    for (;;) {
      skipSpace();
      out.items.emplace_back();
      if (!value(out.items.back(), depth)) return false;
      skipSpace();
      if (eof()) return fail("unexpected end");
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        return true;
      }
      return fail("expected ',' or ']'");
    }
  }

  static int hexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool hex4(std::uint32_t& v) {
    if (s_.size() - pos_ < 4) return fail("short \\u escape");
    v = 0;
    for (int i = 0; i < 4; ++i) {
      const int d = hexDigit(s_[pos_++]);
      if (d < 0) return fail("bad \\u escape");
      v = (v << 4) | static_cast<std::uint32_t>(d);
    }
    return true;
  }

  // Validates one UTF-8 sequence starting at pos_ (first byte >= 0x80) and copies it.
  bool utf8(std::string& out) {
    const auto b0 = static_cast<unsigned char>(s_[pos_]);
    std::size_t len = 0;
    std::uint32_t cp = 0, min = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2, cp = b0 & 0x1FU, min = 0x80;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3, cp = b0 & 0x0FU, min = 0x800;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4, cp = b0 & 0x07U, min = 0x10000;
    } else {
      return fail("invalid UTF-8");
    }
    if (s_.size() - pos_ < len) return fail("invalid UTF-8");
    for (std::size_t i = 1; i < len; ++i) {
      const auto b = static_cast<unsigned char>(s_[pos_ + i]);
      if ((b & 0xC0U) != 0x80U) return fail("invalid UTF-8");
      cp = (cp << 6) | (b & 0x3FU);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return fail("invalid UTF-8");
    out.append(s_.substr(pos_, len));
    pos_ += len;
    return true;
  }

  bool string(std::string& out) {
    ++pos_;  // "
    for (;;) {
      if (eof()) return fail("unterminated string");
      if (out.size() > limits_.maxStringBytes) return fail("string too long");
      const char c = s_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      const auto uc = static_cast<unsigned char>(c);
      if (uc < 0x20) return fail("control character in string");
      if (uc >= 0x80) {
        if (!utf8(out)) return false;
        continue;
      }
      if (c != '\\') {
        out.push_back(c);
        ++pos_;
        continue;
      }
      ++pos_;
      if (eof()) return fail("unterminated escape");
      const char e = s_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out.push_back(e);
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          std::uint32_t cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xDC00 && cp <= 0xDFFF) return fail("lone low surrogate");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (s_.size() - pos_ < 2 || s_[pos_] != '\\' || s_[pos_ + 1] != 'u')
              return fail("lone high surrogate");
            pos_ += 2;
            std::uint32_t lo = 0;
            if (!hex4(lo)) return false;
            if (lo < 0xDC00 || lo > 0xDFFF) return fail("bad surrogate pair");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          appendUtf8(out, cp);
          break;
        }
        default:
          return fail("unknown escape");
      }
    }
  }

  bool number(JsonValue& out) {
    const std::size_t start = pos_;
    auto digit = [&] { return !eof() && peek() >= '0' && peek() <= '9'; };
    if (!eof() && peek() == '-') ++pos_;
    if (!digit()) return fail("unexpected character");
    if (peek() == '0') {
      ++pos_;
      if (digit()) return fail("leading zero");
    } else {
      while (digit()) ++pos_;
    }
    bool integer = true;
    if (!eof() && peek() == '.') {
      integer = false;
      ++pos_;
      if (!digit()) return fail("digit expected after '.'");
      while (digit()) ++pos_;
    }
    if (!eof() && (peek() == 'e' || peek() == 'E')) {
      integer = false;
      ++pos_;
      if (!eof() && (peek() == '+' || peek() == '-')) ++pos_;
      if (!digit()) return fail("digit expected in exponent");
      while (digit()) ++pos_;
    }
    if (pos_ - start > 64) return fail("number too long");
    out.type = JsonValue::Type::number;
    out.numberText = s_.substr(start, pos_ - start);
    out.numberIsInteger = integer;
    const auto [ptr, ec] = std::from_chars(
        out.numberText.data(), out.numberText.data() + out.numberText.size(), out.number);
    if (ec != std::errc{} || ptr != out.numberText.data() + out.numberText.size())
      return fail("number out of range");
    return true;
  }

  std::string_view s_;
  const JsonLimits& limits_;
  std::size_t pos_ = 0;
  std::size_t values_ = 0;
  const char* why_ = "";
};

}  // namespace

JsonParseResult parseJson(std::string_view text, const JsonLimits& limits) {
  return Parser(text, limits).run();
}

std::optional<std::uint64_t> jsonUnsigned(const JsonValue& v, std::uint64_t max) {
  if (v.type != JsonValue::Type::number || !v.numberIsInteger || v.numberText.empty() ||
      v.numberText[0] == '-')
    return std::nullopt;
  std::uint64_t out = 0;
  const auto* first = v.numberText.data();
  const auto* last = first + v.numberText.size();
  auto [ptr, ec] = std::from_chars(first, last, out);
  if (ec != std::errc{} || ptr != last || out > max) return std::nullopt;
  return out;
}

}  // namespace vigil::devices::detail
