#include "vigil/alerts/alert_rule.hpp"

#include <algorithm>
#include <cmath>

#include "vigil/alerts/observation.hpp"
#include "vigil/core/error.hpp"

namespace vigil::alerts {

std::string_view toString(Severity s) {
  switch (s) {
    case Severity::info:
      return "info";
    case Severity::low:
      return "low";
    case Severity::high:
      return "high";
    case Severity::critical:
      return "critical";
  }
  return "info";
}

std::optional<Severity> parseSeverity(std::string_view s) {
  for (auto v : {Severity::info, Severity::low, Severity::high, Severity::critical}) {
    if (toString(v) == s) return v;
  }
  return std::nullopt;
}

std::string_view toString(RuleKind k) {
  switch (k) {
    case RuleKind::threshold:
      return "threshold";
    case RuleKind::rateOfChange:
      return "rate_of_change";
    case RuleKind::missingData:
      return "missing_data";
    case RuleKind::consecutive:
      return "consecutive";
    case RuleKind::countWithin:
      return "count_within";
  }
  return "threshold";
}

std::optional<RuleKind> parseRuleKind(std::string_view s) {
  for (auto v : {RuleKind::threshold, RuleKind::rateOfChange, RuleKind::missingData,
                 RuleKind::consecutive, RuleKind::countWithin}) {
    if (toString(v) == s) return v;
  }
  return std::nullopt;
}

std::string_view toString(Comparison c) {
  switch (c) {
    case Comparison::atLeast:
      return "ge";
    case Comparison::above:
      return "gt";
    case Comparison::atMost:
      return "le";
    case Comparison::below:
      return "lt";
  }
  return "ge";
}

std::optional<Comparison> parseComparison(std::string_view s) {
  for (auto v : {Comparison::atLeast, Comparison::above, Comparison::atMost, Comparison::below}) {
    if (toString(v) == s) return v;
  }
  return std::nullopt;
}

bool compare(double value, Comparison c, double limit) {
  switch (c) {
    case Comparison::atLeast:
      return value >= limit;
    case Comparison::above:
      return value > limit;
    case Comparison::atMost:
      return value <= limit;
    case Comparison::below:
      return value < limit;
  }
  return false;
}

bool higherIsWorse(Comparison c) {
  return c == Comparison::atLeast || c == Comparison::above;
}

std::optional<Severity> AlertRule::classify(double value) const {
  std::optional<Severity> best;
  for (const auto& tier : tiers) {
    if (compare(value, comparison, tier.limit) && (!best || tier.severity > *best)) {
      best = tier.severity;
    }
  }
  return best;
}

namespace {
std::chrono::nanoseconds hours(double h) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double, std::ratio<3600>>(h));
}
}  // namespace

std::chrono::nanoseconds AlertRule::minimumSilence() const {
  std::chrono::nanoseconds shortest = std::chrono::nanoseconds::max();
  for (const auto& tier : tiers) shortest = std::min(shortest, hours(tier.limit));
  return shortest;
}

std::optional<Severity> AlertRule::classifySilence(std::chrono::nanoseconds silence) const {
  std::optional<Severity> best;
  for (const auto& tier : tiers) {
    if (silence >= hours(tier.limit) && (!best || tier.severity > *best)) best = tier.severity;
  }
  return best;
}

