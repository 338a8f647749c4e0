#include "vigil/crypto/aead.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <string>

#include "openssl_util.hpp"

namespace vigil::crypto {
namespace {

// The cipher of each key size: AES-256-GCM (fields, key wrapping) or AES-128-GCM (HPKE's suite).
struct Gcm {
  const char* name;
  std::size_t keySize;
};
constexpr Gcm kAes256Gcm{"AES-256-GCM", 32};
constexpr Gcm kAes128Gcm{"AES-128-GCM", 16};

detail::CipherCtx gcmContext(const Gcm& gcm, ByteView key, ByteView nonce, bool encrypt) {
  if (key.size() != gcm.keySize) throw vigil::CryptoError(std::string(gcm.name) + ": bad key size");
  if (nonce.size() != kGcmNonceSize)
    throw vigil::CryptoError(std::string(gcm.name) + ": nonce must be 96 bits");
  detail::Cipher cipher{EVP_CIPHER_fetch(nullptr, gcm.name, nullptr)};
  if (!cipher) detail::throwOpenSsl("EVP_CIPHER_fetch(GCM)");
  detail::CipherCtx ctx{EVP_CIPHER_CTX_new()};
  if (!ctx) detail::throwOpenSsl("EVP_CIPHER_CTX_new");
  // The default GCM IV length is 12 bytes, which is what we use.
  detail::check(EVP_CipherInit_ex2(ctx.get(), cipher.get(), key.data(), nonce.data(),
                                   encrypt ? 1 : 0, nullptr),
                "EVP_CipherInit_ex2(GCM)");
  return ctx;
}

Bytes gcmSeal(const Gcm& gcm, ByteView key, ByteView nonce, ByteView aad, ByteView plaintext) {
  auto ctx = gcmContext(gcm, key, nonce, true);
  int len = 0;
  if (!aad.empty())
    detail::check(
        EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), detail::intLen(aad.size())),
        "EVP_EncryptUpdate(aad)");
  Bytes out(plaintext.size() + kGcmTagSize);
  int written = 0;
  if (!plaintext.empty()) {
    detail::check(EVP_EncryptUpdate(ctx.get(), out.data(), &len, plaintext.data(),
                                    detail::intLen(plaintext.size())),
                  "EVP_EncryptUpdate");
    written = len;
  }
  detail::check(EVP_EncryptFinal_ex(ctx.get(), out.data() + written, &len), "EVP_EncryptFinal_ex");
  written += len;
  detail::check(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kGcmTagSize),
                                    out.data() + written),
                "EVP_CTRL_GCM_GET_TAG");
  out.resize(static_cast<std::size_t>(written) + kGcmTagSize);
  return out;
}

Bytes gcmOpen(const Gcm& gcm, ByteView key, ByteView nonce, ByteView aad, ByteView sealed) {
  if (sealed.size() < kGcmTagSize) throw IntegrityError("aes-gcm: ciphertext too short");
  auto ctx = gcmContext(gcm, key, nonce, false);
  std::size_t ctLen = sealed.size() - kGcmTagSize;
  int len = 0;
  if (!aad.empty())
    detail::check(
        EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), detail::intLen(aad.size())),
        "EVP_DecryptUpdate(aad)");
  Bytes out(ctLen + kGcmTagSize);
  int written = 0;
  if (ctLen > 0) {
    detail::check(
        EVP_DecryptUpdate(ctx.get(), out.data(), &len, sealed.data(), detail::intLen(ctLen)),
        "EVP_DecryptUpdate");
    written = len;
  }
  // OpenSSL takes a non-const tag pointer; copy so the caller's buffer stays untouched.
  std::uint8_t tag[kGcmTagSize];
  std::copy(sealed.begin() + static_cast<std::ptrdiff_t>(ctLen), sealed.end(), tag);
  detail::check(
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kGcmTagSize), tag),
      "EVP_CTRL_GCM_SET_TAG");
  if (EVP_DecryptFinal_ex(ctx.get(), out.data() + written, &len) <= 0) {
    secureWipe(out.data(), out.size());
    ERR_clear_error();
    throw IntegrityError("aes-gcm: authentication tag does not verify");
  }
  written += len;
  out.resize(static_cast<std::size_t>(written));
  return out;
}

}  // namespace

Bytes aes256GcmSeal(const Key256& key, ByteView nonce, ByteView aad, ByteView plaintext) {
  return gcmSeal(kAes256Gcm, key.view(), nonce, aad, plaintext);
}

Bytes aes256GcmOpen(const Key256& key, ByteView nonce, ByteView aad, ByteView sealed) {
  return gcmOpen(kAes256Gcm, key.view(), nonce, aad, sealed);
}

Bytes aes128GcmSeal(ByteView key, ByteView nonce, ByteView aad, ByteView plaintext) {
  return gcmSeal(kAes128Gcm, key, nonce, aad, plaintext);
}

Bytes aes128GcmOpen(ByteView key, ByteView nonce, ByteView aad, ByteView sealed) {
  return gcmOpen(kAes128Gcm, key, nonce, aad, sealed);
}

}  // namespace vigil::crypto
