// SMART backend services: registered clients, the token endpoint, the bearer-token check. See
// smart_clients.hpp for the design and docs/fhir.md for the EHR's side.
#include "vigil/fhir/smart_clients.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <variant>

#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/time.hpp"
#include "vigil/crypto/bytes.hpp"
#include "vigil/crypto/hash.hpp"
#include "vigil/crypto/jws.hpp"
#include "vigil/crypto/random.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/store/database.hpp"

namespace vigil::fhir {

using core::fromMillis;
using core::toMillis;
using security::operation;
using store::Connection;
using Json = Poco::JSON::Object::Ptr;

struct SmartClientService::CachedJwks {
  std::string text;
  TimePoint fetchedAt;
};

namespace {

constexpr std::size_t kTokenBytes = 32;
constexpr std::size_t kMaxJtiLength = 256;
constexpr std::size_t kMaxKidLength = 200;
constexpr std::size_t kMaxNameLength = 100;
constexpr std::size_t kMaxUrlLength = 2048;

store::Blob tokenHash(std::string_view token) {
  auto d = crypto::sha256(crypto::asBytes(token));
  return store::Blob(d.begin(), d.end());
}

/// A base64url token of kTokenBytes (43 characters), nothing else.
bool plausibleToken(std::string_view token) {
  return token.size() == 43 && std::all_of(token.begin(), token.end(), [](char ch) {
           return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
         });
}

bool base64UrlText(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
  });
}

/// Parses a JSON object; nullptr when the text is not one.
Json parseObject(std::string_view text) {
  try {
    Poco::JSON::Parser parser;
    auto v = parser.parse(std::string(text));
    if (v.type() != typeid(Json)) return nullptr;
    return v.extract<Json>();
  } catch (const Poco::Exception&) {
    return nullptr;
  } catch (const std::exception&) {
    return nullptr;
  }
}

std::optional<std::string> stringMember(const Json& o, const std::string& key) {
  if (!o->has(key)) return std::nullopt;
  auto v = o->get(key);
  if (!v.isString()) return std::nullopt;
  return v.convert<std::string>();
}

