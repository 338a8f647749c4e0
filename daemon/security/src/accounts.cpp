// AccountService: administration (users, locks, second-factor reset, sessions, care teams)
// and the look-ups of users.

#include "vigil/security/accounts.hpp"

#include "account_internals.hpp"
#include "decision_cache.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/security/keys.hpp"
#include "vigil/store/database.hpp"

namespace vigil::security {

using store::Connection;
using namespace account_internal;

namespace {

// For admin operations, which never depend on the care team.
class NoCareTeam final : public CareTeam {
 public:
  bool isAssigned(std::int64_t, std::int64_t) const override { return false; }
};

// The columns readUser() reads; add the WHERE clause.
constexpr std::string_view kSelectUser =
    "SELECT u.id, u.role, u.email_enc, u.display_name_enc, u.patient_id, u.status, "
    "u.locked_until, m.confirmed_at FROM users u LEFT JOIN user_mfa m ON m.user_id = u.id";

// The current row of a kSelectUser statement, contact details decrypted.
User readUser(const store::Statement& st, const crypto::FieldCipher& cipher) {
  User u;
  u.id = st.getInt64(0);
  u.role = parseRole(st.getText(1)).value_or(Role::patient);
  u.email = cipher.decryptText(userField("email", u.id), st.getBlob(2));
  if (!st.isNull(3))
    u.displayName = cipher.decryptText(userField("display_name", u.id), st.getBlob(3));
  u.patientId = st.get<std::optional<std::int64_t>>(4);
  u.disabled = st.getText(5) == "disabled";
  if (auto lu = st.get<std::optional<std::int64_t>>(6)) u.lockedUntil = fromMillis(*lu);
  u.mfaEnrolled = !st.isNull(7);
  return u;
}

}  // namespace

std::string_view toString(SignInStatus status) {
  switch (status) {
    case SignInStatus::ok:
      return "ok";
    case SignInStatus::mfaRequired:
      return "mfa_required";
    case SignInStatus::enrolmentRequired:
      return "enrolment_required";
    case SignInStatus::passwordChangeRequired:
      return "password_change_required";
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
  if (decisionCacheTtl < std::chrono::milliseconds{0} ||
      decisionCacheTtl > std::chrono::milliseconds{5000})
    throw ConfigError("security.decision_cache_ms must be 0..5000");
}

/// A staff user's care team as read, with SqliteCareTeam::changeCount() at the time.
struct AccountService::CareTeamEntry {
  std::vector<std::int64_t> patients;
  std::uint64_t changes = 0;
};

namespace {
// Far more than a box's signed-in users and staff; beyond it a cache starts afresh.
constexpr std::size_t kMaxCachedDecisions = 10'000;
}  // namespace

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
  sessions_ = std::make_unique<DecisionCache<std::string, SessionInfo>>(config_.decisionCacheTtl,
                                                                        kMaxCachedDecisions);
  careTeams_ = std::make_unique<DecisionCache<std::int64_t, CareTeamEntry>>(
      config_.decisionCacheTtl, kMaxCachedDecisions);
}

AccountService::~AccountService() = default;

void AccountService::sessionsChanged() {
  sessions_->invalidate();
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
  auto now = toMillis(clock_.now());
  try {
    c.execute(
        "INSERT INTO users (id, role, email_bidx, email_enc, display_name_enc, patient_id, "
        "password_hash, password_changed_at, created_at, password_change_required) VALUES (?1, "
        "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)",
        id, std::string(toString(user.role)), store::Blob(bidx.begin(), bidx.end()),
        toBlob(cipher.encrypt(userField("email", id), email)),
        toBlob(cipher.encrypt(userField("display_name", id), user.displayName)), user.patientId,
        hash, now, user.passwordChangeRequired ? 1 : 0);
  } catch (const store::DbError& e) {
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

AccountService::PreparedUser AccountService::prepareSelfRegistration(const NewUser& user) const {
  if (user.role != Role::patient || !user.patientId)
    throw ValidationError("role: self-registration makes a patient's own account");
  validateNewUser(user);
  validateNewPassword(user);
  PreparedUser prepared{user, hasher_.hash(user.password)};
  prepared.user.password.clear();
  return prepared;
}

std::int64_t AccountService::insertPreparedUserIn(Connection& c, const PreparedUser& prepared) {
  return insertUser(c, prepared.user, prepared.hash);
}

std::optional<std::int64_t> AccountService::patientAccountIn(Connection& c,
                                                             std::int64_t patientId) {
  return c.queryValue<std::int64_t>(
      "SELECT id FROM users WHERE patient_id = ?1 AND role = 'patient' ORDER BY id LIMIT 1",
      patientId);
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
  sessionsChanged();
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
  sessionsChanged();
}

void AccountService::revokeUserSessions(const Actor& admin, std::int64_t userId) {
  requireAllowed(admin, "session.revoke_user", std::nullopt, std::to_string(userId));
  db_.writeSync([&](Connection& c) {
    int n = revokeAllIn(c, userId, "admin_revoked", clock_.now());
    audit_.append(
        c, auditEventFor(admin, "session.revoke_user", "user", std::to_string(userId), std::nullopt,
                         AuditOutcome::success, "sessions_revoked=" + std::to_string(n)));
  });
  sessionsChanged();
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
  careTeams_->invalidate();
}

bool AccountService::removeCareTeam(const Actor& admin, std::int64_t staffUserId,
                                    std::int64_t patientId) {
  requireAllowed(admin, "care_team.assign", patientId, std::to_string(staffUserId));
  const bool removed = db_.writeSync([&](Connection& c) {
    if (!SqliteCareTeam::removeIn(c, staffUserId, patientId)) return false;
    audit_.append(c, auditEventFor(admin, "care_team.remove", "user", std::to_string(staffUserId),
                                   patientId, AuditOutcome::success, ""));
    return true;
  });
  careTeams_->invalidate();
  return removed;
}

std::vector<std::int64_t> AccountService::careTeamOf(std::int64_t staffUserId) {
  const auto now = clock_.now();
  const auto changes = SqliteCareTeam::changeCount();
  if (auto hit = careTeams_->find(staffUserId, now); hit && hit->changes == changes)
    return std::move(hit->patients);
  const auto generation = careTeams_->generation();
  auto patients =
      db_.read([&](Connection& c) { return SqliteCareTeam::patientsOfIn(c, staffUserId); });
  careTeams_->put(staffUserId, {patients, changes}, now, generation);
  return patients;
}

std::optional<User> AccountService::findUser(std::int64_t id) {
  return db_.read([&](Connection& c) { return findUserIn(c, keys_.cipher(), id); });
}

std::optional<User> AccountService::findUserIn(Connection& c, const crypto::FieldCipher& cipher,
                                               std::int64_t id) {
  auto st = c.prepare(std::string(kSelectUser) + " WHERE u.id = ?1");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return readUser(st, cipher);
}

UserPage AccountService::listUsers(std::optional<Role> role, std::int64_t offset,
                                   std::int64_t limit) {
  const std::string roleName = role ? std::string(toString(*role)) : std::string();
  return db_.read([&](Connection& c) {
    UserPage page;
    page.total = c.queryValue<std::int64_t>(
                      "SELECT count(*) FROM users WHERE (?1 = '' OR role = ?1)", roleName)
                     .value_or(0);
    auto st = c.prepare(std::string(kSelectUser) +
                        " WHERE (?1 = '' OR u.role = ?1) ORDER BY u.id LIMIT ?2 OFFSET ?3");
    st.bindAll(roleName, limit, offset);
    while (st.step()) page.users.push_back(readUser(st, keys_.cipher()));
    return page;
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

}  // namespace vigil::security
