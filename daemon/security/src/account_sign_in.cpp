// AccountService: sign-in and lock-out (also for addresses without an account), password
// change and step-up (reauthenticate). See accounts.hpp for the rules.

#include <algorithm>

#include "account_internals.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/security/keys.hpp"
#include "vigil/store/database.hpp"

namespace vigil::security {

using store::Connection;
using namespace account_internal;

std::optional<AccountService::Row> AccountService::loadRowByEmail(std::string_view email) {
  auto bidx = keys_.blindIndex().compute("users.email", crypto::BlindIndex::normalizeEmail(email));
  return db_.read([&](Connection& c) -> std::optional<Row> {
    auto st = c.prepare(
        "SELECT u.id, u.role, u.patient_id, u.password_hash, u.status, u.locked_until, "
        "m.confirmed_at, m.totp_secret_enc, m.last_step, u.password_change_required FROM users u "
        "LEFT JOIN user_mfa m ON "
        "m.user_id = u.id WHERE u.email_bidx = ?1");
    st.bind(1, store::Blob(bidx.begin(), bidx.end()));
    if (!st.step()) return std::nullopt;
    Row r;
    r.id = st.getInt64(0);
    r.role = parseRole(st.getText(1)).value_or(Role::patient);
    r.patientId = st.get<std::optional<std::int64_t>>(2);
    r.passwordHash = st.getText(3);
    r.disabled = st.getText(4) == "disabled";
    r.lockedUntilMs = st.get<std::optional<std::int64_t>>(5);
    r.mfaConfirmed = !st.isNull(6);
    r.totpSecretEnc = st.get<std::optional<store::Blob>>(7);
    r.lastStep = st.get<std::optional<std::int64_t>>(8);
    r.passwordChangeRequired = st.getInt64(9) != 0;
    return r;
  });
}

SignInResult AccountService::unknownAccountFailure(std::string_view email,
                                                   std::string_view password) {
  // An address without an account answers exactly as an account would: failed, and locked
  // after the same failures in the same window for the same time (a locked one without the
  // password check, as a locked account). Counted by the address's blind index.
  const auto now = toMillis(clock_.now());
  const auto windowMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(config_.failureWindow).count();
  const auto lockMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(config_.lockoutDuration).count();
  auto d = keys_.blindIndex().compute("users.email", crypto::BlindIndex::normalizeEmail(email));
  const store::Blob bidx(d.begin(), d.end());
  AuditEvent e = systemEvent("signin", "user", "", "unknown_account");
  e.actorRole = "anonymous";
  const bool lockedBefore = db_.read([&](Connection& c) {
    return c
        .queryValue<std::int64_t>(
            "SELECT 1 FROM sign_in_unknown_locks WHERE email_bidx = ?1 AND locked_until > ?2", bidx,
            now)
        .has_value();
  });
  if (lockedBefore) {
    e.outcome = AuditOutcome::denied;
    e.reason = "unknown_account_locked";
    audit_.record(db_, e);
    log::info("signin.refused", {{"reason", "locked"}});
    return {SignInStatus::locked, 0, {}, {}};
  }
  hasher_.verify(password, dummyHash_);  // same cost as a real account
  e.outcome = AuditOutcome::failure;
  const bool locked = db_.writeSync([&](Connection& c) {
    c.execute("INSERT INTO sign_in_unknown_failures (email_bidx, at) VALUES (?1, ?2)", bidx, now);
    c.execute("DELETE FROM sign_in_unknown_failures WHERE at < ?1", now - 86'400'000);
    c.execute("DELETE FROM sign_in_unknown_locks WHERE locked_until < ?1", now);
    const auto failures =
        c.queryValue<std::int64_t>(
             "SELECT count(*) FROM sign_in_unknown_failures WHERE email_bidx = ?1 AND at > ?2",
             bidx, now - windowMs)
            .value_or(0);
    audit_.append(c, e);
    if (failures < config_.maxFailures) return false;
    c.execute(
        "INSERT INTO sign_in_unknown_locks (email_bidx, locked_until) VALUES (?1, ?2) "
        "ON CONFLICT (email_bidx) DO UPDATE SET locked_until = ?2",
        bidx, now + lockMs);
    return true;
  });
  log::info("signin.failed", {{"reason", "unknown_account"}});
  return {locked ? SignInStatus::locked : SignInStatus::failed, 0, {}, {}};
}

SignInResult AccountService::recordFailure(const Row& row, std::string_view reason) {
  auto now = clock_.now();
  auto windowMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(config_.failureWindow).count();
  auto lockMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(config_.lockoutDuration).count();
  std::int64_t failures = 0;
  bool locked = db_.writeSync([&](Connection& c) {
    auto nowMs = toMillis(now);
    c.execute("INSERT INTO sign_in_failures (user_id, at) VALUES (?1, ?2)", row.id, nowMs);
    c.execute("DELETE FROM sign_in_failures WHERE at < ?1", nowMs - 86'400'000);
    failures = c.queryValue<std::int64_t>(
                    "SELECT count(*) FROM sign_in_failures WHERE user_id = ?1 AND at > ?2", row.id,
                    nowMs - windowMs)
                   .value_or(0);
    audit_.append(c, auditEventFor(row.actor(), "signin", "user", std::to_string(row.id),
                                   std::nullopt, AuditOutcome::failure, reason));
    if (failures < config_.maxFailures) return false;
    c.execute("UPDATE users SET locked_until = ?2 WHERE id = ?1", row.id, nowMs + lockMs);
    audit_.append(c, systemEvent("user.lock", "user", std::to_string(row.id),
                                 "failures=" + std::to_string(failures)));
    return true;
  });
  log::info("signin.failed", {{"user_id", row.id}, {"reason", reason}});
  if (locked) log::warn("user.locked", {{"user_id", row.id}, {"failures", failures}});
  return {locked ? SignInStatus::locked : SignInStatus::failed, row.id, {}, {}};
}

SignInResult AccountService::signIn(std::string_view email, std::string_view password,
                                    std::string_view secondFactor, std::string_view newPassword) {
  auto row = loadRowByEmail(email);
  if (!row) return unknownAccountFailure(email, password);
  auto now = clock_.now();
  if (row->lockedUntilMs && *row->lockedUntilMs > toMillis(now)) {
    audit_.record(db_, auditEventFor(row->actor(), "signin", "user", std::to_string(row->id),
                                     std::nullopt, AuditOutcome::denied, "locked"));
    log::info("signin.refused", {{"user_id", row->id}, {"reason", "locked"}});
    return {SignInStatus::locked, row->id, {}, {}};
  }
  PasswordCheck check = hasher_.verify(password, row->passwordHash);
  if (!check.ok) return recordFailure(*row, "bad_password");
  if (row->disabled) {
    audit_.record(db_, auditEventFor(row->actor(), "signin", "user", std::to_string(row->id),
                                     std::nullopt, AuditOutcome::denied, "disabled"));
    log::info("signin.refused", {{"user_id", row->id}, {"reason", "disabled"}});
    return {SignInStatus::failed, row->id, {}, {}};
  }
  std::optional<std::string> upgradedHash;
  if (check.needsRehash) upgradedHash = hasher_.hash(password);

  SecondFactor factor;
  if (row->mfaConfirmed) {
    factor = checkSecondFactor(*row, secondFactor, now);
    if (!factor.failure.empty()) return recordFailure(*row, factor.failure);
    if (factor.kind == SecondFactor::Kind::none)
      return {SignInStatus::mfaRequired, row->id, {}, {}};
  }
  // A one-time password opens no session: first the user chooses their own (judged before
  // the write job: hashing is slow).
  std::optional<std::string> replacedHash;
  if (row->passwordChangeRequired) {
    if (newPassword.empty()) {
      audit_.record(
          db_, auditEventFor(row->actor(), "signin", "user", std::to_string(row->id), std::nullopt,
                             AuditOutcome::denied, "password_change_required"));
      log::info("signin.refused", {{"user_id", row->id}, {"reason", "password_change_required"}});
      return {SignInStatus::passwordChangeRequired, row->id, {}, {}};
    }
    if (newPassword == password)
      throw ValidationError("newPassword: choose a password other than the one-time password");
    NewUser candidate;
    candidate.email = std::string(email);
    candidate.password = std::string(newPassword);
    validateNewPassword(candidate);
    replacedHash = hasher_.hash(newPassword);
    upgradedHash.reset();
  }
  bool enrolmentNeeded = requiresMfa(row->role) && !row->mfaConfirmed;
  SessionStage stage = enrolmentNeeded ? SessionStage::mfaEnrolment : SessionStage::full;

  std::optional<std::string> token =
      db_.writeSync([&](Connection& c) -> std::optional<std::string> {
        if (!consumeSecondFactorIn(c, row->id, factor, now))
          return std::nullopt;  // the same code won a race a moment ago
        if (upgradedHash)
          c.execute("UPDATE users SET password_hash = ?2 WHERE id = ?1", row->id, *upgradedHash);
        if (replacedHash) {
          c.execute(
              "UPDATE users SET password_hash = ?2, password_changed_at = ?3, "
              "password_change_required = 0 WHERE id = ?1",
              row->id, *replacedHash, toMillis(now));
          audit_.append(c, auditEventFor(row->actor(), "user.password_change", "user",
                                         std::to_string(row->id), std::nullopt,
                                         AuditOutcome::success, "one_time_password_replaced"));
        }
        c.execute("DELETE FROM sign_in_failures WHERE user_id = ?1", row->id);
        std::string t = createSessionIn(c, row->id, stage);
        using Kind = SecondFactor::Kind;
        std::string how = factor.kind == Kind::totp       ? "password+totp"
                          : factor.kind == Kind::recovery ? "password+recovery_code"
                          : enrolmentNeeded               ? "password;mfa_enrolment_required"
                                                          : "password";
        if (upgradedHash) how += ";hash_upgraded";
        audit_.append(c, auditEventFor(row->actor(), "signin", "user", std::to_string(row->id),
                                       std::nullopt, AuditOutcome::success, how));
        return t;
      });
  if (!token)
    return recordFailure(
        *row, factor.kind == SecondFactor::Kind::totp ? "totp_replayed" : "bad_recovery_code");
  log::info("signin.ok", {{"user_id", row->id}, {"role", toString(row->role)}});
  SignInResult result;
  result.status = enrolmentNeeded ? SignInStatus::enrolmentRequired : SignInStatus::ok;
  result.userId = row->id;
  result.csrf = csrfTokenFor(*token);
  result.token = std::move(*token);
  return result;
}

void AccountService::changePassword(std::int64_t userId, std::string_view current,
                                    std::string_view next) {
  auto user = findUser(userId);
  if (!user) throw NotFound("user " + std::to_string(userId));
  auto row = loadRowByEmail(user->email);
  if (!row) throw NotFound("user " + std::to_string(userId));
  // A locked account is locked here too: a session must not go on guessing the password
  // through this form once sign-in refuses it (nor unlock it by guessing right).
  if (row->lockedUntilMs && *row->lockedUntilMs > toMillis(clock_.now())) {
    audit_.record(
        db_, auditEventFor(row->actor(), "user.password_change", "user", std::to_string(userId),
                           std::nullopt, AuditOutcome::denied, "locked"));
    throw AccountLocked("the account is locked");
  }
  if (!hasher_.verify(current, row->passwordHash).ok) {
    auto r = recordFailure(*row, "bad_password_on_change");
    if (r.status == SignInStatus::locked) throw AccountLocked("the account is locked");
    throw AuthError("current password is wrong");
  }
  NewUser candidate;
  candidate.email = user->email;
  candidate.password = std::string(next);
  validateNewPassword(candidate);
  std::string hash = hasher_.hash(next);
  db_.writeSync([&](Connection& c) {
    auto now = clock_.now();
    c.execute("UPDATE users SET password_hash = ?2, password_changed_at = ?3 WHERE id = ?1", userId,
              hash, toMillis(now));
    int n = revokeAllIn(c, userId, "password_change", now);
    audit_.append(c, auditEventFor(row->actor(), "user.password_change", "user",
                                   std::to_string(userId), std::nullopt, AuditOutcome::success,
                                   "sessions_revoked=" + std::to_string(n)));
  });
  sessionsChanged();
  log::info("user.password_changed", {{"user_id", userId}});
}

void AccountService::reauthenticate(std::string_view sessionToken, std::string_view password,
                                    std::string_view secondFactor) {
  SessionInfo s = authenticate(sessionToken, Touch::throttled);
  if (s.stage != SessionStage::full) throw AuthError("two-step verification is not set up yet");
  auto user = findUser(s.actor.id);
  std::optional<Row> row;
  if (user) row = loadRowByEmail(user->email);
  if (!row) throw AuthError("session user unknown");
  const auto now = clock_.now();
  const auto sessionId = std::to_string(s.sessionId);
  if (row->lockedUntilMs && *row->lockedUntilMs > toMillis(now)) {
    audit_.record(db_, auditEventFor(row->actor(), "session.reauth", "session", sessionId,
                                     std::nullopt, AuditOutcome::denied, "locked"));
    throw AccountLocked("the account is locked");
  }
  auto fail = [&](std::string_view reason) {
    if (recordFailure(*row, reason).status == SignInStatus::locked)
      throw AccountLocked("the account is locked");
    throw AuthError("the password or code is not right");
  };
  // The code is asked for before the password is judged, so "code required" never tells that
  // a guessed password was right.
  const bool codeGiven =
      std::any_of(secondFactor.begin(), secondFactor.end(), [](char ch) { return ch != ' '; });
  if (row->mfaConfirmed && !codeGiven) throw AuthError("the code is required");
  if (!hasher_.verify(password, row->passwordHash).ok) fail("bad_password_on_reauth");
  SecondFactor factor;
  if (row->mfaConfirmed) {
    factor = checkSecondFactor(*row, secondFactor, now);
    if (!factor.failure.empty()) fail("bad_totp_on_reauth");
  }
  bool done = db_.writeSync([&](Connection& c) {
    if (!consumeSecondFactorIn(c, row->id, factor, now)) return false;
    c.execute("UPDATE sessions SET reauth_at = ?2, last_seen_at = ?2 WHERE id = ?1", s.sessionId,
              toMillis(now));
    c.execute("DELETE FROM sign_in_failures WHERE user_id = ?1", row->id);
    using Kind = SecondFactor::Kind;
    audit_.append(c, auditEventFor(row->actor(), "session.reauth", "session", sessionId,
                                   std::nullopt, AuditOutcome::success,
                                   factor.kind == Kind::totp       ? "password+totp"
                                   : factor.kind == Kind::recovery ? "password+recovery_code"
                                                                   : "password"));
    return true;
  });
  if (!done) fail(factor.kind == SecondFactor::Kind::totp ? "totp_replayed" : "bad_recovery_code");
  sessionsChanged();  // reauth_at moved
  log::info("session.reauth", {{"user_id", row->id}});
}

AccountService::SigningFactors AccountService::checkSigningFactors(std::int64_t userId,
                                                                   std::string_view password,
                                                                   std::string_view totpCode) {
  const bool codeGiven =
      std::any_of(totpCode.begin(), totpCode.end(), [](char ch) { return ch != ' '; });
  if (password.empty() || !codeGiven)
    throw AuthError("the password and a code from the authenticator app are required");
  auto user = findUser(userId);
  std::optional<Row> row;
  if (user) row = loadRowByEmail(user->email);
  if (!row) throw AuthError("signer unknown");
  if (!row->mfaConfirmed) throw AuthError("two-step verification is not set up");
  const auto now = clock_.now();
  if (row->lockedUntilMs && *row->lockedUntilMs > toMillis(now))
    throw AccountLocked("the account is locked");
  auto fail = [&](std::string_view reason) {
    if (recordFailure(*row, reason).status == SignInStatus::locked)
      throw AccountLocked("the account is locked");
    throw AuthError("the password or code is not right");
  };
  if (!hasher_.verify(password, row->passwordHash).ok) fail("bad_password_on_signing");
  SecondFactor factor = checkSecondFactor(*row, totpCode, now);
  if (factor.kind != SecondFactor::Kind::totp || !factor.failure.empty())
    fail("bad_totp_on_signing");
  return SigningFactors{row->id, factor.step};
}

bool AccountService::consumeSigningFactorsIn(Connection& c, const SigningFactors& f) {
  return c.execute(
             "UPDATE user_mfa SET last_step = ?2 WHERE user_id = ?1 AND (last_step IS NULL OR "
             "last_step < ?2)",
             f.userId, static_cast<std::int64_t>(f.totpStep)) == 1;
}

bool AccountService::stepUpCurrent(const SessionInfo& session) const {
  return session.reauthenticatedAt &&
         clock_.now() - *session.reauthenticatedAt < config_.stepUpWindow;
}

}  // namespace vigil::security