/// A numeric member (JSON number, integer or not) as whole seconds; nullopt otherwise.
std::optional<std::int64_t> numericDate(const Json& o, const std::string& key) {
  if (!o->has(key)) return std::nullopt;
  auto v = o->get(key);
  if (!v.isNumeric() || v.isBoolean()) return std::nullopt;
  try {
    double d = v.convert<double>();
    if (!(d > 0 && d < 1e12)) return std::nullopt;
    return static_cast<std::int64_t>(d);
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

crypto::Bytes b64(const std::string& text) {
  if (text.empty() || !base64UrlText(text)) throw vigil::CryptoError("jwk: not base64url");
  return crypto::fromBase64Url(text);
}

struct ParsedKey {
  std::string kid;
  crypto::JwsPublicKey key;
};

/// One JWK as a verification key. Throws ValidationError (naming the problem, never a value).
ParsedKey parseJwk(const Json& jwk) {
  for (const char* secret : {"d", "p", "q", "dp", "dq", "qi", "k", "oth"})
    if (jwk->has(secret))
      throw ValidationError("jwks: a private key member was pasted; paste the public key only");
  auto kid = stringMember(jwk, "kid");
  if (!kid || kid->empty() || kid->size() > kMaxKidLength)
    throw ValidationError("jwks: every key needs a kid (at most 200 characters)");
  auto kty = stringMember(jwk, "kty").value_or("");
  auto alg = stringMember(jwk, "alg");
  if (auto use = stringMember(jwk, "use"); use && *use != "sig")
    throw ValidationError("jwks: a key's use must be sig");
  try {
    if (kty == "RSA") {
      if (alg && *alg != "RS384") throw ValidationError("jwks: an RSA key's alg must be RS384");
      auto n = stringMember(jwk, "n"), e = stringMember(jwk, "e");
      if (!n || !e) throw ValidationError("jwks: an RSA key needs n and e");
      return {*kid, crypto::JwsPublicKey::rsa(b64(*n), b64(*e))};
    }
    if (kty == "EC") {
      if (stringMember(jwk, "crv").value_or("") != "P-384")
        throw ValidationError("jwks: an EC key's crv must be P-384");
      if (alg && *alg != "ES384") throw ValidationError("jwks: an EC key's alg must be ES384");
      auto x = stringMember(jwk, "x"), y = stringMember(jwk, "y");
      if (!x || !y) throw ValidationError("jwks: an EC key needs x and y");
      return {*kid, crypto::JwsPublicKey::ecP384(b64(*x), b64(*y))};
    }
  } catch (const vigil::CryptoError&) {
    throw ValidationError(
        "jwks: a key is not a usable public key (RSA of at least 2048 bits, or EC P-384)");
  }
  throw ValidationError("jwks: a key's kty must be RSA or EC");
}

/// The keys of a JWK or JWKS document. `strict` (an admin's paste): any unusable key refuses the
/// whole document (ValidationError). Otherwise (a client's published JWKS, which may hold keys
/// for other uses) unusable keys are skipped; a private member still refuses the document.
std::vector<ParsedKey> parseKeys(std::string_view text, bool strict) {
  if (text.size() > kMaxJwksBytes) throw ValidationError("jwks: larger than 64 KiB");
  auto doc = parseObject(text);
  if (!doc) throw ValidationError("jwks: not a JSON object (a JWK or a JWKS)");
  std::vector<Json> jwks;
  if (doc->has("keys")) {
    auto keys = doc->getArray("keys");
    if (!keys) throw ValidationError("jwks: keys must be an array");
    for (std::size_t i = 0; i < keys->size(); ++i) {
      auto k = keys->getObject(static_cast<unsigned>(i));
      if (!k) throw ValidationError("jwks: every entry of keys must be a JWK object");
      jwks.push_back(k);
    }
  } else {
    jwks.push_back(doc);
  }
  std::vector<ParsedKey> out;
  std::set<std::string> kids;
  for (const auto& jwk : jwks) {
    try {
      auto k = parseJwk(jwk);
      if (!kids.insert(k.kid).second) {
        if (strict) throw ValidationError("jwks: two keys have the same kid");
        continue;  // ambiguous: neither is trusted
      }
      out.push_back(std::move(k));
    } catch (const ValidationError& e) {
      if (strict || std::string_view(e.what()).find("private") != std::string_view::npos) throw;
    }
  }
  if (strict && out.empty()) throw ValidationError("jwks: no key");
  return out;
}

/// The registered scopes, each checked and written in v2 form.
std::string normaliseScopes(std::string_view text) {
  std::string out;
  std::set<std::string> seen;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    auto j = text.find(' ', i);
    if (j == std::string_view::npos) j = text.size();
    if (j > i) {
      auto s = parseSystemScope(text.substr(i, j - i));
      if (!s)
        throw ValidationError(
            "scopes: each scope must be a system scope such as "
            "system/Observation.rs");
      auto t = s->text();
      if (seen.insert(t).second) out += (out.empty() ? "" : " ") + t;
    }
    i = j;
  }
  if (out.empty()) throw ValidationError("scopes: at least one system scope");
  return out;
}

std::vector<SystemScope> parseScopeList(std::string_view text) {
  std::vector<SystemScope> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    auto j = text.find(' ', i);
    if (j == std::string_view::npos) j = text.size();
    if (j > i)
      if (auto s = parseSystemScope(text.substr(i, j - i))) out.push_back(*s);
    i = j;
  }
  return out;
}

bool printableName(std::string_view s) {
  return std::none_of(s.begin(), s.end(),
                      [](char ch) { return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f; });
}

