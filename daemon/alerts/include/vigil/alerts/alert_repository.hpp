#pragma once
// SQL persistence of the alert engine: the tables of migration 0004_alerts.sql.
//
// Trade-off: the lifecycle decides in memory (one mutex, microseconds; exactly one claim wins)
// and this journal writes behind through the store's single writer: one queued job per change
// (alert row upsert + its history line), committed in the writer's batches, in order. Jobs are
// queued with tryPost, never blocking, because the caller may be the writer thread itself
// (ingest's stored-listener); when the store queue is full they wait in a local backlog that
// the next change or flush() retries (vigil_alerts_journal_backlog). The database enforces the
// invariants too (one unresolved alert per patient and rule, conditional claim), and claim()
// is the SQL compare-and-set a second node or the API can use directly.
// Crash safety: readings are committed before they are evaluated, so the last evaluated reading
// id is kept (settings key alerts.evaluated_through); restoreAlerts() re-evaluates the readings
// after it, so a crash between a reading's commit and its alert's commit loses no alert.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "vigil/alerts/alert.hpp"
#include "vigil/alerts/alert_engine.hpp"
#include "vigil/alerts/alert_lifecycle.hpp"
#include "vigil/alerts/observation.hpp"
#include "vigil/alerts/rule_set.hpp"
#include "vigil/core/metrics.hpp"

namespace vigil::store {
class Connection;
class Database;
}  // namespace vigil::store
namespace vigil::crypto {
class FieldCipher;
}

namespace vigil::alerts {

/// Alerts, their history, rule versions and snoozes in SQLite. Thread-safe.
class AlertRepository final : public AlertJournal {
 public:
  /// `cipher` seals the free text people type (resolution and escalation notes, snooze and
  /// limit-change reasons): it is PHI, stored only encrypted.
  AlertRepository(store::Database& db, const crypto::FieldCipher& cipher,
                  Metrics& metrics = Metrics::global());

  /// Start-up: encrypts free text an older version stored in plaintext columns (and empties
  /// them); returns how many values it moved.
  std::int64_t sealLegacyText();

  // --- journal (write-behind, never blocks) ---
  void alertChanged(const Alert& alert, const AlertEvent* event) override;
  void suppressionSet(const Suppression& suppression) override;
  void suppressionLifted(std::int64_t patientId, const std::string& ruleKey, std::int64_t actorId,
                         TimePoint at) override;
  void ruleChanged(const RuleChange& change);
  /// Records that every reading up to `readingId` has been evaluated, unless a journal write
  /// fails before the mark is written (the readings are judged again by the resync then).
  void noteEvaluated(std::int64_t readingId);
  /// Waits until everything journalled so far is committed (tests, shutdown).
  void flush();
  /// Journal writes that failed so far (the store full, or its connection cut during a commit:
  /// logged as alerts.journal_failed).
  std::uint64_t journalFailures() const { return state_->failures.load(); }
  /// True when a journal write failed since the last loadAlertState(): memory may hold what
  /// the store does not. Until the next load, no evaluated mark is written and judged() takes
  /// nothing off the queue, so the readings are judged again after it.
  bool diverged() const { return state_->failures.load() != state_->loadedAt.load(); }
  /// loadAlertState() calls this as it reads the store: diverged() is false again.
  void noteLoaded() { state_->loadedAt.store(state_->failures.load()); }
  /// A load from the store that failed half-way: diverged() until the next one.
  void markDiverged() { state_->failures.fetch_add(1); }

  // --- SQL compare-and-set ---
  /// Claims an open or escalated, unclaimed alert in one conditional UPDATE: true for exactly
  /// one of any number of concurrent callers. Waits for the commit.
  bool claim(std::int64_t alertId, std::int64_t userId, TimePoint at);

  // --- reads ---
  std::optional<Alert> alert(std::int64_t alertId);
  std::vector<Alert> unresolvedAlerts();
  /// One patient's unresolved alerts as committed, oldest first, read on `c`: no check, no
  /// audit (the FHIR API authorises and audits its reads itself, issue 26). The journal is
  /// write-behind, so a change of the last moments may not be there yet.
  static std::vector<Alert> openForPatientIn(store::Connection& c,
                                             const crypto::FieldCipher& cipher,
                                             std::int64_t patientId);
  /// Resolved alerts (of one patient, or of all), the latest resolved first; at most `limit`.
  std::vector<Alert> resolvedAlerts(std::optional<std::int64_t> patientId, std::size_t limit);
  std::vector<AlertEvent> history(std::int64_t alertId);
  std::vector<RuleChange> ruleChanges();
  std::vector<Suppression> activeSuppressions(TimePoint now);
  std::int64_t maxAlertId();
  /// The latest raise time of missing-data alerts raised at or after `since`, per patient and
  /// rule.
  struct MissingDataRaise {
    std::int64_t patientId = 0;
    std::string ruleKey;
    TimePoint raisedAt;
  };
  std::vector<MissingDataRaise> missingDataRaisedSince(TimePoint since);
  std::int64_t evaluatedThrough();
  /// Stored readings of assigned patients received at or after `since` (through the
  /// reception-time index, whatever their id order), oldest received first, panels split into
  /// their components; at most `limit`.
  std::vector<Observation> observationsSince(TimePoint since, std::size_t limit,
                                             std::int64_t afterReadingId = 0);

