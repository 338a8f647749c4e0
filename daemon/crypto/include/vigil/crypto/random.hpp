#pragma once
// Cryptographically secure randomness from OpenSSL's DRBG (RAND_bytes).

#include <cstddef>
#include <span>

#include "vigil/crypto/bytes.hpp"

namespace vigil::crypto {

/// Fills `out` with secure random bytes; throws vigil::CryptoError if the DRBG fails.
void randomFill(std::span<std::uint8_t> out);
/// Returns `n` secure random bytes.
Bytes randomBytes(std::size_t n);
/// A fresh random 256-bit key.
Key256 randomKey();

}  // namespace vigil::crypto
