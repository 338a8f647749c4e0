#pragma once
// Users, sign-in, second factor and sessions (tables of migration 0003).
//
// Sign-in: the e-mail is found through its blind index; the scrypt check runs on the caller's
// thread (never on the store's single writer, it takes ~0.1 s); the outcome (failure counted,
// lock-out, session created, code consumed, hash upgraded) is then written in one write job
// together with its audit entry. Unknown accounts cost the same scrypt work and give the same
// answer as a wrong password. TOTP replay is refused atomically in that job (last_step only
// moves forward), as is a second use of a recovery code.
//
// Lock-out: `maxFailures` failed attempts (password or second factor) within `failureWindow`
// lock the account for `lockoutDuration` or until an admin unlocks it; both are audited.
//
// Providers, nurses and admins must use TOTP. Until they have enrolled, a correct password
// gives a session in stage `mfaEnrolment`, good only for enrolling (the web layer lets such a
// session reach nothing else); confirming the first code upgrades it to `full` and returns ten
// recovery codes, shown once and stored hashed.
//
// Sessions: see session_token.hpp. authenticate() is called on every request: it refuses
// unknown, revoked or expired sessions (marking expired ones revoked and audited) and, for a
// person's action, moves last_seen (automatic logoff, HIPAA 164.312(a)(2)(iii): reads a page
// makes on its own, polling and reloading, pass Touch::none and keep an unattended screen from
// staying signed in). It looks the session up on a reader connection and writes only when it must:
// to end an expired session, or to move last_seen when the stored one is older than
// SessionPolicy::touchInterval (Touch::always moves it regardless: "stay signed in"). Password
// change and admin revocation end every session of the user.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/core/error.hpp"
#include "vigil/security/access.hpp"
#include "vigil/security/password.hpp"
#include "vigil/security/password_policy.hpp"
#include "vigil/security/session_token.hpp"
#include "vigil/security/totp.hpp"

namespace vigil::store {
class Connection;
class Database;
}  // namespace vigil::store

namespace vigil::crypto {
class FieldCipher;
}  // namespace vigil::crypto

namespace vigil::security {

/// The account is locked (too many failed attempts): answered as such (HTTP 423), whatever the
/// password given.
class AccountLocked : public AuthError {
 public:
  using AuthError::AuthError;
};

/// The session was valid but has ended by itself (idle too long, or past its absolute lifetime):
/// the portal says "signed out after a period of inactivity" rather than "sign in".
class SessionExpired : public AuthError {
 public:
  using AuthError::AuthError;
};

class AuditLog;
class Keys;
template <class Key, class Value>
class DecisionCache;

/// Settings of accounts and sessions (config keys security.*).
struct AccountConfig {
  ScryptParams scrypt;
  PasswordPolicy passwordPolicy;
  SessionPolicy session;
  int maxFailures = 5;                       // security.lockout.max_failures
  std::chrono::minutes failureWindow{15};    // security.lockout.window_minutes
  std::chrono::minutes lockoutDuration{30};  // security.lockout.duration_minutes
  /// How recent the last proof of identity must be for an Operation with stepUp (1..15).
  std::chrono::minutes stepUpWindow{5};  // security.step_up_minutes
  std::string totpIssuer = "Vigil";
  /// How long authenticate() and careTeamOf() may answer from what they read before (0..5 s; 0
  /// reads every time). Changes made through this service take effect at once; others (another
  /// process, a row edited by hand) within this bound. security.decision_cache_ms.
  std::chrono::milliseconds decisionCacheTtl{2000};
  /// Throws vigil::ConfigError naming the key.
  void validate() const;
};

/// A new account.
struct NewUser {
  Role role = Role::patient;
  std::string email;
  std::string displayName;
  std::optional<std::int64_t> patientId;  // required for patients
  std::string password;
  /// A one-time password (`vigild setup`'s first admin): the first sign-in must replace it.
  bool passwordChangeRequired = false;
};

/// An account with its contact details decrypted (in memory only).
struct User {
  std::int64_t id = 0;
  Role role = Role::patient;
  std::string email;        // PHI for patients
  std::string displayName;  // PHI for patients
  std::optional<std::int64_t> patientId;
  bool disabled = false;
  std::optional<TimePoint> lockedUntil;
  bool mfaEnrolled = false;
};

/// One page of accounts (listUsers()).
struct UserPage {
  std::vector<User> users;
  std::int64_t total = 0;  // accounts matching the filter, over every page
};

enum class SignInStatus {
  ok,                      // full session
  mfaRequired,             // password right, send it again with the TOTP or a recovery code
  enrolmentRequired,       // password right, session may only enrol TOTP
  passwordChangeRequired,  // one-time password right: send it again with a new password
  failed,                  // wrong e-mail, password or code, or disabled (one answer for all)
  locked,                  // too many failures; try later or ask an admin
};
std::string_view toString(SignInStatus status);

/// The result of signIn(); token and csrf are set for ok and enrolmentRequired.
struct SignInResult {
  SignInStatus status = SignInStatus::failed;
  std::int64_t userId = 0;
  std::string token;  // the session token: set it as a __Host- cookie, never log it
  std::string csrf;   // send with every state-changing request
};

/// What enrolment shows the user once.
struct TotpEnrolment {
  std::string secretBase32;
  std::string uri;  // otpauth://...
};

enum class SessionStage { full, mfaEnrolment };

/// A valid session, as authenticate() returns it.
struct SessionInfo {
  std::int64_t sessionId = 0;
  Actor actor;
  SessionStage stage = SessionStage::full;
  TimePoint created;
  TimePoint lastSeen;
  /// When the user last proved who they are in this session (sign-in with every factor they
  /// have, or reauthenticate()); empty for a session that has not (MFA enrolment).
  std::optional<TimePoint> reauthenticatedAt;
};

/// Users, sign-in, TOTP, recovery codes and sessions.
class AccountService {
 public:
  AccountService(store::Database& db, Keys& keys, AuditLog& audit, Clock& clock,
                 AccountConfig config = {});
  ~AccountService();
  AccountService(const AccountService&) = delete;
  AccountService& operator=(const AccountService&) = delete;

