#pragma once
// HPKE (RFC 9180), base mode, one suite only: DHKEM(X25519, HKDF-SHA256) (KEM 0x0020),
// HKDF-SHA256 (KDF 0x0001), AES-128-GCM (AEAD 0x0001). This is what the cloud link seals every
// payload with (docs/cloud-api.md, "The envelope"): sealBase / openBase are the single-shot API
// of RFC 9180 section 6.1. The pieces below them (deriveKeyPair, encap/decap, the key schedule
// and its Context) are public so tests can check every intermediate value of the RFC's
// appendix A.1.1 rather than only a round trip, which a consistently wrong implementation passes.
//
// Trade-off: one fixed suite, no PSK or Auth modes and no secret export. The contract names only
// this suite; a new suite means a new envelope version, not a negotiation.

#include <cstddef>
#include <cstdint>

#include "vigil/crypto/aead.hpp"
#include "vigil/crypto/bytes.hpp"

namespace vigil::crypto::hpke {

inline constexpr std::uint16_t kKemId = 0x0020;   // DHKEM(X25519, HKDF-SHA256)
inline constexpr std::uint16_t kKdfId = 0x0001;   // HKDF-SHA256
inline constexpr std::uint16_t kAeadId = 0x0001;  // AES-128-GCM

inline constexpr std::size_t kPublicKeySize = 32;  // Npk
inline constexpr std::size_t kEncSize = 32;        // Nenc
inline constexpr std::size_t kSecretSize = 32;     // Nsecret
inline constexpr std::size_t kKeySize = 16;        // Nk
inline constexpr std::size_t kNonceSize = 12;      // Nn
inline constexpr std::size_t kTagSize = 16;        // Nt

/// An X25519 key pair (a box's or a service's encryption key, or an ephemeral key). The private
/// key is held as its 32 raw bytes and wiped when the pair is destroyed.
class X25519KeyPair {
 public:
  /// The pair for a raw 32-byte private key (as a key file holds it).
  explicit X25519KeyPair(Key256 privateKey);
  /// A fresh random key pair.
  static X25519KeyPair generate();

  /// The 32-byte raw public key (SerializePublicKey).
  const Bytes& publicKey() const { return publicKey_; }
  /// The 32-byte raw private key (SerializePrivateKey), for storing in the key file.
  const Key256& privateKey() const { return privateKey_; }

 private:
  Key256 privateKey_;
  Bytes publicKey_;
};

/// DeriveKeyPair(ikm) of RFC 9180 section 7.1.3 for X25519: the key pair determined by the input
/// keying material (at least 32 bytes of entropy in it for a real key).
X25519KeyPair deriveKeyPair(ByteView ikm);

/// What Encap returns: the encapsulated key (enc, the ephemeral public key) and the shared secret.
struct Encapsulation {
  Bytes enc;
  Bytes sharedSecret;
};

/// Encap(pkR) with the given ephemeral key pair (RFC 9180 section 4.1). Throws vigil::CryptoError
/// if pkR is not a usable X25519 public key.
Encapsulation encap(ByteView recipientPublicKey, const X25519KeyPair& ephemeral);
/// Decap(enc, skR); throws IntegrityError if enc is not a usable X25519 public key.
Bytes decap(ByteView enc, const X25519KeyPair& recipient);

/// An encryption context of the base mode (RFC 9180 section 5.2): the AEAD key, the base nonce
/// and the sequence number. A context either seals (the sender's) or opens (the recipient's),
/// never both.
class Context {
 public:
  /// KeySchedule(mode_base, shared_secret, info, "", "") of RFC 9180 section 5.1.
  static Context keySchedule(ByteView sharedSecret, ByteView info);

  ByteView key() const { return {key_.data(), key_.size()}; }
  ByteView baseNonce() const { return {baseNonce_.data(), baseNonce_.size()}; }
  std::uint64_t seq() const { return seq_; }
  /// ComputeNonce(seq): the base nonce XOR the big-endian sequence number.
  Bytes nonce(std::uint64_t seq) const;

  /// Seals with the current sequence number, then increments it.
  Bytes seal(ByteView aad, ByteView plaintext);
  /// Opens with the current sequence number, then increments it; throws IntegrityError (and
  /// keeps the sequence number) if the ciphertext does not open.
  Bytes open(ByteView aad, ByteView ciphertext);

  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  Context(Context&&) = default;
  Context& operator=(Context&&) = default;
  ~Context();

 private:
  Context() = default;
  void incrementSeq();

  Bytes key_;
  Bytes baseNonce_;
  std::uint64_t seq_ = 0;
};

/// What the single-shot seal returns: the encapsulated key and the ciphertext (with its tag).
struct Sealed {
  Bytes enc;
  Bytes ct;
};

/// SealBase(pkR, info, aad, pt) with a fresh ephemeral key. Throws vigil::CryptoError if pkR is
/// not a usable X25519 public key.
Sealed sealBase(ByteView recipientPublicKey, ByteView info, ByteView aad, ByteView plaintext);
/// OpenBase(enc, skR, info, aad, ct). Throws IntegrityError if it does not open: a wrong key,
/// a changed enc, aad, info or ciphertext, or a malformed enc.
Bytes openBase(const X25519KeyPair& recipient, ByteView enc, ByteView info, ByteView aad,
               ByteView ciphertext);

namespace detail {
/// SealBase with a given ephemeral key pair; only for reproducing known-answer vectors. Never
/// reuse an ephemeral key: two payloads sealed with one would share key and nonce.
Sealed sealBaseWith(const X25519KeyPair& ephemeral, ByteView recipientPublicKey, ByteView info,
                    ByteView aad, ByteView plaintext);
}  // namespace detail

}  // namespace vigil::crypto::hpke