void AlertRule::validate() const {
  auto fail = [](const std::string& field, const char* why) {
    throw ValidationError("alert rule: " + field + " " + why);
  };
  if (key.empty() || key.size() > 64) fail("key", "must be 1-64 characters");
  if (code.empty()) fail("code", "is required");
  if (tiers.empty()) fail("tiers", "need at least one tier");
  for (const auto& tier : tiers) {
    if (!std::isfinite(tier.limit)) fail("tiers.limit", "must be finite");
    if (kind == RuleKind::missingData && tier.limit <= 0) fail("tiers.limit", "must be > 0 hours");
  }
  const bool needsWindow = kind == RuleKind::rateOfChange || kind == RuleKind::countWithin;
  if (needsWindow && window <= std::chrono::seconds{0}) fail("window", "must be > 0");
  if (kind == RuleKind::consecutive && count < 2) fail("count", "must be >= 2");
  if (kind == RuleKind::countWithin && count < 1) fail("count", "must be >= 1");
  if (kind == RuleKind::rateOfChange) {
    for (const auto& tier : tiers) {
      if (higherIsWorse(comparison) ? tier.limit <= 0 : tier.limit >= 0) {
        fail("tiers.limit", "must be a rise (> 0) for ge/gt or a fall (< 0) for le/lt");
      }
    }
  }
}

std::vector<AlertRule> defaultRules() {
  using std::chrono::days;
  using std::chrono::hours;
  using std::chrono::minutes;
  using std::chrono::seconds;
  auto rule = [](std::string key, RuleKind kind, std::string_view code, std::string unit,
                 Comparison cmp, std::vector<Tier> tiers, seconds window = seconds{0},
                 int count = 0) {
    AlertRule r;
    r.key = std::move(key);
    r.kind = kind;
    r.code = std::string(code);
    r.unit = std::move(unit);
    r.comparison = cmp;
    r.tiers = std::move(tiers);
    r.window = window;
    r.count = count;
    return r;
  };
  using C = Comparison;
  using K = RuleKind;
  using S = Severity;
  return {
      rule("bp.systolic.high", K::threshold, loinc::kSystolic, "mm[Hg]", C::atLeast,
           {{S::high, 160}, {S::critical, 180}}),
      rule("bp.systolic.low", K::threshold, loinc::kSystolic, "mm[Hg]", C::below,
           {{S::high, 90}, {S::critical, 80}}),
      rule("bp.systolic.elevated", K::consecutive, loinc::kSystolic, "mm[Hg]", C::atLeast,
           {{S::low, 140}}, seconds{0}, 3),
      rule("bp.diastolic.high", K::threshold, loinc::kDiastolic, "mm[Hg]", C::atLeast,
           {{S::high, 100}, {S::critical, 120}}),
      rule("hr.high", K::threshold, loinc::kHeartRate, "/min", C::atLeast,
           {{S::high, 120}, {S::critical, 150}}),
      rule("hr.low", K::threshold, loinc::kHeartRate, "/min", C::below,
           {{S::high, 50}, {S::critical, 40}}),
      rule("spo2.low", K::threshold, loinc::kSpO2, "%", C::below, {{S::critical, 85}}),
      rule("spo2.low.repeated", K::countWithin, loinc::kSpO2, "%", C::below, {{S::high, 90}},
           minutes{10}, 2),
      rule("weight.gain.day", K::rateOfChange, loinc::kBodyWeight, "kg", C::atLeast,
           {{S::high, 1.0}}, hours{24}),
      rule("weight.gain.week", K::rateOfChange, loinc::kBodyWeight, "kg", C::atLeast,
           {{S::high, 2.0}}, days{7}),
      rule("weight.missing", K::missingData, loinc::kBodyWeight, "", C::atLeast,
           {{S::low, 48}, {S::high, 96}}),
      rule("bp.missing", K::missingData, loinc::kSystolic, "", C::atLeast, {{S::low, 72}}),
      rule("temp.high", K::threshold, loinc::kBodyTemperature, "Cel", C::atLeast,
           {{S::low, 38.0}, {S::high, 39.5}}),
      rule("glucose.low", K::threshold, loinc::kGlucose, "mg/dL", C::below,
           {{S::high, 70}, {S::critical, 54}}),
      rule("glucose.high", K::threshold, loinc::kGlucose, "mg/dL", C::atLeast,
           {{S::high, 250}, {S::critical, 400}}),
  };
}

}  // namespace vigil::alerts
