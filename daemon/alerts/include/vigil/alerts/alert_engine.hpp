#pragma once
// The threshold alert engine: judges every stored batch of observations against the rules in
// force, with incremental per-patient, per-rule state (never a scan of stored history), and
// raises missing-data alerts and escalations on a timer tick.
//
// Design, in numbers:
// - Times: windows use the device time of readings. A device time more than
//   `futureTolerance` (5 min) after the reception time is a skewed clock: the reading is
//   judged at its reception time instead (counted in vigil_alert_engine_clock_skew_total).
// - State per (patient, rule): threshold none; rate_of_change all samples within
//   window + lateHorizon; consecutive the samples within lateHorizon; count_within only the
//   breaching samples within window + lateHorizon; each capped at maxSamplesPerRule (1024) so a
//   1 Hz oximeter cannot grow it. A reading older than that horizon (relative to the newest
//   sample) is still judged by threshold rules but not by stateful ones
//   (vigil_alert_engine_too_late_total).
// - Out-of-order and late readings are inserted in device-time order and judged against their
//   neighbours; a late reading can complete a run, a count or a rise for the readings after it.
// - Missing data: at tick(now) a rule raises when now - last reading time >= its silence
//   (half-open window (now - N, now]); a reading later found with time > raisedAt - N resolves
//   the alert ("late data" if it predates raisedAt, "data resumed" otherwise).
// Thread-safety: evaluate() and tick() serialise on one mutex (the ingest writer calls
// evaluate, a timer calls tick); lock order is engine -> lifecycle.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "vigil/alerts/alert.hpp"
#include "vigil/alerts/alert_lifecycle.hpp"
#include "vigil/alerts/observation.hpp"
#include "vigil/alerts/rule_set.hpp"
#include "vigil/core/clock.hpp"
#include "vigil/core/metrics.hpp"

namespace vigil::alerts {

/// Bounds of the engine's per-patient state.
struct EngineOptions {
  std::chrono::seconds lateHorizon{std::chrono::hours{48}};
  std::size_t maxSamplesPerRule = 1024;
  std::chrono::seconds futureTolerance{std::chrono::minutes{5}};
};

/// Evaluates observations and timer ticks into alert changes.
class AlertEngine {
 public:
  AlertEngine(RuleSet& rules, AlertLifecycle& lifecycle, Clock& clock, EngineOptions options = {},
              Metrics& metrics = Metrics::global());

  /// Judges a stored batch (any order); returns one change per alert touched.
  std::vector<AlertChange> evaluate(std::span<const Observation> batch);
  /// Rebuilds the incremental state at start from recent stored observations (bounded by the
  /// caller, e.g. the last 9 days): updates windows, runs and last-seen times without raising
  /// or updating any alert.
  void warmUp(std::span<const Observation> recent);
  /// Missing-data checks for every monitored patient, then escalation of overdue alerts.
  std::vector<AlertChange> tick(TimePoint now);

  /// Starts monitoring a patient (missing-data silences count from `since`). A patient whose
  /// first observation arrives unannounced is enrolled at that observation.
  void enroll(std::int64_t patientId, TimePoint since);
  /// At start: a missing-data alert for the rule was raised at `raisedAt` (and may since have
  /// been resolved), so the same silence is not reported again before another full period.
  void noteMissingDataRaised(std::int64_t patientId, const std::string& ruleKey,
                             TimePoint raisedAt);
  /// Stops monitoring a patient and forgets the state.
  void discharge(std::int64_t patientId);
  /// Forgets every patient's state (a node that becomes the alert node warms up afresh).
  void reset();

  /// How far back the state of the rules in force reaches: the longest window of a stateful
  /// rule (defaults and overrides) plus the late horizon; what a warm-up must cover.
  std::chrono::seconds stateHorizon() const;

  /// Samples held across all patients and rules (for tests and the metrics gauge).
  std::size_t heldSamples() const;

 private:
  struct Sample {
    TimePoint at;
    double value = 0;
    std::int64_t readingId = 0;
    std::optional<Severity> tier;
  };
  struct RuleState {
    RuleKind kind = RuleKind::threshold;
    std::string code;
    std::deque<Sample> samples;  // sorted by (at, readingId)
  };
  struct PatientState {
    TimePoint since;
    bool enrolled = false;  // enroll(): every missing-data rule applies from `since`
    std::unordered_map<std::string, TimePoint> lastSeen;       // by code
    std::unordered_map<std::string, RuleState> rules;          // by rule key
    std::unordered_map<std::string, TimePoint> missingRaised;  // rule key -> last raise
  };
  struct Pending {
    std::vector<Breach> breaches;
    std::vector<std::pair<std::int64_t, std::string>> resolutions;  // alert id, note
  };

  TimePoint judgedTime(const Observation& o);
  void judgeBatch(std::span<const Observation> batch, Pending& pending);
  RuleState& stateFor(PatientState& ps, const AlertRule& rule);
  void judge(const AlertRule& rule, const Observation& o, double value, TimePoint at,
             PatientState& ps, Pending& out);
  static void judgeRateOfChange(const AlertRule& rule, std::int64_t patientId, const RuleState& st,
                                std::size_t pos, Pending& out);
  static void judgeConsecutive(const AlertRule& rule, std::int64_t patientId, const RuleState& st,
                               std::size_t pos, Pending& out);
  static void judgeCountWithin(const AlertRule& rule, std::int64_t patientId, const RuleState& st,
                               std::size_t pos, Pending& out);
  void noteDataSeen(const AlertRule& rule, std::int64_t patientId, TimePoint at, Pending& out);
  std::optional<std::size_t> insertSample(const AlertRule& rule, RuleState& st, Sample s);
  static Breach breachFor(const AlertRule& rule, std::int64_t patientId, Severity severity,
                          double value, std::int64_t readingId, TimePoint at);
  std::vector<AlertChange> apply(Pending& pending, TimePoint now);

  RuleSet& rules_;
  AlertLifecycle& lifecycle_;
  Clock& clock_;
  EngineOptions options_;
  Counter& observations_;
  Counter& clockSkew_;
  Counter& tooLate_;
  Counter& unitMismatch_;
  Counter& invalid_;
  mutable std::mutex mutex_;
  std::unordered_map<std::int64_t, PatientState> patients_;
};

}  // namespace vigil::alerts
