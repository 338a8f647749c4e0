#include "vigil/pki/mosquitto_password.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <vector>

#include "openssl_util.hpp"
#include "vigil/core/error.hpp"

namespace vigil::pki {

namespace {

constexpr std::size_t kSaltBytes = 12;
constexpr std::size_t kHashBytes = 64;

std::string pbkdf2(std::string_view password, std::string_view salt, int iterations) {
  std::string out(kHashBytes, '\0');
  detail::check(
      PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), iterations, EVP_sha512(),
                        static_cast<int>(out.size()), reinterpret_cast<unsigned char*>(out.data())),
      "PBKDF2");
  return out;
}

}  // namespace

std::string hashMosquittoPassword(std::string_view password, int iterations) {
  if (iterations < 1) throw ValidationError("iterations: must be positive");
  if (password.empty() || password.size() > 1024) throw ValidationError("password: bad length");
  std::string salt = detail::randomBytes(kSaltBytes);
  return "$7$" + std::to_string(iterations) + "$" + detail::base64Encode(salt) + "$" +
         detail::base64Encode(pbkdf2(password, salt, iterations));
}

bool verifyMosquittoPassword(std::string_view password, std::string_view hash) {
  if (hash.substr(0, 3) != "$7$") return false;
  std::vector<std::string_view> parts;
  std::string_view rest = hash.substr(3);
  for (;;) {
    auto d = rest.find('$');
    parts.push_back(rest.substr(0, d));
    if (d == std::string_view::npos) break;
    rest.remove_prefix(d + 1);
  }
  if (parts.size() != 3 || parts[0].empty() || parts[0].size() > 7) return false;
  int iterations = 0;
  for (char c : parts[0]) {
    if (c < '0' || c > '9') return false;
    iterations = iterations * 10 + (c - '0');
  }
  if (iterations < 1) return false;
  try {
    std::string salt = detail::base64Decode(parts[1]);
    std::string expected = detail::base64Decode(parts[2]);
    if (expected.size() != kHashBytes) return false;
    std::string actual = pbkdf2(password, salt, iterations);
    return CRYPTO_memcmp(actual.data(), expected.data(), kHashBytes) == 0;
  } catch (const CryptoError&) {
    return false;
  }
}

std::string generateDevicePassword() {
  std::string text = detail::base64Encode(detail::randomBytes(18));
  for (char& c : text) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return text;
}

}  // namespace vigil::pki
