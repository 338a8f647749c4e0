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

}  // namespace vigil::crypto
