#pragma once
// SMART on FHIR backend services (https://hl7.org/fhir/smart-app-launch/backend-services.html,
// RFC 7523, RFC 7521): the EHR clients an admin registers, the token endpoint's logic and the
// bearer-token check the FHIR routes call. Tables fhir_clients, fhir_client_jtis,
// fhir_access_tokens (migration 0035); docs/fhir.md#registering-an-ehr-smart-backend-services.
//
// A client authenticates with private_key_jwt: it signs a short-lived JWT (the assertion: iss =
// sub = its client_id, aud = the token URL exactly, exp at most 5 minutes ahead, a fresh jti)
// with a key whose public half the admin registered (a pasted JWK or JWKS, or a JWKS URL). The
// box checks the signature (vigil::crypto::verifyJws: RS384 or ES384 only), the claims, that the
// jti was not used before by this client (kept until the assertion's exp: one writer, so the
// check and the insert cannot interleave), and grants the requested scopes narrowed to the
// registered ones (narrowScopes). The access token is 32 random bytes (base64url), valid 5
// minutes, stored only as its SHA-256. Every token issued and every refusal is audited
// (action fhir.token, actor role "fhir_client", actor id the client's row or 0 when unknown,
// a reason word; never the assertion or an unknown client's claimed id). Refusals name the OAuth
// error (RFC 6749 section 5.2): the assertion's failures are all invalid_client (SMART), with a
// description that says which check failed but echoes nothing the client sent.
//
// Keys come from the pasted JWK/JWKS, or from the client's JWKS URL through a JwksFetcher (HTTPS,
// size- and time-bounded; cached for kJwksCacheTtl; fetched again at most once per
// kJwksRefetchInterval when an assertion names a kid the cached set lacks: key rotation).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/fhir/smart_scope.hpp"
#include "vigil/security/access.hpp"

namespace vigil::store {
class Database;
}
namespace vigil::security {
class AuditLog;
}

namespace vigil::fhir {

/// How long an access token lives, and how far ahead an assertion's exp may be.
inline constexpr std::chrono::seconds kAccessTokenLifetime{300};
inline constexpr std::chrono::seconds kMaxAssertionLifetime{300};
/// A JWKS fetched from a client's URL is used this long, and fetched again on an unknown kid at
/// most this often.
inline constexpr std::chrono::minutes kJwksCacheTtl{60};
inline constexpr std::chrono::seconds kJwksRefetchInterval{60};
/// Bounds on what a client or an admin sends.
inline constexpr std::size_t kMaxAssertionBytes = 16 * 1024;
inline constexpr std::size_t kMaxJwksBytes = 64 * 1024;

inline constexpr std::string_view kClientAssertionType =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A registered client as the admins' list shows it (never a private key: none is ever held).
struct FhirClient {
  std::int64_t id = 0;
  std::string name;
  std::string clientId;  // the assertion's iss and sub
  std::optional<std::string> jwksUrl;
  std::vector<std::string> keyIds;  // the kids of the pasted keys (empty with a JWKS URL)
  std::string scopes;               // registered, v2 form, space-separated
  std::int64_t createdBy = 0;
  TimePoint createdAt;
  std::optional<TimePoint> disabledAt;
};

/// What an admin registers: a name, the public keys (a JWK or JWKS pasted as JSON, or an https
/// URL of the client's JWKS: exactly one of the two) and the system scopes it may be granted.
struct FhirClientRegistration {
  std::string name;
  std::string jwks;     // JSON; empty when jwksUrl is given
  std::string jwksUrl;  // https://...; empty when jwks is given
  std::string scopes;   // space-separated; v1 or v2 system scopes, stored in v2 form
};

/// The token endpoint's form fields (application/x-www-form-urlencoded), each given once.
using TokenForm = std::map<std::string, std::string, std::less<>>;

/// The token endpoint's answer: a token, or an OAuth error with its HTTP status.
struct TokenResult {
  // Success (httpStatus 200)
  std::string accessToken;
  std::string tokenType = "bearer";
  std::int64_t expiresIn = 0;
  std::string scope;
  // Refusal: "invalid_request", "invalid_client", "invalid_scope", "unsupported_grant_type"
  std::string error;
  std::string errorDescription;
  int httpStatus = 200;
  bool ok() const { return error.empty(); }
};

/// Fetches a client's JWKS document (an https URL); nullopt when it cannot (unreachable, not
/// 200, too big, too slow). Injected so tests need no network.
using JwksFetcher = std::function<std::optional<std::string>(const std::string& url)>;

/// The default fetcher: Poco HTTPS (TLS 1.2+, the system's CAs), at most kMaxJwksBytes, a 5 s
/// connect/receive timeout, no redirects.
JwksFetcher httpsJwksFetcher();

/// The registered EHR clients, the token endpoint and the bearer-token check.
class SmartClientService {
 public:
  /// `tokenUrl`: the token endpoint's absolute URL as clients reach it (web.public_url +
  /// "/fhir/auth/token"): every assertion's aud must equal it exactly. Empty: the endpoint
  /// refuses every request (the box does not know its public address).
  SmartClientService(store::Database& db, security::AuditLog& audit, Clock& clock,
                     std::string tokenUrl);
  ~SmartClientService();

  const std::string& tokenUrl() const { return tokenUrl_; }
  /// Replaces the JWKS URL fetcher (tests; the default is httpsJwksFetcher()).
  void setJwksFetcher(JwksFetcher fetcher);

  // --- admins (security::AccessGuard, audited) ---
  /// fhir_client.list: every client, newest first.
  std::vector<FhirClient> list(const security::Actor& actor) const;
  /// fhir_client.register (step-up at the gate): checks the keys (public only, RSA >= 2048 bits
  /// or P-384, each with a kid, no two alike) and scopes; ValidationError naming the field.
  FhirClient registerClient(const security::Actor& actor, const FhirClientRegistration& reg);
  /// fhir_client.disable: no more tokens, and its tokens stop working now. NotFound.
  FhirClient disable(const security::Actor& actor, std::int64_t id);

  // --- the token endpoint (public; the assertion is the credential) ---
  TokenResult issueToken(const TokenForm& form);

  // --- the FHIR routes ---
  /// The grant of a bearer token; nullopt for an unknown or expired token or a disabled client.
  /// Audits nothing (the FHIR route audits the access it serves).
  std::optional<ClientGrant> authenticate(std::string_view bearerToken);

 private:
  struct CachedJwks;
  /// Prunes, stores the jti and the token and audits the issue in one write job; the refusal's
  /// reason word ("replayed_jti", "client_disabled") instead when it cannot.
  std::optional<std::string> storeToken(std::int64_t clientRow, const std::string& jti,
                                        std::int64_t jtiExpiresMs, const std::string& token,
                                        const std::string& scopes);
  std::optional<std::string> keysFor(std::int64_t clientRow, const std::optional<std::string>& url,
                                     bool refresh);

  store::Database& db_;
  security::AuditLog& audit_;
  Clock& clock_;
  std::string tokenUrl_;
  JwksFetcher fetcher_;
  std::mutex jwksMutex_;
  std::map<std::string, std::unique_ptr<CachedJwks>> jwksCache_;  // by URL
};

}  // namespace vigil::fhir
