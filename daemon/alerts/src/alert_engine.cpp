#include "vigil/alerts/alert_engine.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "vigil/core/log.hpp"

namespace vigil::alerts {

namespace {

double extreme(bool rise, std::optional<double> current, double value) {
  if (!current) return value;
  return rise ? std::min(*current, value) : std::max(*current, value);
}

double hoursOf(std::chrono::nanoseconds d) {
  return std::chrono::duration<double, std::ratio<3600>>(d).count();
}

}  // namespace

AlertEngine::AlertEngine(RuleSet& rules, AlertLifecycle& lifecycle, vigil::Clock& clock,
                         EngineOptions options, Metrics& metrics)
    : rules_(rules),
      lifecycle_(lifecycle),
      clock_(clock),
      options_(options),
      observations_(metrics.counter("vigil_alert_engine_observations_total",
                                    "Observations judged by the alert engine")),
      clockSkew_(metrics.counter("vigil_alert_engine_clock_skew_total",
                                 "Observations whose device time was ahead of reception")),
      tooLate_(metrics.counter("vigil_alert_engine_too_late_total",
                               "Observations older than the engine's state horizon")),
      unitMismatch_(metrics.counter("vigil_alert_engine_unit_mismatch_total",
                                    "Observations in a unit a rule cannot convert")),
      invalid_(metrics.counter("vigil_alert_engine_invalid_total",
                               "Observations with a value that is not a finite number")) {}

TimePoint AlertEngine::judgedTime(const Observation& o) {
  if (o.deviceTime > o.receivedAt + options_.futureTolerance) {
    clockSkew_.inc();
    return o.receivedAt;
  }
  return o.deviceTime;
}

Breach AlertEngine::breachFor(const AlertRule& rule, std::int64_t patientId, Severity severity,
                              double value, std::int64_t readingId, TimePoint at) {
  Breach b;
  b.patientId = patientId;
  b.ruleKey = rule.key;
  b.ruleVersion = rule.version;
  b.kind = rule.kind;
  b.code = rule.code;
  b.severity = severity;
  b.value = value;
  b.higherIsWorse = rule.kind == RuleKind::missingData || higherIsWorse(rule.comparison);
  b.readingId = readingId;
  b.observedAt = at;
  return b;
}

AlertEngine::RuleState& AlertEngine::stateFor(PatientState& ps, const AlertRule& rule) {
  RuleState& st = ps.rules[rule.key];
  if (st.kind != rule.kind || st.code != rule.code) {  // new, or the rule changed its nature
    st = RuleState{};
    st.kind = rule.kind;
    st.code = rule.code;
  }
  return st;
}

std::vector<AlertChange> AlertEngine::evaluate(std::span<const Observation> batch) {
  std::lock_guard lock(mutex_);
  Pending pending;
  judgeBatch(batch, pending);
  return apply(pending, clock_.now());
}

std::chrono::seconds AlertEngine::stateHorizon() const {
  std::chrono::seconds longest{0};
  // Every rule ever set (overrides included, removed ones too): conservative and small.
  for (const auto& change : rules_.changes()) {
    const auto& rule = change.rule;
    if (rule.kind == RuleKind::rateOfChange || rule.kind == RuleKind::countWithin)
      longest = std::max(longest, rule.window);
  }
  return longest + options_.lateHorizon;
}

void AlertEngine::warmUp(std::span<const Observation> recent) {
  std::lock_guard lock(mutex_);
  Pending discarded;
  judgeBatch(recent, discarded);
}

void AlertEngine::judgeBatch(std::span<const Observation> batch, Pending& pending) {
  const auto snapshot = rules_.snapshot();
  observations_.inc(batch.size());

  // Judge in device-time order so a batch gives the same result whatever order it came in.
  std::vector<std::pair<TimePoint, const Observation*>> order;
  order.reserve(batch.size());
  for (const auto& o : batch) order.emplace_back(judgedTime(o), &o);
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first, a.second->patientId, a.second->readingId) <
           std::tie(b.first, b.second->patientId, b.second->readingId);
  });

  for (const auto& [at, o] : order) {
    if (!std::isfinite(o->value)) {  // NaN/inf would poison windows; ingest sends none
      invalid_.inc();
      continue;
    }
    auto [it, inserted] = patients_.try_emplace(o->patientId);
    PatientState& ps = it->second;
    if (inserted) ps.since = at;  // monitored from its first reading
    auto [seen, first] = ps.lastSeen.try_emplace(o->code, at);
    if (!first) seen->second = std::max(seen->second, at);

    for (const AlertRule* rule : snapshot->rulesFor(o->patientId, o->code)) {
      if (rule->kind == RuleKind::missingData) {
        noteDataSeen(*rule, o->patientId, at, pending);
        continue;
      }
      auto value = convertUnit(o->value, o->unit, rule->unit, o->code);
      if (!value) {
        unitMismatch_.inc();
        continue;
      }
      judge(*rule, *o, *value, at, ps, pending);
    }
  }
}

