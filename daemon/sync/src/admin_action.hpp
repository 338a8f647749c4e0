#pragma once
// The cloud link's admin operations (sync.retry, sync.cancel, sync.enrol) touch no patient: one
// check for all of them, which audits and logs a denial (ids only) and throws AccessDenied.

#include <string_view>

#include "vigil/security/access.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/audit_log.hpp"

namespace vigil::store {
class Database;
}

namespace vigil::sync {

/// The operation named `operationName` if `actor` may perform it; otherwise writes the denial
/// to the audit log, logs `access.denied` and throws vigil::AccessDenied.
const security::Operation& requireAllowed(store::Database& db, security::AuditLog& audit,
                                          const security::Actor& actor,
                                          std::string_view operationName,
                                          const security::AuditObject& object);

}  // namespace vigil::sync
