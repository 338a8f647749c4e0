// JWS signature checks for RS384 and ES384 with keys from JWK members (see jws.hpp).
#include "vigil/crypto/jws.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "openssl_util.hpp"
#include "vigil/core/error.hpp"

namespace vigil::crypto {
namespace {

struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;
using ParamBld = std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree>;
using Params = std::unique_ptr<OSSL_PARAM, ParamFree>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using EcdsaSig = std::unique_ptr<ECDSA_SIG, EcdsaSigFree>;

constexpr std::size_t kEs384SignatureSize = 2 * JwsPublicKey::kP384CoordinateSize;

Bn toBn(ByteView bytes) {
  Bn bn{BN_bin2bn(bytes.data(), detail::intLen(bytes.size()), nullptr)};
  if (!bn) detail::throwOpenSsl("BN_bin2bn");
  return bn;
}

/// An EVP_PKEY of `type` ("RSA", "EC") from the built parameters.
std::shared_ptr<evp_pkey_st> fromData(const char* type, OSSL_PARAM_BLD* bld) {
  Params params{OSSL_PARAM_BLD_to_param(bld)};
  if (!params) detail::throwOpenSsl("OSSL_PARAM_BLD_to_param");
  PkeyCtx ctx{EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr)};
  if (!ctx) detail::throwOpenSsl("EVP_PKEY_CTX_new_from_name");
  detail::check(EVP_PKEY_fromdata_init(ctx.get()), "EVP_PKEY_fromdata_init");
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0 || !raw)
    detail::throwOpenSsl("jwk: not a valid public key");
  std::shared_ptr<evp_pkey_st> key(raw, EVP_PKEY_free);
  // fromdata takes the numbers as given: check the key itself (an EC point on the curve, an RSA
  // modulus that is odd and an exponent that is sane).
  PkeyCtx check{EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr)};
  if (!check) detail::throwOpenSsl("EVP_PKEY_CTX_new_from_pkey");
  if (EVP_PKEY_public_check(check.get()) != 1) detail::throwOpenSsl("jwk: public key check");
  return key;
}

/// R || S (48 bytes each) as the DER ECDSA-Sig-Value; empty when it cannot be encoded.
Bytes es384ToDer(ByteView rs) {
  const auto half = JwsPublicKey::kP384CoordinateSize;
  EcdsaSig sig{ECDSA_SIG_new()};
  if (!sig) detail::throwOpenSsl("ECDSA_SIG_new");
  Bn r = toBn(rs.subspan(0, half));
  Bn s = toBn(rs.subspan(half, half));
  if (ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) detail::throwOpenSsl("ECDSA_SIG_set0");
  (void)r.release();  // owned by sig now
  (void)s.release();
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return {};
  Bytes der(static_cast<std::size_t>(len));
  unsigned char* out = der.data();
  if (i2d_ECDSA_SIG(sig.get(), &out) != len) return {};
  return der;
}

bool digestVerify(const evp_pkey_st* key, ByteView message, ByteView signature) {
  detail::MdCtx ctx{EVP_MD_CTX_new()};
  if (!ctx) detail::throwOpenSsl("EVP_MD_CTX_new");
  // EVP_DigestVerifyInit_ex takes a non-const key but does not change it (it counts a reference).
  auto* pkey = const_cast<EVP_PKEY*>(key);
  detail::check(
      EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA384", nullptr, nullptr, pkey, nullptr),
      "EVP_DigestVerifyInit(SHA384)");
  int rc = EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                            message.size());
  ERR_clear_error();
  return rc == 1;
}

}  // namespace

std::optional<JwsAlgorithm> parseJwsAlgorithm(std::string_view name) {
  if (name == "RS384") return JwsAlgorithm::rs384;
  if (name == "ES384") return JwsAlgorithm::es384;
  return std::nullopt;
}

JwsPublicKey JwsPublicKey::rsa(ByteView n, ByteView e) {
  if (n.empty() || e.empty() || e.size() > 8) throw vigil::CryptoError("jwk: bad RSA n or e");
  Bn nb = toBn(n);
  Bn eb = toBn(e);
  if (BN_num_bits(nb.get()) < kMinRsaBits)
    throw vigil::CryptoError("jwk: RSA key under 2048 bits refused");
  ParamBld bld{OSSL_PARAM_BLD_new()};
  if (!bld) detail::throwOpenSsl("OSSL_PARAM_BLD_new");
  detail::check(OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, nb.get()),
                "OSSL_PARAM_BLD_push_BN(n)");
  detail::check(OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, eb.get()),
                "OSSL_PARAM_BLD_push_BN(e)");
  return JwsPublicKey(fromData("RSA", bld.get()), JwsAlgorithm::rs384);
}

JwsPublicKey JwsPublicKey::ecP384(ByteView x, ByteView y) {
  if (x.size() != kP384CoordinateSize || y.size() != kP384CoordinateSize)
    throw vigil::CryptoError("jwk: P-384 x and y must be 48 bytes each");
  Bytes point;
  point.reserve(1 + 2 * kP384CoordinateSize);
  point.push_back(0x04);  // uncompressed (SEC 1 section 2.3.3)
  point.insert(point.end(), x.begin(), x.end());
  point.insert(point.end(), y.begin(), y.end());
  ParamBld bld{OSSL_PARAM_BLD_new()};
  if (!bld) detail::throwOpenSsl("OSSL_PARAM_BLD_new");
  detail::check(
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "secp384r1", 0),
      "OSSL_PARAM_BLD_push_utf8_string(group)");
  detail::check(OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                                 point.size()),
                "OSSL_PARAM_BLD_push_octet_string(pub)");
  return JwsPublicKey(fromData("EC", bld.get()), JwsAlgorithm::es384);
}

int JwsPublicKey::bits() const {
  return EVP_PKEY_get_bits(key_.get());
}

bool verifyJws(std::string_view alg, ByteView signingInput, ByteView signature,
               const JwsPublicKey& key) {
  const auto parsed = parseJwsAlgorithm(alg);
  if (!parsed || *parsed != key.algorithm()) return false;
  switch (*parsed) {
    case JwsAlgorithm::rs384: {
      // RSASSA-PKCS1-v1_5: the signature is exactly the modulus' length.
      const int size = EVP_PKEY_get_size(key.pkey());
      if (size <= 0 || signature.size() != static_cast<std::size_t>(size)) return false;
      return digestVerify(key.pkey(), signingInput, signature);
    }
    case JwsAlgorithm::es384: {
      if (signature.size() != kEs384SignatureSize) return false;
      const Bytes der = es384ToDer(signature);
      if (der.empty()) return false;
      return digestVerify(key.pkey(), signingInput, der);
    }
  }
  return false;
}

}  // namespace vigil::crypto