constexpr const char* kColumns =
    "id, name, client_id, jwks, jwks_url, scopes, created_by, created_at, disabled_at";

FhirClient clientFrom(store::Statement& st) {
  FhirClient c;
  c.id = st.getInt64(0);
  c.name = st.getText(1);
  c.clientId = st.getText(2);
  if (!st.isNull(3)) {
    try {
      for (auto& k : parseKeys(st.getText(3), false)) c.keyIds.push_back(k.kid);
    } catch (const ValidationError&) {
      // Checked at registration; nothing to list if it no longer parses.
    }
  }
  if (!st.isNull(4)) c.jwksUrl = st.getText(4);
  c.scopes = st.getText(5);
  c.createdBy = st.getInt64(6);
  c.createdAt = fromMillis(st.getInt64(7));
  if (!st.isNull(8)) c.disabledAt = fromMillis(st.getInt64(8));
  return c;
}

std::optional<FhirClient> clientIn(Connection& c, std::int64_t id) {
  auto st = c.prepare(std::string("SELECT ") + kColumns + " FROM fhir_clients WHERE id = ?1");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return clientFrom(st);
}

/// The client row an assertion names, with what the check needs.
struct ClientRow {
  std::int64_t id = 0;
  std::optional<std::string> jwks;
  std::optional<std::string> jwksUrl;
  std::string scopes;
  bool disabled = false;
};

std::optional<ClientRow> clientByClientIdIn(Connection& c, std::string_view clientId) {
  auto st = c.prepare(
      "SELECT id, jwks, jwks_url, scopes, disabled_at IS NOT NULL FROM fhir_clients "
      "WHERE client_id = ?1");
  st.bind(1, clientId);
  if (!st.step()) return std::nullopt;
  ClientRow r;
  r.id = st.getInt64(0);
  if (!st.isNull(1)) r.jwks = st.getText(1);
  if (!st.isNull(2)) r.jwksUrl = st.getText(2);
  r.scopes = st.getText(3);
  r.disabled = st.getInt64(4) != 0;
  return r;
}

security::AuditEvent tokenEvent(std::int64_t clientRow, security::AuditOutcome outcome,
                                std::string reason) {
  security::AuditEvent e;
  e.actorId = clientRow;
  e.actorRole = "fhir_client";
  e.action = "fhir.token";
  e.objectType = "fhir_client";
  e.objectId = clientRow > 0 ? std::to_string(clientRow) : "";
  e.outcome = outcome;
  e.reason = std::move(reason);
  return e;
}

}  // namespace

SmartClientService::SmartClientService(store::Database& db, security::AuditLog& audit, Clock& clock,
                                       std::string tokenUrl)
    : db_(db),
      audit_(audit),
      clock_(clock),
      tokenUrl_(std::move(tokenUrl)),
      fetcher_(httpsJwksFetcher()) {}

SmartClientService::~SmartClientService() = default;

void SmartClientService::setJwksFetcher(JwksFetcher fetcher) {
  std::lock_guard lock(jwksMutex_);
  fetcher_ = std::move(fetcher);
  jwksCache_.clear();
}

std::vector<FhirClient> SmartClientService::list(const security::Actor& actor) const {
  security::AccessGuard g{db_, audit_};
  return g.read(
      actor, operation("fhir_client.list"), std::nullopt, {"fhir_client", ""}, [&](Connection& c) {
        std::vector<FhirClient> out;
        auto st =
            c.prepare(std::string("SELECT ") + kColumns + " FROM fhir_clients ORDER BY id DESC");
        while (st.step()) out.push_back(clientFrom(st));
        return out;
      });
}

