#pragma once
// The alert reports, read from the alerts table (the journal), not from the lifecycle's memory,
// which drops resolved alerts:
//   - alertReportIn (issue 30's practice analytics, docs/reports.md "Alerts"): for the alerts
//     raised in a period on the patients a ReportScope covers, per severity, per rule and per
//     day: raised, acknowledged, resolved, escalated (each with the patients behind it) and the
//     times raised -> acknowledged and raised -> resolved;
//   - alertResponseReport (GET /api/v1/reports/alert-response): the same tallies for the whole
//     practice as bare counts and sorted times, with no patient id: what the quality page showed
//     before issue 30. It is alertReportIn with the practice's scope, so both count alike.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vigil/alerts/alert_rule.hpp"
#include "vigil/core/clock.hpp"
#include "vigil/core/tally.hpp"

namespace vigil::store {
class Connection;
class Database;
}  // namespace vigil::store

namespace vigil::alerts {

/// The alerts of one group (a severity, a rule, a day, or all) with their patients.
struct AlertTally {
  PatientTally raised;
  PatientTally acknowledged;    // acknowledged_at set (whenever: up to the moment of the report)
  PatientTally resolved;        // resolved_at set
  PatientTally escalated;       // escalated at least once
  DurationTally toAcknowledge;  // raised -> acknowledged, seconds
  DurationTally toResolve;      // raised -> resolved, seconds
  /// Sorts and de-duplicates every part (once every alert is counted).
  void finish();
};

/// One rule as the alerts name it: its key (the same across versions and scopes), and the kind
/// and LOINC code of the version that raised the period's latest alert.
struct RuleTally {
  std::string key;
  std::string kind;  // threshold | rate_of_change | missing_data | consecutive | count_within
  std::string code;
  AlertTally tally;
};

/// The alerts raised in [from, to) on the patients of a scope.
struct AlertReport {
  TimePoint from;
  TimePoint to;
  AlertTally total;
  /// Every severity, those with nothing raised too.
  std::map<Severity, AlertTally> bySeverity;
  /// The rules that raised at least one alert in the period, by key.
  std::vector<RuleTally> byRule;
  /// Day d holds the alerts raised in [from + d days, from + d + 1 days); the last day may be
  /// cut short by `to`. Its median time to acknowledge: byDay[d].toAcknowledge.percentile(50).
  std::vector<AlertTally> byDay;
};

/// Tallies the alerts raised in [from, to) (from < to) whose patient `scope` covers, in one
/// read through the index alerts_by_raised (migration 0041).
AlertReport alertReportIn(store::Connection& c, TimePoint from, TimePoint to,
                          const ReportScope& scope);

// --------------------------------------------------------- the alert-response page (no ids)

/// The counts and response times of a group of alerts (one severity, or one day).
struct ResponseTally {
  std::int64_t raised = 0;
  std::int64_t acknowledged = 0;
  std::int64_t resolved = 0;
  std::int64_t escalated = 0;            // escalated at least once
  std::vector<double> toAckSeconds;      // raised → acknowledged, ascending
  std::vector<double> toResolveSeconds;  // raised → resolved, ascending
};

/// The nearest-rank percentile `p` (0 < p <= 100) of ascending values; nullopt when empty.
std::optional<double> nearestRankPercentile(const std::vector<double>& ascending, double p);

/// The alerts raised in [from, to), tallied.
struct AlertResponseReport {
  TimePoint from;
  TimePoint to;
  /// Every severity, those with nothing raised too.
  std::map<Severity, ResponseTally> bySeverity;
  /// Day d holds the alerts raised in [from + d days, from + d + 1 days); the last day may be
  /// cut short by `to`.
  std::vector<ResponseTally> byDay;
};

/// Tallies the alerts raised in [from, to) (from < to), in one read.
AlertResponseReport alertResponseReport(store::Database& db, TimePoint from, TimePoint to);

}  // namespace vigil::alerts
