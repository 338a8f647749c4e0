#pragma once
// RAII owners for OpenSSL objects and the one place OpenSSL errors become vigil::CryptoError.

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>

namespace vigil::pki::detail {

struct OpenSslFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_CRL* p) const { X509_CRL_free(p); }
  void operator()(X509_REVOKED* p) const { X509_REVOKED_free(p); }
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(X509_NAME* p) const { X509_NAME_free(p); }
  void operator()(X509_REQ* p) const { X509_REQ_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  // ASN1_INTEGER and ASN1_TIME are both ASN1_STRING.
  void operator()(ASN1_STRING* p) const { ASN1_STRING_free(p); }
  void operator()(char* p) const { OPENSSL_free(p); }
};

template <class T>
using Owned = std::unique_ptr<T, OpenSslFree>;

/// Throws vigil::CryptoError naming `what` and the first queued OpenSSL error (queue cleared).
[[noreturn]] void throwCrypto(std::string_view what);
/// Throws via throwCrypto when `ok` is false (for OpenSSL calls returning 1 on success).
inline void check(int rc, std::string_view what) {
  if (rc != 1) throwCrypto(what);
}
template <class T>
T* checkPtr(T* p, std::string_view what) {
  if (p == nullptr) throwCrypto(what);
  return p;
}

/// An empty memory BIO; a read-only BIO over `pem`; everything written to a memory BIO.
Owned<BIO> memBio();
Owned<BIO> readBio(std::string_view pem);
std::string drain(BIO* bio);

Owned<EVP_PKEY> generateP256Key();
std::string privateKeyToPem(EVP_PKEY* key);
std::string certToPem(X509* cert);
std::string crlToPem(X509_CRL* crl);
Owned<EVP_PKEY> privateKeyFromPem(std::string_view pem);
Owned<X509> certFromPem(std::string_view pem);
Owned<X509_CRL> crlFromPem(std::string_view pem);

/// Serial numbers are 128 random bits (positive), written as upper-case hex.
Owned<ASN1_INTEGER> serialFromHex(std::string_view hex);
std::string serialToHex(const ASN1_INTEGER* serial);
std::string randomSerialHex();

/// Cryptographically random bytes.
std::string randomBytes(std::size_t n);
std::string hexEncode(std::string_view bytes);
std::string base64Encode(std::string_view bytes);
std::string base64Decode(std::string_view text);

}  // namespace vigil::pki::detail
