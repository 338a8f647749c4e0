// Sign-in (password, second factor, TOTP enrolment), sign-out, password change and the
// session endpoints. The session token only ever travels in the cookie; the CSRF token in
// the JSON. Sign-in attempts are limited per client address (in memory) on top of the
// per-account lock-out of the security core.

#include <chrono>
#include <mutex>

#include "common.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/session_token.hpp"
#include "vigil/web/attempt_limiter.hpp"

namespace vigil::web::api {
namespace {

using security::SignInStatus;

std::string cookieHeader(const ApiServices& s, const std::string& token) {
  std::string c =
      sessionCookieName(s.secureCookies) + "=" + token + "; Path=/; HttpOnly; SameSite=Strict";
  if (s.secureCookies) c += "; Secure";
  return c;
}

std::string clearCookieHeader(const ApiServices& s) {
  std::string c =
      sessionCookieName(s.secureCookies) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";
  if (s.secureCookies) c += "; Secure";
  return c;
}

JsonObject sessionJson(const ApiServices& s, std::int64_t userId, security::SessionStage stage,
                       const std::string& token, TimePoint created, TimePoint lastSeen) {
  auto user = s.accounts->findUser(userId);
  if (!user) throw ApiFailure(401, "unauthenticated", "sign-in required");
  auto u = object();
  u->set("id", user->id);
  u->set("role", std::string(security::toString(user->role)));
  u->set("displayName", user->displayName);
  u->set("mfa", user->mfaEnrolled);  // step-up asks for the code too
  if (user->patientId) {
    u->set("patientId", *user->patientId);
  } else {
    u->set("patientId", Poco::Dynamic::Var());
  }
  auto o = object();
  o->set("user", u);
  o->set("stage", stage == security::SessionStage::full ? "full" : "mfa_enrolment");
  o->set("csrf", security::csrfTokenFor(token));
  o->set("idleTimeoutSeconds", s.idleTimeoutSeconds);
  o->set("idleExpiresAt", iso(lastSeen + std::chrono::seconds(s.idleTimeoutSeconds)));
  o->set("absoluteExpiresAt", iso(created + std::chrono::seconds(s.absoluteLifetimeSeconds)));
  return o;
}

JsonObject enrolmentJson(const security::TotpEnrolment& e) {
  auto o = object();
  o->set("secret", e.secretBase32);
  o->set("otpauthUri", e.uri);
  return o;
}

Response signInAnswer(const ApiServices& s, const security::SignInResult& r) {
  auto now = s.clock->now();
  switch (r.status) {
    case SignInStatus::ok: {
      auto o = object();
      o->set("status", "ok");
      o->set("session", sessionJson(s, r.userId, security::SessionStage::full, r.token, now, now));
      auto resp = jsonResponse(200, o);
      resp.headers.emplace_back("Set-Cookie", cookieHeader(s, r.token));
      return resp;
    }
    case SignInStatus::mfaRequired: {
      auto o = object();
      o->set("status", "mfa_required");
      return jsonResponse(200, o);
    }
    case SignInStatus::enrolmentRequired: {
      auto o = object();
      o->set("status", "mfa_enrolment_required");
      o->set("enrolment", enrolmentJson(s.accounts->beginTotpEnrolment(r.token)));
      o->set("session",
             sessionJson(s, r.userId, security::SessionStage::mfaEnrolment, r.token, now, now));
      auto resp = jsonResponse(200, o);
      resp.headers.emplace_back("Set-Cookie", cookieHeader(s, r.token));
      return resp;
    }
    case SignInStatus::passwordChangeRequired: {
      // The one-time password was right: the client sends it again with `newPassword`.
      auto o = object();
      o->set("status", "password_change_required");
      return jsonResponse(200, o);
    }
    case SignInStatus::locked:
      return Response::error(423, "locked",
                             "Too many failed attempts. Try again later or ask an administrator "
                             "to unlock the account.");
    case SignInStatus::failed:
      break;
  }
  return Response::error(401, "signin_failed", "E-mail, password or code is incorrect.");
}

/// Signing in and out, and setting up the second factor.
void addSignInRoutes(Router& r, const ApiServices& s) {
  // At most 30 sign-in attempts per client address a minute.
  auto limiter = std::make_shared<AttemptLimiter>(30, std::chrono::seconds(60));
  auto signIn = [&s, limiter](Request& req, bool withCode) {
    if (!limiter->allow(clientKey(req.remoteAddress), s.clock->now())) {
      Metrics::global()
          .counter("vigil_api_signin_rate_limited_total", "Sign-in attempts refused by rate")
          .inc();
      return Response::error(429, "rate_limited", "Too many attempts. Wait a minute.");
    }
    auto body = parseBody(req);
    auto email = requireString(body, "email", 320);
    auto password = requireString(body, "password", 1024);
    auto code = withCode ? requireString(body, "code", 64) : std::string{};
    auto newPassword = optionalString(body, "newPassword", 1024);
    return signInAnswer(s, s.accounts->signIn(email, password, code, newPassword));
  };
  r.add({"POST", "/api/v1/auth/login", Access::public_endpoint, "",
         guarded([signIn](Request& req) { return signIn(req, false); })});
  r.add({"POST", "/api/v1/auth/mfa", Access::public_endpoint, "",
         guarded([signIn](Request& req) { return signIn(req, true); })});

  r.add({"POST", "/api/v1/auth/mfa/enrol", Access::authenticated, kEnrolment,
         guarded([&s](Request& req) {
           try {
             return jsonResponse(200,
                                 enrolmentJson(s.accounts->beginTotpEnrolment(req.sessionToken)));
           } catch (const AuthError&) {
             throw ApiFailure(409, "wrong_state", "two-step verification is already set up");
           }
         })});
  r.add({"POST", "/api/v1/auth/mfa/confirm", Access::authenticated, kEnrolment,
         guarded([&s](Request& req) {
           auto code = requireString(parseBody(req), "code", 16);
           std::vector<std::string> codes;
           try {
             codes = s.accounts->confirmTotpEnrolment(req.sessionToken, code);
           } catch (const AuthError&) {
             throw ApiFailure(422, "validation", "the code does not match");
           }
           auto info = s.accounts->authenticate(req.sessionToken);
           auto o = object();
           auto list = array();
           for (const auto& c : codes) list->add(c);
           o->set("recoveryCodes", list);
           o->set("session", sessionJson(s, info.actor.id, info.stage, req.sessionToken,
                                         info.created, info.lastSeen));
           return jsonResponse(200, o);
         })});
  r.add({"POST", "/api/v1/auth/logout", Access::authenticated, kEnrolment,
         guarded([&s](Request& req) {
           s.accounts->signOut(req.sessionToken);
           auto resp = noContent();
           resp.headers.emplace_back("Set-Cookie", clearCookieHeader(s));
           return resp;
         })});
}

/// The user's own credentials: proving who they are again (step-up), changing the password.
void addCredentialRoutes(Router& r, const ApiServices& s) {
  // Step-up (issue 18): the password again, and the code when the user has a second factor,
  // before a sensitive action (the gate answers 403 reauth_required without it). Wrong answers
  // count towards the lock-out.
  r.add({"POST", "/api/v1/auth/reauth", Access::authenticated, kOwnSession,
         guarded([&s](Request& req) {
           auto body = parseBody(req);
           auto password = requireString(body, "password", 1024);
           auto code = optionalString(body, "code", 64);
           try {
             s.accounts->reauthenticate(req.sessionToken, password, code);
           } catch (const security::AccountLocked&) {
             throw ApiFailure(423, "locked",
                              "Too many failed attempts. Try again later or ask an administrator "
                              "to unlock the account.");
           } catch (const AuthError&) {
             throw ApiFailure(401, "reauth_failed", "the password or code is not right");
           }
           return noContent();
         })});
  r.add({"POST", "/api/v1/auth/password", Access::authenticated, kOwnSession,
         guarded([&s](Request& req) {
           auto body = parseBody(req);
           auto current = requireString(body, "current", 1024);
           auto next = requireString(body, "next", 1024);
           try {
             s.accounts->changePassword(req.actor->id, current, next);
           } catch (const security::AccountLocked&) {
             throw ApiFailure(423, "locked",
                              "Too many failed attempts. Try again later or ask an administrator "
                              "to unlock the account.");
           } catch (const AuthError&) {
             throw ApiFailure(401, "signin_failed", "the current password is not right");
           }
           auto resp = noContent();
           resp.headers.emplace_back("Set-Cookie", clearCookieHeader(s));
           return resp;
         })});
}

/// The user's sessions: the current one (read, "stay signed in") and the others they hold.
void addSessionRoutes(Router& r, const ApiServices& s) {
  // The gate authenticated a moment ago; last_seen moves at most once per touch interval
  // (SessionPolicy::touchInterval), except on "stay signed in", which always moves it. The
  // answer's idleExpiresAt is counted from the stored last_seen: what the server enforces.
  auto session = [&s](security::AccountService::Touch touch) {
    return [&s, touch](Request& req) {
      auto info = s.accounts->authenticate(req.sessionToken, touch);
      return jsonResponse(200, sessionJson(s, info.actor.id, info.stage, req.sessionToken,
                                           info.created, info.lastSeen));
    };
  };
  // A user's own sessions (the browsers and devices they are signed in on), and ending one:
  // a forgotten sign-in on a shared computer can be closed from anywhere. Audited
  // (session.end_own); another user's session id is "not found".
  r.add({"GET", "/api/v1/sessions", Access::authenticated, kOwnSession, guarded([&s](Request& req) {
           const auto current =
               s.accounts->authenticate(req.sessionToken, security::AccountService::Touch::none)
                   .sessionId;
           auto items = array();
           for (const auto& info : s.accounts->listSessions(req.actor->id)) {
             auto o = object();
             o->set("id", info.sessionId);
             o->set("createdAt", iso(info.created));
             o->set("lastSeenAt", iso(info.lastSeen));
             o->set("current", info.sessionId == current);
             items->add(o);
           }
           auto o = object();
           o->set("items", items);
           return jsonResponse(200, o);
         })});
  r.add({"DELETE", "/api/v1/sessions/{id}", Access::authenticated, kOwnSession,
         guarded([&s](Request& req) {
           const auto id = pathId(req, "id");
           const auto current =
               s.accounts->authenticate(req.sessionToken, security::AccountService::Touch::none)
                   .sessionId;
           if (!s.accounts->endOwnSession(*req.actor, id))
             throw ApiFailure(404, "not_found", "no such session of yours");
           auto resp = noContent();
           if (id == current) resp.headers.emplace_back("Set-Cookie", clearCookieHeader(s));
           return resp;
         })});
  r.add({"GET", "/api/v1/session", Access::authenticated, kEnrolment,
         guarded(session(security::AccountService::Touch::none))});
  r.add({"POST", "/api/v1/session/refresh", Access::authenticated, kEnrolment,
         guarded(session(security::AccountService::Touch::always))});
}

}  // namespace

void addAuthRoutes(Router& r, const ApiServices& s) {
  addSignInRoutes(r, s);
  addCredentialRoutes(r, s);
  addSessionRoutes(r, s);
}

}  // namespace vigil::web::api
