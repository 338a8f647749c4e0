#pragma once
// Cryptographically secure randomness from OpenSSL's DRBG (RAND_bytes).

#include <cstddef>
#include <span>
#include <string>

#include "vigil/crypto/bytes.hpp"

namespace vigil::crypto {

/// Fills `out` with secure random bytes; throws vigil::CryptoError if the DRBG fails.
void randomFill(std::span<std::uint8_t> out);
/// Returns `n` secure random bytes.
Bytes randomBytes(std::size_t n);
/// A fresh random 256-bit key.
Key256 randomKey();
/// A fresh random UUID (version 4, RFC 9562 section 5.4) in its 36-character lower-case text
/// form, "0f8e3c1e-6a4b-4c1f-9e2a-5b7d2f1a9c34": ids made once and never guessed.
std::string randomUuid();

}  // namespace vigil::crypto
