#include "vigil/crypto/ed25519.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>

#include "openssl_util.hpp"
#include "vigil/crypto/random.hpp"

namespace vigil::crypto {
namespace {

detail::Pkey privateKey(const Key256& seed) {
  detail::Pkey key{
      EVP_PKEY_new_raw_private_key_ex(nullptr, "ED25519", nullptr, seed.data(), Key256::kSize)};
  if (!key) detail::throwOpenSsl("EVP_PKEY_new_raw_private_key(ED25519)");
  return key;
}

}  // namespace

Ed25519Signer::Ed25519Signer(Key256 seed) : seed_(std::move(seed)) {
  auto key = privateKey(seed_);
  publicKey_.resize(kPublicKeySize);
  std::size_t len = publicKey_.size();
  detail::check(EVP_PKEY_get_raw_public_key(key.get(), publicKey_.data(), &len),
                "EVP_PKEY_get_raw_public_key");
}

Ed25519Signer Ed25519Signer::generate() {
  return Ed25519Signer{randomKey()};
}

Bytes Ed25519Signer::publicKey() const {
  return publicKey_;
}

Bytes Ed25519Signer::sign(ByteView message) const {
  auto key = privateKey(seed_);
  detail::MdCtx ctx{EVP_MD_CTX_new()};
  if (!ctx) detail::throwOpenSsl("EVP_MD_CTX_new");
  detail::check(
      EVP_DigestSignInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, key.get(), nullptr),
      "EVP_DigestSignInit(ED25519)");
  Bytes sig(kSignatureSize);
  std::size_t len = sig.size();
  detail::check(EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()),
                "EVP_DigestSign(ED25519)");
  sig.resize(len);
  return sig;
}

bool ed25519Verify(ByteView publicKey, ByteView message, ByteView signature) {
  if (publicKey.size() != Ed25519Signer::kPublicKeySize ||
      signature.size() != Ed25519Signer::kSignatureSize)
    return false;
  detail::Pkey key{EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr, publicKey.data(),
                                                  publicKey.size())};
  if (!key) {
    ERR_clear_error();
    return false;
  }
  detail::MdCtx ctx{EVP_MD_CTX_new()};
  if (!ctx) detail::throwOpenSsl("EVP_MD_CTX_new");
  detail::check(
      EVP_DigestVerifyInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, key.get(), nullptr),
      "EVP_DigestVerifyInit(ED25519)");
  int rc = EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                            message.size());
  ERR_clear_error();
  return rc == 1;
}

}  // namespace vigil::crypto