  // --- administration (authorised and audited) ---
  /// Creates an account; throws AccessDenied, ValidationError (policy verdict, e-mail taken).
  std::int64_t createUser(const Actor& admin, const NewUser& user);
  /// A patient's own account from an invitation (issue 21), in two steps because hashing is
  /// slow: prepareSelfRegistration() checks the account (a patient linked to a patient record)
  /// and the password policy (the same as staff) and hashes, outside any write job; then
  /// insertPreparedUserIn() adds it inside the caller's write job, where the caller has proved
  /// the invitation and audits the result. Throws ValidationError (policy verdict, e-mail taken).
  struct PreparedUser {
    NewUser user;  // password cleared
    std::string hash;
  };
  PreparedUser prepareSelfRegistration(const NewUser& user) const;
  std::int64_t insertPreparedUserIn(store::Connection& c, const PreparedUser& prepared);
  /// The account (user id) linked to a patient record, if any (read on `c`; not audited: ids).
  static std::optional<std::int64_t> patientAccountIn(store::Connection& c, std::int64_t patientId);
  /// First admin at installation (no actor yet): fails once any user exists.
  std::int64_t bootstrapAdmin(const NewUser& user);
  void unlockUser(const Actor& admin, std::int64_t userId);
  void disableUser(const Actor& admin, std::int64_t userId);
  void resetMfa(const Actor& admin, std::int64_t userId);
  /// Ends every session of the user.
  void revokeUserSessions(const Actor& admin, std::int64_t userId);
  /// Puts a provider or nurse on a patient's care team.
  void assignCareTeam(const Actor& admin, std::int64_t staffUserId, std::int64_t patientId);
  /// Takes a staff user off a patient's care team, audited (care_team.remove) in the same
  /// transaction; false (nothing audited) when they were not on it.
  bool removeCareTeam(const Actor& admin, std::int64_t staffUserId, std::int64_t patientId);

  /// The patients a staff user is on the care team of, by id (what lists such as the alert
  /// queue are filtered by); answered from a read at most AccountConfig::decisionCacheTtl old
  /// (a care-team change through this process shows at once).
  std::vector<std::int64_t> careTeamOf(std::int64_t staffUserId);
  std::optional<User> findUser(std::int64_t id);
  /// findUser on `c` (inside another service's read or write job).
  static std::optional<User> findUserIn(store::Connection& c, const crypto::FieldCipher& cipher,
                                        std::int64_t id);
  std::optional<User> findUserByEmail(std::string_view email);
  /// The accounts with `role` (every account when nullopt), by id: at most `limit` of them
  /// after the first `offset`, with the number of all that match. One read snapshot.
  UserPage listUsers(std::optional<Role> role, std::int64_t offset, std::int64_t limit);
  /// Active (not disabled) providers and nurses, by id: who alerts can be routed to.
  std::vector<User> activeClinicians();

  // --- the user's own actions ---
  /// An account whose password must change (a one-time password) answers
  /// passwordChangeRequired to the right password (and second factor) until `newPassword` is
  /// sent with them: it must pass the policy and differ from the old one (ValidationError),
  /// replaces the password (audited user.password_change) and sign-in goes on as usual.
  SignInResult signIn(std::string_view email, std::string_view password,
                      std::string_view secondFactor = {}, std::string_view newPassword = {});
  /// Needs the current password; ends every session of the user. Throws AuthError (wrong
  /// current password) or ValidationError (policy verdict).
  void changePassword(std::int64_t userId, std::string_view current, std::string_view next);
  /// Starts (or restarts, while unconfirmed) TOTP enrolment for the session's user.
  TotpEnrolment beginTotpEnrolment(std::string_view sessionToken);
  /// Confirms with a first code; upgrades the session to full; returns the recovery codes.
  /// Throws AuthError for a wrong code.
  std::vector<std::string> confirmTotpEnrolment(std::string_view sessionToken,
                                                std::string_view code);

