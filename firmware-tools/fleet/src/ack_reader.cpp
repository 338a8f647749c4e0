// The device side's reader of the box's acknowledgements (docs/device-protocol.md,
// Acknowledgements): a small strict JSON reader for exactly the ack shapes, instead of a general
// JSON DOM. A simulated device reads one ack message per commit of the box; with a DOM (a map
// node and a variant per member) the simulator spent more CPU reading acks than the box spent
// writing them, on the same two cores as the system it measures (docs/benchmarks.md).
//
// Accepted: one JSON object (whitespace around it) whose members are, in any order,
//   "seq": a non-negative integer, "status": a string, "reason": a string,
//   "duplicates": a non-negative integer, "acks": an array of such objects,
// and any other member with any JSON value (skipped, nesting at most kMaxDepth deep). A member
// given twice counts once, the last one. Anything else (a string where a number belongs, a
// fraction, a number past 2^64-1, bad escapes, trailing bytes) makes the whole message
// malformed.
#include "ack_reader.hpp"

#include <cstdint>
#include <string_view>

#include "vigil/devices/utf8.hpp"

namespace vigil::fleet::detail {
namespace {

constexpr int kMaxDepth = 32;

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  bool message(AckMessage& out) {
    space();
    if (!object(out.top, &out.list, &out.hasList, 0)) return false;
    space();
    return i_ == s_.size();
  }

 private:
  void space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }
  bool eat(char c) {
    space();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool peek(char c) {
    space();
    return i_ < s_.size() && s_[i_] == c;
  }

  bool hex4(std::uint32_t& v) {
    if (s_.size() - i_ < 4) return false;
    v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = s_[i_++];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<std::uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<std::uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<std::uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
    }
    return true;
  }
  /// A JSON string; its decoded text into out (when given).
  bool string(std::string* out) {
    if (!eat('"')) return false;
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        if (out) out->push_back(c);
        continue;
      }
      if (i_ >= s_.size()) return false;
      char e = s_[i_++];
      char plain = 0;
      switch (e) {
        case '"':
          plain = '"';
          break;
        case '\\':
          plain = '\\';
          break;
        case '/':
          plain = '/';
          break;
        case 'b':
          plain = '\b';
          break;
        case 'f':
          plain = '\f';
          break;
        case 'n':
          plain = '\n';
          break;
        case 'r':
          plain = '\r';
          break;
        case 't':
          plain = '\t';
          break;
        case 'u': {
          std::uint32_t cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {  // a surrogate pair
            std::uint32_t low = 0;
            if (s_.substr(i_, 2) != "\\u") return false;
            i_ += 2;
            if (!hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return false;
          }
          if (out) devices::appendUtf8(*out, cp);
          continue;
        }
        default:
          return false;
      }
      if (out) out->push_back(plain);
    }
    return false;
  }
  /// A non-negative JSON integer that fits 64 bits.
  bool unsignedInteger(std::uint64_t& v) {
    space();
    std::size_t start = i_;
    v = 0;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
      auto d = static_cast<std::uint64_t>(s_[i_] - '0');
      if (v > (UINT64_MAX - d) / 10) return false;
      v = v * 10 + d;
      ++i_;
    }
    if (i_ == start) return false;
    if (i_ - start > 1 && s_[start] == '0') return false;  // no leading zeros in JSON
    // A fraction or an exponent is not an integer.
    return !(i_ < s_.size() && (s_[i_] == '.' || s_[i_] == 'e' || s_[i_] == 'E'));
  }
  bool number() {
    space();
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    auto digits = [&] {
      std::size_t start = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      return i_ > start;
    };
    std::size_t intStart = i_;
    if (!digits()) return false;
    if (i_ - intStart > 1 && s_[intStart] == '0') return false;
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (!digits()) return false;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (!digits()) return false;
    }
    return true;
  }
  bool literal(std::string_view word) {
    space();
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }
  /// Any JSON value, read and dropped.
  bool skip(int depth) {
    if (depth > kMaxDepth) return false;
    if (peek('"')) return string(nullptr);
    if (peek('{')) {
      ++i_;
      if (eat('}')) return true;
      do {
        if (!string(nullptr) || !eat(':') || !skip(depth + 1)) return false;
      } while (eat(','));
      return eat('}');
    }
    if (peek('[')) {
      ++i_;
      if (eat(']')) return true;
      do {
        if (!skip(depth + 1)) return false;
      } while (eat(','));
      return eat(']');
    }
    if (peek('t')) return literal("true");
    if (peek('f')) return literal("false");
    if (peek('n')) return literal("null");
    return number();
  }
  /// An ack object; with list given, also its "acks" array of ack objects.
  bool object(RawAck& ack, std::vector<RawAck>* list, bool* hasList, int depth) {
    if (depth > kMaxDepth || !eat('{')) return false;
    if (eat('}')) return true;
    do {
      std::string key;
      if (!string(&key) || !eat(':')) return false;
      bool ok = true;
      if (key == "seq") {
        ack.seq.emplace();
        ok = unsignedInteger(*ack.seq);
      } else if (key == "duplicates") {
        ack.duplicates.emplace();
        ok = unsignedInteger(*ack.duplicates);
      } else if (key == "status") {
        ack.status.emplace();
        ok = string(&*ack.status);
      } else if (key == "reason") {
        ack.reason.emplace();
        ok = string(&*ack.reason);
      } else if (key == "acks" && list) {
        *hasList = true;
        list->clear();
        if (!eat('[')) return false;
        if (!eat(']')) {
          do {
            list->emplace_back();
            if (!object(list->back(), nullptr, nullptr, depth + 1)) return false;
          } while (eat(','));
          ok = eat(']');
        }
      } else {
        ok = skip(depth + 1);
      }
      if (!ok) return false;
    } while (eat(','));
    return eat('}');
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

bool readAckMessage(std::string_view payload, AckMessage& out) {
  out = {};
  return Reader(payload).message(out);
}

}  // namespace vigil::fleet::detail
