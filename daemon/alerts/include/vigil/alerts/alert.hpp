#pragma once
// An alert and its changes. One alert stays open per (patient, rule key) until resolved; new
// breaches update it (count, latest and worst value) instead of adding alerts.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "vigil/alerts/alert_rule.hpp"
#include "vigil/core/clock.hpp"

namespace vigil::alerts {

/// Where an alert is in its lifecycle (see docs/alerts.md for the diagram).
enum class AlertState : std::uint8_t { open, claimed, acknowledged, escalated, resolved };
std::string_view toString(AlertState s);
std::optional<AlertState> parseAlertState(std::string_view s);

/// What happened to an alert.
enum class AlertChangeKind : std::uint8_t {
  raised,
  updated,
  claimed,
  acknowledged,
  escalated,
  resolved
};
std::string_view toString(AlertChangeKind k);

/// One alert with its counters and response timestamps.
struct Alert {
  std::int64_t id = 0;
  std::int64_t patientId = 0;
  std::string ruleKey;
  std::int64_t ruleVersion = 0;  // the version of the rule that raised it
  RuleKind kind = RuleKind::threshold;
  std::string code;
  Severity severity = Severity::info;  // the worst severity reached while open
  AlertState state = AlertState::open;

  std::int64_t count = 0;  // breaches folded into this alert
  double latestValue = 0;  // value, delta (rate_of_change) or silence hours (missing_data)
  double worstValue = 0;
  bool higherIsWorse = true;
  std::int64_t firstReadingId = 0;  // 0 for missing_data
  std::int64_t lastReadingId = 0;
  TimePoint firstObservedAt;  // device time of the first / latest breach
  TimePoint lastObservedAt;

  TimePoint raisedAt;
  TimePoint ackDeadline;  // escalates when not acknowledged by then
  std::optional<TimePoint> claimedAt, acknowledgedAt, resolvedAt, escalatedAt;
  std::optional<std::int64_t> claimedBy, acknowledgedBy, resolvedBy;
  std::optional<std::int64_t> assignee;  // who the alert is routed to (escalation list)
  int escalationLevel = 0;               // 0: never escalated
  std::string resolutionNote;

  bool isOpen() const { return state != AlertState::resolved; }
  /// Escalated past the end of its chain and not taken by anyone since: nobody left.
  bool unassignedEscalation() const { return state == AlertState::escalated && !assignee; }
};

/// The alert named for a clinician (issue 17): vital, direction and severity in words, then the
/// worst value with its unit, e.g. "Systolic BP high — critical, 180 mmHg",
/// "Systolic BP high, 3 readings in a row — low priority, 152 mmHg", "Weight gain — high
/// priority, +1.3 kg in 24 h", "No weight for 49 h — low priority". Severity is said as a
/// priority ("low priority"), never as a bare "low" that reads as a low value. `rule` is the rule
/// in force under the alert's key (unit, count, window); null falls back to the vital's unit.
/// No PHI beyond the value itself: for the portal, never for logs.
std::string clinicalTitle(const Alert& alert, const AlertRule* rule);
/// The display unit of the alert's values: the rule's UCUM unit, "h" for missing data.
std::string alertUnit(const Alert& alert, const AlertRule* rule);

/// A change to an alert, with the alert as it is after the change.
struct AlertChange {
  AlertChangeKind kind = AlertChangeKind::updated;
  Alert alert;
  /// escalated: who had it before (told that it left them).
  std::optional<std::int64_t> previousAssignee;
};

/// One line of an alert's history (who did what when), for audit and response-time reports.
struct AlertEvent {
  std::int64_t alertId = 0;
  TimePoint at;
  AlertChangeKind kind = AlertChangeKind::updated;
  std::optional<std::int64_t> actorId;  // nullopt: the system
  std::string note;
  /// raised and escalated: who the alert was routed to (nullopt on an escalation: nobody left).
  std::optional<std::int64_t> assignee;
};

}  // namespace vigil::alerts