FhirClient SmartClientService::registerClient(const security::Actor& actor,
                                              const FhirClientRegistration& reg) {
  // Checked before the access is decided: a malformed form is the admin's typo, not an access.
  auto name = reg.name;
  while (!name.empty() && name.back() == ' ') name.pop_back();
  while (!name.empty() && name.front() == ' ') name.erase(name.begin());
  if (name.empty() || name.size() > kMaxNameLength || !printableName(name))
    throw ValidationError("name: 1 to 100 characters");
  const bool hasJwks = !reg.jwks.empty(), hasUrl = !reg.jwksUrl.empty();
  if (hasJwks == hasUrl) throw ValidationError("jwks: give the public keys or a JWKS URL (one)");
  if (hasJwks) parseKeys(reg.jwks, true);
  if (hasUrl && (!reg.jwksUrl.starts_with("https://") || reg.jwksUrl.size() > kMaxUrlLength ||
                 reg.jwksUrl.size() <= 8 || !printableName(reg.jwksUrl) ||
                 reg.jwksUrl.find(' ') != std::string::npos))
    throw ValidationError("jwks_url: an https:// URL");
  const auto scopes = normaliseScopes(reg.scopes);
  const auto clientId = crypto::randomUuid();
  const auto now = toMillis(clock_.now());
  security::AccessGuard g{db_, audit_};
  return g.write(
      actor, operation("fhir_client.register"), std::nullopt, {"fhir_client", ""},
      [&](Connection& c) {
        c.execute(
            "INSERT INTO fhir_clients (name, client_id, jwks, jwks_url, scopes, "
            "created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            name, clientId, hasJwks ? std::optional<std::string>(reg.jwks) : std::nullopt,
            hasUrl ? std::optional<std::string>(reg.jwksUrl) : std::nullopt, scopes, actor.id, now);
        return *clientIn(c, c.lastInsertRowid());
      });
}

FhirClient SmartClientService::disable(const security::Actor& actor, std::int64_t id) {
  const auto now = toMillis(clock_.now());
  security::AccessGuard g{db_, audit_};
  return g.write(actor, operation("fhir_client.disable"), std::nullopt,
                 {"fhir_client", std::to_string(id)}, [&](Connection& c) {
                   if (!clientIn(c, id)) throw NotFound("no such EHR client");
                   c.execute(
                       "UPDATE fhir_clients SET disabled_at = ?2, disabled_by = ?3 "
                       "WHERE id = ?1 AND disabled_at IS NULL",
                       id, now, actor.id);
                   c.execute("DELETE FROM fhir_access_tokens WHERE client = ?1", id);
                   return *clientIn(c, id);
                 });
}

std::optional<std::string> SmartClientService::keysFor(std::int64_t clientRow,
                                                       const std::optional<std::string>& url,
                                                       bool refresh) {
  if (!url) return std::nullopt;
  const auto now = clock_.now();
  JwksFetcher fetch;
  {
    std::lock_guard lock(jwksMutex_);
    auto& slot = jwksCache_[*url];
    if (slot) {
      const auto age = now - slot->fetchedAt;
      const bool fresh = age < kJwksCacheTtl;
      // A refresh on an unknown kid, at most once per kJwksRefetchInterval.
      if (fresh && (!refresh || age < kJwksRefetchInterval)) return slot->text;
    }
    fetch = fetcher_;
  }
  auto text = fetch ? fetch(*url) : std::nullopt;
  std::lock_guard lock(jwksMutex_);
  auto& slot = jwksCache_[*url];
  if (!text) {
    log::warn("fhir.jwks_fetch_failed", {{"client", clientRow}});
    if (slot) return slot->text;  // keep using what we had until it is replaced
    return std::nullopt;
  }
  slot = std::make_unique<CachedJwks>(CachedJwks{*text, now});
  return slot->text;
}

