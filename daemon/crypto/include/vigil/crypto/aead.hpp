#pragma once
// AES-256-GCM (and AES-128-GCM, for HPKE's suite) through EVP_CIPHER. Callers give the nonce (96
// bits) and the additional data; FieldCipher and the key ring build their formats on top. A tag
// that does not verify is IntegrityError: no plaintext is ever returned for tampered data.

#include <cstdint>

#include "vigil/core/error.hpp"
#include "vigil/crypto/bytes.hpp"

namespace vigil::crypto {

/// A ciphertext, its tag, its additional data or its header was changed: refused.
class IntegrityError : public vigil::CryptoError {
 public:
  using vigil::CryptoError::CryptoError;
};

/// A ciphertext names a key id the key ring does not hold.
class UnknownKeyError : public vigil::CryptoError {
 public:
  using vigil::CryptoError::CryptoError;
};

inline constexpr std::size_t kGcmNonceSize = 12;
inline constexpr std::size_t kGcmTagSize = 16;

/// AES-256-GCM encryption; returns ciphertext followed by the 16-byte tag.
Bytes aes256GcmSeal(const Key256& key, ByteView nonce, ByteView aad, ByteView plaintext);
/// AES-256-GCM decryption of ciphertext||tag; throws IntegrityError if the tag does not verify.
Bytes aes256GcmOpen(const Key256& key, ByteView nonce, ByteView aad, ByteView sealed);

/// AES-128-GCM encryption with a 16-byte key (throws vigil::CryptoError for another size);
/// returns ciphertext followed by the 16-byte tag. HPKE's AEAD (hpke.hpp); use AES-256 elsewhere.
Bytes aes128GcmSeal(ByteView key, ByteView nonce, ByteView aad, ByteView plaintext);
/// AES-128-GCM decryption of ciphertext||tag; throws IntegrityError if the tag does not verify.
Bytes aes128GcmOpen(ByteView key, ByteView nonce, ByteView aad, ByteView sealed);

}  // namespace vigil::crypto
