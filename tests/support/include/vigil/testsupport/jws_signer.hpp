#pragma once
// Test keys that sign JWS the way an EHR's backend client does (RS384, ES384), made with
// OpenSSL in the test, and their public halves as JWK members and JSON (RFC 7517/7518). The
// code under test never makes signatures; these helpers stand in for the other side.

#include <string>

#include "vigil/crypto/bytes.hpp"

namespace vigil::testsupport {

/// A freshly generated private key of one kind.
class TestJwsKey {
 public:
  /// RSA of `bits` (2048 unless told), signs RS384.
  static TestJwsKey rsa(int bits = 2048);
  /// P-384, signs ES384 (R || S, 96 bytes).
  static TestJwsKey ecP384();
  ~TestJwsKey();
  TestJwsKey(TestJwsKey&&) noexcept;
  TestJwsKey& operator=(TestJwsKey&&) noexcept;
  TestJwsKey(const TestJwsKey&) = delete;
  TestJwsKey& operator=(const TestJwsKey&) = delete;

  bool isRsa() const { return rsa_; }
  /// "RS384" or "ES384".
  std::string alg() const { return rsa_ ? "RS384" : "ES384"; }
  /// JWK members, big-endian bytes: RSA n and e; EC x and y (48 bytes each).
  crypto::Bytes n() const;
  crypto::Bytes e() const;
  crypto::Bytes x() const;
  crypto::Bytes y() const;
  /// The public JWK as JSON, with "kid" (and "alg", "use": "sig").
  std::string jwkJson(const std::string& kid) const;

  /// The JWS signature of `signingInput` in JWS form (RS384: PKCS#1 v1.5; ES384: R || S).
  crypto::Bytes sign(std::string_view signingInput) const;
  /// A compact JWS: header {"alg", "kid", "typ":"JWT"} (or `headerJson` when given) and the
  /// payload JSON, signed.
  std::string compact(const std::string& payloadJson, const std::string& kid,
                      const std::string& headerJson = {}) const;

 private:
  explicit TestJwsKey(void* pkey, bool rsa) : pkey_(pkey), rsa_(rsa) {}
  void* pkey_ = nullptr;  // EVP_PKEY*
  bool rsa_ = true;
};

}  // namespace vigil::testsupport
