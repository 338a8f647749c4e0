#include "vigil/alerts/alert_report.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "vigil/core/time.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::alerts {
namespace {

constexpr std::int64_t kDayMs = 24 * 3600 * 1000;

using core::toMillis;

void count(ResponseTally& t, std::int64_t raised, std::optional<std::int64_t> acked,
           std::optional<std::int64_t> resolved, bool escalated) {
  ++t.raised;
  if (acked) {
    ++t.acknowledged;
    t.toAckSeconds.push_back(static_cast<double>(*acked - raised) / 1000.0);
  }
  if (resolved) {
    ++t.resolved;
    t.toResolveSeconds.push_back(static_cast<double>(*resolved - raised) / 1000.0);
  }
  if (escalated) ++t.escalated;
}

void sortTimes(ResponseTally& t) {
  std::sort(t.toAckSeconds.begin(), t.toAckSeconds.end());
  std::sort(t.toResolveSeconds.begin(), t.toResolveSeconds.end());
}

}  // namespace

std::optional<double> nearestRankPercentile(const std::vector<double>& ascending, double p) {
  if (ascending.empty()) return std::nullopt;
  auto rank =
      static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(ascending.size())));
  return ascending[std::clamp<std::size_t>(rank, 1, ascending.size()) - 1];
}

AlertResponseReport alertResponseReport(store::Database& db, TimePoint from, TimePoint to) {
  assert(from < to && "alertResponseReport: an empty period");
  const auto fromMs = toMillis(from);
  const auto toMs = toMillis(to);
  AlertResponseReport report;
  report.from = from;
  report.to = to;
  for (auto s : {Severity::info, Severity::low, Severity::high, Severity::critical})
    report.bySeverity[s];
  report.byDay.resize(static_cast<std::size_t>((toMs - fromMs + kDayMs - 1) / kDayMs));
  db.read([&](store::Connection& c) {
    auto st = c.prepare(
        "SELECT severity, raised_at, acknowledged_at, resolved_at, escalation_level "
        "FROM alerts WHERE raised_at >= ?1 AND raised_at < ?2");
    st.bindAll(fromMs, toMs);
    while (st.step()) {
      auto severity = parseSeverity(st.get<std::string>(0));
      auto raised = st.get<std::int64_t>(1);
      auto acked = st.get<std::optional<std::int64_t>>(2);
      auto resolved = st.get<std::optional<std::int64_t>>(3);
      bool escalated = st.get<std::int64_t>(4) > 0;
      // The schema allows only the four severities; a day always: from <= raised < to.
      if (severity) count(report.bySeverity[*severity], raised, acked, resolved, escalated);
      count(report.byDay[static_cast<std::size_t>((raised - fromMs) / kDayMs)], raised, acked,
            resolved, escalated);
    }
  });
  for (auto& [severity, tally] : report.bySeverity) sortTimes(tally);
  for (auto& tally : report.byDay) sortTimes(tally);
  return report;
}

}  // namespace vigil::alerts
