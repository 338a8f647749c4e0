#pragma once
// Clinic default rules plus per-patient overrides, versioned and with a change history.
//
// Trade-off: the engine reads rules for every observation on the ingest thread while a
// provider edits them from the API thread. Edits rebuild an immutable RuleSnapshot (indexed by
// patient and code) and swap it in under a mutex; the engine takes one snapshot per batch, so
// lookups need no lock and a batch is judged against one consistent rule set. Rebuilding is
// O(rules x patients with overrides), fine for edits made by people.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "vigil/alerts/alert_rule.hpp"
#include "vigil/core/clock.hpp"

namespace vigil::alerts {

/// One change to a rule, kept for audit: which version, who, when, why.
struct RuleChange {
  AlertRule rule;  // the rule as set (for a removal: the override that was removed)
  std::int64_t actorId = 0;
  TimePoint at;
  std::string reason;
  bool removed = false;
};

/// Immutable, indexed view of the rules in force at one revision.
class RuleSnapshot {
 public:
  /// Enabled rules in force for the patient and LOINC code (overrides applied).
  const std::vector<const AlertRule*>& rulesFor(std::int64_t patientId,
                                                const std::string& code) const;
  /// Enabled missing_data rules in force for the patient.
  const std::vector<const AlertRule*>& missingDataRulesFor(std::int64_t patientId) const;
  /// The rule in force for the patient under `key` (enabled or not), or null.
  const AlertRule* find(std::int64_t patientId, const std::string& key) const;
  /// Every rule in force for the patient, by key.
  std::vector<AlertRule> effectiveRules(std::int64_t patientId) const;
  std::int64_t revision() const { return revision_; }

 private:
  friend class RuleSet;
  struct Index {
    std::map<std::string, const AlertRule*> byKey;
    std::unordered_map<std::string, std::vector<const AlertRule*>> byCode;
    std::vector<const AlertRule*> missing;
  };
  static void build(Index& index);
  const Index& indexFor(std::int64_t patientId) const;

  std::vector<std::shared_ptr<const AlertRule>> storage_;
  Index defaults_;
  std::unordered_map<std::int64_t, Index> patients_;  // only patients with overrides
  std::int64_t revision_ = 0;
};

/// The rule set: clinic defaults and per-patient overrides. Thread-safe.
class RuleSet {
 public:
  /// Installs `defaults` as the first revisions, by actor 0 (the system).
  explicit RuleSet(Clock& clock, std::vector<AlertRule> defaults = defaultRules());

  /// Adds or replaces the clinic default with the rule's key; returns it with its version.
  AlertRule setDefault(AlertRule rule, std::int64_t actorId, std::string reason);
  /// Adds or replaces the patient's override for the rule's key (a disabled override turns the
  /// default off for that patient); returns it with its version.
  AlertRule setOverride(std::int64_t patientId, AlertRule rule, std::int64_t actorId,
                        std::string reason);
  /// Removes the patient's override so the default applies again; false if there was none.
  bool removeOverride(std::int64_t patientId, const std::string& key, std::int64_t actorId,
                      std::string reason);

  std::shared_ptr<const RuleSnapshot> snapshot() const;
  /// Every change so far, oldest first (the defaults installed at construction included).
  std::vector<RuleChange> changes() const;
  /// Replaces the whole set by replaying a stored change history (at start-up).
  void replay(const std::vector<RuleChange>& history);
  /// Called with each new change, under the rule set's mutex (the repository journals it).
  void setChangeSink(std::function<void(const RuleChange&)> sink);
  /// Changes to the rule `key` in one scope (nullopt: clinic default), oldest first.
  std::vector<RuleChange> history(std::optional<std::int64_t> patientId,
                                  const std::string& key) const;

 private:
  void rebuildLocked();
  void applyLocked(const RuleChange& change);

  Clock& clock_;
  mutable std::mutex mutex_;
  std::int64_t revision_ = 0;
  std::map<std::string, std::shared_ptr<const AlertRule>> defaults_;
  std::map<std::int64_t, std::map<std::string, std::shared_ptr<const AlertRule>>> overrides_;
  std::vector<RuleChange> changes_;
  std::shared_ptr<const RuleSnapshot> snapshot_;
  std::function<void(const RuleChange&)> sink_;
};

}  // namespace vigil::alerts
