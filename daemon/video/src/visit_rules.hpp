#pragma once
// Private to VisitService's sources (visit.cpp, visit_chat.cpp): how a decision taken inside a
// write job is carried out of it, and the rule of who is in a visit's room.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "vigil/core/clock.hpp"
#include "vigil/core/time.hpp"
#include "vigil/security/audit_entry.hpp"
#include "vigil/video/visit.hpp"

namespace vigil::video::detail {

using core::fromMillis;
using core::toMillis;

/// The audit action whose entry grants an admin a past visit's chat and documents.
inline constexpr std::string_view kRecordAccessAction = "visit.record_access";

/// The result of a decision taken inside a write job: thrown after the commit, so the audit
/// entry of a refusal is durable.
struct Decision {
  bool allowed = true;
  std::string reason;
};

/// The visit, or NotFound.
std::optional<Visit> requireVisitIn(store::Connection& c, std::int64_t visitId);

/// Throws AccessDenied("<action> refused: <reason>").
[[noreturn]] void refuse(std::string_view action, const std::string& reason);

/// The audit entry of a decision: success with `allowedReason`, or denied with its reason.
security::AuditEvent decisionEvent(const security::Actor& actor, std::string_view action,
                                   std::string_view objectType, const std::string& objectId,
                                   std::int64_t patientId, const Decision& d,
                                   std::string_view allowedReason);

/// True when the participant may be in the room of `v` at `now` (admitted, in progress,
/// inside the window, role may join).
bool inRoom(const Visit& v, const security::Actor& actor, TimePoint now, const VisitPolicy& policy);

}  // namespace vigil::video::detail
