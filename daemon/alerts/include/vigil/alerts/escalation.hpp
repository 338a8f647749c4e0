#pragma once
// Escalation that reaches a person (issue 17): who gets an alert when it is raised and after
// each escalation.
//
//   chain       the clinic's list of clinicians (admins set it), or the patient's own list (a
//               provider on the care team sets it), which replaces the clinic's for that patient;
//   level       0 when raised, +1 per escalation (deadline missed, or passed up by hand);
//   coverage    "B covers A from t1 to t2": while in force, what would go to A goes to B (and
//               on, if B is covered too; a loop of covers stops at the last person not yet met);
//   nobody left the level is past the end of the chain: the alert has no assignee, every admin
//               is told and /metrics counts it (vigil_alerts_unassigned_escalations).
//
// routeAt() is a pure function of the set-up and the time, so the lifecycle (in memory, under
// its mutex) and the tests agree on it.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vigil/core/clock.hpp"

namespace vigil::alerts {

/// One coverage entry: while [from, until) `coveredBy` takes what is routed to `userId`.
struct Coverage {
  std::int64_t id = 0;
  std::int64_t userId = 0;
  std::int64_t coveredBy = 0;
  TimePoint from;
  TimePoint until;
  std::string note;  // staff text ("annual leave"), never PHI
  std::int64_t createdBy = 0;
  TimePoint createdAt;

  bool inForce(TimePoint now) const { return from <= now && now < until; }
};

/// The clinic's escalation set-up.
struct EscalationSetup {
  std::vector<std::int64_t> clinicChain;
  std::map<std::int64_t, std::vector<std::int64_t>> patientChains;  // patient id -> chain
  std::vector<Coverage> coverage;                                   // current and future entries

  /// The chain that applies to the patient: its own, else the clinic's.
  const std::vector<std::int64_t>& chainFor(std::int64_t patientId) const;
};

/// The person who covers `userId` at `now` (through chains of cover), or `userId` itself.
std::int64_t coveringUser(const std::vector<Coverage>& coverage, std::int64_t userId,
                          TimePoint now);

/// Who an alert of `patientId` at escalation `level` goes to at `now`: the chain's entry at
/// `level` after coverage; nullopt when the level is past the end of the chain (nobody left).
std::optional<std::int64_t> routeAt(const EscalationSetup& setup, std::int64_t patientId, int level,
                                    TimePoint now);

/// Limits of the set-up (checked by EscalationService before anything is stored).
inline constexpr std::size_t kMaxChainLength = 10;

}  // namespace vigil::alerts
