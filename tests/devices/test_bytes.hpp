#pragma once
// Test-side byte assembly, written from the specifications' field tables and independent of the
// decoders: a hex literal parser and a little-endian builder.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "vigil/devices/decode_result.hpp"
#include "vigil/devices/reading.hpp"

// Printing for Boost.Test diagnostics.
namespace vigil::devices {
inline std::ostream& boost_test_print_type(std::ostream& os, ReadingKind k) {
  return os << readingKindName(k);
}
inline std::ostream& boost_test_print_type(std::ostream& os, Flag f) {
  return os << flagName(f);
}
inline std::ostream& boost_test_print_type(std::ostream& os, SpecialValue s) {
  return os << "special(" << specialValueName(s) << ")";
}
inline std::ostream& boost_test_print_type(std::ostream& os, DecodeErrc c) {
  return os << reasonCode(c);
}
}  // namespace vigil::devices
namespace std {
template <typename T>
std::ostream& boost_test_print_type(std::ostream& os, const std::optional<T>& v) {
  if (!v) return os << "nullopt";
  if constexpr (std::is_integral_v<T>)
    return os << +*v;
  else if constexpr (requires { os << *v; })
    return os << *v;
  else
    return boost_test_print_type(os, *v);
}
}  // namespace std

namespace vigil::devices::test {

/// "1E 78 00" → {0x1E, 0x78, 0x00}
inline std::vector<std::uint8_t> hex(std::string_view s) {
  std::vector<std::uint8_t> out;
  int high = -1;
  for (char c : s) {
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    if (d < 0) continue;
    if (high < 0) {
      high = d;
    } else {
      out.push_back(static_cast<std::uint8_t>(high * 16 + d));
      high = -1;
    }
  }
  if (high >= 0) throw std::invalid_argument("odd hex");
  return out;
}

/// Appends little-endian fields.
class Le {
 public:
  Le& u8(unsigned v) {
    b_.push_back(static_cast<std::uint8_t>(v));
    return *this;
  }
  Le& u16(unsigned v) { return u8(v & 0xFF).u8((v >> 8) & 0xFF); }
  Le& u24(unsigned v) { return u16(v & 0xFFFF).u8((v >> 16) & 0xFF); }
  Le& u32(std::uint32_t v) { return u16(v & 0xFFFF).u16(v >> 16); }
  Le& bytes(std::initializer_list<unsigned> list) {
    for (unsigned v : list) u8(v);
    return *this;
  }
  /// Date Time: year u16, month, day, hours, minutes, seconds.
  Le& dateTime(unsigned y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s) {
    return u16(y).u8(mo).u8(d).u8(h).u8(mi).u8(s);
  }
  const std::vector<std::uint8_t>& get() const { return b_; }
  operator const std::vector<std::uint8_t>&() const { return b_; }
  operator std::span<const std::uint8_t>() const { return b_; }

 private:
  std::vector<std::uint8_t> b_;
};

}  // namespace vigil::devices::test

#include <boost/test/unit_test.hpp>
#include <functional>
#include <span>

#include "vigil/devices/decode_result.hpp"

namespace vigil::devices::test {

using Decoder = std::function<DecodeResult(std::span<const std::uint8_t>)>;

/// Every strict prefix of a valid value is refused as truncated.
inline void requireEveryPrefixTruncated(const Decoder& decode,
                                        const std::vector<std::uint8_t>& valid) {
  for (std::size_t n = 0; n < valid.size(); ++n) {
    const auto r = decode(std::span(valid.data(), n));
    BOOST_TEST_CONTEXT("prefix of " << n << " bytes") {
      BOOST_REQUIRE(!r.ok());
      BOOST_TEST((r.error->code == DecodeErrc::truncated));
      BOOST_TEST(r.readings.empty());
    }
  }
}

/// One extra byte after a valid value is refused.
inline void requireTrailingByteRefused(const Decoder& decode, std::vector<std::uint8_t> valid) {
  valid.push_back(0x00);
  const auto r = decode(valid);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST((r.error->code == DecodeErrc::trailingBytes));
}

/// Setting any bit of `reservedMask` in the first byte (the flags) is refused.
inline void requireReservedFlagsRefused(const Decoder& decode, std::vector<std::uint8_t> valid,
                                        unsigned reservedMask) {
  const auto flags = valid[0];
  for (unsigned bit = 0; bit < 8; ++bit) {
    if (!(reservedMask & (1U << bit))) continue;
    valid[0] = static_cast<std::uint8_t>(flags | (1U << bit));
    const auto r = decode(valid);
    BOOST_TEST_CONTEXT("flag bit " << bit) {
      BOOST_REQUIRE(!r.ok());
      BOOST_TEST((r.error->code == DecodeErrc::reservedFlags));
      BOOST_TEST(r.error->field == "flags");
    }
  }
}

inline constexpr double kMmHgPerKPa = 1000.0 / 133.322387415;  // 1 mmHg = 133.322387415 Pa

}  // namespace vigil::devices::test
