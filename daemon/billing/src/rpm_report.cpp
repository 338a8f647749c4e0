// The practice's RPM figures (rpm_report.hpp, docs/reports.md "RPM enrolment and adherence").
// One pass per patient with an enrolment: their episodes (episodes.cpp, as the month-end review
// reads them), the days with data of every period that can matter (those ending from 30 days
// before the period or its first month to its end, its last month's end or the as-of day), then
// each figure from those days. Days and months are the patient's own (their zone), as billing
// counts them; the list of months is the calendar months (UTC dates) the period touches.

#include "vigil/billing/rpm_report.hpp"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <set>

#include "billing_internal.hpp"
#include "vigil/patients/rpm_enrolment.hpp"
#include "vigil/readings/reading_query.hpp"

namespace vigil::billing {

using store::Connection;
using namespace std::chrono;

namespace {

struct Span {
  TimePoint from, to;
  bool holds(TimePoint t) const { return t >= from && t < to; }
};

year_month monthOf(Day d) {
  const year_month_day ymd(d);
  return ymd.year() / ymd.month();
}

std::vector<year_month> monthsTouching(TimePoint from, TimePoint to) {
  std::vector<year_month> out;
  const auto last = monthOf(floor<days>(to - milliseconds(1)));
  for (auto m = monthOf(floor<days>(from)); m <= last; m += months(1)) out.push_back(m);
  return out;
}

bool overlaps(const detail::Episode& e, TimePoint from, TimePoint to) {
  for (const auto& [a, b] : e.covered)
    if (a < to && b > from) return true;
  return false;
}

/// New and ended enrolments (each enrolment once, whatever its consented parts).
void countEnrolments(RpmReport& r, std::int64_t patientId,
                     const std::vector<patients::EnrolmentPeriod>& parts,
                     const core::TimeZone& zone) {
  const Span span{r.from, r.to};
  std::set<std::int64_t> seen;
  for (const auto& p : parts) {
    if (!seen.insert(p.enrolmentId).second) continue;
    if (auto start = parseDay(p.startDate); start && span.holds(startOfDay(zone, *start)))
      r.newEnrolments.add(patientId);
    if (!p.endDate) continue;
    if (auto last = parseDay(*p.endDate); last && span.holds(startOfDay(zone, *last)))
      r.endedEnrolments.add(patientId);
  }
}

/// The patient's current period as of r.asOf, judged against 16 days.
void judgeCurrentPeriod(RpmReport& r, std::int64_t patientId, const Period& p,
                        const std::set<Day>& withData, Day today) {
  int soFar = 0;
  for (auto d : withData)
    if (d <= today) ++soFar;
  const bool hasToday = withData.count(today) > 0;
  const auto elapsed = static_cast<int>((today - p.first).count());  // whole days before today
  const int left = static_cast<int>((p.last - today).count()) + (hasToday ? 0 : 1);
  const bool reachable = soFar + left >= kFullDeviceDays;
  const int pace = (kFullDeviceDays * elapsed + kPeriodDays - 1) / kPeriodDays;  // ceil
  if (!reachable)
    r.cannotReach.add(patientId);
  else if (soFar < pace)
    r.atRisk.add(patientId);
  else
    return;
  r.atRiskPatients.push_back({patientId, soFar, left, reachable});
}

/// One episode's periods: the adherence buckets, the months' full periods, the current period.
void countPeriods(Connection& c, RpmReport& r, std::int64_t patientId, const detail::Episode& e,
                  const core::TimeZone& zone, const std::vector<year_month>& months,
                  std::set<std::size_t>& fullMonths, double& daysSum) {
  const Day today = localDay(zone, r.asOf);
  const Day lo = std::min(localDay(zone, r.from), Day{months.front() / 1});
  const Day hi =
      std::max({localDay(zone, r.to - milliseconds(1)), Day{months.back() / last}, today});
  const Day through = std::min(hi, e.last.value_or(hi));
  if (through < e.start) return;
  const int first = periodIndexOf(e.start, std::max(e.start, lo - days(kPeriodDays)));
  const auto counted =
      detail::deviceDaysIn(c, patientId, e, zone, periodOf(e.start, first, e.last).first, through);
  const std::set<Day> none;
  for (int i = first; i <= periodIndexOf(e.start, through); ++i) {
    const auto p = periodOf(e.start, i, e.last);
    const auto it = counted.find(i);
    const auto& withData = it == counted.end() ? none : it->second;
    const auto n = static_cast<std::int64_t>(withData.size());
    if (Span{r.from, r.to}.holds(startOfDay(zone, p.last)) &&
        startOfDay(zone, p.last + days(1)) <= r.asOf) {
      auto& bucket = n >= kFullDeviceDays      ? r.periods16to30
                     : n >= kMinimumDeviceDays ? r.periods2to15
                                               : r.periods0to1;
      bucket.add(patientId);
      daysSum += static_cast<double>(n);
    }
    if (n >= kFullDeviceDays)
      if (auto m = std::find(months.begin(), months.end(), monthOf(p.last)); m != months.end())
        fullMonths.insert(static_cast<std::size_t>(m - months.begin()));
    if (p.first <= today && today <= p.last && detail::coveredAt(e, r.asOf))
      judgeCurrentPeriod(r, patientId, p, withData, today);
  }
}

bool moreUrgent(const AtRiskPatient& a, const AtRiskPatient& b) {
  if (a.reachable != b.reachable) return a.reachable;
  const int slackA = a.daysSoFar + a.daysLeft - kFullDeviceDays;
  const int slackB = b.daysSoFar + b.daysLeft - kFullDeviceDays;
  if (slackA != slackB) return slackA < slackB;
  if (a.daysLeft != b.daysLeft) return a.daysLeft < b.daysLeft;
  return a.patientId < b.patientId;
}

}  // namespace

RpmReport rpmReportIn(Connection& c, TimePoint from, TimePoint to, const ReportScope& scope,
                      TimePoint now, bool listPatients) {
  assert(from < to && "rpmReportIn: an empty period");
  RpmReport r;
  r.from = from;
  r.to = to;
  r.asOf = std::min(to, now);
  const auto months = monthsTouching(from, to);
  for (auto m : months) r.months.push_back({formatMonth(m), {}, {}});
  double daysSum = 0;
  for (auto patientId : patients::RpmEnrolmentService::enrolledPatientsIn(c)) {
    if (!scope.coversPatient(patientId)) continue;
    const auto zone = detail::zoneOfIn(c, patientId);
    const auto parts = detail::enrolmentPartsIn(c, patientId);
    const auto episodes = detail::episodesOf(parts, *zone);
    countEnrolments(r, patientId, parts, *zone);
    bool enrolled = false;
    for (const auto& e : episodes) enrolled = enrolled || overlaps(e, from, to);
    if (enrolled) {
      r.enrolled.add(patientId);
      if (!readings::ReadingQuery::transmittedIn(c, patientId, from, to).empty())
        r.active.add(patientId);
    }
    std::set<std::size_t> fullMonths;
    for (const auto& e : episodes) {
      countPeriods(c, r, patientId, e, *zone, months, fullMonths, daysSum);
      for (std::size_t i = 0; i < months.size(); ++i) {
        const auto [a, b] = detail::monthBounds(*zone, months[i]);
        if (overlaps(e, a, b) && (r.months[i].enrolled.patients.empty() ||
                                  r.months[i].enrolled.patients.back() != patientId))
          r.months[i].enrolled.add(patientId);
      }
    }
    for (auto i : fullMonths) r.months[i].fullPeriod.add(patientId);
  }
  const auto periods = r.periods16to30.count + r.periods2to15.count + r.periods0to1.count;
  if (periods > 0) r.meanDaysPerPeriod = daysSum / static_cast<double>(periods);
  for (auto* t : {&r.enrolled, &r.newEnrolments, &r.endedEnrolments, &r.active, &r.periods16to30,
                  &r.periods2to15, &r.periods0to1, &r.atRisk, &r.cannotReach})
    t->finish();
  for (auto& m : r.months) {
    m.enrolled.finish();
    m.fullPeriod.finish();
  }
  if (listPatients)
    std::sort(r.atRiskPatients.begin(), r.atRiskPatients.end(), moreUrgent);
  else
    r.atRiskPatients.clear();
  return r;
}

}  // namespace vigil::billing
