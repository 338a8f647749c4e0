#include "vigil/crypto/hpke.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <array>
#include <string_view>

#include "openssl_util.hpp"
#include "vigil/core/error.hpp"
#include "vigil/crypto/random.hpp"

namespace vigil::crypto::hpke {
namespace {

namespace ossl = vigil::crypto::detail;  // OpenSSL helpers (hpke::detail is the test hook)

constexpr std::size_t kHashSize = 32;  // Nh of HKDF-SHA256
constexpr std::uint8_t kModeBase = 0x00;
constexpr std::string_view kVersionLabel = "HPKE-v1";

// suite_id of the KEM ("KEM" || I2OSP(kem_id, 2)) and of HPKE as a whole
// ("HPKE" || I2OSP(kem_id, 2) || I2OSP(kdf_id, 2) || I2OSP(aead_id, 2)), RFC 9180 sections 4.1
// and 5.1.
constexpr std::array<std::uint8_t, 5> kKemSuite{'K', 'E', 'M', kKemId >> 8, kKemId & 0xff};
constexpr std::array<std::uint8_t, 10> kHpkeSuite{
    'H',           'P',         'K',           'E',          kKemId >> 8,
    kKemId & 0xff, kKdfId >> 8, kKdfId & 0xff, kAeadId >> 8, kAeadId & 0xff};

void append(Bytes& out, ByteView part) {
  out.insert(out.end(), part.begin(), part.end());
}

// One HKDF step through EVP_KDF "HKDF" in EXTRACT_ONLY or EXPAND_ONLY mode.
Bytes hkdf(int mode, ByteView key, ByteView saltOrInfo, std::size_t length) {
  ossl::Kdf kdf{EVP_KDF_fetch(nullptr, "HKDF", nullptr)};
  if (!kdf) ossl::throwOpenSsl("EVP_KDF_fetch(HKDF)");
  ossl::KdfCtx ctx{EVP_KDF_CTX_new(kdf.get())};
  if (!ctx) ossl::throwOpenSsl("EVP_KDF_CTX_new");
  char digest[] = "SHA256";
  // OSSL_PARAM takes non-const pointers; the copies keep the callers' buffers untouched.
  Bytes keyCopy{key.begin(), key.end()};
  Bytes other{saltOrInfo.begin(), saltOrInfo.end()};
  OSSL_PARAM params[5];
  std::size_t n = 0;
  params[n++] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] =
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, keyCopy.data(), keyCopy.size());
  // An empty salt is HashLen zero bytes (RFC 5869), which is what HKDF does without one.
  if (!other.empty())
    params[n++] = OSSL_PARAM_construct_octet_string(
        mode == EVP_KDF_HKDF_MODE_EXTRACT_ONLY ? OSSL_KDF_PARAM_SALT : OSSL_KDF_PARAM_INFO,
        other.data(), other.size());
  params[n] = OSSL_PARAM_construct_end();
  Bytes out(length);
  ossl::check(EVP_KDF_derive(ctx.get(), out.data(), out.size(), params), "EVP_KDF_derive(HKDF)");
  secureWipe(keyCopy.data(), keyCopy.size());
  return out;
}

// LabeledExtract(salt, label, ikm) = Extract(salt, "HPKE-v1" || suite_id || label || ikm).
Bytes labeledExtract(ByteView suite, ByteView salt, std::string_view label, ByteView ikm) {
  Bytes labeled;
  append(labeled, asBytes(kVersionLabel));
  append(labeled, suite);
  append(labeled, asBytes(label));
  append(labeled, ikm);
  Bytes prk = hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, labeled, salt, kHashSize);
  secureWipe(labeled.data(), labeled.size());
  return prk;
}

// LabeledExpand(prk, label, info, L) =
//   Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info, L).
Bytes labeledExpand(ByteView suite, ByteView prk, std::string_view label, ByteView info,
                    std::size_t length) {
  Bytes labeled{static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length & 0xff)};
  append(labeled, asBytes(kVersionLabel));
  append(labeled, suite);
  append(labeled, asBytes(label));
  append(labeled, info);
  return hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, prk, labeled, length);
}

ossl::Pkey x25519Private(const Key256& sk) {
  ossl::Pkey key{EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, sk.data(), Key256::kSize)};
  if (!key) ossl::throwOpenSsl("EVP_PKEY_new_raw_private_key(X25519)");
  return key;
}

// DH(sk, pk): the X25519 shared value, or empty when pk is not a usable public key or the
// result is all zero (RFC 9180 section 7.1.4, RFC 7748 section 6.1).
Bytes dh(const Key256& sk, ByteView pk) {
  if (pk.size() != kPublicKeySize) return {};
  ossl::Pkey peer{EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, pk.data(), pk.size())};
  if (!peer) {
    ERR_clear_error();
    return {};
  }
  auto own = x25519Private(sk);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx{
      EVP_PKEY_CTX_new_from_pkey(nullptr, own.get(), nullptr), &EVP_PKEY_CTX_free};
  if (!ctx) ossl::throwOpenSsl("EVP_PKEY_CTX_new_from_pkey(X25519)");
  ossl::check(EVP_PKEY_derive_init(ctx.get()), "EVP_PKEY_derive_init(X25519)");
  Bytes out(kSecretSize);
  std::size_t len = out.size();
  // OpenSSL refuses an all-zero result (a low-order peer key) here already.
  if (EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) <= 0 ||
      EVP_PKEY_derive(ctx.get(), out.data(), &len) <= 0 || len != kSecretSize) {
    ERR_clear_error();
    return {};
  }
  static const std::array<std::uint8_t, kSecretSize> kZero{};
  if (constantTimeEqual(out, kZero)) return {};
  return out;
}

