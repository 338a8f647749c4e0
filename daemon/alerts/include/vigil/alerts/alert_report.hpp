#pragma once
// The alert-response report (GET /api/v1/reports/alert-response): how fast the clinic answers
// its alerts, for quality reporting. For the alerts raised in a period, per severity and per day:
// how many were raised, acknowledged, resolved and escalated, and the times raised →
// acknowledged and raised → resolved. Aggregates only: no patient id, no value, nothing of one
// alert. Read from the alerts table (the journal), not from the lifecycle's memory, which drops
// resolved alerts.

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "vigil/alerts/alert_rule.hpp"
#include "vigil/core/clock.hpp"

namespace vigil::store {
class Database;
}

namespace vigil::alerts {

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
