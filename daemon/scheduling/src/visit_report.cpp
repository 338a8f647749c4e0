// The visit report (issue 30): appointments by outcome, and available against booked time.
//
// Reads: the appointments starting in [from, to) through appointments_by_start (migration 0038)
// for the practice, or appointments_by_provider per provider of a narrower scope; which of the
// booked video appointments' visits ended through video's primary key (one query); each
// provider's settings, template and exceptions by their primary key and provider indexes (a few
// rows each). Available time is worked out in memory per provider: each local day's template
// blocks as the slot search places them (slots.hpp: blockInterval, DST included), clipped to
// [from, to), their union minus the union of the exceptions. A year for 50 providers is 50 x
// ~370 days of a few blocks each: nothing next to the appointments themselves.
#include "vigil/scheduling/visit_report.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "booking_impl.hpp"
#include "service_impl.hpp"
#include "slots.hpp"
#include "vigil/core/time.hpp"
#include "vigil/store/database.hpp"
#include "vigil/video/visit.hpp"

namespace vigil::scheduling {

using core::toMillis;
using store::Connection;
using namespace std::chrono;

namespace {

constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kMinuteMs = 60'000;

enum class Outcome { completed, cancelled, noShow, stillBooked, rescheduled };

struct Row {
  std::int64_t provider = 0;
  std::int64_t patient = 0;
  std::int64_t startsMs = 0;
  std::int64_t endsMs = 0;
  std::string state;
  std::optional<std::int64_t> visitId;
};

constexpr std::string_view kColumns =
    "SELECT provider_user_id, patient_id, starts_at, ends_at, state, visit_id FROM appointments ";

void readRows(store::Statement& st, std::vector<Row>& out) {
  while (st.step())
    out.push_back({st.getInt64(0), st.getInt64(1), st.getInt64(2), st.getInt64(3), st.getText(4),
                   st.get<std::optional<std::int64_t>>(5)});
}

/// The appointments starting in [from, to) of the providers in scope.
std::vector<Row> appointmentsIn(Connection& c, std::int64_t from, std::int64_t to,
                                const ReportScope& scope) {
  std::vector<Row> out;
  if (scope.practice) {
    auto st = c.prepare(std::string(kColumns) + "WHERE starts_at >= ?1 AND starts_at < ?2");
    st.bindAll(from, to);
    readRows(st, out);
    return out;
  }
  auto st = c.prepare(std::string(kColumns) +
                      "WHERE provider_user_id = ?1 AND starts_at >= ?2 AND starts_at < ?3");
  for (auto provider : scope.providers) {
    st.reset();
    st.bindAll(provider, from, to);
    readRows(st, out);
  }
  return out;
}

/// What became of each row (completed: booked with its video visit ended, or state completed).
std::vector<Outcome> outcomesIn(Connection& c, const std::vector<Row>& rows) {
  std::vector<std::int64_t> visits;
  for (const auto& r : rows)
    if (r.state == "booked" && r.visitId) visits.push_back(*r.visitId);
  const auto ended = video::VisitService::endedAmongIn(c, visits);
  const std::set<std::int64_t> endedSet(ended.begin(), ended.end());
  std::vector<Outcome> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    if (r.state == "cancelled")
      out.push_back(Outcome::cancelled);
    else if (r.state == "no_show")
      out.push_back(Outcome::noShow);
    else if (r.state == "rescheduled")
      out.push_back(Outcome::rescheduled);
    else if (r.state == "completed" || (r.visitId && endedSet.count(*r.visitId) != 0))
      out.push_back(Outcome::completed);
    else
      out.push_back(Outcome::stillBooked);
  }
  return out;
}

void count(VisitCounts& v, const Row& r, Outcome o) {
  switch (o) {
    case Outcome::rescheduled:
      v.rescheduled.add(r.patient);
      return;
    case Outcome::completed:
      v.completed.add(r.patient);
      break;
    case Outcome::cancelled:
      v.cancelled.add(r.patient);
      break;
    case Outcome::noShow:
      v.noShows.add(r.patient);
      break;
    case Outcome::stillBooked:
      v.stillBooked.add(r.patient);
      break;
  }
  v.scheduled.add(r.patient);
}

void finish(VisitCounts& v) {
  for (auto* t :
       {&v.scheduled, &v.completed, &v.cancelled, &v.noShows, &v.stillBooked, &v.rescheduled})
    t->finish();
}

void finish(Utilisation& u) {
  u.availableMinutes.finish();
  u.bookedMinutes.finish();
  if (u.availableMinutes.count > 0)
    u.utilisation =
        static_cast<double>(u.bookedMinutes.count) / static_cast<double>(u.availableMinutes.count);
}

/// Sorted, non-overlapping.
std::vector<detail::Interval> merged(std::vector<detail::Interval> v) {
  std::sort(v.begin(), v.end());
  std::vector<detail::Interval> out;
  for (const auto& i : v) {
    if (i.second <= i.first) continue;
    if (!out.empty() && i.first <= out.back().second)
      out.back().second = std::max(out.back().second, i.second);
    else
      out.push_back(i);
  }
  return out;
}

/// The length of the union of `on` minus the union of `off`.
milliseconds coveredTime(const std::vector<detail::Interval>& on,
                         const std::vector<detail::Interval>& off) {
  milliseconds total{0};
  const auto offs = merged(off);
  for (const auto& [begin, end] : merged(on)) {
    auto covered = duration_cast<milliseconds>(end - begin);
    for (const auto& [oBegin, oEnd] : offs) {
      const auto b = std::max(begin, oBegin);
      const auto e = std::min(end, oEnd);
      if (b < e) covered -= duration_cast<milliseconds>(e - b);
    }
    total += covered;
  }
  return total;
}

/// The provider's available minutes in [from, to): template minus exceptions, in their zone.
std::int64_t availableMinutesIn(Connection& c, std::int64_t provider, TimePoint from,
                                TimePoint to) {
  const auto settings = detail::settingsIn(c, provider);
  if (!settings) return 0;  // no schedule: takes no bookings (as the slot search)
  const auto zone = core::TimeZone::locate(settings->timeZone);
  const auto blocks = detail::templateIn(c, provider);
  // Every local day that can touch [from, to): a day before the first, a day after the last.
  const local_days first = local_days{detail::localDateOf(*zone, from)} - days(1);
  const local_days last = local_days{detail::localDateOf(*zone, to)} + days(1);
  std::vector<detail::Interval> on;
  for (auto day = first; day <= last; day += days(1)) {
    const int wd = detail::isoWeekday(day);
    for (const auto& b : blocks) {
      if (b.weekday != wd) continue;
      auto [begin, end] = detail::blockInterval(*zone, day, b);
      on.emplace_back(std::max(begin, from), std::min(end, to));
    }
  }
  std::vector<detail::Interval> off;
  for (const auto& e : detail::exceptionsIn(c, provider))
    off.emplace_back(detail::instantOf(*zone, e.startsLocal, true),
                     detail::instantOf(*zone, e.endsLocal, false));
  return coveredTime(on, off).count() / kMinuteMs;
}

/// The providers with a schedule in scope.
std::vector<std::int64_t> scheduledProvidersIn(Connection& c, const ReportScope& scope) {
  std::vector<std::int64_t> out;
  auto st = c.prepare("SELECT provider_user_id FROM schedule_settings ORDER BY provider_user_id");
  while (st.step())
    if (scope.coversProvider(st.getInt64(0))) out.push_back(st.getInt64(0));
  return out;
}

}  // namespace

