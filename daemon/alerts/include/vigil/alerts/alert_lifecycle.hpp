#pragma once
// The alert lifecycle: the one place where alerts are created and change state.
//
//   open ──claim──▶ claimed ──acknowledge──▶ acknowledged ──resolve(note)──▶ resolved
//     │                │                                                       ▲
//     └──── not acknowledged by the severity's deadline ──▶ escalated ──claim──┘ (via claimed)
//
// Thread-safety: every method takes one mutex, so a state change is a compare-and-set and two
// providers claiming at once get exactly one winner. The engine (ingest thread) and the API
// thread share one instance. Events go to the bus while the mutex is held so subscribers see
// changes in the order they happened (publish never blocks).

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "vigil/alerts/alert.hpp"
#include "vigil/alerts/alert_rule.hpp"
#include "vigil/alerts/escalation.hpp"
#include "vigil/core/clock.hpp"
#include "vigil/core/metrics.hpp"

namespace vigil::events {
class EventBus;
}

namespace vigil::alerts {

/// Acknowledgement deadlines per severity and the clinic's escalation list.
struct EscalationPolicy {
  /// Indexed by Severity: info, low, high, critical.
  std::array<std::chrono::seconds, 4> ackDeadline{std::chrono::hours{24}, std::chrono::hours{24},
                                                  std::chrono::minutes{60},
                                                  std::chrono::minutes{15}};
  /// The clinic's chain at start: users an alert goes to, in order: [0] when raised, [1] after
  /// the first escalation, ... (the app loads the stored set-up with setEscalationSetup()).
  std::vector<std::int64_t> chain;

  std::chrono::seconds deadlineFor(Severity s) const {
    return ackDeadline[static_cast<std::size_t>(s)];
  }
};

/// A rule breach found by the engine, to be folded into the patient's alert for the rule.
struct Breach {
  std::int64_t patientId = 0;
  std::string ruleKey;
  std::int64_t ruleVersion = 0;
  RuleKind kind = RuleKind::threshold;
  std::string code;
  Severity severity = Severity::info;
  double value = 0;
  bool higherIsWorse = true;
  std::int64_t readingId = 0;
  TimePoint observedAt;  // device time of the reading (missing_data: start of the silence)
};

/// A snooze of one rule for one patient: no new alert until `until`.
struct Suppression {
  std::int64_t patientId = 0;
  std::string ruleKey;
  std::int64_t actorId = 0;
  std::string reason;
  TimePoint from;
  TimePoint until;
  std::int64_t suppressedBreaches = 0;
};

/// Result of a lifecycle command.
enum class Outcome : std::uint8_t {
  ok,
  notFound,
  wrongState,    // e.g. claiming an alert someone else claimed first
  notClaimer,    // acknowledging or resolving an alert claimed by someone else
  noteRequired,  // resolving without a note
  reasonRequired,
  invalidTime
};
std::string_view toString(Outcome o);

/// Outcome and, when ok, the alert after the change.
struct TransitionResult {
  Outcome outcome = Outcome::notFound;
  std::optional<Alert> alert;
  explicit operator bool() const { return outcome == Outcome::ok; }
};

/// What resolving a group did: the head (as resolve()), the others resolved with it, and the
/// ones left open because someone else had claimed them.
struct GroupResolution {
  TransitionResult head;
  std::vector<Alert> alsoResolved;
  std::vector<std::int64_t> leftOpen;
};

/// Time from raising to each response step, for reporting.
struct ResponseTimes {
  std::int64_t alertId = 0;
  Severity severity = Severity::info;
  TimePoint raisedAt;
  std::optional<std::chrono::seconds> toClaim, toAcknowledge, toResolve;
  bool escalated = false;
};

/// Where the lifecycle writes what happened (the SQL AlertRepository). Called with the
/// lifecycle's mutex held, in the order of the changes: implementations must not block long
/// and must not call back into the lifecycle.
class AlertJournal {
 public:
  virtual ~AlertJournal() = default;
  /// The alert after a change, and the history line for it (nullptr for a repeat breach that
  /// only moved the counters).
  virtual void alertChanged(const Alert& alert, const AlertEvent* event) = 0;
  virtual void suppressionSet(const Suppression& suppression) = 0;
  virtual void suppressionLifted(std::int64_t patientId, const std::string& ruleKey,
                                 std::int64_t actorId, TimePoint at) = 0;
};

/// Creates, deduplicates, suppresses, escalates and transitions alerts. Thread-safe.
class AlertLifecycle {
 public:
  AlertLifecycle(Clock& clock, EscalationPolicy policy, events::EventBus* bus = nullptr,
                 Metrics& metrics = Metrics::global());

  /// Sets where changes are journalled (nullptr: nowhere). Set it before use.
  void setJournal(AlertJournal* journal);
  /// Reloads state at start: the unresolved alerts, the snoozes in force and the next id.
  void restore(std::vector<Alert> unresolved, std::vector<Suppression> suppressions,
               std::int64_t nextId);
  /// Replaces the whole state with the store's (several nodes: a node that becomes the alert
  /// node, or one that follows it, docs/scale-out.md): what restore() loads, after forgetting
  /// every alert, history and snooze held. The escalation set-up stays.
  void replaceAll(std::vector<Alert> unresolved, std::vector<Suppression> suppressions,
                  std::int64_t nextId);
  /// Drops resolved alerts resolved before `before` from memory (the journal keeps them).
  std::size_t forgetResolvedBefore(TimePoint before);

