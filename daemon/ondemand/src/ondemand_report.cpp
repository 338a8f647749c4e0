// The on-demand report (issue 30): the requests made in [from, to), read in one range scan of
// ondemand_requests_by_time (migration 0039) and tallied in memory.
#include "vigil/ondemand/ondemand_report.hpp"

#include <map>
#include <string>

#include "vigil/core/time.hpp"
#include "vigil/ondemand/ondemand.hpp"
#include "vigil/store/database.hpp"

namespace vigil::ondemand {

using core::toMillis;
using store::Connection;
using namespace std::chrono;

namespace {

constexpr std::int64_t kDayMs = 86'400'000;

struct Row {
  std::int64_t patient = 0;
  std::int64_t requestedMs = 0;
  RequestState state = RequestState::waiting;
  std::optional<std::int64_t> provider;  // who started it, else whose queue it is (was) in
  std::optional<std::int64_t> closedMs;
};

void count(OnDemandCounts& t, const Row& r) {
  t.requests.add(r.patient);
  switch (r.state) {
    case RequestState::started:
      t.seen.add(r.patient);
      if (r.closedMs)
        t.toVisitStart.add(r.patient, static_cast<double>(*r.closedMs - r.requestedMs) / 1000.0);
      break;
    case RequestState::cancelled:
      t.cancelled.add(r.patient);
      break;
    case RequestState::waiting:
      t.waiting.add(r.patient);
      break;
  }
}

void finish(OnDemandCounts& t) {
  t.requests.finish();
  t.seen.finish();
  t.cancelled.finish();
  t.waiting.finish();
  t.toVisitStart.finish();
}

}  // namespace

OnDemandReport onDemandReportIn(Connection& c, TimePoint from, TimePoint to,
                                const ReportScope& scope) {
  OnDemandReport report;
  const auto fromMs = toMillis(from);
  const auto toMs = toMillis(to);
  if (toMs <= fromMs) return report;
  const auto dayCount = (toMs - fromMs + kDayMs - 1) / kDayMs;
  for (std::int64_t d = 0; d < dayCount; ++d)
    report.days.push_back({from + milliseconds(d * kDayMs), {}});

  std::map<std::int64_t, ProviderOnDemand> providers;
  auto st = c.prepare(
      "SELECT patient_id, requested_at, state, provider_user_id, closed_by, closed_at "
      "FROM ondemand_requests WHERE requested_at >= ?1 AND requested_at < ?2");
  st.bindAll(fromMs, toMs);
  while (st.step()) {
    Row r;
    r.patient = st.getInt64(0);
    r.requestedMs = st.getInt64(1);
    r.state = parseRequestState(st.getText(2)).value_or(RequestState::cancelled);
    r.provider = r.state == RequestState::started ? st.get<std::optional<std::int64_t>>(4)
                                                  : st.get<std::optional<std::int64_t>>(3);
    r.closedMs = st.get<std::optional<std::int64_t>>(5);
    if (r.provider ? !scope.coversProvider(*r.provider) : !scope.practice) continue;
    count(report.totals, r);
    count(report.days[static_cast<std::size_t>((r.requestedMs - fromMs) / kDayMs)].requests, r);
    if (r.provider) {
      auto& p = providers[*r.provider];
      p.providerUserId = *r.provider;
      count(p.requests, r);
    }
  }
  finish(report.totals);
  for (auto& d : report.days) finish(d.requests);
  for (auto& [id, p] : providers) {
    finish(p.requests);
    report.providers.push_back(std::move(p));
  }
  return report;
}

}  // namespace vigil::ondemand
