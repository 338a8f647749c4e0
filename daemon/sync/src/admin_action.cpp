#include "admin_action.hpp"

#include <string>

#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/security/access_guard.hpp"

namespace vigil::sync {

namespace {

// No care team: the link's operations touch no patient.
class NoCareTeam final : public security::CareTeam {
 public:
  bool isAssigned(std::int64_t, std::int64_t) const override { return false; }
};

}  // namespace

const security::Operation& requireAllowed(store::Database& db, security::AuditLog& audit,
                                          const security::Actor& actor,
                                          std::string_view operationName,
                                          const security::AuditObject& object) {
  const auto& op = security::operation(operationName);
  NoCareTeam none;
  const auto decision = security::authorize(actor, op, std::nullopt, none);
  if (!decision.allowed) {
    audit.record(db,
                 security::AccessGuard::eventFor(actor, op, std::nullopt, object, decision, {}));
    log::info("access.denied",
              {{"action", op.name}, {"actor_id", actor.id}, {"reason", decision.reason}});
    throw AccessDenied("access denied: " + std::string(op.name) + " (" +
                       std::string(decision.reason) + ")");
  }
  return op;
}

}  // namespace vigil::sync