namespace {

/// A refusal on its way to the client and the audit log.
struct Refusal {
  std::string error;        // OAuth error code
  std::string description;  // for the client; names the check, echoes nothing
  std::string reason;       // the audit's word
  int status = 400;
};
using MaybeRefusal = std::optional<Refusal>;

Refusal badClient(std::string description, std::string reason) {
  return Refusal{"invalid_client", std::move(description), std::move(reason), 401};
}

std::string formField(const TokenForm& form, std::string_view key) {
  auto it = form.find(key);
  return it == form.end() ? std::string() : it->second;
}

/// The form's own checks (RFC 6749 section 4.4, RFC 7521 section 4.2).
MaybeRefusal checkForm(const TokenForm& form, bool haveTokenUrl) {
  if (!haveTokenUrl)
    return Refusal{"invalid_request", "the box's public address (web.public_url) is not set",
                   "no_public_url", 400};
  const auto grantType = formField(form, "grant_type");
  if (grantType.empty())
    return Refusal{"invalid_request", "grant_type is required", "bad_request", 400};
  if (grantType != "client_credentials")
    return Refusal{"unsupported_grant_type", "only client_credentials is supported",
                   "unsupported_grant_type", 400};
  if (formField(form, "client_assertion_type") != kClientAssertionType)
    return Refusal{"invalid_request",
                   "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:"
                   "jwt-bearer",
                   "bad_request", 400};
  const auto assertion = formField(form, "client_assertion");
  if (assertion.empty() || assertion.size() > kMaxAssertionBytes)
    return Refusal{"invalid_request", "client_assertion is required (at most 16 KiB)",
                   "bad_request", 400};
  return std::nullopt;
}

/// A compact JWS taken apart (nothing checked but its shape).
struct Assertion {
  std::string signingInput;
  Json header, claims;
  crypto::Bytes signature;
  std::string alg, kid;
};

/// The assertion's parts, or the refusal of its shape or header (alg RS384/ES384, typ JWT if
/// given, no crit, a kid).
std::variant<Assertion, Refusal> parseAssertion(std::string_view all) {
  const auto malformed = badClient("client_assertion is not a compact JWS", "malformed_assertion");
  const auto dot1 = all.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : all.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || all.find('.', dot2 + 1) != std::string_view::npos)
    return malformed;
  const auto h = all.substr(0, dot1), p = all.substr(dot1 + 1, dot2 - dot1 - 1),
             sig = all.substr(dot2 + 1);
  if (h.empty() || p.empty() || !base64UrlText(h) || !base64UrlText(p) || !base64UrlText(sig))
    return malformed;
  Assertion a;
  try {
    a.header = parseObject(crypto::toString(crypto::fromBase64Url(h)));
    a.claims = parseObject(crypto::toString(crypto::fromBase64Url(p)));
    a.signature = crypto::fromBase64Url(sig);
  } catch (const vigil::CryptoError&) {
    return malformed;
  }
  if (!a.header || !a.claims) return malformed;
  a.signingInput = std::string(all.substr(0, dot2));
  a.alg = stringMember(a.header, "alg").value_or("");
  if (!crypto::parseJwsAlgorithm(a.alg))
    return badClient("the assertion's alg must be RS384 or ES384", "alg_refused");
  if (auto typ = stringMember(a.header, "typ"); a.header->has("typ") && (!typ || *typ != "JWT"))
    return badClient("the assertion's typ must be JWT", "malformed_assertion");
  if (a.header->has("crit"))
    return badClient("the assertion's crit extensions are not supported", "malformed_assertion");
  a.kid = stringMember(a.header, "kid").value_or("");
  if (a.kid.empty()) return badClient("the assertion's header needs a kid", "malformed_assertion");
  return a;
}

bool audienceIs(const Json& claims, const std::string& tokenUrl) {
  if (!claims->has("aud")) return false;
  auto aud = claims->get("aud");
  if (aud.isString()) return aud.convert<std::string>() == tokenUrl;
  auto arr = claims->getArray("aud");
  if (!arr) return false;
  for (unsigned i = 0; i < arr->size(); ++i)
    if (arr->get(i).isString() && arr->getElement<std::string>(i) == tokenUrl) return true;
  return false;
}

