#include "vigil/security/access_guard.hpp"

#include <atomic>

#include "vigil/core/time.hpp"
namespace vigil::security {
namespace {

using core::fromMillis;
using core::toMillis;

std::atomic<std::uint64_t> careTeamChanges{0};

}  // namespace

bool SqliteCareTeam::isAssigned(std::int64_t staffUserId, std::int64_t patientId) const {
  return conn_
      .queryValue<std::int64_t>("SELECT 1 FROM care_team WHERE user_id = ?1 AND patient_id = ?2",
                                staffUserId, patientId)
      .has_value();
}

void SqliteCareTeam::assignIn(store::Connection& c, std::int64_t staffUserId,
                              std::int64_t patientId, std::optional<std::int64_t> by,
                              TimePoint now) {
  careTeamChanges.fetch_add(1);
  c.execute(
      "INSERT INTO care_team (patient_id, user_id, assigned_at, assigned_by) VALUES (?1, ?2, ?3, "
      "?4) ON CONFLICT (patient_id, user_id) DO NOTHING",
      patientId, staffUserId, toMillis(now), by);
}

bool SqliteCareTeam::removeIn(store::Connection& c, std::int64_t staffUserId,
                              std::int64_t patientId) {
  careTeamChanges.fetch_add(1);
  return c.execute("DELETE FROM care_team WHERE user_id = ?1 AND patient_id = ?2", staffUserId,
                   patientId) > 0;
}

std::uint64_t SqliteCareTeam::changeCount() {
  return careTeamChanges.load();
}

std::vector<std::int64_t> SqliteCareTeam::patientsOfIn(store::Connection& c,
                                                       std::int64_t staffUserId) {
  std::vector<std::int64_t> out;
  auto st = c.prepare("SELECT patient_id FROM care_team WHERE user_id = ?1 ORDER BY patient_id");
  st.bind(1, staffUserId);
  while (st.step()) out.push_back(st.getInt64(0));
  return out;
}

std::vector<SqliteCareTeam::Membership> SqliteCareTeam::membersIn(
    store::Connection& c, std::optional<std::int64_t> patientId) {
  std::vector<Membership> out;
  auto st = c.prepare(
      "SELECT user_id, patient_id, assigned_at FROM care_team WHERE ?1 IS NULL OR patient_id = ?1 "
      "ORDER BY patient_id, user_id");
  st.bindAll(patientId);
  while (st.step()) out.push_back({st.getInt64(0), st.getInt64(1), fromMillis(st.getInt64(2))});
  return out;
}

AuditEvent AccessGuard::eventFor(const Actor& actor, const Operation& op,
                                 std::optional<std::int64_t> patientId, const AuditObject& object,
                                 const AccessDecision& decision,
                                 std::string_view breakGlassReason) {
  // The justification is typed by a clinician and may hold PHI: it is stored encrypted next
  // to the entry (audit_justifications), never in the chained reason or in the process log.
  AuditEvent e = auditEventFor(actor, op.name, object.type, object.id, patientId,
                               decision.allowed ? AuditOutcome::success : AuditOutcome::denied,
                               decision.reason);
  if (decision.breakGlass) e.justification = std::string(breakGlassReason.substr(0, 1000));
  e.breakGlass = decision.breakGlass;
  return e;
}

std::string AccessGuard::breakGlassReasonIn(store::Connection& c, const Actor& actor,
                                            std::optional<std::int64_t> patientId,
                                            std::string_view given, TimePoint now) {
  if (!given.empty() || !patientId) return std::string(given);
  if (actor.role != Role::provider && actor.role != Role::nurse) return {};
  if (AuditLog::emergencyAccessUntil(c, actor.id, *patientId, now))
    return "within emergency access";
  return {};
}

AccessDecision AccessGuard::decideIn(store::Connection& c, const Actor& actor, const Operation& op,
                                     std::optional<std::int64_t> patientId,
                                     std::string_view breakGlassReason) {
  SqliteCareTeam team(c);
  return authorize(actor, op, patientId, team, breakGlassReason);
}

PendingAccess AccessGuard::pending(const Actor& actor, const Operation& op,
                                   std::optional<std::int64_t> patientId, const AuditObject& object,
                                   const AccessDecision& decision,
                                   std::string_view breakGlassReason) {
  if (!decision.allowed) logDenial(actor, op, decision);
  if (decision.breakGlass) warnBreakGlass(actor, op, patientId);
  return {decision, eventFor(actor, op, patientId, object, decision, breakGlassReason)};
}

void AccessGuard::enforce(const PendingAccess& access) {
  audit_.record(db_, access.event);
  if (!access.decision.allowed)
    throw AccessDenied("access denied: " + access.event.action + " (" +
                       std::string(access.decision.reason) + ")");
}

AccessDecision AccessGuard::checkIn(store::Connection& c, const Actor& actor, const Operation& op,
                                    std::optional<std::int64_t> patientId,
                                    const AuditObject& object, std::string_view breakGlassReason) {
  SqliteCareTeam team(c);
  AccessDecision decision = authorize(actor, op, patientId, team, breakGlassReason);
  audit_.append(c, eventFor(actor, op, patientId, object, decision, breakGlassReason));
  if (!decision.allowed) logDenial(actor, op, decision);
  if (decision.breakGlass) warnBreakGlass(actor, op, patientId);
  return decision;
}

AccessDecision AccessGuard::requireIn(store::Connection& c, const Actor& actor, const Operation& op,
                                      std::optional<std::int64_t> patientId,
                                      const AuditObject& object,
                                      std::string_view breakGlassReason) {
  SqliteCareTeam team(c);
  AccessDecision decision = authorize(actor, op, patientId, team, breakGlassReason);
  if (!decision.allowed) {
    AuditEvent denial = eventFor(actor, op, patientId, object, decision, breakGlassReason);
    // The caller's job rolls back when we throw; the denial is recorded by a job of its own
    // (tryPost: this runs on the writer thread, which must never block on its own queue).
    if (!db_.tryPost([this, denial](store::Connection& conn) { audit_.append(conn, denial); },
                     nullptr))
      log::error("audit.denial_not_queued", {{"action", op.name}, {"actor_id", actor.id}});
    logDenial(actor, op, decision);
    throwDenied(op, decision);
  }
  audit_.append(c, eventFor(actor, op, patientId, object, decision, breakGlassReason));
  if (decision.breakGlass) warnBreakGlass(actor, op, patientId);
  return decision;
}

void AccessGuard::recordDenial(const Actor& actor, const Operation& op,
                               std::optional<std::int64_t> patientId, const AuditObject& object,
                               const AccessDecision& decision) {
  audit_.record(db_, eventFor(actor, op, patientId, object, decision, {}));
  logDenial(actor, op, decision);
}

void AccessGuard::recordFailure(const Actor& actor, const Operation& op,
                                std::optional<std::int64_t> patientId, const AuditObject& object,
                                const AccessDecision& decision,
                                std::string_view breakGlassReason) noexcept {
  try {
    auto e = eventFor(actor, op, patientId, object, decision, breakGlassReason);
    e.outcome = AuditOutcome::failure;
    e.reason = "not_completed";
    audit_.record(db_, e);
  } catch (const std::exception&) {
    log::error("access.failure_unrecorded", {{"action", op.name}, {"actor_id", actor.id}});
  }
}

void AccessGuard::throwDenied(const Operation& op, const AccessDecision& decision) {
  throw AccessDenied("access denied: " + std::string(op.name) + " (" +
                     std::string(decision.reason) + ")");
}

void AccessGuard::logDenial(const Actor& actor, const Operation& op,
                            const AccessDecision& decision) {
  log::info("access.denied", {{"action", op.name},
                              {"actor_id", actor.id},
                              {"role", toString(actor.role)},
                              {"reason", decision.reason}});
}

void AccessGuard::warnBreakGlass(const Actor& actor, const Operation& op,
                                 std::optional<std::int64_t> patientId) {
  log::warn("access.break_glass", {{"action", op.name},
                                   {"actor_id", actor.id},
                                   {"role", toString(actor.role)},
                                   {"patient_id", patientId.value_or(0)}});
}

}  // namespace vigil::security