void AlertEngine::judge(const AlertRule& rule, const Observation& o, double value, TimePoint at,
                        PatientState& ps, Pending& out) {
  const auto tier = rule.classify(value);
  if (rule.kind == RuleKind::threshold) {
    if (tier) out.breaches.push_back(breachFor(rule, o.patientId, *tier, value, o.readingId, at));
    return;
  }
  // count_within only needs the breaching readings; the other kinds need every reading.
  if (rule.kind == RuleKind::countWithin && !tier) return;
  RuleState& st = stateFor(ps, rule);
  auto pos = insertSample(rule, st, Sample{at, value, o.readingId, tier});
  if (!pos) return;
  switch (rule.kind) {
    case RuleKind::rateOfChange:
      judgeRateOfChange(rule, o.patientId, st, *pos, out);
      break;
    case RuleKind::consecutive:
      judgeConsecutive(rule, o.patientId, st, *pos, out);
      break;
    case RuleKind::countWithin:
      judgeCountWithin(rule, o.patientId, st, *pos, out);
      break;
    case RuleKind::threshold:
    case RuleKind::missingData:
      break;
  }
}

std::optional<std::size_t> AlertEngine::insertSample(const AlertRule& rule, RuleState& st,
                                                     Sample s) {
  auto& samples = st.samples;
  const auto horizon = rule.window + options_.lateHorizon;
  if (!samples.empty() && s.at < samples.back().at - horizon) {
    tooLate_.inc();
    return std::nullopt;
  }
  auto it =
      std::upper_bound(samples.begin(), samples.end(), s, [](const Sample& a, const Sample& b) {
        return std::tie(a.at, a.readingId) < std::tie(b.at, b.readingId);
      });
  if (s.readingId != 0 && it != samples.begin()) {
    const Sample& prev = *std::prev(it);
    if (prev.readingId == s.readingId && prev.at == s.at) return std::nullopt;  // redelivery
  }
  const auto inserted = samples.insert(it, s);  // invalidates every deque iterator
  auto pos = static_cast<std::size_t>(inserted - samples.begin());
  while (!samples.empty() && (samples.front().at < samples.back().at - horizon ||
                              samples.size() > options_.maxSamplesPerRule)) {
    samples.pop_front();
    if (pos == 0) {
      tooLate_.inc();
      return std::nullopt;
    }
    --pos;
  }
  return pos;
}

void AlertEngine::judgeRateOfChange(const AlertRule& rule, std::int64_t patientId,
                                    const RuleState& st, std::size_t pos, Pending& out) {
  const auto& s = st.samples;
  const Sample& r = s[pos];
  const bool rise = higherIsWorse(rule.comparison);
  // r against the lowest (highest) value within [r.at - window, r.at] before it.
  std::optional<double> ref;
  for (std::size_t i = pos; i-- > 0;) {
    if (s[i].at < r.at - rule.window) break;
    ref = extreme(rise, ref, s[i].value);
  }
  if (ref) {
    const double delta = r.value - *ref;
    if (auto sev = rule.classify(delta)) {
      out.breaches.push_back(breachFor(rule, patientId, *sev, delta, r.readingId, r.at));
    }
  }
  // A late r can be a new reference for the readings after it within the window.
  for (std::size_t j = pos + 1; j < s.size() && s[j].at <= r.at + rule.window; ++j) {
    std::optional<double> old;
    for (std::size_t i = j; i-- > 0;) {
      if (s[i].at < s[j].at - rule.window) break;
      if (i != pos) old = extreme(rise, old, s[i].value);
    }
    const bool newReference = !old || (rise ? r.value < *old : r.value > *old);
    if (!newReference) continue;
    const double delta = s[j].value - r.value;
    if (auto sev = rule.classify(delta)) {
      out.breaches.push_back(breachFor(rule, patientId, *sev, delta, s[j].readingId, s[j].at));
    }
  }
}

void AlertEngine::judgeConsecutive(const AlertRule& rule, std::int64_t patientId,
                                   const RuleState& st, std::size_t pos, Pending& out) {
  const auto& s = st.samples;
  const Sample& r = s[pos];
  if (!r.tier) return;  // a late in-range reading does not retract an alert already raised
  // The run of breaching readings around r, looking at most count-1 readings each way.
  const auto reach = static_cast<std::size_t>(rule.count - 1);
  std::size_t left = pos;
  while (left > 0 && pos - left < reach && s[left - 1].tier) --left;
  std::size_t right = pos;
  while (right + 1 < s.size() && right - pos < reach && s[right + 1].tier) ++right;
  if (right - left + 1 < static_cast<std::size_t>(rule.count)) return;
  Severity sev = *r.tier;
  for (std::size_t i = left; i <= right; ++i) sev = std::min(sev, *s[i].tier);
  out.breaches.push_back(breachFor(rule, patientId, sev, r.value, r.readingId, r.at));
}

