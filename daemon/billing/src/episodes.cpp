// RPM episodes as billing counts them (billing_internal.hpp), shared by the month-end review
// (review.cpp) and the practice's RPM report (rpm_report.cpp).
//
// Episode boundaries: patients::RpmEnrolmentService::enrolmentsIn gives an episode's consented
// parts with the episode's own edges at 00:00 UTC of its dates; here an edge that is exactly
// such a date boundary is read in the patient's zone instead (the episode starts on the
// patient's start date, wherever they live), while a consent's signing or withdrawal stays the
// instant it happened.

#include <algorithm>
#include <map>

#include "billing_internal.hpp"
#include "vigil/core/time.hpp"
#include "vigil/patients/rpm_enrolment.hpp"
#include "vigil/readings/reading_query.hpp"

namespace vigil::billing::detail {

using core::fromMillis;
using store::Connection;
using namespace std::chrono;

std::vector<patients::EnrolmentPeriod> enrolmentPartsIn(Connection& c, std::int64_t patientId) {
  return patients::RpmEnrolmentService::enrolmentsIn(c, patientId, fromMillis(0),
                                                     utcMidnight(sys_days(year(2200) / 1 / 1)));
}

std::vector<Episode> episodesOf(const std::vector<patients::EnrolmentPeriod>& parts,
                                const core::TimeZone& zone) {
  std::map<std::int64_t, Episode> byId;
  std::vector<std::int64_t> order;
  for (const auto& p : parts) {
    auto start = parseDay(p.startDate);
    if (!start) continue;
    auto [it, fresh] = byId.try_emplace(p.enrolmentId);
    auto& e = it->second;
    if (fresh) {
      order.push_back(p.enrolmentId);
      e.enrolmentId = p.enrolmentId;
      e.start = *start;
      if (p.endDate) e.last = parseDay(*p.endDate);
      e.enrolledBy = p.enrolledBy;
      e.conditions.push_back(p.conditionCode);
    }
    // The episode's own date edges in the patient's zone (see the file comment).
    auto from = p.from == utcMidnight(*start) ? startOfDay(zone, *start) : p.from;
    auto until = p.until;
    if (e.last && until == utcMidnight(*e.last + days(1)))
      until = startOfDay(zone, *e.last + days(1));
    e.covered.emplace_back(from, until);
  }
  std::vector<Episode> out;
  for (auto id : order) out.push_back(byId[id]);
  std::sort(out.begin(), out.end(),
            [](const Episode& a, const Episode& b) { return a.start < b.start; });
  // Overlapping enrolments (two conditions at once) are one episode of device supply: the
  // earlier start governs the periods, the later adds its condition and coverage.
  std::vector<Episode> merged;
  for (auto& e : out) {
    if (!merged.empty()) {
      auto& prev = merged.back();
      if (!prev.last || e.start <= *prev.last) {
        for (auto& cond : e.conditions)
          if (std::find(prev.conditions.begin(), prev.conditions.end(), cond) ==
              prev.conditions.end())
            prev.conditions.push_back(cond);
        prev.covered.insert(prev.covered.end(), e.covered.begin(), e.covered.end());
        if (prev.last && (!e.last || *e.last > *prev.last)) prev.last = e.last;
        continue;
      }
    }
    merged.push_back(std::move(e));
  }
  return merged;
}

std::vector<Episode> episodesIn(Connection& c, std::int64_t patientId, const core::TimeZone& zone) {
  return episodesOf(enrolmentPartsIn(c, patientId), zone);
}

bool coveredAt(const Episode& e, TimePoint t) {
  for (const auto& [from, until] : e.covered)
    if (t >= from && t < until) return true;
  return false;
}

std::map<int, std::set<Day>> deviceDaysIn(Connection& c, std::int64_t patientId, const Episode& e,
                                          const core::TimeZone& zone, Day first, Day through) {
  std::map<int, std::set<Day>> out;
  first = std::max(first, e.start);
  if (through < first) return out;
  // A day early and late: readings timed on a device's local clock are compared as wall times.
  const auto from = startOfDay(zone, first) - days(1);
  const auto to = startOfDay(zone, through + days(1)) + days(1);
  for (const auto& t : readings::ReadingQuery::transmittedIn(c, patientId, from, to)) {
    const ReadingTime rt{t.at, t.local};
    const auto day = localDay(zone, rt);
    if (day < first || day > through || (e.last && day > *e.last)) continue;
    // Consent coverage by the instant (a local-clock reading: by the start of its day).
    const auto instant = t.local ? startOfDay(zone, day) : t.at;
    if (!coveredAt(e, instant)) continue;
    out[periodIndexOf(e.start, day)].insert(day);
  }
  return out;
}

}  // namespace vigil::billing::detail
