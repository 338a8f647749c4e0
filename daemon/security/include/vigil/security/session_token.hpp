#pragma once
// Session tokens and their lifetime rules, without storage. A token is 256 random bits sent
// to the browser once (base64url, in a __Host- cookie); the store keeps only its SHA-256, so a
// stolen database does not yield live sessions. The CSRF token is HMAC-SHA256 keyed by the
// session token: bound to the session, never stored, unguessable without the cookie.

#include <chrono>
#include <string>
#include <string_view>

#include "vigil/core/clock.hpp"
#include "vigil/crypto/hash.hpp"

namespace vigil::security {

/// Idle and absolute session limits (config security.session.idle_minutes, 15..30).
struct SessionPolicy {
  std::chrono::minutes idleTimeout{15};
  std::chrono::hours absoluteLifetime{12};
  /// last_seen is written at most once per this interval per session (each write is a
  /// synchronous commit on the store's single writer, which a busy portal would otherwise pay on
  /// every request). Requests in between are judged against the stored last_seen, so a session
  /// can idle out up to this much before last request + idleTimeout, never after it.
  std::chrono::seconds touchInterval{30};
  /// Throws vigil::ConfigError unless 15 <= idle <= 30 minutes, absolute is 1..24 hours and
  /// touchInterval is 0..60 s.
  void validate() const;
};

/// Why a session is or is not usable.
enum class SessionState { active, idleExpired, absoluteExpired, revoked };
std::string_view toString(SessionState state);

/// The times that decide a session's state.
struct SessionTimes {
  TimePoint created;
  TimePoint lastSeen;
  bool revoked = false;
};

/// The state at `now`: idle-expired once now - lastSeen reaches the idle timeout exactly,
/// absolute-expired once now - created reaches the lifetime.
SessionState sessionState(const SessionTimes& times, TimePoint now, const SessionPolicy& policy);

/// A new 256-bit session token, base64url.
std::string newSessionToken();
/// What the store keeps for a token (SHA-256); throws vigil::AuthError if malformed.
crypto::Digest256 hashSessionToken(std::string_view token);
/// The CSRF token bound to a session token.
std::string csrfTokenFor(std::string_view sessionToken);
/// True if `presented` is the CSRF token of `sessionToken` (constant time); false if empty.
bool checkCsrf(std::string_view sessionToken, std::string_view presented);

}  // namespace vigil::security
