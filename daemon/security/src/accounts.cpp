#include "vigil/security/accounts.hpp"

#include <algorithm>
#include <cctype>

#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/security/keys.hpp"
#include "vigil/store/database.hpp"

namespace vigil::security {
namespace {

using store::Connection;

std::int64_t millis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint fromMillis(std::int64_t ms) {
  return TimePoint{std::chrono::duration_cast<TimePoint::duration>(std::chrono::milliseconds{ms})};
}

store::Blob toBlob(const crypto::Bytes& b) {
  return store::Blob(b.begin(), b.end());
}

crypto::FieldRef userField(const char* column, std::int64_t id) {
  return {"users", column, std::to_string(id)};
}

crypto::FieldRef totpField(std::int64_t userId) {
  return {"user_mfa", "totp_secret", std::to_string(userId)};
}

std::string_view stageName(SessionStage s) {
  return s == SessionStage::full ? "full" : "mfa_enrolment";
}

// For admin operations, which never depend on the care team.
class NoCareTeam final : public CareTeam {
 public:
  bool isAssigned(std::int64_t, std::int64_t) const override { return false; }
};

AuditEvent systemEvent(std::string_view action, std::string_view objectType,
                       std::string_view objectId, std::string_view reason) {
  AuditEvent e;
  e.actorId = 0;
  e.actorRole = "system";
  e.action = std::string(action);
  e.objectType = std::string(objectType);
  e.objectId = std::string(objectId);
  e.outcome = AuditOutcome::success;
  e.reason = std::string(reason);
  return e;
}

int revokeAllIn(Connection& c, std::int64_t userId, std::string_view reason, TimePoint now) {
  return c.execute(
      "UPDATE sessions SET revoked_at = ?2, revoke_reason = ?3 WHERE user_id = ?1 AND revoked_at "
      "IS NULL",
      userId, millis(now), reason);
}

}  // namespace

struct AccountService::Row {
  std::int64_t id = 0;
  Role role = Role::patient;
  std::optional<std::int64_t> patientId;
  std::string passwordHash;
  bool disabled = false;
  std::optional<std::int64_t> lockedUntilMs;
  bool mfaConfirmed = false;
  std::optional<store::Blob> totpSecretEnc;
  std::optional<std::int64_t> lastStep;
  Actor actor() const { return Actor{id, role, patientId}; }
};

std::string_view toString(SignInStatus status) {
  switch (status) {
    case SignInStatus::ok:
      return "ok";
    case SignInStatus::mfaRequired:
      return "mfa_required";
    case SignInStatus::enrolmentRequired:
      return "enrolment_required";
    case SignInStatus::failed:
      return "failed";
    case SignInStatus::locked:
      return "locked";
  }
  return "failed";
}

void AccountConfig::validate() const {
  session.validate();
  if (maxFailures < 1 || maxFailures > 100)
    throw ConfigError("security.lockout.max_failures must be 1..100");
  if (failureWindow < std::chrono::minutes{1})
    throw ConfigError("security.lockout.window_minutes must be >= 1");
  if (lockoutDuration < std::chrono::minutes{1})
    throw ConfigError("security.lockout.duration_minutes must be >= 1");
  if (stepUpWindow < std::chrono::minutes{1} || stepUpWindow > std::chrono::minutes{15})
    throw ConfigError("security.step_up_minutes must be 1..15");
  if (passwordPolicy.minLength < 8 || passwordPolicy.maxLength < 64 ||
      passwordPolicy.minLength > passwordPolicy.maxLength)
    throw ConfigError("security.password.min_length must be 8..max_length (max_length >= 64)");
}

AccountService::AccountService(store::Database& db, Keys& keys, AuditLog& audit, Clock& clock,
                               AccountConfig config)
    : db_(db),
      keys_(keys),
      audit_(audit),
      clock_(clock),
      config_(std::move(config)),
      hasher_(config_.scrypt) {
  config_.validate();
  dummyHash_ = hasher_.hash("vigil-timing-equaliser");
}

// --------------------------------------------------------------------------- administration

void AccountService::requireAllowed(const Actor& admin, std::string_view operationName,
                                    std::optional<std::int64_t> patientId,
                                    std::string_view objectId) {
  const Operation& op = operation(operationName);
  NoCareTeam none;
  AccessDecision d = authorize(admin, op, patientId, none);
  if (d.allowed) return;
  audit_.record(
      db_, AccessGuard::eventFor(admin, op, patientId, {"user", std::string(objectId)}, d, {}));
  log::info("access.denied", {{"action", op.name},
                              {"actor_id", admin.id},
                              {"role", toString(admin.role)},
                              {"reason", d.reason}});
  throw AccessDenied("access denied: " + std::string(op.name) + " (" + std::string(d.reason) + ")");
}

void AccountService::validateNewPassword(const NewUser& user) const {
  PasswordVerdict v = config_.passwordPolicy.check(user.password, {user.email});
  if (v != PasswordVerdict::ok) throw ValidationError("password: " + std::string(toString(v)));
}

std::int64_t AccountService::insertUser(Connection& c, const NewUser& user,
                                        const std::string& hash) {
  auto id = c.queryValue<std::int64_t>("SELECT coalesce(max(id), 0) + 1 FROM users").value_or(1);
  auto& cipher = keys_.cipher();
  auto email = crypto::BlindIndex::normalizeEmail(user.email);
  auto bidx = keys_.blindIndex().compute("users.email", email);
  auto now = millis(clock_.now());
  try {
    c.execute(
        "INSERT INTO users (id, role, email_bidx, email_enc, display_name_enc, patient_id, "
        "password_hash, password_changed_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
        "?8)",
        id, std::string(toString(user.role)), store::Blob(bidx.begin(), bidx.end()),
        toBlob(cipher.encrypt(userField("email", id), email)),
        toBlob(cipher.encrypt(userField("display_name", id), user.displayName)), user.patientId,
        hash, now);
  } catch (const store::SqliteError& e) {
    if (e.isConstraint()) throw ValidationError("email: already in use");
    throw;
  }
  return id;
}

namespace {

void validateNewUser(const NewUser& user) {
  if (user.role == Role::device) throw ValidationError("role: devices are not users");
  if (user.email.size() > 254 || user.email.find('@') == std::string::npos)
    throw ValidationError("email: not an address");
  if (user.displayName.size() > 200) throw ValidationError("display_name: too long");
  if (user.role == Role::patient && !user.patientId)
    throw ValidationError("patient_id: required for patient accounts");
  if (user.role != Role::patient && user.patientId)
    throw ValidationError("patient_id: only for patient accounts");
}

}  // namespace

std::int64_t AccountService::createUser(const Actor& admin, const NewUser& user) {
  requireAllowed(admin, "user.create", std::nullopt, "");
  validateNewUser(user);
  validateNewPassword(user);
  std::string hash = hasher_.hash(user.password);
  std::int64_t id = db_.writeSync([&](Connection& c) {
    std::int64_t newId = insertUser(c, user, hash);
    audit_.append(c, auditEventFor(admin, "user.create", "user", std::to_string(newId),
                                   user.patientId, AuditOutcome::success, toString(user.role)));
    return newId;
  });
  log::info("user.created", {{"user_id", id}, {"role", toString(user.role)}});
  return id;
}

std::int64_t AccountService::bootstrapAdmin(const NewUser& user) {
  if (user.role != Role::admin) throw ValidationError("role: the first account must be an admin");
  validateNewUser(user);
  validateNewPassword(user);
  std::string hash = hasher_.hash(user.password);
  return db_.writeSync([&](Connection& c) {
    if (c.queryValue<std::int64_t>("SELECT count(*) FROM users").value_or(0) > 0)
      throw ValidationError("users: accounts exist already; ask an admin");
    std::int64_t id = insertUser(c, user, hash);
    audit_.append(c,
                  systemEvent("user.bootstrap_admin", "user", std::to_string(id), "first_admin"));
    return id;
  });
}

void AccountService::unlockUser(const Actor& admin, std::int64_t userId) {
  requireAllowed(admin, "user.unlock", std::nullopt, std::to_string(userId));
  db_.writeSync([&](Connection& c) {
    if (c.execute("UPDATE users SET locked_until = NULL WHERE id = ?1", userId) == 0)
      throw NotFound("user " + std::to_string(userId));
    c.execute("DELETE FROM sign_in_failures WHERE user_id = ?1", userId);
    audit_.append(c, auditEventFor(admin, "user.unlock", "user", std::to_string(userId),
                                   std::nullopt, AuditOutcome::success, "admin_unlock"));
  });
  log::info("user.unlocked", {{"user_id", userId}, {"by", admin.id}});
}

void AccountService::disableUser(const Actor& admin, std::int64_t userId) {
  requireAllowed(admin, "user.disable", std::nullopt, std::to_string(userId));
  db_.writeSync([&](Connection& c) {
    if (c.execute("UPDATE users SET status = 'disabled' WHERE id = ?1", userId) == 0)
      throw NotFound("user " + std::to_string(userId));
    int n = revokeAllIn(c, userId, "user_disabled", clock_.now());
    audit_.append(c,
                  auditEventFor(admin, "user.disable", "user", std::to_string(userId), std::nullopt,
                                AuditOutcome::success, "sessions_revoked=" + std::to_string(n)));
  });
}

void AccountService::resetMfa(const Actor& admin, std::int64_t userId) {
  requireAllowed(admin, "user.reset_mfa", std::nullopt, std::to_string(userId));
  db_.writeSync([&](Connection& c) {
    c.execute("DELETE FROM user_mfa WHERE user_id = ?1", userId);
    c.execute("DELETE FROM recovery_codes WHERE user_id = ?1", userId);
    revokeAllIn(c, userId, "mfa_reset", clock_.now());
    audit_.append(c, auditEventFor(admin, "user.reset_mfa", "user", std::to_string(userId),
                                   std::nullopt, AuditOutcome::success, "admin_reset"));
  });
}

void AccountService::revokeUserSessions(const Actor& admin, std::int64_t userId) {
  requireAllowed(admin, "session.revoke_user", std::nullopt, std::to_string(userId));
  db_.writeSync([&](Connection& c) {
    int n = revokeAllIn(c, userId, "admin_revoked", clock_.now());
    audit_.append(
        c, auditEventFor(admin, "session.revoke_user", "user", std::to_string(userId), std::nullopt,
                         AuditOutcome::success, "sessions_revoked=" + std::to_string(n)));
  });
}

void AccountService::assignCareTeam(const Actor& admin, std::int64_t staffUserId,
                                    std::int64_t patientId) {
  requireAllowed(admin, "care_team.assign", patientId, std::to_string(staffUserId));
  db_.writeSync([&](Connection& c) {
    auto role = c.queryValue<std::string>("SELECT role FROM users WHERE id = ?1", staffUserId);
    if (!role) throw NotFound("user " + std::to_string(staffUserId));
    if (*role != "provider" && *role != "nurse")
      throw ValidationError("user: only providers and nurses join care teams");
    SqliteCareTeam::assignIn(c, staffUserId, patientId, admin.id, clock_.now());
    audit_.append(c, auditEventFor(admin, "care_team.assign", "user", std::to_string(staffUserId),
                                   patientId, AuditOutcome::success, *role));
  });
}

std::optional<User> AccountService::findUser(std::int64_t id) {
  return db_.read([&](Connection& c) -> std::optional<User> {
    auto st = c.prepare(
        "SELECT u.id, u.role, u.email_enc, u.display_name_enc, u.patient_id, u.status, "
        "u.locked_until, m.confirmed_at FROM users u LEFT JOIN user_mfa m ON m.user_id = u.id "
        "WHERE u.id = ?1");
    st.bind(1, id);
    if (!st.step()) return std::nullopt;
    User u;
    u.id = st.getInt64(0);
    u.role = parseRole(st.getText(1)).value_or(Role::patient);
    u.email = keys_.cipher().decryptText(userField("email", u.id), st.getBlob(2));
    if (!st.isNull(3))
      u.displayName = keys_.cipher().decryptText(userField("display_name", u.id), st.getBlob(3));
    u.patientId = st.get<std::optional<std::int64_t>>(4);
    u.disabled = st.getText(5) == "disabled";
    if (auto lu = st.get<std::optional<std::int64_t>>(6)) u.lockedUntil = fromMillis(*lu);
    u.mfaEnrolled = !st.isNull(7);
    return u;
  });
}

std::vector<User> AccountService::activeClinicians() {
  auto ids = db_.read([](Connection& c) {
    std::vector<std::int64_t> out;
    auto st = c.prepare(
        "SELECT id FROM users WHERE role IN ('provider', 'nurse') AND status <> 'disabled' "
        "ORDER BY id");
    while (st.step()) out.push_back(st.getInt64(0));
    return out;
  });
  std::vector<User> out;
  for (auto id : ids)
    if (auto u = findUser(id)) out.push_back(std::move(*u));
  return out;
}

std::optional<User> AccountService::findUserByEmail(std::string_view email) {
  auto bidx = keys_.blindIndex().compute("users.email", crypto::BlindIndex::normalizeEmail(email));
  auto id = db_.read([&](Connection& c) {
    return c.queryValue<std::int64_t>("SELECT id FROM users WHERE email_bidx = ?1",
                                      store::Blob(bidx.begin(), bidx.end()));
  });
  if (!id) return std::nullopt;
  return findUser(*id);
}

// --------------------------------------------------------------------------- sign-in

std::optional<AccountService::Row> AccountService::loadRowByEmail(std::string_view email) {
  auto bidx = keys_.blindIndex().compute("users.email", crypto::BlindIndex::normalizeEmail(email));
  return db_.read([&](Connection& c) -> std::optional<Row> {
    auto st = c.prepare(
        "SELECT u.id, u.role, u.patient_id, u.password_hash, u.status, u.locked_until, "
        "m.confirmed_at, m.totp_secret_enc, m.last_step FROM users u LEFT JOIN user_mfa m ON "
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
    return r;
  });
}

SignInResult AccountService::unknownAccountFailure(std::string_view email,
                                                   std::string_view password) {
  // An address without an account answers exactly as an account would: failed, and locked
  // after the same failures in the same window for the same time (a locked one without the
  // password check, as a locked account). Counted by the address's blind index.
  const auto now = millis(clock_.now());
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
    auto nowMs = millis(now);
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

std::string AccountService::createSessionIn(Connection& c, std::int64_t userId,
                                            SessionStage stage) {
  std::string token = newSessionToken();
  auto hash = hashSessionToken(token);
  auto now = millis(clock_.now());
  // A full sign-in is a proof of identity for step-up; an enrolment session proves it when the
  // first code is confirmed.
  c.execute(
      "INSERT INTO sessions (token_hash, user_id, stage, created_at, last_seen_at, reauth_at) "
      "VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
      store::Blob(hash.begin(), hash.end()), userId, stageName(stage), now,
      stage == SessionStage::full ? std::optional<std::int64_t>(now) : std::nullopt);
  return token;
}

struct AccountService::SecondFactor {
  enum class Kind { none, totp, recovery } kind = Kind::none;
  std::uint64_t step = 0;
  std::string recoveryHash;
  std::string_view failure;  // non-empty: the code is wrong (the audit reason)
};

AccountService::SecondFactor AccountService::checkSecondFactor(const Row& row,
                                                               std::string_view given,
                                                               TimePoint now) {
  SecondFactor f;
  std::string code;
  for (char ch : given)
    if (ch != ' ') code.push_back(ch);
  if (code.empty() || !row.totpSecretEnc) return f;
  bool numeric = std::all_of(code.begin(), code.end(),
                             [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); });
  if (!numeric) {
    f.kind = SecondFactor::Kind::recovery;
    f.recoveryHash = RecoveryCodes::hash(code);
    return f;
  }
  crypto::Bytes secret = keys_.cipher().decrypt(totpField(row.id), *row.totpSecretEnc);
  auto matched = verifyTotp(
      secret, code, now,
      row.lastStep ? std::optional<std::uint64_t>(static_cast<std::uint64_t>(*row.lastStep))
                   : std::nullopt);
  crypto::secureWipe(secret.data(), secret.size());
  if (!matched) {
    f.failure = "bad_totp";
    return f;
  }
  f.kind = SecondFactor::Kind::totp;
  f.step = *matched;
  return f;
}

bool AccountService::consumeSecondFactorIn(Connection& c, std::int64_t userId,
                                           const SecondFactor& f, TimePoint now) {
  if (f.kind == SecondFactor::Kind::totp)
    return c.execute(
               "UPDATE user_mfa SET last_step = ?2 WHERE user_id = ?1 AND (last_step IS NULL OR "
               "last_step < ?2)",
               userId, static_cast<std::int64_t>(f.step)) == 1;
  if (f.kind == SecondFactor::Kind::recovery)
    return c.execute(
               "UPDATE recovery_codes SET used_at = ?3 WHERE user_id = ?1 AND code_hash = ?2 AND "
               "used_at IS NULL",
               userId, f.recoveryHash, millis(now)) == 1;
  return true;
}

SignInResult AccountService::signIn(std::string_view email, std::string_view password,
                                    std::string_view secondFactor) {
  auto row = loadRowByEmail(email);
  if (!row) return unknownAccountFailure(email, password);
  auto now = clock_.now();
  if (row->lockedUntilMs && *row->lockedUntilMs > millis(now)) {
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
  bool enrolmentNeeded = requiresMfa(row->role) && !row->mfaConfirmed;
  SessionStage stage = enrolmentNeeded ? SessionStage::mfaEnrolment : SessionStage::full;

  std::optional<std::string> token =
      db_.writeSync([&](Connection& c) -> std::optional<std::string> {
        if (!consumeSecondFactorIn(c, row->id, factor, now))
          return std::nullopt;  // the same code won a race a moment ago
        if (upgradedHash)
          c.execute("UPDATE users SET password_hash = ?2 WHERE id = ?1", row->id, *upgradedHash);
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
  if (row->lockedUntilMs && *row->lockedUntilMs > millis(clock_.now())) {
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
              hash, millis(now));
    int n = revokeAllIn(c, userId, "password_change", now);
    audit_.append(c, auditEventFor(row->actor(), "user.password_change", "user",
                                   std::to_string(userId), std::nullopt, AuditOutcome::success,
                                   "sessions_revoked=" + std::to_string(n)));
  });
  log::info("user.password_changed", {{"user_id", userId}});
}

// --------------------------------------------------------------------------- TOTP enrolment

TotpEnrolment AccountService::beginTotpEnrolment(std::string_view sessionToken) {
  SessionInfo s = authenticate(sessionToken);
  auto user = findUser(s.actor.id);
  if (!user) throw AuthError("session user unknown");
  if (user->mfaEnrolled) throw AuthError("second factor already enrolled; an admin can reset it");
  crypto::Bytes secret = newTotpSecret();
  auto enc = keys_.cipher().encrypt(totpField(user->id), secret);
  db_.writeSync([&](Connection& c) {
    c.execute(
        "INSERT INTO user_mfa (user_id, totp_secret_enc, created_at) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (user_id) DO UPDATE SET totp_secret_enc = excluded.totp_secret_enc, "
        "created_at = excluded.created_at, last_step = NULL WHERE confirmed_at IS NULL",
        user->id, toBlob(enc), millis(clock_.now()));
    audit_.append(c, auditEventFor(s.actor, "mfa.enrol_start", "user", std::to_string(user->id),
                                   std::nullopt, AuditOutcome::success, "totp"));
  });
  TotpEnrolment out;
  out.secretBase32 = base32Encode(secret);
  out.uri = otpauthUri(config_.totpIssuer, user->email, secret);
  crypto::secureWipe(secret.data(), secret.size());
  return out;
}

std::vector<std::string> AccountService::confirmTotpEnrolment(std::string_view sessionToken,
                                                              std::string_view code) {
  SessionInfo s = authenticate(sessionToken);
  auto pending = db_.read([&](Connection& c) {
    return c.queryValue<store::Blob>(
        "SELECT totp_secret_enc FROM user_mfa WHERE user_id = ?1 AND confirmed_at IS NULL",
        s.actor.id);
  });
  if (!pending) throw AuthError("no enrolment in progress");
  crypto::Bytes secret = keys_.cipher().decrypt(totpField(s.actor.id), *pending);
  auto step = verifyTotp(secret, code, clock_.now(), std::nullopt);
  crypto::secureWipe(secret.data(), secret.size());
  if (!step) {
    audit_.record(db_,
                  auditEventFor(s.actor, "mfa.enrol_confirm", "user", std::to_string(s.actor.id),
                                std::nullopt, AuditOutcome::failure, "bad_totp"));
    throw AuthError("code does not match");
  }
  RecoveryCodes codes = RecoveryCodes::generate();
  db_.writeSync([&](Connection& c) {
    auto now = millis(clock_.now());
    if (c.execute("UPDATE user_mfa SET confirmed_at = ?2, last_step = ?3 WHERE user_id = ?1 AND "
                  "confirmed_at IS NULL",
                  s.actor.id, now, static_cast<std::int64_t>(*step)) != 1)
      throw AuthError("no enrolment in progress");
    c.execute("DELETE FROM recovery_codes WHERE user_id = ?1", s.actor.id);
    for (const auto& h : codes.hashes)
      c.execute("INSERT INTO recovery_codes (user_id, code_hash) VALUES (?1, ?2)", s.actor.id, h);
    c.execute("UPDATE sessions SET stage = 'full', reauth_at = ?2 WHERE id = ?1", s.sessionId, now);
    audit_.append(c, auditEventFor(s.actor, "mfa.enrol_confirm", "user", std::to_string(s.actor.id),
                                   std::nullopt, AuditOutcome::success, "totp+recovery_codes"));
  });
  log::info("mfa.enrolled", {{"user_id", s.actor.id}});
  return codes.codes;
}

// --------------------------------------------------------------------------- sessions

SessionInfo AccountService::authenticate(std::string_view sessionToken, Touch touch) {
  auto hash = hashSessionToken(sessionToken);  // AuthError when malformed
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
                    millis(now));
          out.info.lastSeen = fromMillis(millis(now));
        }
      } else if (!out.alreadyRevoked) {
        c.execute("UPDATE sessions SET revoked_at = ?2, revoke_reason = ?3 WHERE id = ?1",
                  out.info.sessionId, millis(now), toString(out.state));
        audit_.append(c, auditEventFor(out.info.actor, "session.end", "session",
                                       std::to_string(out.info.sessionId), std::nullopt,
                                       AuditOutcome::success, toString(out.state)));
      }
      return out;
    });
  }
  if (!f.found) throw AuthError("session unknown");
  if (f.state != SessionState::active) throw AuthError("session " + std::string(toString(f.state)));
  return f.info;
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
  if (row->lockedUntilMs && *row->lockedUntilMs > millis(now)) {
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
              millis(now));
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
  log::info("session.reauth", {{"user_id", row->id}});
}

bool AccountService::stepUpCurrent(const SessionInfo& session) const {
  return session.reauthenticatedAt &&
         clock_.now() - *session.reauthenticatedAt < config_.stepUpWindow;
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
              sessionId, millis(clock_.now()));
    audit_.append(c, auditEventFor(actor, "signout", "session", std::to_string(sessionId),
                                   std::nullopt, AuditOutcome::success, "sign_out"));
  });
}

bool AccountService::endOwnSession(const Actor& actor, std::int64_t sessionId) {
  return db_.writeSync([&](Connection& c) {
    int n = c.execute(
        "UPDATE sessions SET revoked_at = ?3, revoke_reason = 'ended_by_user' WHERE id = ?1 AND "
        "user_id = ?2 AND revoked_at IS NULL",
        sessionId, actor.id, millis(clock_.now()));
    audit_.append(c,
                  auditEventFor(actor, "session.end_own", "session", std::to_string(sessionId),
                                std::nullopt, n == 1 ? AuditOutcome::success : AuditOutcome::denied,
                                n == 1 ? "ended_by_user" : "not_own_or_ended"));
    return n == 1;
  });
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
