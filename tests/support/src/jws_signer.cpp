// Test-side JWS signing with OpenSSL EVP (see jws_signer.hpp).
#include "vigil/testsupport/jws_signer.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <memory>
#include <stdexcept>

namespace vigil::testsupport {
namespace {

EVP_PKEY* key(void* p) {
  return static_cast<EVP_PKEY*>(p);
}

crypto::Bytes bnParam(void* pkey, const char* name, int pad) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key(pkey), name, &bn) != 1) throw std::runtime_error(name);
  crypto::Bytes out(static_cast<std::size_t>(pad > 0 ? pad : BN_num_bytes(bn)));
  BN_bn2binpad(bn, out.data(), static_cast<int>(out.size()));
  BN_free(bn);
  return out;
}

}  // namespace

TestJwsKey TestJwsKey::rsa(int bits) {
  EVP_PKEY* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits));
  if (!k) throw std::runtime_error("RSA keygen");
  return TestJwsKey(k, true);
}

TestJwsKey TestJwsKey::ecP384() {
  EVP_PKEY* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  if (!k) throw std::runtime_error("EC keygen");
  return TestJwsKey(k, false);
}

TestJwsKey::~TestJwsKey() {
  EVP_PKEY_free(key(pkey_));
}
TestJwsKey::TestJwsKey(TestJwsKey&& o) noexcept : pkey_(o.pkey_), rsa_(o.rsa_) {
  o.pkey_ = nullptr;
}
TestJwsKey& TestJwsKey::operator=(TestJwsKey&& o) noexcept {
  std::swap(pkey_, o.pkey_);
  std::swap(rsa_, o.rsa_);
  return *this;
}

crypto::Bytes TestJwsKey::n() const {
  return bnParam(pkey_, OSSL_PKEY_PARAM_RSA_N, 0);
}
crypto::Bytes TestJwsKey::e() const {
  return bnParam(pkey_, OSSL_PKEY_PARAM_RSA_E, 0);
}
crypto::Bytes TestJwsKey::x() const {
  return bnParam(pkey_, OSSL_PKEY_PARAM_EC_PUB_X, 48);
}
crypto::Bytes TestJwsKey::y() const {
  return bnParam(pkey_, OSSL_PKEY_PARAM_EC_PUB_Y, 48);
}

std::string TestJwsKey::jwkJson(const std::string& kid) const {
  if (rsa_)
    return R"({"kty":"RSA","alg":"RS384","use":"sig","kid":")" + kid + R"(","n":")" +
           crypto::toBase64Url(n()) + R"(","e":")" + crypto::toBase64Url(e()) + R"("})";
  return R"({"kty":"EC","alg":"ES384","use":"sig","crv":"P-384","kid":")" + kid + R"(","x":")" +
         crypto::toBase64Url(x()) + R"(","y":")" + crypto::toBase64Url(y()) + R"("})";
}

crypto::Bytes TestJwsKey::sign(std::string_view signingInput) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (EVP_DigestSignInit_ex(ctx, nullptr, "SHA384", nullptr, nullptr, key(pkey_), nullptr) != 1)
    throw std::runtime_error("DigestSignInit");
  std::size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(signingInput.data());
  EVP_DigestSign(ctx, nullptr, &len, in, signingInput.size());
  crypto::Bytes sig(len);
  if (EVP_DigestSign(ctx, sig.data(), &len, in, signingInput.size()) != 1)
    throw std::runtime_error("DigestSign");
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  if (rsa_) return sig;
  // DER ECDSA-Sig-Value -> R || S, 48 bytes each (RFC 7518 section 3.4).
  const unsigned char* p = sig.data();
  ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
  if (!es) throw std::runtime_error("d2i_ECDSA_SIG");
  crypto::Bytes rs(96);
  BN_bn2binpad(ECDSA_SIG_get0_r(es), rs.data(), 48);
  BN_bn2binpad(ECDSA_SIG_get0_s(es), rs.data() + 48, 48);
  ECDSA_SIG_free(es);
  return rs;
}

std::string TestJwsKey::compact(const std::string& payloadJson, const std::string& kid,
                                const std::string& headerJson) const {
  const std::string header =
      headerJson.empty() ? R"({"alg":")" + alg() + R"(","kid":")" + kid + R"(","typ":"JWT"})"
                         : headerJson;
  const std::string input = crypto::toBase64Url(crypto::asBytes(header)) + "." +
                            crypto::toBase64Url(crypto::asBytes(payloadJson));
  return input + "." + crypto::toBase64Url(sign(input));
}

}  // namespace vigil::testsupport