/// The claims after the signature (RFC 7523 section 3): aud, exp (future, at most 5 minutes
/// ahead), nbf, jti.
MaybeRefusal checkClaims(const Json& claims, const std::string& tokenUrl, TimePoint now) {
  if (!audienceIs(claims, tokenUrl))
    return badClient("the assertion's aud must be this token endpoint's URL", "wrong_audience");
  const auto nowSeconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch());
  const auto exp = numericDate(claims, "exp");
  if (!exp) return badClient("the assertion needs exp", "malformed_assertion");
  if (std::chrono::seconds(*exp) <= nowSeconds)
    return badClient("the assertion has expired", "expired");
  if (std::chrono::seconds(*exp) > nowSeconds + kMaxAssertionLifetime)
    return badClient("the assertion's exp is more than 5 minutes ahead", "exp_too_far");
  if (auto nbf = numericDate(claims, "nbf"); nbf && std::chrono::seconds(*nbf) > nowSeconds)
    return badClient("the assertion is not valid yet (nbf)", "not_yet_valid");
  const auto jti = stringMember(claims, "jti");
  if (!jti || jti->empty() || jti->size() > kMaxJtiLength)
    return badClient("the assertion needs a jti (at most 256 characters)", "malformed_assertion");
  return std::nullopt;
}

/// The key with `kid` in a JWK/JWKS document, if any.
std::optional<crypto::JwsPublicKey> keyWithKid(const std::optional<std::string>& text,
                                               const std::string& kid) {
  if (!text) return std::nullopt;
  try {
    for (auto& k : parseKeys(*text, false))
      if (k.kid == kid) return std::move(k.key);
  } catch (const ValidationError&) {
    // A published JWKS that no longer parses: no key.
  }
  return std::nullopt;
}

}  // namespace

TokenResult SmartClientService::issueToken(const TokenForm& form) {
  std::int64_t clientRow = 0;
  auto refuse = [&](Refusal r) {
    audit_.record(db_, tokenEvent(clientRow, security::AuditOutcome::denied, r.reason));
    TokenResult out;
    out.error = std::move(r.error);
    out.errorDescription = std::move(r.description);
    out.httpStatus = r.status;
    return out;
  };
  if (auto r = checkForm(form, !tokenUrl_.empty())) return refuse(std::move(*r));
  auto parsed = parseAssertion(formField(form, "client_assertion"));
  if (auto* r = std::get_if<Refusal>(&parsed)) return refuse(std::move(*r));
  auto& a = std::get<Assertion>(parsed);

  const auto iss = stringMember(a.claims, "iss"), sub = stringMember(a.claims, "sub");
  if (!iss || iss->empty() || iss->size() > 100)
    return refuse(badClient("the assertion needs iss (the client_id)", "malformed_assertion"));
  const auto row = db_.read([&](Connection& c) { return clientByClientIdIn(c, *iss); });
  if (!row) return refuse(badClient("unknown client", "unknown_client"));
  clientRow = row->id;
  if (row->disabled) return refuse(badClient("the client is disabled", "client_disabled"));
  if (!sub || *sub != *iss)
    return refuse(badClient("the assertion's sub must equal iss", "iss_sub_mismatch"));
  if (auto given = formField(form, "client_id"); !given.empty() && given != *iss)
    return refuse(badClient("client_id does not match the assertion", "iss_sub_mismatch"));

  // The registered key with this kid (a JWKS URL is fetched again once when the cached set
  // lacks the kid: the client rotated its keys).
  auto key = row->jwks ? keyWithKid(row->jwks, a.kid)
                       : keyWithKid(keysFor(row->id, row->jwksUrl, false), a.kid);
  if (!key && !row->jwks) key = keyWithKid(keysFor(row->id, row->jwksUrl, true), a.kid);
  if (!key) return refuse(badClient("no registered key has the assertion's kid", "unknown_kid"));
  if (!crypto::verifyJws(a.alg, crypto::asBytes(a.signingInput), a.signature, *key))
    return refuse(badClient("the assertion's signature does not verify", "bad_signature"));
  const auto now = clock_.now();
  if (auto r = checkClaims(a.claims, tokenUrl_, now)) return refuse(std::move(*r));

  // The scopes: what was asked, narrowed to what was registered.
  ClientGrant grant;
  grant.clientId = row->id;
  grant.scopes = narrowScopes(formField(form, "scope"), parseScopeList(row->scopes));
  if (grant.scopes.empty())
    return refuse({"invalid_scope", "none of the requested scopes is granted to this client",
                   "no_scope", 400});
  const auto scopeText = grant.scopeText();
  const auto token = crypto::toBase64Url(crypto::randomBytes(kTokenBytes));
  const auto jti = *stringMember(a.claims, "jti");
  const auto expMs = *numericDate(a.claims, "exp") * 1000;
  if (auto refusedWord = storeToken(row->id, jti, expMs, token, scopeText))
    return refuse(badClient(*refusedWord == "client_disabled"
                                ? "the client is disabled"
                                : "the assertion's jti was used before",
                            *refusedWord));
  TokenResult out;
  out.accessToken = token;
  out.expiresIn = kAccessTokenLifetime.count();
  out.scope = scopeText;
  return out;
}

