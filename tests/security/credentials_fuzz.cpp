// libFuzzer: parsers of credentials that reach the box from outside or from storage: stored
// password hashes (parameters only: no scrypt run), session tokens, CSRF tokens, base32 TOTP
// secrets and codes. Each must accept or refuse with a vigil::Error, never crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "vigil/core/error.hpp"
#include "vigil/security/password.hpp"
#include "vigil/security/password_policy.hpp"
#include "vigil/security/session_token.hpp"
#include "vigil/security/totp.hpp"

using namespace vigil::security;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  try {
    PasswordHasher::paramsOf(text);
  } catch (const vigil::Error&) {
  }
  try {
    hashSessionToken(text);
    checkCsrf(text, text);
  } catch (const vigil::Error&) {
  }
  try {
    base32Decode(text);
  } catch (const vigil::Error&) {
  }
  static const vigil::crypto::Bytes key(20, 7);
  verifyTotp(key, text, vigil::TimePoint{std::chrono::seconds{1'800'000'000}}, std::nullopt);
  PasswordPolicy{}.check(text, {"someone@example.org"});
  return 0;
}
