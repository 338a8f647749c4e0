#pragma once
// Private helpers: OpenSSL failures become vigil::CryptoError naming the operation and the
// OpenSSL reason (never data), and RAII owners for EVP objects.

#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <memory>
#include <string>

namespace vigil::crypto::detail {

/// Throws vigil::CryptoError("<what>: <openssl reason>") and clears OpenSSL's error queue.
[[noreturn]] void throwOpenSsl(const char* what);

/// Throws when an OpenSSL call reports failure (return value <= 0 or null).
inline void check(int rc, const char* what) {
  if (rc <= 0) throwOpenSsl(what);
}

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};
struct CipherFree {
  void operator()(EVP_CIPHER* p) const { EVP_CIPHER_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct MacFree {
  void operator()(EVP_MAC* p) const { EVP_MAC_free(p); }
};
struct MacCtxFree {
  void operator()(EVP_MAC_CTX* p) const { EVP_MAC_CTX_free(p); }
};
struct KdfFree {
  void operator()(EVP_KDF* p) const { EVP_KDF_free(p); }
};
struct KdfCtxFree {
  void operator()(EVP_KDF_CTX* p) const { EVP_KDF_CTX_free(p); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;
using Cipher = std::unique_ptr<EVP_CIPHER, CipherFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using Mac = std::unique_ptr<EVP_MAC, MacFree>;
using MacCtx = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;
using Kdf = std::unique_ptr<EVP_KDF, KdfFree>;
using KdfCtx = std::unique_ptr<EVP_KDF_CTX, KdfCtxFree>;
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

/// int length for OpenSSL calls; asserts the size fits.
int intLen(std::size_t n);

}  // namespace vigil::crypto::detail