std::optional<std::string> SmartClientService::storeToken(std::int64_t clientRow,
                                                          const std::string& jti,
                                                          std::int64_t jtiExpiresMs,
                                                          const std::string& token,
                                                          const std::string& scopes) {
  // One write job: prune, the client still enabled, the jti (refused if seen), the token, the
  // audit entry. One writer: the check and the insert cannot interleave with another request.
  const auto now = clock_.now();
  const auto nowMs = toMillis(now);
  return db_.writeSync([&](Connection& c) -> std::optional<std::string> {
    c.execute("DELETE FROM fhir_client_jtis WHERE expires_at < ?1", nowMs);
    c.execute("DELETE FROM fhir_access_tokens WHERE expires_at <= ?1", nowMs);
    if (!c.queryValue<std::int64_t>(
            "SELECT 1 FROM fhir_clients WHERE id = ?1 AND disabled_at IS NULL", clientRow))
      return std::string("client_disabled");
    if (c.execute("INSERT INTO fhir_client_jtis (client, jti, expires_at) VALUES (?1, ?2, ?3) "
                  "ON CONFLICT (client, jti) DO NOTHING",
                  clientRow, jti, jtiExpiresMs) == 0)
      return std::string("replayed_jti");
    c.execute(
        "INSERT INTO fhir_access_tokens (token_hash, client, scopes, expires_at) "
        "VALUES (?1, ?2, ?3, ?4)",
        tokenHash(token), clientRow, scopes, toMillis(now + kAccessTokenLifetime));
    audit_.append(c, tokenEvent(clientRow, security::AuditOutcome::success, "issued"));
    return std::nullopt;
  });
}

std::optional<ClientGrant> SmartClientService::authenticate(std::string_view bearerToken) {
  if (!plausibleToken(bearerToken)) return std::nullopt;
  const auto now = toMillis(clock_.now());
  return db_.read([&](Connection& c) -> std::optional<ClientGrant> {
    auto st = c.prepare(
        "SELECT t.client, t.scopes FROM fhir_access_tokens t "
        "JOIN fhir_clients c ON c.id = t.client "
        "WHERE t.token_hash = ?1 AND t.expires_at > ?2 AND c.disabled_at IS NULL");
    st.bind(1, tokenHash(bearerToken));
    st.bind(2, now);
    if (!st.step()) return std::nullopt;
    ClientGrant g;
    g.clientId = st.getInt64(0);
    g.scopes = parseScopeList(st.getText(1));
    return g;
  });
}

}  // namespace vigil::fhir
