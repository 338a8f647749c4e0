#pragma once
// Account facts other libraries decide on inside their own store transaction: a visit's
// scheduling checks who its provider and the patient's portal user are in the same write job
// that inserts the visit, so the answer cannot change between the check and the insert. Ids,
// roles and status only: nothing is decrypted and nothing is audited here (the caller audits
// its decision). The `users` table stays the security library's own.

#include <cstdint>
#include <optional>

#include "vigil/security/access.hpp"

namespace vigil::store {
class Connection;
}

namespace vigil::security {

/// An active (not disabled) account: its role and, for a patient user, their patient record.
struct ActiveAccount {
  std::int64_t id = 0;
  Role role = Role::patient;
  std::optional<std::int64_t> patientId;
};

/// The account `userId` when it exists and is active; nullopt otherwise. A lock-out does not
/// count: a locked account is still active.
std::optional<ActiveAccount> activeAccountIn(store::Connection& c, std::int64_t userId);

/// The active patient user (portal account) of patient `patientId`, the lowest id when there
/// are several; nullopt when the patient has none.
std::optional<std::int64_t> activePatientUserIn(store::Connection& c, std::int64_t patientId);

}  // namespace vigil::security
