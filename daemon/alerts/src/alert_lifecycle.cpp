#include "vigil/alerts/alert_lifecycle.hpp"

#include <algorithm>
#include <cassert>
#include <cctype>

#include "vigil/core/log.hpp"
#include "vigil/events/event_bus.hpp"

namespace vigil::alerts {

namespace {
bool isBlank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c) != 0; });
}

bool isWorse(const Alert& a, double value) {
  return a.higherIsWorse ? value > a.worstValue : value < a.worstValue;
}

std::chrono::seconds since(TimePoint from, TimePoint to) {
  return std::chrono::duration_cast<std::chrono::seconds>(to - from);
}
}  // namespace

std::string_view toString(Outcome o) {
  switch (o) {
    case Outcome::ok:
      return "ok";
    case Outcome::notFound:
      return "not_found";
    case Outcome::wrongState:
      return "wrong_state";
    case Outcome::notClaimer:
      return "not_claimer";
    case Outcome::noteRequired:
      return "note_required";
    case Outcome::reasonRequired:
      return "reason_required";
    case Outcome::invalidTime:
      return "invalid_time";
  }
  return "not_found";
}

AlertLifecycle::AlertLifecycle(Clock& clock, EscalationPolicy policy, events::EventBus* bus,
                               Metrics& metrics)
    : clock_(clock),
      policy_(std::move(policy)),
      bus_(bus),
      metrics_(metrics),
      unassignedGauge_(metrics.gauge("vigil_alerts_unassigned_escalations",
                                     "Open alerts escalated with nobody left in their chain")) {
  setup_.clinicChain = policy_.chain;
}

Alert* AlertLifecycle::findLocked(std::int64_t alertId) {
  auto it = alerts_.find(alertId);
  return it == alerts_.end() ? nullptr : &it->second;
}

const Suppression* AlertLifecycle::activeSuppressionLocked(std::int64_t patientId,
                                                           const std::string& key,
                                                           TimePoint now) const {
  auto it = suppressions_.find(PairKey{patientId, key});
  if (it == suppressions_.end() || now >= it->second.until) return nullptr;
  return &it->second;
}

void AlertLifecycle::recordLocked(const Alert& alert, AlertChangeKind kind, TimePoint at,
                                  std::optional<std::int64_t> actor, std::string note) {
  auto& events = history_[alert.id];
  std::optional<std::int64_t> routedTo;
  if (kind == AlertChangeKind::raised || kind == AlertChangeKind::escalated)
    routedTo = alert.assignee;
  events.push_back(AlertEvent{alert.id, at, kind, actor, std::move(note), routedTo});
  if (journal_) journal_->alertChanged(alert, &events.back());
}

void AlertLifecycle::setJournal(AlertJournal* journal) {
  std::lock_guard lock(mutex_);
  journal_ = journal;
}

void AlertLifecycle::restore(std::vector<Alert> unresolved, std::vector<Suppression> suppressions,
                             std::int64_t nextId) {
  std::lock_guard lock(mutex_);
  restoreLocked(std::move(unresolved), std::move(suppressions), nextId);
}

void AlertLifecycle::restoreLocked(std::vector<Alert> unresolved,
                                   std::vector<Suppression> suppressions, std::int64_t nextId) {
  for (auto& a : unresolved) {
    assert(a.isOpen());
    const PairKey key{a.patientId, a.ruleKey};
    nextId_ = std::max(nextId_, a.id + 1);
    open_[key] = a.id;
    alerts_[a.id] = std::move(a);
  }
  for (auto& s : suppressions) {
    suppressions_[PairKey{s.patientId, s.ruleKey}] = std::move(s);
  }
  nextId_ = std::max(nextId_, nextId);
  refreshUnassignedLocked();
}

void AlertLifecycle::replaceAll(std::vector<Alert> unresolved,
                                std::vector<Suppression> suppressions, std::int64_t nextId) {
  // One lock: a reader sees the old state or the new one, never an empty queue between them.
  std::lock_guard lock(mutex_);
  alerts_.clear();
  open_.clear();
  suppressions_.clear();
  history_.clear();
  nextId_ = 1;
  restoreLocked(std::move(unresolved), std::move(suppressions), nextId);
}

