#pragma once
// Signed artefacts (issue 27): release bundles and device firmware images signed with Ed25519
// under a key id, verified against a set of trusted public keys before anything installs or
// serves them.
//
// A key id is the first 8 bytes of SHA-256(public key) in hex, so it is derived from the key and
// cannot name another key. A signature covers, domain-separated, the key id, the purpose
// ("release" or "firmware": a release key's signature never passes as firmware's), the
// artefact's declared name, its size and its SHA-256:
//   "vigil.artefact.v1\n" keyid "\n" purpose "\n" name "\n" size "\n" sha256-hex
// The detached signature file (FILE.sig) is text:
//   vigil-signature v1
//   key-id: 3f6c0a1b9e2d4c57
//   purpose: firmware
//   name: cuff-fw-1.4.3.bin
//   size: 182304
//   sha256: <64 hex>
//   signature: <base64 of 64 bytes>
// Key files: "vigil-signing-key v1" (id, seed: base64 of 32 bytes; kept 0600) and
// "vigil-signing-pub v1" (id, key: base64 of 32 bytes).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "vigil/core/error.hpp"
#include "vigil/crypto/bytes.hpp"
#include "vigil/crypto/ed25519.hpp"
#include "vigil/crypto/hash.hpp"

namespace vigil::crypto {

/// Why a signature was refused.
enum class SignatureRefusal {
  malformed,       // not a signature file, a missing or bad field
  untrustedKey,    // the key id is not among the trusted keys
  wrongPurpose,    // signed for another purpose
  badSignature,    // the signature does not verify under the named key
  digestMismatch,  // the file's SHA-256 or size is not what was signed
};
std::string_view toString(SignatureRefusal refusal);

/// A refused signature: the reason and a message that names fields, never key material.
class SignatureError : public CryptoError {
 public:
  SignatureError(SignatureRefusal refusal, const std::string& message)
      : CryptoError(message), reason(refusal) {}
  SignatureRefusal reason;
};

/// The key id of an Ed25519 public key (16 hex digits).
std::string keyIdOf(ByteView publicKey);

/// A public key trusted to sign artefacts.
struct TrustedKey {
  std::string id;
  Bytes publicKey;
};

/// Key files: the private key's text (its seed) and the public key's.
std::string formatSigningKey(const Key256& seed);
std::string formatPublicKey(ByteView publicKey);
/// Parses a private key file; throws SignatureError(malformed).
Key256 parseSigningKey(std::string_view text);
/// Parses a public key file; checks that the id is the key's; throws SignatureError(malformed).
TrustedKey parsePublicKey(std::string_view text);

/// A detached signature.
struct ArtefactSignature {
  std::string keyId;
  std::string purpose;
  std::string name;
  std::uint64_t size = 0;
  Digest256 sha256{};
  Bytes signature;
};

/// SHA-256 over data given in pieces (files of any size).
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void update(ByteView data);
  Digest256 finish();
  std::uint64_t size() const { return size_; }

 private:
  void* ctx_;
  std::uint64_t size_ = 0;
};

/// Signs an artefact's digest and size for `purpose` under `name`.
ArtefactSignature signArtefact(const Ed25519Signer& signer, std::string_view purpose,
                               std::string_view name, std::uint64_t size, const Digest256& sha256);
std::string formatSignature(const ArtefactSignature& signature);
/// Throws SignatureError(malformed).
ArtefactSignature parseSignature(std::string_view text);

/// Checks a signature against the artefact's actual digest and size and the trusted keys;
/// returns the key that signed. Throws SignatureError with the first reason that applies.
const TrustedKey& verifyArtefact(const ArtefactSignature& signature, std::string_view purpose,
                                 std::uint64_t size, const Digest256& sha256,
                                 std::span<const TrustedKey> trusted);

}  // namespace vigil::crypto
