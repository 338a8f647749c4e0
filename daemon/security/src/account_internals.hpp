#pragma once
// What the parts of AccountService share (accounts.cpp: administration and look-ups,
// account_sign_in.cpp: sign-in, lock-out, password change and step-up, account_mfa.cpp: the
// second factor and its enrolment, account_sessions.cpp: sessions): the stored forms of times
// and fields, and the account row sign-in reads. Private to vigil::security.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "vigil/core/time.hpp"
#include "vigil/crypto/field_cipher.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/audit_entry.hpp"
#include "vigil/store/database.hpp"

namespace vigil::security {
namespace account_internal {

using core::fromMillis;
using core::toMillis;

inline store::Blob toBlob(const crypto::Bytes& b) {
  return store::Blob(b.begin(), b.end());
}

inline crypto::FieldRef userField(const char* column, std::int64_t id) {
  return {"users", column, std::to_string(id)};
}

inline crypto::FieldRef totpField(std::int64_t userId) {
  return {"user_mfa", "totp_secret", std::to_string(userId)};
}

inline std::string_view stageName(SessionStage s) {
  return s == SessionStage::full ? "full" : "mfa_enrolment";
}

inline AuditEvent systemEvent(std::string_view action, std::string_view objectType,
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

inline int revokeAllIn(store::Connection& c, std::int64_t userId, std::string_view reason,
                       TimePoint now) {
  return c.execute(
      "UPDATE sessions SET revoked_at = ?2, revoke_reason = ?3 WHERE user_id = ?1 AND revoked_at "
      "IS NULL",
      userId, toMillis(now), reason);
}

}  // namespace account_internal

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
  bool passwordChangeRequired = false;
  Actor actor() const { return Actor{id, role, patientId}; }
};

struct AccountService::SecondFactor {
  enum class Kind { none, totp, recovery } kind = Kind::none;
  std::uint64_t step = 0;
  std::string recoveryHash;
  std::string_view failure;  // non-empty: the code is wrong (the audit reason)
};

}  // namespace vigil::security
