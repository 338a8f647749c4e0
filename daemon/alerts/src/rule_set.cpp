#include "vigil/alerts/rule_set.hpp"

#include <algorithm>

#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"

namespace vigil::alerts {

namespace {
const std::vector<const AlertRule*> kNoRules;
}  // namespace

void RuleSnapshot::build(Index& index) {
  for (const auto& [key, rule] : index.byKey) {
    if (!rule->enabled) continue;
    index.byCode[rule->code].push_back(rule);
    if (rule->kind == RuleKind::missingData) index.missing.push_back(rule);
  }
}

const RuleSnapshot::Index& RuleSnapshot::indexFor(std::int64_t patientId) const {
  auto it = patients_.find(patientId);
  return it == patients_.end() ? defaults_ : it->second;
}

const std::vector<const AlertRule*>& RuleSnapshot::rulesFor(std::int64_t patientId,
                                                            const std::string& code) const {
  const auto& index = indexFor(patientId);
  auto it = index.byCode.find(code);
  return it == index.byCode.end() ? kNoRules : it->second;
}

const std::vector<const AlertRule*>& RuleSnapshot::missingDataRulesFor(
    std::int64_t patientId) const {
  return indexFor(patientId).missing;
}

const AlertRule* RuleSnapshot::find(std::int64_t patientId, const std::string& key) const {
  const auto& index = indexFor(patientId);
  auto it = index.byKey.find(key);
  return it == index.byKey.end() ? nullptr : it->second;
}

std::vector<AlertRule> RuleSnapshot::effectiveRules(std::int64_t patientId) const {
  std::vector<AlertRule> out;
  for (const auto& [key, rule] : indexFor(patientId).byKey) out.push_back(*rule);
  return out;
}

RuleSet::RuleSet(Clock& clock, std::vector<AlertRule> defaults) : clock_(clock) {
  std::lock_guard lock(mutex_);
  for (auto& rule : defaults) {
    rule.validate();
    rule.patientId.reset();
    rule.version = ++revision_;
    applyLocked(RuleChange{rule, 0, clock_.now(), "clinic default", false});
  }
  rebuildLocked();
}

AlertRule RuleSet::setDefault(AlertRule rule, std::int64_t actorId, std::string reason) {
  rule.validate();
  std::lock_guard lock(mutex_);
  rule.patientId.reset();
  rule.version = ++revision_;
  applyLocked(RuleChange{rule, actorId, clock_.now(), std::move(reason), false});
  rebuildLocked();
  log::info(
      "alerts.rule_changed",
      {{"rule", rule.key}, {"version", rule.version}, {"scope", "default"}, {"actor", actorId}});
  return rule;
}

AlertRule RuleSet::setOverride(std::int64_t patientId, AlertRule rule, std::int64_t actorId,
                               std::string reason) {
  rule.validate();
  std::lock_guard lock(mutex_);
  rule.patientId = patientId;
  rule.version = ++revision_;
  applyLocked(RuleChange{rule, actorId, clock_.now(), std::move(reason), false});
  rebuildLocked();
  log::info("alerts.rule_changed", {{"rule", rule.key},
                                    {"version", rule.version},
                                    {"scope", "patient"},
                                    {"patient", patientId},
                                    {"actor", actorId}});
  return rule;
}

bool RuleSet::removeOverride(std::int64_t patientId, const std::string& key, std::int64_t actorId,
                             std::string reason) {
  std::lock_guard lock(mutex_);
  auto p = overrides_.find(patientId);
  if (p == overrides_.end()) return false;
  auto r = p->second.find(key);
  if (r == p->second.end()) return false;
  AlertRule removed = *r->second;
  removed.version = ++revision_;
  applyLocked(RuleChange{removed, actorId, clock_.now(), std::move(reason), true});
  rebuildLocked();
  log::info("alerts.rule_override_removed",
            {{"rule", key}, {"patient", patientId}, {"actor", actorId}});
  return true;
}

void RuleSet::applyLocked(const RuleChange& change) {
  const auto& rule = change.rule;
  if (rule.patientId) {
    auto& rules = overrides_[*rule.patientId];
    if (change.removed) {
      rules.erase(rule.key);
      if (rules.empty()) overrides_.erase(*rule.patientId);
    } else {
      rules[rule.key] = std::make_shared<const AlertRule>(rule);
    }
  } else if (change.removed) {
    defaults_.erase(rule.key);
  } else {
    defaults_[rule.key] = std::make_shared<const AlertRule>(rule);
  }
  revision_ = std::max(revision_, rule.version);
  changes_.push_back(change);
  if (sink_) sink_(change);
}

std::vector<RuleChange> RuleSet::changes() const {
  std::lock_guard lock(mutex_);
  return changes_;
}

void RuleSet::replay(const std::vector<RuleChange>& history) {
  std::lock_guard lock(mutex_);
  defaults_.clear();
  overrides_.clear();
  changes_.clear();
  revision_ = 0;
  auto sink = std::move(sink_);  // replayed changes are already stored
  sink_ = nullptr;
  for (const auto& change : history) applyLocked(change);
  sink_ = std::move(sink);
  rebuildLocked();
}

void RuleSet::setChangeSink(std::function<void(const RuleChange&)> sink) {
  std::lock_guard lock(mutex_);
  sink_ = std::move(sink);
}

std::shared_ptr<const RuleSnapshot> RuleSet::snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

std::vector<RuleChange> RuleSet::history(std::optional<std::int64_t> patientId,
                                         const std::string& key) const {
  std::lock_guard lock(mutex_);
  std::vector<RuleChange> out;
  for (const auto& change : changes_) {
    if (change.rule.key == key && change.rule.patientId == patientId) out.push_back(change);
  }
  return out;
}

void RuleSet::rebuildLocked() {
  auto snap = std::make_shared<RuleSnapshot>();
  snap->revision_ = revision_;
  for (const auto& [key, rule] : defaults_) {
    snap->storage_.push_back(rule);
    snap->defaults_.byKey[key] = rule.get();
  }
  RuleSnapshot::build(snap->defaults_);
  for (const auto& [patientId, rules] : overrides_) {
    auto& index = snap->patients_[patientId];
    index.byKey = snap->defaults_.byKey;
    for (const auto& [key, rule] : rules) {
      snap->storage_.push_back(rule);
      index.byKey[key] = rule.get();
    }
    RuleSnapshot::build(index);
  }
  snapshot_ = std::move(snap);
}

}  // namespace vigil::alerts