VisitReport visitReportIn(Connection& c, TimePoint from, TimePoint to, const ReportScope& scope) {
  VisitReport report;
  const auto fromMs = toMillis(from);
  const auto toMs = toMillis(to);
  if (toMs <= fromMs) return report;
  const auto dayCount = (toMs - fromMs + kDayMs - 1) / kDayMs;
  for (std::int64_t d = 0; d < dayCount; ++d)
    report.days.push_back({from + milliseconds(d * kDayMs), {}});

  const auto rows = appointmentsIn(c, fromMs, toMs, scope);
  const auto outcomes = outcomesIn(c, rows);
  std::map<std::int64_t, ProviderVisits> providers;
  for (auto id : scheduledProvidersIn(c, scope)) providers[id].providerUserId = id;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const auto o = outcomes[i];
    auto& p = providers[r.provider];
    p.providerUserId = r.provider;
    count(report.totals, r, o);
    count(p.visits, r, o);
    count(report.days[static_cast<std::size_t>((r.startsMs - fromMs) / kDayMs)].visits, r, o);
    if (o != Outcome::cancelled && o != Outcome::rescheduled) {
      const auto minutes = (r.endsMs - r.startsMs) / kMinuteMs;
      p.time.bookedMinutes.add(r.patient, minutes);
      report.time.bookedMinutes.add(r.patient, minutes);
    }
  }
  for (auto& [id, p] : providers) {
    const auto available = availableMinutesIn(c, id, from, to);
    p.time.availableMinutes.add(0, available);
    report.time.availableMinutes.add(0, available);
    finish(p.visits);
    finish(p.time);
    report.providers.push_back(std::move(p));
  }
  finish(report.totals);
  finish(report.time);
  for (auto& d : report.days) finish(d.visits);
  return report;
}

}  // namespace vigil::scheduling
