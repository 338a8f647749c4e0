#include "vigil/security/session_token.hpp"

#include "vigil/core/error.hpp"
#include "vigil/crypto/random.hpp"

namespace vigil::security {
namespace {

constexpr std::size_t kTokenBytes = 32;

crypto::Bytes decodeToken(std::string_view token) {
  crypto::Bytes raw;
  try {
    raw = crypto::fromBase64Url(token);
  } catch (const vigil::CryptoError&) {
    throw vigil::AuthError("session token malformed");
  }
  if (raw.size() != kTokenBytes) throw vigil::AuthError("session token malformed");
  return raw;
}

}  // namespace

void SessionPolicy::validate() const {
  if (idleTimeout < std::chrono::minutes{15} || idleTimeout > std::chrono::minutes{30})
    throw vigil::ConfigError("security.session.idle_minutes must be 15..30");
  if (absoluteLifetime < std::chrono::hours{1} || absoluteLifetime > std::chrono::hours{24})
    throw vigil::ConfigError("security.session.absolute_hours must be 1..24");
  if (touchInterval < std::chrono::seconds{0} || touchInterval > std::chrono::seconds{60})
    throw vigil::ConfigError("session touch interval must be 0..60 s");
}

std::string_view toString(SessionState state) {
  switch (state) {
    case SessionState::active:
      return "active";
    case SessionState::idleExpired:
      return "idle_expired";
    case SessionState::absoluteExpired:
      return "absolute_expired";
    case SessionState::revoked:
      return "revoked";
  }
  return "unknown";
}

SessionState sessionState(const SessionTimes& times, TimePoint now, const SessionPolicy& policy) {
  if (times.revoked) return SessionState::revoked;
  if (now - times.created >= policy.absoluteLifetime) return SessionState::absoluteExpired;
  if (now - times.lastSeen >= policy.idleTimeout) return SessionState::idleExpired;
  return SessionState::active;
}

std::string newSessionToken() {
  return crypto::toBase64Url(crypto::randomBytes(kTokenBytes));
}

crypto::Digest256 hashSessionToken(std::string_view token) {
  crypto::Bytes raw = decodeToken(token);
  auto digest = crypto::sha256(raw);
  crypto::secureWipe(raw.data(), raw.size());
  return digest;
}

std::string csrfTokenFor(std::string_view sessionToken) {
  crypto::Bytes raw = decodeToken(sessionToken);
  auto mac = crypto::hmacSha256(raw, crypto::asBytes("vigil.csrf.v1"));
  crypto::secureWipe(raw.data(), raw.size());
  return crypto::toBase64Url(mac);
}

bool checkCsrf(std::string_view sessionToken, std::string_view presented) {
  if (presented.empty()) return false;
  std::string expected = csrfTokenFor(sessionToken);
  return crypto::constantTimeEqual(crypto::asBytes(expected), crypto::asBytes(presented));
}

}  // namespace vigil::security