void AlertEngine::judgeCountWithin(const AlertRule& rule, std::int64_t patientId,
                                   const RuleState& st, std::size_t pos, Pending& out) {
  const auto& s = st.samples;  // breaching readings only
  const Sample& r = s[pos];
  std::size_t lo = pos;
  while (lo > 0 && s[lo - 1].at >= r.at - rule.window) --lo;
  std::size_t hi = pos;
  while (hi + 1 < s.size() && s[hi + 1].at <= r.at + rule.window) ++hi;
  // Closed windows [e.at - window, e.at] that contain r, for each end e from r onwards.
  std::size_t i = lo;
  for (std::size_t e = pos; e <= hi; ++e) {
    while (s[i].at < s[e].at - rule.window) ++i;
    if (e - i + 1 >= static_cast<std::size_t>(rule.count)) {
      Severity sev = *r.tier;
      for (std::size_t k = i; k <= e; ++k) sev = std::min(sev, *s[k].tier);
      out.breaches.push_back(breachFor(rule, patientId, sev, r.value, r.readingId, r.at));
      return;
    }
  }
}

void AlertEngine::noteDataSeen(const AlertRule& rule, std::int64_t patientId, TimePoint at,
                               Pending& out) {
  auto open = lifecycle_.openAlert(patientId, rule.key);
  if (!open) return;
  // The alert reported silence over (raisedAt - N, raisedAt]; a reading inside that window
  // shows the silence never happened, one after it shows data resumed.
  if (at <= open->raisedAt - rule.minimumSilence()) return;
  for (const auto& [id, note] : out.resolutions) {
    if (id == open->id) return;
  }
  out.resolutions.emplace_back(open->id, at <= open->raisedAt ? "late data" : "data resumed");
}

std::vector<AlertChange> AlertEngine::tick(TimePoint now) {
  std::lock_guard lock(mutex_);
  const auto snapshot = rules_.snapshot();
  std::vector<std::int64_t> ids;
  ids.reserve(patients_.size());
  for (const auto& [id, ps] : patients_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());  // deterministic alert order

  Pending pending;
  for (auto patientId : ids) {
    PatientState& ps = patients_.at(patientId);
    for (const AlertRule* rule : snapshot->missingDataRulesFor(patientId)) {
      TimePoint ref = ps.since;
      if (auto it = ps.lastSeen.find(rule->code); it != ps.lastSeen.end()) {
        ref = std::max(ref, it->second);
      } else if (!ps.enrolled) {
        continue;  // a vital this patient does not send (no such device): nothing is missing
      }
      const auto silence = now - ref;
      const auto sev = rule->classifySilence(silence);
      if (!sev) continue;
      if (auto open = lifecycle_.openAlert(patientId, rule->key)) {
        if (*sev > open->severity) {
          pending.breaches.push_back(breachFor(*rule, patientId, *sev, hoursOf(silence), 0, ref));
        }
        continue;
      }
      // After a provider resolved the alert for this silence, raise again only after another
      // full silence period.
      if (auto last = ps.missingRaised.find(rule->key);
          last != ps.missingRaised.end() && last->second > ref &&
          now - last->second < rule->minimumSilence()) {
        continue;
      }
      pending.breaches.push_back(breachFor(*rule, patientId, *sev, hoursOf(silence), 0, ref));
    }
  }
  auto changes = apply(pending, now);
  for (const auto& change : changes) {
    if (change.kind != AlertChangeKind::raised) continue;
    auto it = patients_.find(change.alert.patientId);
    if (it != patients_.end()) it->second.missingRaised[change.alert.ruleKey] = now;
  }
  auto escalations = lifecycle_.escalateOverdue(now);
  changes.insert(changes.end(), escalations.begin(), escalations.end());
  return changes;
}

std::vector<AlertChange> AlertEngine::apply(Pending& pending, TimePoint now) {
  std::vector<AlertChange> changes;
  for (const auto& [id, note] : pending.resolutions) {
    auto result = lifecycle_.resolveBySystem(id, note);
    if (result) changes.push_back(AlertChange{AlertChangeKind::resolved, *result.alert});
  }
  if (!pending.breaches.empty()) {
    auto recorded = lifecycle_.recordBreaches(pending.breaches, now);
    changes.insert(changes.end(), recorded.begin(), recorded.end());
  }
  return changes;
}

void AlertEngine::enroll(std::int64_t patientId, TimePoint since) {
  std::lock_guard lock(mutex_);
  auto& ps = patients_[patientId];
  ps.since = since;
  ps.enrolled = true;
}

void AlertEngine::noteMissingDataRaised(std::int64_t patientId, const std::string& ruleKey,
                                        TimePoint raisedAt) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = patients_.try_emplace(patientId);
  if (inserted) it->second.since = raisedAt;
  auto& last = it->second.missingRaised[ruleKey];
  last = std::max(last, raisedAt);
}

void AlertEngine::reset() {
  std::lock_guard lock(mutex_);
  patients_.clear();
}

void AlertEngine::discharge(std::int64_t patientId) {
  std::lock_guard lock(mutex_);
  patients_.erase(patientId);
}

std::size_t AlertEngine::heldSamples() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [id, ps] : patients_) {
    for (const auto& [key, st] : ps.rules) n += st.samples.size();
  }
  return n;
}

}  // namespace vigil::alerts