  /// Step-up: the session's user proves who they are again (password, and the TOTP or a
  /// recovery code when they have a second factor) before a sensitive action. Wrong answers
  /// count towards the lock-out like sign-in's. Throws AccountLocked, AuthError (a wrong
  /// password or code, or no session). Audited (session.reauth).
  void reauthenticate(std::string_view sessionToken, std::string_view password,
                      std::string_view secondFactor);
  /// Whether the session's last proof of identity lies within AccountConfig::stepUpWindow.
  bool stepUpCurrent(const SessionInfo& session) const;

  /// Two factors proved at the moment of signing (EPCS, 21 CFR 1311.140(a)): the password and a
  /// TOTP code, typed for this signature (never a session's earlier proof, never a recovery
  /// code: 1311 wants the hard token, "something you have"). checkSigningFactors() judges both
  /// (slow: scrypt) outside any write job; consumeSigningFactorsIn() then uses the TOTP step up
  /// inside the caller's signing transaction, so a code signs at most once. Wrong answers count
  /// towards the lock-out like sign-in's. Throws AccountLocked, AuthError ("the password and a
  /// code from the authenticator app are required", "the password or code is not right",
  /// "two-step verification is not set up").
  struct SigningFactors {
    std::int64_t userId = 0;
    std::uint64_t totpStep = 0;
  };
  SigningFactors checkSigningFactors(std::int64_t userId, std::string_view password,
                                     std::string_view totpCode);
  /// False when the step was used already (a replay, or a race with another use of the code).
  static bool consumeSigningFactorsIn(store::Connection& c, const SigningFactors& factors);

  // --- sessions ---
  /// Whether authenticate() moves last_seen: never (a background read), at most once per
  /// touchInterval (a person's action) or on every call ("stay signed in").
  enum class Touch { none, throttled, always };
  /// The valid session for a token; moves last_seen (see Touch and the file comment). Throws
  /// AuthError otherwise. info.lastSeen is what the idle timeout counts from.
  SessionInfo authenticate(std::string_view sessionToken, Touch touch = Touch::throttled);
  void signOut(std::string_view sessionToken);
  /// Ends one of the actor's own sessions (the "your other sessions" list); false when the
  /// session is not the actor's or already ended. Audited.
  bool endOwnSession(const Actor& actor, std::int64_t sessionId);
  /// Active sessions of a user (ids and times only).
  std::vector<SessionInfo> listSessions(std::int64_t userId);
  /// The CSRF token of a session; check with checkCsrf() from session_token.hpp.
  static std::string csrfToken(std::string_view sessionToken) { return csrfTokenFor(sessionToken); }

  const AccountConfig& config() const { return config_; }

 private:
  struct Row;
  std::optional<Row> loadRowByEmail(std::string_view email);
  void requireAllowed(const Actor& admin, std::string_view operationName,
                      std::optional<std::int64_t> patientId, std::string_view objectId);
  std::int64_t insertUser(store::Connection& c, const NewUser& user, const std::string& hash);
  SignInResult recordFailure(const Row& row, std::string_view reason);
  SignInResult unknownAccountFailure(std::string_view email, std::string_view password);
  std::string createSessionIn(store::Connection& c, std::int64_t userId, SessionStage stage);
  struct SecondFactor;
  /// Checks a TOTP or recovery code against the user's second factor (not yet used up).
  SecondFactor checkSecondFactor(const Row& row, std::string_view code, TimePoint now);
  /// Uses the factor up (the TOTP step moves on, the recovery code is spent); false when the
  /// same code was used a moment ago (a race or a replay).
  bool consumeSecondFactorIn(store::Connection& c, std::int64_t userId, const SecondFactor& f,
                             TimePoint now);
  void validateNewPassword(const NewUser& user) const;
  /// After a committed change to sessions or accounts: authenticate() reads the store again.
  void sessionsChanged();

  store::Database& db_;
  Keys& keys_;
  AuditLog& audit_;
  Clock& clock_;
  AccountConfig config_;
  PasswordHasher hasher_;
  std::string dummyHash_;  // verified for unknown accounts so timing does not tell
  /// Active sessions by token hash, as last read (decision_cache.hpp).
  std::unique_ptr<DecisionCache<std::string, SessionInfo>> sessions_;
  struct CareTeamEntry;
  std::unique_ptr<DecisionCache<std::int64_t, CareTeamEntry>> careTeams_;
};

}  // namespace vigil::security
