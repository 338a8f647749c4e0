#include "vigil/security/password.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <charconv>
#include <cstdint>
#include <memory>
#include <vector>

#include "vigil/core/error.hpp"
#include "vigil/crypto/bytes.hpp"
#include "vigil/crypto/random.hpp"

namespace vigil::security {
namespace {

using crypto::Bytes;

constexpr std::size_t kSaltSize = 16;
constexpr std::size_t kHashSize = 32;

struct ParsedHash {
  ScryptParams params;
  Bytes salt;
  Bytes hash;
};

Bytes scrypt(std::string_view password, crypto::ByteView salt, const ScryptParams& p,
             std::size_t length) {
  std::unique_ptr<EVP_KDF, decltype(&EVP_KDF_free)> kdf{EVP_KDF_fetch(nullptr, "SCRYPT", nullptr),
                                                        &EVP_KDF_free};
  if (!kdf) throw vigil::CryptoError("crypto: EVP_KDF_fetch(SCRYPT) failed");
  std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> ctx{EVP_KDF_CTX_new(kdf.get()),
                                                                &EVP_KDF_CTX_free};
  if (!ctx) throw vigil::CryptoError("crypto: EVP_KDF_CTX_new(SCRYPT) failed");
  std::vector<char> pass(password.begin(), password.end());
  Bytes saltCopy(salt.begin(), salt.end());
  std::uint64_t n = std::uint64_t{1} << p.logN;
  std::uint32_t r = p.r;
  std::uint32_t par = p.p;
  // 128 * r * N for the big buffer, plus slack; bounded by parseParams.
  std::uint64_t maxmem = 256ull * r * n + (16u << 20);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, pass.data(), pass.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, saltCopy.data(), saltCopy.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &par),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
      OSSL_PARAM_construct_end()};
  Bytes out(length);
  int rc = EVP_KDF_derive(ctx.get(), out.data(), out.size(), params);
  crypto::secureWipe(pass.data(), pass.size());
  if (rc <= 0) {
    ERR_clear_error();
    throw vigil::CryptoError("crypto: EVP_KDF_derive(SCRYPT) failed");
  }
  return out;
}

void checkParams(const ScryptParams& p) {
  if (p.logN < 1 || p.logN > 22 || p.r < 1 || p.r > 32 || p.p < 1 || p.p > 16)
    throw vigil::AuthError("password hash: scrypt parameters out of range");
}

bool parseUnsigned(std::string_view s, unsigned& out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && ptr == s.data() + s.size();
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return parts;
}

ParsedHash parse(std::string_view stored) {
  // "", "scrypt", "ln=..,r=..,p=..", salt, hash
  auto parts = split(stored, '$');
  if (parts.size() != 5 || !parts[0].empty() || parts[1] != "scrypt")
    throw vigil::AuthError("password hash: unknown format");
  ParsedHash out;
  auto kv = split(parts[2], ',');
  if (kv.size() != 3 || kv[0].substr(0, 3) != "ln=" || kv[1].substr(0, 2) != "r=" ||
      kv[2].substr(0, 2) != "p=" || !parseUnsigned(kv[0].substr(3), out.params.logN) ||
      !parseUnsigned(kv[1].substr(2), out.params.r) ||
      !parseUnsigned(kv[2].substr(2), out.params.p))
    throw vigil::AuthError("password hash: bad parameters");
  checkParams(out.params);
  try {
    out.salt = crypto::fromBase64Url(parts[3]);
    out.hash = crypto::fromBase64Url(parts[4]);
  } catch (const vigil::CryptoError&) {
    throw vigil::AuthError("password hash: bad encoding");
  }
  if (out.salt.size() < 8 || out.hash.size() < 16)
    throw vigil::AuthError("password hash: too short");
  return out;
}

}  // namespace

PasswordHasher::PasswordHasher(ScryptParams params) : params_(params) {
  try {
    checkParams(params_);
  } catch (const vigil::AuthError&) {
    throw vigil::ConfigError("security.password.scrypt: parameters out of range");
  }
}

std::string PasswordHasher::hash(std::string_view password) const {
  if (password.size() > kMaxPasswordBytes) throw vigil::AuthError("password too long");
  Bytes salt = crypto::randomBytes(kSaltSize);
  Bytes digest = scrypt(password, salt, params_, kHashSize);
  std::string out = "$scrypt$ln=" + std::to_string(params_.logN) +
                    ",r=" + std::to_string(params_.r) + ",p=" + std::to_string(params_.p) + "$" +
                    crypto::toBase64Url(salt) + "$" + crypto::toBase64Url(digest);
  crypto::secureWipe(digest.data(), digest.size());
  return out;
}

PasswordCheck PasswordHasher::verify(std::string_view password, std::string_view stored) const {
  ParsedHash parsed = parse(stored);
  if (password.size() > kMaxPasswordBytes) return {};
  Bytes digest = scrypt(password, parsed.salt, parsed.params, parsed.hash.size());
  PasswordCheck result;
  result.ok = crypto::constantTimeEqual(digest, parsed.hash);
  result.needsRehash = result.ok && !(parsed.params == params_);
  crypto::secureWipe(digest.data(), digest.size());
  return result;
}

ScryptParams PasswordHasher::paramsOf(std::string_view stored) {
  return parse(stored).params;
}

}  // namespace vigil::security
