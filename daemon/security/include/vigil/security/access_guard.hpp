#pragma once
// Access checks wired to the store and the audit log: what every service calls.
//
//   guard.write(actor, operation("note.write"), patientId, {"note", id}, [&](Connection& c) {
//     ... the PHI write ...
//   });
// runs ONE write job: authorise (care team read inside the job), run the write, append the
// audit entry; all commit together or not at all. A denial throws vigil::AccessDenied after its
// own audit entry ("denied", reason) is durable.
//
//   auto data = guard.read(actor, operation("reading.list"), patientId, {"readings", ""},
//                          [&](Connection& c) { return ...; });
// authorises and reads on a reader connection (one snapshot), then commits the read's audit
// entry before returning the data: no PHI leaves the service without its audit entry.
// Break-glass access (providers and nurses outside their care team, with a reason) is allowed,
// audited with break_glass = 1 and the reason, and warned in the log (ids only) for review.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/security/access.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/store/database.hpp"

namespace vigil::security {

/// The care team from the care_team table, on a given connection.
class SqliteCareTeam final : public CareTeam {
 public:
  explicit SqliteCareTeam(store::Connection& c) : conn_(c) {}
  bool isAssigned(std::int64_t staffUserId, std::int64_t patientId) const override;

  static void assignIn(store::Connection& c, std::int64_t staffUserId, std::int64_t patientId,
                       std::optional<std::int64_t> by, TimePoint now);
  static bool removeIn(store::Connection& c, std::int64_t staffUserId, std::int64_t patientId);
  /// How many times assignIn() or removeIn() ran in this process: a care team read when the
  /// count was lower may be out of date (AccountService::careTeamOf keeps one no longer).
  static std::uint64_t changeCount();
  /// Patients a staff user is assigned to (for filtering lists such as the alert queue).
  static std::vector<std::int64_t> patientsOfIn(store::Connection& c, std::int64_t staffUserId);
  /// One membership: a staff user on a patient's care team since `assignedAt`.
  struct Membership {
    std::int64_t staffUserId = 0;
    std::int64_t patientId = 0;
    TimePoint assignedAt;
  };
  /// Every membership, or one patient's, ordered by patient then staff user (the portal's
  /// listing; the caller authorises and audits it as care_team.list).
  static std::vector<Membership> membersIn(store::Connection& c,
                                           std::optional<std::int64_t> patientId);

 private:
  store::Connection& conn_;
};

/// What an audited access is about.
struct AuditObject {
  std::string type;
  std::string id;
};

/// An access decided but not yet written: the API gate queues `event` with the request's
/// response when the access is allowed, and writes it at once when it is not; a handler that
/// authorises the patient it found writes it at once (AccessGuard::enforce).
struct PendingAccess {
  AccessDecision decision;
  AuditEvent event;
};

/// Authorises service operations and audits them in the same transaction.
class AccessGuard {
 public:
  AccessGuard(store::Database& db, AuditLog& audit) : db_(db), audit_(audit) {}

  /// The reason that makes an access break-glass: the one the request gives or, when it gives
  /// none, "within emergency access" for a provider or nurse inside the emergency-access window
  /// they opened on this patient (read on `c`).
  static std::string breakGlassReasonIn(store::Connection& c, const Actor& actor,
                                        std::optional<std::int64_t> patientId,
                                        std::string_view given, TimePoint now);

  /// Authorises on `c` (the care team is read there) and writes nothing.
  static AccessDecision decideIn(store::Connection& c, const Actor& actor, const Operation& op,
                                 std::optional<std::int64_t> patientId,
                                 std::string_view breakGlassReason);

  /// A decision with the audit entry that records it; logs a denial or a break-glass access
  /// (ids only). Every authorise-and-audit path ends here.
  static PendingAccess pending(const Actor& actor, const Operation& op,
                               std::optional<std::int64_t> patientId, const AuditObject& object,
                               const AccessDecision& decision, std::string_view breakGlassReason);

  /// Writes a pending access's entry (durable on return), then throws AccessDenied when the
  /// access was denied.
  void enforce(const PendingAccess& access);

  /// For code already inside a write job: authorises and appends the access's audit entry.
  /// On denial queues the denial's audit entry as a separate job (the caller's job is about to
  /// roll back) and throws AccessDenied.
  AccessDecision requireIn(store::Connection& c, const Actor& actor, const Operation& op,
                           std::optional<std::int64_t> patientId, const AuditObject& object,
                           std::string_view breakGlassReason = {});

