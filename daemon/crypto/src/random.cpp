#include "vigil/crypto/random.hpp"

#include <openssl/rand.h>

#include "openssl_util.hpp"

namespace vigil::crypto {

void randomFill(std::span<std::uint8_t> out) {
  if (out.empty()) return;
  detail::check(RAND_bytes(out.data(), detail::intLen(out.size())), "RAND_bytes");
}

Bytes randomBytes(std::size_t n) {
  Bytes out(n);
  randomFill(out);
  return out;
}

Key256 randomKey() {
  std::array<std::uint8_t, Key256::kSize> raw{};
  randomFill(raw);
  Key256 key{raw};
  secureWipe(raw.data(), raw.size());
  return key;
}

std::string randomUuid() {
  std::array<std::uint8_t, 16> raw{};
  randomFill(raw);
  raw[6] = static_cast<std::uint8_t>((raw[6] & 0x0f) | 0x40);  // version 4
  raw[8] = static_cast<std::uint8_t>((raw[8] & 0x3f) | 0x80);  // variant 10xx
  std::string hex = toHex(raw);
  return hex.substr(0, 8) + '-' + hex.substr(8, 4) + '-' + hex.substr(12, 4) + '-' +
         hex.substr(16, 4) + '-' + hex.substr(20);
}

}  // namespace vigil::crypto
