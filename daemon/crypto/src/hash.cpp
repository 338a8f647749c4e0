#include "vigil/crypto/hash.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <cassert>
#include <climits>
#include <string>

#include "openssl_util.hpp"
#include "vigil/core/error.hpp"

namespace vigil::crypto {
namespace detail {

void throwOpenSsl(const char* what) {
  unsigned long code = ERR_get_error();
  std::string message = std::string("crypto: ") + what + " failed";
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    message += ": ";
    message += buf;
  }
  ERR_clear_error();
  throw vigil::CryptoError(message);
}

int intLen(std::size_t n) {
  assert(n <= static_cast<std::size_t>(INT_MAX));
  return static_cast<int>(n);
}

}  // namespace detail

Digest256 sha256(ByteView data) {
  Digest256 out{};
  unsigned int len = 0;
  detail::check(EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr),
                "EVP_Digest(SHA256)");
  assert(len == out.size());
  return out;
}

Bytes hmac(std::string_view digest, ByteView key, ByteView data) {
  detail::Mac mac{EVP_MAC_fetch(nullptr, "HMAC", nullptr)};
  if (!mac) detail::throwOpenSsl("EVP_MAC_fetch(HMAC)");
  detail::MacCtx ctx{EVP_MAC_CTX_new(mac.get())};
  if (!ctx) detail::throwOpenSsl("EVP_MAC_CTX_new");
  std::string name{digest};
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, name.data(), 0),
                         OSSL_PARAM_construct_end()};
  // HMAC accepts an empty key; OpenSSL wants a non-null pointer for it.
  static const std::uint8_t kEmpty = 0;
  detail::check(EVP_MAC_init(ctx.get(), key.empty() ? &kEmpty : key.data(), key.size(), params),
                "EVP_MAC_init");
  detail::check(EVP_MAC_update(ctx.get(), data.data(), data.size()), "EVP_MAC_update");
  Bytes out(EVP_MAX_MD_SIZE);
  std::size_t len = 0;
  detail::check(EVP_MAC_final(ctx.get(), out.data(), &len, out.size()), "EVP_MAC_final");
  out.resize(len);
  return out;
}

Digest256 hmacSha256(ByteView key, ByteView data) {
  Bytes mac = hmac("SHA256", key, data);
  Digest256 out{};
  assert(mac.size() == out.size());
  std::copy(mac.begin(), mac.end(), out.begin());
  return out;
}

Bytes hkdfSha256(ByteView key, ByteView salt, std::string_view info, std::size_t length) {
  detail::Kdf kdf{EVP_KDF_fetch(nullptr, "HKDF", nullptr)};
  if (!kdf) detail::throwOpenSsl("EVP_KDF_fetch(HKDF)");
  detail::KdfCtx ctx{EVP_KDF_CTX_new(kdf.get())};
  if (!ctx) detail::throwOpenSsl("EVP_KDF_CTX_new");
  char digest[] = "SHA256";
  std::string infoCopy{info};
  Bytes keyCopy{key.begin(), key.end()};
  Bytes saltCopy{salt.begin(), salt.end()};
  OSSL_PARAM params[5];
  std::size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] =
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, keyCopy.data(), keyCopy.size());
  if (!saltCopy.empty())
    params[n++] =
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, saltCopy.data(), saltCopy.size());
  params[n++] =
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, infoCopy.data(), infoCopy.size());
  params[n] = OSSL_PARAM_construct_end();
  Bytes out(length);
  detail::check(EVP_KDF_derive(ctx.get(), out.data(), out.size(), params), "EVP_KDF_derive(HKDF)");
  secureWipe(keyCopy.data(), keyCopy.size());
  return out;
}

}  // namespace vigil::crypto