  /// One write job: authorise, fn(conn), audit entry; returns fn's result after the commit.
  /// A denied access commits only its denial entry, then throws AccessDenied.
  template <class F>
  auto write(const Actor& actor, const Operation& op, std::optional<std::int64_t> patientId,
             const AuditObject& object, F&& fn, std::string_view breakGlassReason = {}) {
    using R = std::invoke_result_t<F&, store::Connection&>;
    AccessDecision decision;
    try {
      if constexpr (std::is_void_v<R>) {
        db_.writeSync([&](store::Connection& c) {
          decision = checkIn(c, actor, op, patientId, object, breakGlassReason);
          if (decision.allowed) fn(c);
        });
        if (!decision.allowed) throwDenied(op, decision);
      } else {
        auto r = db_.writeSync([&](store::Connection& c) -> std::optional<R> {
          decision = checkIn(c, actor, op, patientId, object, breakGlassReason);
          if (!decision.allowed) return std::nullopt;
          return fn(c);
        });
        if (!decision.allowed) throwDenied(op, decision);
        return std::move(*r);
      }
    } catch (...) {
      // The job rolled back with its audit entry; an allowed access that then failed (a
      // refusal, a missing row) is still an access: it is recorded on its own.
      if (decision.allowed) recordFailure(actor, op, patientId, object, decision, breakGlassReason);
      throw;
    }
  }

  /// Inside a write job: authorises and appends the audit entry (allowed or denied) and
  /// returns the decision without throwing.
  AccessDecision checkIn(store::Connection& c, const Actor& actor, const Operation& op,
                         std::optional<std::int64_t> patientId, const AuditObject& object,
                         std::string_view breakGlassReason = {});

  /// Authorise on a reader, run fn there, commit the audit entry, then return fn's result.
  template <class F>
  auto read(const Actor& actor, const Operation& op, std::optional<std::int64_t> patientId,
            const AuditObject& object, F&& fn, std::string_view breakGlassReason = {}) {
    AccessDecision decision;
    auto run = [&] {
      return db_.read([&](store::Connection& c) {
        SqliteCareTeam team(c);
        decision = authorize(actor, op, patientId, team, breakGlassReason);
        using R = std::invoke_result_t<F&, store::Connection&>;
        if (!decision.allowed) {
          if constexpr (std::is_void_v<R>) {
            return;
          } else {
            return R{};
          }
        }
        return fn(c);
      });
    };
    using Result = decltype(run());
    std::optional<std::conditional_t<std::is_void_v<Result>, bool, Result>> result;
    try {
      if constexpr (std::is_void_v<Result>) {
        run();
        result = true;
      } else {
        result = run();
      }
    } catch (...) {
      if (decision.allowed) recordFailure(actor, op, patientId, object, decision, breakGlassReason);
      throw;
    }
    if (!decision.allowed) {
      recordDenial(actor, op, patientId, object, decision);
      throwDenied(op, decision);
    }
    audit_.record(db_, eventFor(actor, op, patientId, object, decision, breakGlassReason));
    if (decision.breakGlass) warnBreakGlass(actor, op, patientId);
    if constexpr (!std::is_void_v<Result>) return std::move(*result);
  }

  /// The audit event of an allowed or denied access.
  static AuditEvent eventFor(const Actor& actor, const Operation& op,
                             std::optional<std::int64_t> patientId, const AuditObject& object,
                             const AccessDecision& decision, std::string_view breakGlassReason);

 private:
  void recordDenial(const Actor& actor, const Operation& op, std::optional<std::int64_t> patientId,
                    const AuditObject& object, const AccessDecision& decision);
  /// An allowed access whose job then threw: outcome failure, in a write of its own (a
  /// failure to record it is logged, and the original error goes on).
  void recordFailure(const Actor& actor, const Operation& op, std::optional<std::int64_t> patientId,
                     const AuditObject& object, const AccessDecision& decision,
                     std::string_view breakGlassReason) noexcept;
  [[noreturn]] static void throwDenied(const Operation& op, const AccessDecision& decision);
  static void logDenial(const Actor& actor, const Operation& op, const AccessDecision& decision);
  static void warnBreakGlass(const Actor& actor, const Operation& op,
                             std::optional<std::int64_t> patientId);

  store::Database& db_;
  AuditLog& audit_;
};

}  // namespace vigil::security
