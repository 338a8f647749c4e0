// AccountService: sessions (created at sign-in, authenticated on every request, ended by
// sign-out, by the user or by expiry) and the list of a user's sessions.

#include "account_internals.hpp"
#include "decision_cache.hpp"
#include "vigil/core/error.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/store/database.hpp"

namespace vigil::security {

using store::Connection;
using namespace account_internal;

std::string AccountService::createSessionIn(Connection& c, std::int64_t userId,
                                            SessionStage stage) {
  std::string token = newSessionToken();
  auto hash = hashSessionToken(token);
  auto now = toMillis(clock_.now());
  // A full sign-in is a proof of identity for step-up; an enrolment session proves it when the
  // first code is confirmed.
  c.execute(
      "INSERT INTO sessions (token_hash, user_id, stage, created_at, last_seen_at, reauth_at) "
      "VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
      store::Blob(hash.begin(), hash.end()), userId, stageName(stage), now,
      stage == SessionStage::full ? std::optional<std::int64_t>(now) : std::nullopt);
  return token;
}

SessionInfo AccountService::authenticate(std::string_view sessionToken, Touch touch) {
  auto hash = hashSessionToken(sessionToken);  // AuthError when malformed
  const std::string key(hash.begin(), hash.end());
  const auto started = clock_.now();
  // A session read a moment ago (decision_cache.hpp) is judged again on its stored times: the
  // idle and absolute limits hold to the millisecond; revocation, a disabled account or a new
  // role reach it when this service makes them (sessionsChanged) or within the cache's lifetime.
  if (touch != Touch::always) {
    if (auto hit = sessions_->find(key, started)) {
      const bool active = sessionState({hit->created, hit->lastSeen, false}, started,
                                       config_.session) == SessionState::active;
      const bool fresh = started - hit->lastSeen < config_.session.touchInterval;
      if (active && (touch == Touch::none || fresh)) return *hit;
    }
  }
  const auto generation = sessions_->generation();
  struct Found {
    bool found = false;
    bool alreadyRevoked = false;
    SessionState state = SessionState::revoked;
    SessionInfo info;
  };
  auto lookup = [&](Connection& c) {
    Found out;
    auto& st = c.cached(
        "SELECT s.id, s.user_id, s.stage, s.created_at, s.last_seen_at, s.revoked_at, u.role, "
        "u.patient_id, u.status, s.reauth_at FROM sessions s JOIN users u ON u.id = s.user_id "
        "WHERE s.token_hash = ?1");
    st.bind(1, store::Blob(hash.begin(), hash.end()));
    if (!st.step()) {
      st.reset();
      return out;
    }
    out.found = true;
    out.info.sessionId = st.getInt64(0);
    out.info.actor.id = st.getInt64(1);
    out.info.stage = st.getText(2) == "full" ? SessionStage::full : SessionStage::mfaEnrolment;
    out.info.created = fromMillis(st.getInt64(3));
    out.info.lastSeen = fromMillis(st.getInt64(4));
    bool revoked = !st.isNull(5) || st.getText(8) == "disabled";
    out.info.actor.role = parseRole(st.getText(6)).value_or(Role::patient);
    out.info.actor.patientId = st.get<std::optional<std::int64_t>>(7);
    out.alreadyRevoked = !st.isNull(5);
    if (!st.isNull(9)) out.info.reauthenticatedAt = fromMillis(st.getInt64(9));
    st.reset();
    out.state =
        sessionState({out.info.created, out.info.lastSeen, revoked}, clock_.now(), config_.session);
    return out;
  };
  // Most requests: an active session seen a moment ago. A read, no write job.
  Found f = db_.read(lookup);
  bool fresh = clock_.now() - f.info.lastSeen < config_.session.touchInterval;
  bool needsWrite =
      f.found && ((f.state == SessionState::active &&
                   (touch == Touch::always || (touch == Touch::throttled && !fresh))) ||
                  (f.state != SessionState::active && !f.alreadyRevoked));
  if (needsWrite) {
    // Judged again on the writer (the snapshot may be stale), then last_seen moves or the
    // session ends, audited once.
    f = db_.writeSync([&](Connection& c) {
      Found out = lookup(c);
      if (!out.found) return out;
      auto now = clock_.now();
      if (out.state == SessionState::active) {
        if (touch != Touch::none) {
          c.execute("UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1", out.info.sessionId,
                    toMillis(now));
          out.info.lastSeen = fromMillis(toMillis(now));
        }
      } else if (!out.alreadyRevoked) {
        c.execute("UPDATE sessions SET revoked_at = ?2, revoke_reason = ?3 WHERE id = ?1",
                  out.info.sessionId, toMillis(now), toString(out.state));
        audit_.append(c, auditEventFor(out.info.actor, "session.end", "session",
                                       std::to_string(out.info.sessionId), std::nullopt,
                                       AuditOutcome::success, toString(out.state)));
      }
      return out;
    });
  }
  if (f.found && f.state == SessionState::active) {
    sessions_->put(key, f.info, started, generation);
  } else {
    sessions_->erase(key);
  }
  if (!f.found) throw AuthError("session unknown");
  if (f.state == SessionState::idleExpired || f.state == SessionState::absoluteExpired)
    throw SessionExpired("session " + std::string(toString(f.state)));
  if (f.state != SessionState::active) throw AuthError("session " + std::string(toString(f.state)));
  return f.info;
}

void AccountService::signOut(std::string_view sessionToken) {
  auto hash = hashSessionToken(sessionToken);
  db_.writeSync([&](Connection& c) {
    auto st = c.prepare(
        "SELECT s.id, s.user_id, u.role, u.patient_id FROM sessions s JOIN users u ON u.id = "
        "s.user_id WHERE s.token_hash = ?1 AND s.revoked_at IS NULL");
    st.bind(1, store::Blob(hash.begin(), hash.end()));
    if (!st.step()) return;
    std::int64_t sessionId = st.getInt64(0);
    Actor actor{st.getInt64(1), parseRole(st.getText(2)).value_or(Role::patient),
                st.get<std::optional<std::int64_t>>(3)};
    st.reset();
    c.execute("UPDATE sessions SET revoked_at = ?2, revoke_reason = 'sign_out' WHERE id = ?1",
              sessionId, toMillis(clock_.now()));
    audit_.append(c, auditEventFor(actor, "signout", "session", std::to_string(sessionId),
                                   std::nullopt, AuditOutcome::success, "sign_out"));
  });
  sessionsChanged();
}

bool AccountService::endOwnSession(const Actor& actor, std::int64_t sessionId) {
  const bool ended = db_.writeSync([&](Connection& c) {
    int n = c.execute(
        "UPDATE sessions SET revoked_at = ?3, revoke_reason = 'ended_by_user' WHERE id = ?1 AND "
        "user_id = ?2 AND revoked_at IS NULL",
        sessionId, actor.id, toMillis(clock_.now()));
    audit_.append(c,
                  auditEventFor(actor, "session.end_own", "session", std::to_string(sessionId),
                                std::nullopt, n == 1 ? AuditOutcome::success : AuditOutcome::denied,
                                n == 1 ? "ended_by_user" : "not_own_or_ended"));
    return n == 1;
  });
  sessionsChanged();
  return ended;
}

std::vector<SessionInfo> AccountService::listSessions(std::int64_t userId) {
  auto now = clock_.now();
  return db_.read([&](Connection& c) {
    std::vector<SessionInfo> out;
    auto st = c.prepare(
        "SELECT s.id, s.stage, s.created_at, s.last_seen_at, u.role, u.patient_id FROM sessions s "
        "JOIN users u ON u.id = s.user_id WHERE s.user_id = ?1 AND s.revoked_at IS NULL ORDER BY "
        "s.id");
    st.bind(1, userId);
    while (st.step()) {
      SessionInfo s;
      s.sessionId = st.getInt64(0);
      s.stage = st.getText(1) == "full" ? SessionStage::full : SessionStage::mfaEnrolment;
      s.created = fromMillis(st.getInt64(2));
      s.lastSeen = fromMillis(st.getInt64(3));
      s.actor = Actor{userId, parseRole(st.getText(4)).value_or(Role::patient),
                      st.get<std::optional<std::int64_t>>(5)};
      if (sessionState({s.created, s.lastSeen, false}, now, config_.session) ==
          SessionState::active)
        out.push_back(s);
    }
    return out;
  });
}

}  // namespace vigil::security
