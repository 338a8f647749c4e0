#pragma once
// Ed25519 signatures (EVP_PKEY ED25519) for audit checkpoints and anything else the box signs.

#include "vigil/crypto/bytes.hpp"

namespace vigil::crypto {

/// An Ed25519 private key (held as its 32-byte seed) that signs messages.
class Ed25519Signer {
 public:
  static constexpr std::size_t kPublicKeySize = 32;
  static constexpr std::size_t kSignatureSize = 64;

  /// A signer for the given 32-byte seed (e.g. MasterKey::derive("vigil.audit-signing.v1")).
  explicit Ed25519Signer(Key256 seed);
  /// A signer with a fresh random key.
  static Ed25519Signer generate();

  /// The 32-byte public key.
  Bytes publicKey() const;
  /// A 64-byte signature of the message.
  Bytes sign(ByteView message) const;

 private:
  Key256 seed_;
  Bytes publicKey_;
};

/// True if `signature` is a valid Ed25519 signature of `message` under `publicKey`.
bool ed25519Verify(ByteView publicKey, ByteView message, ByteView signature);

}  // namespace vigil::crypto