std::size_t AlertLifecycle::forgetResolvedBefore(TimePoint before) {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (auto it = alerts_.begin(); it != alerts_.end();) {
    if (it->second.resolvedAt && *it->second.resolvedAt < before) {
      history_.erase(it->first);
      it = alerts_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

void AlertLifecycle::publishLocked(const AlertChange& change) {
  if (!bus_) return;
  const Alert& a = change.alert;
  if (change.kind == AlertChangeKind::raised) {
    bus_->publish(events::AlertRaised{a.id, a.patientId, a.ruleKey,
                                      std::string(toString(a.severity)), a.assignee});
  } else {
    bus_->publish(
        events::AlertChanged{a.id, a.patientId, a.ruleKey, std::string(toString(change.kind)),
                             std::string(toString(a.state)), std::string(toString(a.severity)),
                             a.count, a.assignee, a.escalationLevel, change.previousAssignee});
  }
}

std::vector<AlertChange> AlertLifecycle::recordBreaches(std::span<const Breach> breaches,
                                                        TimePoint now) {
  std::lock_guard lock(mutex_);
  std::vector<AlertChange> changes;
  std::map<std::int64_t, std::size_t> changeIndex;  // alert id -> index in changes
  std::map<std::int64_t, Severity> severityBefore;  // updated alerts: severity before the call
  for (const auto& b : breaches) {
    PairKey key{b.patientId, b.ruleKey};
    auto openIt = open_.find(key);
    Alert* alert = openIt == open_.end() ? nullptr : findLocked(openIt->second);
    if (!alert) {
      if (auto sup = suppressions_.find(key);
          sup != suppressions_.end() && now < sup->second.until) {
        ++sup->second.suppressedBreaches;
        metrics_.counter("vigil_alerts_suppressed_total", "Breaches dropped by a snooze").inc();
        continue;
      }
      Alert a;
      a.id = nextId_++;
      a.patientId = b.patientId;
      a.ruleKey = b.ruleKey;
      a.ruleVersion = b.ruleVersion;
      a.kind = b.kind;
      a.code = b.code;
      a.severity = b.severity;
      a.state = AlertState::open;
      a.count = 1;
      a.latestValue = a.worstValue = b.value;
      a.higherIsWorse = b.higherIsWorse;
      a.firstReadingId = a.lastReadingId = b.readingId;
      a.firstObservedAt = a.lastObservedAt = b.observedAt;
      a.raisedAt = now;
      a.ackDeadline = now + policy_.deadlineFor(b.severity);
      a.assignee = routeAt(setup_, b.patientId, 0, now);
      auto [it, inserted] = alerts_.emplace(a.id, std::move(a));
      assert(inserted);
      open_[key] = it->first;
      changeIndex[it->first] = changes.size();
      changes.push_back(AlertChange{AlertChangeKind::raised, it->second});
      metrics_
          .counter("vigil_alerts_raised_total", "Alerts raised",
                   {{"severity", std::string(toString(b.severity))}})
          .inc();
      log::info("alerts.raised", {{"alert", it->first},
                                  {"patient", b.patientId},
                                  {"rule", b.ruleKey},
                                  {"severity", toString(b.severity)}});
      continue;
    }
    // Fold into the open alert.
    const Severity before = alert->severity;
    ++alert->count;
    alert->latestValue = b.value;
    if (isWorse(*alert, b.value)) alert->worstValue = b.value;
    if (b.observedAt >= alert->lastObservedAt) {
      alert->lastObservedAt = b.observedAt;
      if (b.readingId != 0) alert->lastReadingId = b.readingId;
    }
    alert->ruleVersion = std::max(alert->ruleVersion, b.ruleVersion);
    if (b.severity > alert->severity) {
      alert->severity = b.severity;
      alert->ackDeadline = std::min(alert->ackDeadline, now + policy_.deadlineFor(b.severity));
    }
    auto idx = changeIndex.find(alert->id);
    if (idx == changeIndex.end()) {
      severityBefore.emplace(alert->id, before);
      changeIndex[alert->id] = changes.size();
      changes.push_back(AlertChange{AlertChangeKind::updated, *alert});
    } else {
      changes[idx->second].alert = *alert;  // keeps "raised" if it was raised in this batch
    }
  }
  // Journal and bus see one entry per alert per call, with its final state. The history keeps
  // raises and severity rises, not every repeat (a 1 Hz oximeter would write a line a second).
  for (const auto& change : changes) {
    auto before = severityBefore.find(change.alert.id);
    if (before == severityBefore.end()) {
      recordLocked(change.alert, change.kind, now, std::nullopt, {});
    } else if (change.alert.severity > before->second) {
      recordLocked(change.alert, change.kind, now, std::nullopt,
                   "severity " + std::string(toString(change.alert.severity)));
    } else if (journal_) {
      journal_->alertChanged(change.alert, nullptr);
    }
    publishLocked(change);
  }
  return changes;
}

TransitionResult AlertLifecycle::claim(std::int64_t alertId, std::int64_t userId) {
  std::lock_guard lock(mutex_);
  Alert* a = findLocked(alertId);
  if (!a) return {Outcome::notFound, std::nullopt};
  if (a->state != AlertState::open && a->state != AlertState::escalated) {
    return {Outcome::wrongState, std::nullopt};
  }
  const auto now = clock_.now();
  const bool wasUnassigned = a->unassignedEscalation();
  a->state = AlertState::claimed;
  a->claimedBy = userId;
  if (!a->claimedAt) a->claimedAt = now;
  recordLocked(*a, AlertChangeKind::claimed, now, userId, {});
  publishLocked(AlertChange{AlertChangeKind::claimed, *a});
  if (wasUnassigned) refreshUnassignedLocked();
  return {Outcome::ok, *a};
}

TransitionResult AlertLifecycle::acknowledge(std::int64_t alertId, std::int64_t userId) {
  std::lock_guard lock(mutex_);
  Alert* a = findLocked(alertId);
  if (!a) return {Outcome::notFound, std::nullopt};
  if (a->state != AlertState::claimed) return {Outcome::wrongState, std::nullopt};
  if (a->claimedBy != userId) return {Outcome::notClaimer, std::nullopt};
  const auto now = clock_.now();
  a->state = AlertState::acknowledged;
  a->acknowledgedBy = userId;
  a->acknowledgedAt = now;
  recordLocked(*a, AlertChangeKind::acknowledged, now, userId, {});
  publishLocked(AlertChange{AlertChangeKind::acknowledged, *a});
  return {Outcome::ok, *a};
}

TransitionResult AlertLifecycle::resolve(std::int64_t alertId, std::int64_t userId,
                                         const std::string& note) {
  std::lock_guard lock(mutex_);
  Alert* a = findLocked(alertId);
  if (!a) return {Outcome::notFound, std::nullopt};
  if (a->state != AlertState::claimed && a->state != AlertState::acknowledged) {
    return {Outcome::wrongState, std::nullopt};
  }
  if (a->claimedBy != userId) return {Outcome::notClaimer, std::nullopt};
  if (isBlank(note)) return {Outcome::noteRequired, std::nullopt};
  const auto now = clock_.now();
  a->state = AlertState::resolved;
  a->resolvedBy = userId;
  a->resolvedAt = now;
  a->resolutionNote = note;
  open_.erase(PairKey{a->patientId, a->ruleKey});
  recordLocked(*a, AlertChangeKind::resolved, now, userId, note);
  publishLocked(AlertChange{AlertChangeKind::resolved, *a});
  return {Outcome::ok, *a};
}

GroupResolution AlertLifecycle::resolveGroup(std::int64_t alertId, std::int64_t userId,
                                             const std::string& note) {
  GroupResolution out;
  std::vector<std::int64_t> others;
  {
    std::lock_guard lock(mutex_);
    const Alert* head = findLocked(alertId);
    if (head && head->isOpen()) {
      for (const auto& [key, id] : open_) {
        if (id == alertId) continue;
        const Alert* a = findLocked(id);
        if (a && a->patientId == head->patientId && a->code == head->code) others.push_back(id);
      }
    }
  }
  out.head = resolve(alertId, userId, note);
  if (!out.head) return out;
  std::sort(others.begin(), others.end());
  // Each step takes the lock on its own: a concurrent claim by someone else wins and the alert
  // is left open for them.
  for (auto id : others) {
    auto current = get(id);
    if (!current || !current->isOpen()) continue;
    if (current->state == AlertState::open || current->state == AlertState::escalated) {
      if (!claim(id, userId)) {
        out.leftOpen.push_back(id);
        continue;
      }
      current = get(id);
    }
    if (current->claimedBy != userId) {
      out.leftOpen.push_back(id);
      continue;
    }
    if (current->state == AlertState::claimed) acknowledge(id, userId);
    if (auto done = resolve(id, userId, note)) {
      out.alsoResolved.push_back(*done.alert);
    } else {
      out.leftOpen.push_back(id);
    }
  }
  return out;
}

TransitionResult AlertLifecycle::resolveBySystem(std::int64_t alertId, const std::string& note) {
  std::lock_guard lock(mutex_);
  Alert* a = findLocked(alertId);
  if (!a) return {Outcome::notFound, std::nullopt};
  if (a->state == AlertState::resolved) return {Outcome::wrongState, std::nullopt};
  assert(!isBlank(note));
  const auto now = clock_.now();
  const bool wasUnassigned = a->unassignedEscalation();
  a->state = AlertState::resolved;
  a->resolvedAt = now;
  a->resolutionNote = note;
  open_.erase(PairKey{a->patientId, a->ruleKey});
  recordLocked(*a, AlertChangeKind::resolved, now, std::nullopt, note);
  publishLocked(AlertChange{AlertChangeKind::resolved, *a});
  if (wasUnassigned) refreshUnassignedLocked();
  log::info("alerts.resolved_by_system", {{"alert", alertId}, {"reason", note}});
  return {Outcome::ok, *a};
}

std::optional<std::int64_t> AlertLifecycle::escalateLocked(Alert& a, TimePoint now) {
  const auto previous = a.assignee;
  ++a.escalationLevel;
  a.assignee = routeAt(setup_, a.patientId, a.escalationLevel, now);
  if (!a.assignee) {
    metrics_
        .counter("vigil_alerts_escalation_exhausted_total",
                 "Escalations past the end of the escalation list")
        .inc();
    log::warn("alerts.escalation_nobody_left",
              {{"alert", a.id}, {"level", a.escalationLevel}, {"severity", toString(a.severity)}});
  }
  a.state = AlertState::escalated;
  a.claimedBy.reset();
  a.escalatedAt = now;
  a.ackDeadline = now + policy_.deadlineFor(a.severity);
  metrics_
      .counter("vigil_alerts_escalated_total", "Alert escalations",
               {{"severity", std::string(toString(a.severity))}})
      .inc();
  log::warn("alerts.escalated",
            {{"alert", a.id}, {"level", a.escalationLevel}, {"severity", toString(a.severity)}});
  return previous;
}

TransitionResult AlertLifecycle::escalate(std::int64_t alertId, std::int64_t userId,
                                          const std::string& note) {
  std::lock_guard lock(mutex_);
  Alert* a = findLocked(alertId);
  if (!a) return {Outcome::notFound, std::nullopt};
  if (a->state == AlertState::resolved) return {Outcome::wrongState, std::nullopt};
  if (isBlank(note)) return {Outcome::noteRequired, std::nullopt};
  const auto now = clock_.now();
  const auto previous = escalateLocked(*a, now);
  recordLocked(*a, AlertChangeKind::escalated, now, userId, note);
  publishLocked(AlertChange{AlertChangeKind::escalated, *a, previous});
  refreshUnassignedLocked();
  return {Outcome::ok, *a};
}

void AlertLifecycle::refreshUnassignedLocked() {
  std::int64_t n = 0;
  for (const auto& [key, id] : open_)
    if (alerts_.at(id).unassignedEscalation()) ++n;
  unassignedGauge_.set(static_cast<double>(n));
}

std::vector<AlertChange> AlertLifecycle::escalateOverdue(TimePoint now) {
  std::lock_guard lock(mutex_);
  std::vector<AlertChange> changes;
  for (const auto& [key, id] : open_) {
    Alert* a = findLocked(id);
    assert(a);
    if (a->state == AlertState::acknowledged || now < a->ackDeadline) continue;
    if (activeSuppressionLocked(a->patientId, a->ruleKey, now)) continue;
    const auto previous = escalateLocked(*a, now);
    recordLocked(*a, AlertChangeKind::escalated, now, std::nullopt, "not acknowledged in time");
    changes.push_back(AlertChange{AlertChangeKind::escalated, *a, previous});
    publishLocked(changes.back());
  }
  refreshUnassignedLocked();
  return changes;
}

Outcome AlertLifecycle::suppress(std::int64_t patientId, const std::string& ruleKey,
                                 std::int64_t userId, const std::string& reason, TimePoint until) {
  if (isBlank(reason)) return Outcome::reasonRequired;
  std::lock_guard lock(mutex_);
  const auto now = clock_.now();
  if (until <= now) return Outcome::invalidTime;
  const PairKey key{patientId, ruleKey};
  if (journal_ && suppressions_.count(key))
    journal_->suppressionLifted(patientId, ruleKey, userId, now);
  auto& stored = suppressions_[key] =
      Suppression{patientId, ruleKey, userId, reason, now, until, 0};
  if (journal_) journal_->suppressionSet(stored);
  log::info("alerts.suppressed",
            {{"patient", patientId},
             {"rule", ruleKey},
             {"actor", userId},
             {"seconds", static_cast<std::int64_t>(since(now, until).count())}});
  return Outcome::ok;
}

bool AlertLifecycle::liftSuppression(std::int64_t patientId, const std::string& ruleKey,
                                     std::int64_t userId) {
  std::lock_guard lock(mutex_);
  const bool erased = suppressions_.erase(PairKey{patientId, ruleKey}) > 0;
  if (erased) {
    if (journal_) journal_->suppressionLifted(patientId, ruleKey, userId, clock_.now());
    log::info("alerts.suppression_lifted",
              {{"patient", patientId}, {"rule", ruleKey}, {"actor", userId}});
  }
  return erased;
}

std::optional<Suppression> AlertLifecycle::suppression(std::int64_t patientId,
                                                       const std::string& ruleKey,
                                                       TimePoint now) const {
  std::lock_guard lock(mutex_);
  const Suppression* s = activeSuppressionLocked(patientId, ruleKey, now);
  if (!s) return std::nullopt;
  return *s;
}

void AlertLifecycle::setEscalationChain(std::int64_t patientId, std::vector<std::int64_t> chain) {
  std::lock_guard lock(mutex_);
  if (chain.empty()) {
    setup_.patientChains.erase(patientId);
  } else {
    setup_.patientChains[patientId] = std::move(chain);
  }
}

void AlertLifecycle::setClinicChain(std::vector<std::int64_t> chain) {
  std::lock_guard lock(mutex_);
  setup_.clinicChain = std::move(chain);
}

void AlertLifecycle::setCoverage(std::vector<Coverage> coverage) {
  std::lock_guard lock(mutex_);
  setup_.coverage = std::move(coverage);
}

void AlertLifecycle::setEscalationSetup(EscalationSetup setup) {
  std::lock_guard lock(mutex_);
  setup_ = std::move(setup);
}

EscalationSetup AlertLifecycle::escalationSetup() const {
  std::lock_guard lock(mutex_);
  return setup_;
}

std::vector<Alert> AlertLifecycle::unassignedEscalations() const {
  std::lock_guard lock(mutex_);
  std::vector<Alert> out;
  for (const auto& [key, id] : open_)
    if (const auto& a = alerts_.at(id); a.unassignedEscalation()) out.push_back(a);
  std::sort(out.begin(), out.end(), [](const Alert& a, const Alert& b) { return a.id < b.id; });
  return out;
}

std::optional<Alert> AlertLifecycle::get(std::int64_t alertId) const {
  std::lock_guard lock(mutex_);
  auto it = alerts_.find(alertId);
  if (it == alerts_.end()) return std::nullopt;
  return it->second;
}

std::optional<Alert> AlertLifecycle::openAlert(std::int64_t patientId,
                                               const std::string& ruleKey) const {
  std::lock_guard lock(mutex_);
  auto it = open_.find(PairKey{patientId, ruleKey});
  if (it == open_.end()) return std::nullopt;
  return alerts_.at(it->second);
}

std::vector<Alert> AlertLifecycle::openAlerts() const {
  std::lock_guard lock(mutex_);
  std::vector<Alert> out;
  for (const auto& [key, id] : open_) out.push_back(alerts_.at(id));
  std::sort(out.begin(), out.end(), [](const Alert& a, const Alert& b) { return a.id < b.id; });
  return out;
}

std::vector<AlertEvent> AlertLifecycle::history(std::int64_t alertId) const {
  std::lock_guard lock(mutex_);
  auto it = history_.find(alertId);
  return it == history_.end() ? std::vector<AlertEvent>{} : it->second;
}

std::vector<ResponseTimes> AlertLifecycle::responseTimes(TimePoint from, TimePoint to) const {
  std::lock_guard lock(mutex_);
  std::vector<ResponseTimes> out;
  for (const auto& [id, a] : alerts_) {
    if (a.raisedAt < from || a.raisedAt >= to) continue;
    ResponseTimes r;
    r.alertId = id;
    r.severity = a.severity;
    r.raisedAt = a.raisedAt;
    if (a.claimedAt) r.toClaim = since(a.raisedAt, *a.claimedAt);
    if (a.acknowledgedAt) r.toAcknowledge = since(a.raisedAt, *a.acknowledgedAt);
    if (a.resolvedAt) r.toResolve = since(a.raisedAt, *a.resolvedAt);
    r.escalated = a.escalationLevel > 0;
    out.push_back(r);
  }
  return out;
}

}  // namespace vigil::alerts
