#pragma once
// Alert rules: what counts as a dangerous reading. A rule has a key that stays the same across
// versions and scopes ("bp.systolic.high"); a patient override with the same key replaces the
// clinic default for that patient. Every change gets a new version (a revision number unique
// across the rule set), and an alert records the version that raised it.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::alerts {

/// How urgent an alert is; ordered (info < low < high < critical).
enum class Severity : std::uint8_t { info = 0, low = 1, high = 2, critical = 3 };
std::string_view toString(Severity s);
std::optional<Severity> parseSeverity(std::string_view s);

/// The kinds of rule the engine evaluates.
enum class RuleKind : std::uint8_t {
  threshold,
  rateOfChange,
  missingData,
  consecutive,
  countWithin
};
std::string_view toString(RuleKind k);  // threshold | rate_of_change | missing_data | ...
std::optional<RuleKind> parseRuleKind(std::string_view s);

/// How a value is compared with a tier's limit. atLeast is >=, above is >, atMost is <=,
/// below is <.
enum class Comparison : std::uint8_t { atLeast, above, atMost, below };
std::string_view toString(Comparison c);  // ge | gt | le | lt
std::optional<Comparison> parseComparison(std::string_view s);
bool compare(double value, Comparison c, double limit);
/// True for atLeast/above: a higher value is worse.
bool higherIsWorse(Comparison c);

/// One severity tier: a value that compares with `limit` reaches `severity`.
struct Tier {
  Severity severity = Severity::high;
  double limit = 0;
};

/// One rule. Meaning of the parameters by kind:
/// - threshold: each value is classified by `tiers` (comparison + limit); the highest tier met.
/// - rate_of_change: delta = value - lowest value within `window` before it (device time,
///   closed window [t - window, t]) for atLeast/above, value - highest for atMost/below;
///   the delta is classified by `tiers` (limits in `unit`).
/// - missing_data: no reading of `code` for tiers[i].limit hours raises tiers[i].severity
///   (comparison ignored: silence of at least `limit` hours).
/// - consecutive: `count` readings in a row (device-time order) that each reach a tier; the
///   alert's severity is the lowest tier all of them reach.
/// - count_within: `count` readings reaching a tier within `window` (closed window); severity
///   is the lowest tier those readings reach.
struct AlertRule {
  std::string key;
  std::int64_t version = 0;               // assigned by RuleSet
  std::optional<std::int64_t> patientId;  // nullopt: clinic default
  RuleKind kind = RuleKind::threshold;
  std::string code;  // LOINC
  std::string unit;  // UCUM unit of the limits
  Comparison comparison = Comparison::atLeast;
  std::vector<Tier> tiers;
  std::chrono::seconds window{0};
  int count = 0;
  bool enabled = true;

  /// The highest tier `value` reaches, if any.
  std::optional<Severity> classify(double value) const;
  /// Shortest silence that raises a missing_data alert.
  std::chrono::nanoseconds minimumSilence() const;
  /// The severity of a missing_data silence, if long enough.
  std::optional<Severity> classifySilence(std::chrono::nanoseconds silence) const;
  /// Throws vigil::ValidationError naming the field when the rule is malformed.
  void validate() const;
};

/// The clinic defaults shipped with Vigil (see docs/alerts.md for the table).
std::vector<AlertRule> defaultRules();

}  // namespace vigil::alerts