  /// Folds breaches into alerts: a breach opens an alert for (patient, rule key) if none is
  /// open, otherwise updates the open one. Suppressed breaches are counted and dropped.
  /// Returns one change per alert touched (raised, or updated with its final state).
  std::vector<AlertChange> recordBreaches(std::span<const Breach> breaches, TimePoint now);

  TransitionResult claim(std::int64_t alertId, std::int64_t userId);
  TransitionResult acknowledge(std::int64_t alertId, std::int64_t userId);
  /// Resolves a claimed or acknowledged alert; the claimer must give a non-blank note.
  TransitionResult resolve(std::int64_t alertId, std::int64_t userId, const std::string& note);
  /// Resolution by the system (late data filled a missing-data gap), from any open state.
  /// Resolves the alert (as resolve()) and, with the same note, the patient's other open
  /// alerts on the same vital (LOINC code): one problem, one resolution (issue 17). Those
  /// unclaimed are claimed and acknowledged by `userId` first (each step in their history);
  /// those claimed by someone else stay open (leftOpen).
  GroupResolution resolveGroup(std::int64_t alertId, std::int64_t userId, const std::string& note);
  TransitionResult resolveBySystem(std::int64_t alertId, const std::string& note);
  /// Escalates by hand (a provider passes it up the list), with a note.
  TransitionResult escalate(std::int64_t alertId, std::int64_t userId, const std::string& note);
  /// Escalates every open or claimed alert whose acknowledgement deadline is <= now and whose
  /// rule is not snoozed for the patient.
  std::vector<AlertChange> escalateOverdue(TimePoint now);

  /// Snoozes the rule for the patient until `until` (> now) with a non-blank reason.
  Outcome suppress(std::int64_t patientId, const std::string& ruleKey, std::int64_t userId,
                   const std::string& reason, TimePoint until);
  bool liftSuppression(std::int64_t patientId, const std::string& ruleKey, std::int64_t userId);
  /// The suppression in force at `now`, if any.
  std::optional<Suppression> suppression(std::int64_t patientId, const std::string& ruleKey,
                                         TimePoint now) const;

  /// A patient-specific escalation list (replaces the clinic's for that patient; empty: the
  /// clinic's again). Routes alerts raised or escalated from now on.
  void setEscalationChain(std::int64_t patientId, std::vector<std::int64_t> chain);
  /// The clinic's escalation list.
  void setClinicChain(std::vector<std::int64_t> chain);
  /// The on-call coverage in force and ahead.
  void setCoverage(std::vector<Coverage> coverage);
  /// Replaces the whole set-up (at start, from the store).
  void setEscalationSetup(EscalationSetup setup);
  EscalationSetup escalationSetup() const;
  /// Open alerts escalated past the end of their chain and not taken by anyone since (nobody
  /// left to escalate to): shown to every admin.
  std::vector<Alert> unassignedEscalations() const;

  std::optional<Alert> get(std::int64_t alertId) const;
  /// The open (not resolved) alert for the patient and rule, if any.
  std::optional<Alert> openAlert(std::int64_t patientId, const std::string& ruleKey) const;
  std::vector<Alert> openAlerts() const;
  /// Who did what when: raised, severity rises, claimed, acknowledged, escalated, resolved.
  std::vector<AlertEvent> history(std::int64_t alertId) const;
  /// Response times of alerts raised in [from, to).
  std::vector<ResponseTimes> responseTimes(TimePoint from, TimePoint to) const;

 private:
  using PairKey = std::pair<std::int64_t, std::string>;
  Alert* findLocked(std::int64_t alertId);
  const Suppression* activeSuppressionLocked(std::int64_t patientId, const std::string& key,
                                             TimePoint now) const;
  void recordLocked(const Alert& alert, AlertChangeKind kind, TimePoint at,
                    std::optional<std::int64_t> actor, std::string note);
  void publishLocked(const AlertChange& change);
  /// Returns who had the alert before.
  std::optional<std::int64_t> escalateLocked(Alert& alert, TimePoint now);
  void refreshUnassignedLocked();
  void restoreLocked(std::vector<Alert> unresolved, std::vector<Suppression> suppressions,
                     std::int64_t nextId);

  Clock& clock_;
  EscalationPolicy policy_;
  events::EventBus* bus_;
  Metrics& metrics_;
  AlertJournal* journal_ = nullptr;
  mutable std::mutex mutex_;
  std::int64_t nextId_ = 1;
  std::map<std::int64_t, Alert> alerts_;
  std::map<PairKey, std::int64_t> open_;
  std::map<PairKey, Suppression> suppressions_;
  EscalationSetup setup_;
  Gauge& unassignedGauge_;
  std::unordered_map<std::int64_t, std::vector<AlertEvent>> history_;
};

}  // namespace vigil::alerts
