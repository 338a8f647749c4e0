#pragma once
// Byte strings, encodings and secret-holding containers shared by the crypto and security code.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::crypto {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

/// Views the characters of a string as bytes (no copy).
inline ByteView asBytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
/// Copies bytes into a std::string (for plaintext that is text).
inline std::string toString(ByteView b) {
  return {b.begin(), b.end()};
}

std::string toHex(ByteView bytes);
/// Parses lower- or upper-case hex; throws vigil::CryptoError on odd length or a bad digit.
Bytes fromHex(std::string_view hex);
/// RFC 4648 base64url without padding.
std::string toBase64Url(ByteView bytes);
/// Parses base64url (padding optional); throws vigil::CryptoError on a bad character.
Bytes fromBase64Url(std::string_view text);
/// RFC 4648 section 4 base64 (standard alphabet, with padding).
std::string toBase64(ByteView bytes);
/// Parses base64 strictly: standard alphabet only, padded to a multiple of 4, no white space,
/// unused bits zero (so each byte string has exactly one text). Throws vigil::CryptoError
/// otherwise.
Bytes fromBase64(std::string_view text);

/// Compares in time that depends only on the lengths (CRYPTO_memcmp).
bool constantTimeEqual(ByteView a, ByteView b);
/// Overwrites memory in a way the optimiser keeps (OPENSSL_cleanse).
void secureWipe(void* data, std::size_t size);

/// A 256-bit key that wipes itself when destroyed. Copyable on purpose (key rings hold copies).
class Key256 {
 public:
  static constexpr std::size_t kSize = 32;
  Key256() = default;
  explicit Key256(ByteView bytes);
  Key256(const Key256&) = default;
  Key256& operator=(const Key256&) = default;
  ~Key256() { secureWipe(bytes_.data(), bytes_.size()); }
  ByteView view() const { return {bytes_.data(), bytes_.size()}; }
  const std::uint8_t* data() const { return bytes_.data(); }

 private:
  std::array<std::uint8_t, kSize> bytes_{};
};

}  // namespace vigil::crypto