  // --- several nodes: the alert node's queue (readings_to_judge; docs/scale-out.md) ---
  struct Queued {
    std::vector<std::int64_t> readingIds;   // every id taken (judged or not judgeable)
    std::vector<Observation> observations;  // of the assigned patients' readings among them
  };
  /// Up to `limit` readings waiting for the alert node, lowest id first.
  Queued queuedForJudgement(std::size_t limit);
  /// The ids of up to `limit` waiting readings (a warm-up leaves them to the judging).
  std::vector<std::int64_t> queuedIds(std::size_t limit);
  /// Takes judged readings off the queue in a write queued behind everything journalled so far
  /// (it commits with that journal or after it); waits for the commit. A crash before it: the
  /// readings are judged again, never lost.
  /// False, taking nothing off, when the repository diverged(): the caller reloads and judges
  /// them again.
  bool judged(const std::vector<std::int64_t>& readingIds);

 private:
  void post(std::function<void(store::Connection&)> job);
  void drainBacklogLocked();
  /// Hands every job waiting for room in the store's queue to it (throws after 60 s).
  void drainBacklog();

  store::Database& db_;
  const crypto::FieldCipher& cipher_;
  Gauge& backlogGauge_;
  // Shared with the jobs and their completions, which may run after this repository is gone.
  struct JournalState {
    std::atomic<std::uint64_t> failures{0};
    std::atomic<std::uint64_t> loadedAt{0};  // failures at the last load from the store
  };
  std::shared_ptr<JournalState> state_ = std::make_shared<JournalState>();
  std::function<void(std::exception_ptr)> onJournalDone_;  // counts and logs a failure
  std::mutex mutex_;
  std::deque<std::function<void(store::Connection&)>> backlog_;
};

/// Parses the readings.components JSON object ({"8480-6":150,"8462-4":null}) into code/value
/// pairs; null values are skipped. nullopt when it is not such an object.
std::optional<std::vector<std::pair<std::string, double>>> parseComponents(const std::string& json);

/// The rules and alerts of the store, in place of what `rules` and `lifecycle` hold: the rule
/// history replayed (or the defaults stored on a first start), the unresolved alerts and snoozes.
/// Later changes of both are journalled to `repo` (repo.noteLoaded()). Returns the number of
/// unresolved alerts.
std::size_t loadAlertState(AlertRepository& repo, RuleSet& rules, AlertLifecycle& lifecycle,
                           TimePoint now);

struct WarmUp {
  std::chrono::hours lookback{0};     // as extended to the engine's reach
  std::size_t warmed = 0;             // observations the engine warmed up from
  std::vector<Observation> unjudged;  // the window's observations not judged yet, oldest first
};

/// Warms the engine up from the readings received in the last `lookback` (extended to the
/// engine's stateHorizon(), at most `limit` observations) that `judged` says were judged, and
/// from the missing-data alerts raised in that window. The rest is returned, not evaluated.
WarmUp warmUpEngine(AlertRepository& repo, AlertEngine& engine, TimePoint now,
                    std::chrono::hours lookback, std::size_t limit,
                    const std::function<bool(std::int64_t readingId)>& judged);

/// A single box after a journal write failed (repo.diverged()): the engine reset, then
/// restoreAlerts() as at start-up: the alerts, rules and snoozes the store holds, and the
/// readings after the last evaluated mark judged again, so a breach whose alert was not stored
/// raises it again. Returns whether it ran. The caller keeps new readings' judging out meanwhile.
bool resyncAfterJournalFailure(AlertRepository& repo, RuleSet& rules, AlertLifecycle& lifecycle,
                               AlertEngine& engine, TimePoint now);

/// Start-up of a single box: loadAlertState(), warmUpEngine() from the readings up to the last
/// evaluated one, then evaluates the readings stored after it. Returns the changes of that
/// catch-up evaluation.
std::vector<AlertChange> restoreAlerts(AlertRepository& repo, RuleSet& rules,
                                       AlertLifecycle& lifecycle, AlertEngine& engine,
                                       TimePoint now, std::chrono::hours lookback,
                                       std::size_t maxObservations = 2'000'000);

}  // namespace vigil::alerts
