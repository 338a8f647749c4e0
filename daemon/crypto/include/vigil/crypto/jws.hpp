#pragma once
// JWS compact-serialisation signature checks (RFC 7515) for the algorithms SMART on FHIR backend
// services use (RFC 7518 section 3: RS384 = RSASSA-PKCS1-v1_5 with SHA-384, ES384 = ECDSA on
// P-384 with SHA-384), with public keys built from JWK members (RFC 7518 section 6).
//
// No JSON here: the caller parses the JWS header and the JWK and hands over the decoded byte
// strings (the base64url of "n", "e", "x", "y" already decoded). Anything but RS384 and ES384 is
// refused: "none" and the HMAC algorithms (HS*) above all, since a public key used as an HMAC
// secret is the classic JWT forgery. RSA keys under 2048 bits are refused when the key is built.
// ES384 signatures are R || S, 48 bytes each (RFC 7518 section 3.4), turned into the DER
// ECDSA-Sig-Value OpenSSL verifies.

#include <memory>
#include <optional>
#include <string_view>

#include "vigil/crypto/bytes.hpp"

struct evp_pkey_st;

namespace vigil::crypto {

/// The JWS algorithms the box accepts.
enum class JwsAlgorithm { rs384, es384 };

/// "RS384" or "ES384" (exact, case-sensitive); nullopt for every other name ("none", "HS256",
/// "RS256", "rs384" ...).
std::optional<JwsAlgorithm> parseJwsAlgorithm(std::string_view name);

/// A public key that checks JWS signatures: an RSA key (for RS384) or a P-384 key (for ES384).
class JwsPublicKey {
 public:
  /// kty "RSA": modulus `n` and exponent `e` as big-endian bytes. Throws vigil::CryptoError for a
  /// malformed key or one under kMinRsaBits.
  static JwsPublicKey rsa(ByteView n, ByteView e);
  /// kty "EC", crv "P-384": the coordinates, 48 bytes each. Throws vigil::CryptoError when they
  /// are not 48 bytes or not a point on the curve.
  static JwsPublicKey ecP384(ByteView x, ByteView y);

  static constexpr int kMinRsaBits = 2048;
  static constexpr std::size_t kP384CoordinateSize = 48;

  /// The algorithm this key verifies.
  JwsAlgorithm algorithm() const { return algorithm_; }
  /// The key's size in bits (RSA modulus, or 384).
  int bits() const;

  const evp_pkey_st* pkey() const { return key_.get(); }

 private:
  JwsPublicKey(std::shared_ptr<evp_pkey_st> key, JwsAlgorithm algorithm)
      : key_(std::move(key)), algorithm_(algorithm) {}
  std::shared_ptr<evp_pkey_st> key_;
  JwsAlgorithm algorithm_;
};

/// True if `signature` (the third part of a compact JWS, base64url-decoded) is a valid signature
/// of `signingInput` (the ASCII "<header b64url>.<payload b64url>") under `key` with `alg` (the
/// header's "alg" as written). False for any other algorithm name, an algorithm that does not
/// match the key's type, a signature of the wrong length, or a signature that does not verify.
bool verifyJws(std::string_view alg, ByteView signingInput, ByteView signature,
               const JwsPublicKey& key);

}  // namespace vigil::crypto
