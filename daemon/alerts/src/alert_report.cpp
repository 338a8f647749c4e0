#include "vigil/alerts/alert_report.hpp"

#include <algorithm>
#include <cassert>

#include "vigil/core/time.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::alerts {
namespace {

constexpr std::int64_t kDayMs = 24 * 3600 * 1000;

using core::toMillis;

/// One alert row as the report counts it.
struct AlertRow {
  std::int64_t patient = 0;
  std::int64_t raised = 0;
  std::optional<std::int64_t> acked;
  std::optional<std::int64_t> resolved;
  bool escalated = false;
};

void count(AlertTally& t, const AlertRow& a) {
  t.raised.add(a.patient);
  if (a.acked) {
    t.acknowledged.add(a.patient);
    t.toAcknowledge.add(a.patient, static_cast<double>(*a.acked - a.raised) / 1000.0);
  }
  if (a.resolved) {
    t.resolved.add(a.patient);
    t.toResolve.add(a.patient, static_cast<double>(*a.resolved - a.raised) / 1000.0);
  }
  if (a.escalated) t.escalated.add(a.patient);
}

/// The bare counts and sorted times of a finished tally (the alert-response page's shape).
ResponseTally responseOf(const AlertTally& t) {
  return {t.raised.count,    t.acknowledged.count,    t.resolved.count,
          t.escalated.count, t.toAcknowledge.seconds, t.toResolve.seconds};
}

}  // namespace

void AlertTally::finish() {
  for (auto* p : {&raised, &acknowledged, &resolved, &escalated}) p->finish();
  toAcknowledge.finish();
  toResolve.finish();
}

std::optional<double> nearestRankPercentile(const std::vector<double>& ascending, double p) {
  DurationTally t;
  t.seconds = ascending;
  return t.percentile(p);
}

AlertReport alertReportIn(store::Connection& c, TimePoint from, TimePoint to,
                          const ReportScope& scope) {
  assert(from < to && "alertReportIn: an empty period");
  const auto fromMs = toMillis(from);
  const auto toMs = toMillis(to);
  AlertReport report;
  report.from = from;
  report.to = to;
  for (auto s : {Severity::info, Severity::low, Severity::high, Severity::critical})
    report.bySeverity[s];
  report.byDay.resize(static_cast<std::size_t>((toMs - fromMs + kDayMs - 1) / kDayMs));
  std::map<std::string, RuleTally> rules;
  // Oldest first, so a rule's kind and code end as its latest alert's.
  auto st = c.prepare(
      "SELECT patient_id, severity, raised_at, acknowledged_at, resolved_at, escalation_level, "
      "rule_key, kind, code FROM alerts WHERE raised_at >= ?1 AND raised_at < ?2 "
      "ORDER BY raised_at, id");
  st.bindAll(fromMs, toMs);
  while (st.step()) {
    AlertRow a;
    a.patient = st.get<std::int64_t>(0);
    if (!scope.coversPatient(a.patient)) continue;
    auto severity = parseSeverity(st.get<std::string>(1));
    a.raised = st.get<std::int64_t>(2);
    a.acked = st.get<std::optional<std::int64_t>>(3);
    a.resolved = st.get<std::optional<std::int64_t>>(4);
    a.escalated = st.get<std::int64_t>(5) > 0;
    auto& rule = rules[st.get<std::string>(6)];
    rule.kind = st.get<std::string>(7);
    rule.code = st.get<std::string>(8);
    count(rule.tally, a);
    count(report.total, a);
    // The schema allows only the four severities; a day always: from <= raised < to.
    if (severity) count(report.bySeverity[*severity], a);
    count(report.byDay[static_cast<std::size_t>((a.raised - fromMs) / kDayMs)], a);
  }
  for (auto& [key, rule] : rules) {
    rule.key = key;
    rule.tally.finish();
    report.byRule.push_back(std::move(rule));
  }
  report.total.finish();
  for (auto& [severity, tally] : report.bySeverity) tally.finish();
  for (auto& tally : report.byDay) tally.finish();
  return report;
}

AlertResponseReport alertResponseReport(store::Database& db, TimePoint from, TimePoint to) {
  const auto full =
      db.read([&](store::Connection& c) { return alertReportIn(c, from, to, ReportScope{}); });
  AlertResponseReport report;
  report.from = from;
  report.to = to;
  for (const auto& [severity, tally] : full.bySeverity)
    report.bySeverity[severity] = responseOf(tally);
  for (const auto& tally : full.byDay) report.byDay.push_back(responseOf(tally));
  return report;
}

}  // namespace vigil::alerts