// ExtractAndExpand(dh, kem_context) of DHKEM, RFC 9180 section 4.1.
Bytes extractAndExpand(Bytes dhValue, ByteView kemContext) {
  Bytes prk = labeledExtract(kKemSuite, {}, "eae_prk", dhValue);
  secureWipe(dhValue.data(), dhValue.size());
  Bytes shared = labeledExpand(kKemSuite, prk, "shared_secret", kemContext, kSecretSize);
  secureWipe(prk.data(), prk.size());
  return shared;
}

}  // namespace

X25519KeyPair::X25519KeyPair(Key256 privateKey) : privateKey_(std::move(privateKey)) {
  auto key = x25519Private(privateKey_);
  publicKey_.resize(kPublicKeySize);
  std::size_t len = publicKey_.size();
  ossl::check(EVP_PKEY_get_raw_public_key(key.get(), publicKey_.data(), &len),
              "EVP_PKEY_get_raw_public_key(X25519)");
}

X25519KeyPair X25519KeyPair::generate() {
  return X25519KeyPair{randomKey()};
}

X25519KeyPair deriveKeyPair(ByteView ikm) {
  Bytes prk = labeledExtract(kKemSuite, {}, "dkp_prk", ikm);
  Bytes sk = labeledExpand(kKemSuite, prk, "sk", {}, Key256::kSize);
  secureWipe(prk.data(), prk.size());
  X25519KeyPair pair{Key256{sk}};
  secureWipe(sk.data(), sk.size());
  return pair;
}

Encapsulation encap(ByteView recipientPublicKey, const X25519KeyPair& ephemeral) {
  Bytes dhValue = dh(ephemeral.privateKey(), recipientPublicKey);
  if (dhValue.empty()) throw vigil::CryptoError("hpke: not a usable X25519 public key");
  Encapsulation out;
  out.enc = ephemeral.publicKey();
  Bytes kemContext = out.enc;
  append(kemContext, recipientPublicKey);
  out.sharedSecret = extractAndExpand(std::move(dhValue), kemContext);
  return out;
}

Bytes decap(ByteView enc, const X25519KeyPair& recipient) {
  Bytes dhValue = dh(recipient.privateKey(), enc);
  if (dhValue.empty()) throw IntegrityError("hpke: the encapsulated key is not usable");
  Bytes kemContext{enc.begin(), enc.end()};
  append(kemContext, recipient.publicKey());
  return extractAndExpand(std::move(dhValue), kemContext);
}

Context Context::keySchedule(ByteView sharedSecret, ByteView info) {
  Bytes pskIdHash = labeledExtract(kHpkeSuite, {}, "psk_id_hash", {});
  Bytes infoHash = labeledExtract(kHpkeSuite, {}, "info_hash", info);
  Bytes keyScheduleContext{kModeBase};
  append(keyScheduleContext, pskIdHash);
  append(keyScheduleContext, infoHash);
  Bytes secret = labeledExtract(kHpkeSuite, sharedSecret, "secret", {});
  Context ctx;
  ctx.key_ = labeledExpand(kHpkeSuite, secret, "key", keyScheduleContext, kKeySize);
  ctx.baseNonce_ = labeledExpand(kHpkeSuite, secret, "base_nonce", keyScheduleContext, kNonceSize);
  secureWipe(secret.data(), secret.size());
  return ctx;
}

Context::~Context() {
  secureWipe(key_.data(), key_.size());
}

Bytes Context::nonce(std::uint64_t seq) const {
  Bytes out = baseNonce_;
  // I2OSP(seq, Nn): the sequence number big-endian in the last 8 of the 12 bytes.
  for (std::size_t i = 0; i < sizeof seq; ++i)
    out[out.size() - 1 - i] ^= static_cast<std::uint8_t>(seq >> (8 * i));
  return out;
}

void Context::incrementSeq() {
  // A 64-bit counter overflows long before the 96-bit nonce would.
  if (seq_ == UINT64_MAX) throw vigil::CryptoError("hpke: message limit reached");
  ++seq_;
}

Bytes Context::seal(ByteView aad, ByteView plaintext) {
  Bytes ct = aes128GcmSeal(key_, nonce(seq_), aad, plaintext);
  incrementSeq();
  return ct;
}

Bytes Context::open(ByteView aad, ByteView ciphertext) {
  Bytes pt = aes128GcmOpen(key_, nonce(seq_), aad, ciphertext);
  incrementSeq();
  return pt;
}

namespace detail {

Sealed sealBaseWith(const X25519KeyPair& ephemeral, ByteView recipientPublicKey, ByteView info,
                    ByteView aad, ByteView plaintext) {
  Encapsulation e = encap(recipientPublicKey, ephemeral);
  Context ctx = Context::keySchedule(e.sharedSecret, info);
  secureWipe(e.sharedSecret.data(), e.sharedSecret.size());
  return {std::move(e.enc), ctx.seal(aad, plaintext)};
}

}  // namespace detail

Sealed sealBase(ByteView recipientPublicKey, ByteView info, ByteView aad, ByteView plaintext) {
  return detail::sealBaseWith(X25519KeyPair::generate(), recipientPublicKey, info, aad, plaintext);
}

Bytes openBase(const X25519KeyPair& recipient, ByteView enc, ByteView info, ByteView aad,
               ByteView ciphertext) {
  Bytes shared = decap(enc, recipient);
  Context ctx = Context::keySchedule(shared, info);
  secureWipe(shared.data(), shared.size());
  return ctx.open(aad, ciphertext);
}

}  // namespace vigil::crypto::hpke
