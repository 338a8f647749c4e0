#include "vigil/worklist/worklist.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

#include "vigil/alerts/alert.hpp"
#include "vigil/alerts/alert_lifecycle.hpp"
#include "vigil/alerts/alert_rule.hpp"
#include "vigil/cases/cases.hpp"
#include "vigil/core/error.hpp"
#include "vigil/notes/notes.hpp"
#include "vigil/patients/rpm_enrolment.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/store/database.hpp"
#include "vigil/video/visit.hpp"

namespace vigil::worklist {

using namespace std::chrono;

std::string_view toString(WorkKind kind) {
  switch (kind) {
    case WorkKind::alert:
      return "alert";
    case WorkKind::visit:
      return "visit";
    case WorkKind::draft:
      return "draft";
    case WorkKind::cosign:
      return "cosign";
    case WorkKind::review:
      return "review";
    case WorkKind::asyncCase:
      return "case";
  }
  return "alert";
}

namespace {

/// The instants at which the local day (and month) holding `now` starts and ends in `zone`.
struct LocalCalendar {
  TimePoint dayStart, dayEnd, monthStart;
  std::string month;  // YYYY-MM
};

LocalCalendar calendarAt(const core::TimeZone& zone, TimePoint now) {
  const auto local = zone.toLocal(time_point_cast<seconds>(now));
  const auto day = floor<days>(local);
  const year_month_day ymd{day};
  const local_days first{ymd.year() / ymd.month() / 1};
  LocalCalendar c;
  c.dayStart = zone.fromLocalLenient(local_seconds(day));
  c.dayEnd = zone.fromLocalLenient(local_seconds(day + days(1)));
  c.monthStart = zone.fromLocalLenient(local_seconds(first));
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()));
  c.month = buf;
  return c;
}

/// The alert as the queue names it ("Systolic BP high — critical, 180 mmHg").
std::string alertDetail(const alerts::Alert& a) {
  return alerts::clinicalTitle(a, nullptr);
}

}  // namespace

WorklistService::WorklistService(store::Database& db, alerts::AlertLifecycle& alerts, Clock& clock)
    : db_(db), alerts_(alerts), clock_(clock) {}

void WorklistService::addSource(WorkSource source) {
  sources_.push_back(std::move(source));
}

Worklist WorklistService::list(const security::Actor& actor, const core::TimeZone& zone) const {
  using security::Role;
  if (actor.role != Role::provider && actor.role != Role::nurse)
    throw AccessDenied("access denied: the worklist is for providers and nurses");
  const auto now = clock_.now();
  const auto cal = calendarAt(zone, now);
  Worklist out;
  auto openAlerts = alerts_.openAlerts();
  db_.read([&](store::Connection& c) {
    const auto team = security::SqliteCareTeam::patientsOfIn(c, actor.id);
    const std::set<std::int64_t> onTeam(team.begin(), team.end());

    // Alerts: mine (claimed or routed to me), then nobody's on my patients.
    for (const auto& a : openAlerts) {
      if (!a.isOpen() || a.state == alerts::AlertState::acknowledged) continue;
      const bool mine = a.claimedBy == actor.id || (!a.claimedBy && a.assignee == actor.id);
      const bool nobodys = !a.claimedBy && !a.assignee && onTeam.count(a.patientId);
      if (!mine && !nobodys) continue;
      out.items.push_back({WorkKind::alert, a.patientId, a.id, alertDetail(a), a.raisedAt,
                           a.severity >= alerts::Severity::high});
    }
    // Visits starting today (my day), still to hold or running.
    for (const auto& v : video::VisitService::forUserIn(c, actor.id, cal.dayStart, cal.dayEnd)) {
      if (v.state == video::VisitState::cancelled || v.state == video::VisitState::ended) continue;
      out.items.push_back({WorkKind::visit, v.patientId, v.id,
                           v.state == video::VisitState::inProgress ? "in progress" : "scheduled",
                           v.startsAt, false});
    }
    // My drafts.
    for (const auto& n : notes::NoteService::draftsOfIn(c, actor.id))
      out.items.push_back(
          {WorkKind::draft, n.patientId, n.id, n.templateTitle, n.createdAt, false});
    // Notes to co-sign (providers co-sign nurses' notes on their care team).
    if (actor.role == Role::provider)
      for (const auto& n : notes::NoteService::cosignPendingIn(c, team))
        out.items.push_back({WorkKind::cosign, n.patientId, n.id, n.templateTitle,
                             n.signedAt.value_or(n.updatedAt), false});
    // RPM monthly reviews due this month.
    for (auto patientId : team)
      if (patients::RpmEnrolmentService::isEnrolledIn(c, patientId) &&
          !notes::NoteService::hasSignedReviewIn(c, patientId, cal.month))
        out.items.push_back({WorkKind::review, patientId, 0, cal.month, cal.monthStart, false});
    // Async cases waiting for the care team (or escalated to the user); urgent once past the
    // moment they escalate.
    for (const auto& k : cases::CaseService::waitingForIn(c, actor.id, team))
      out.items.push_back(
          {WorkKind::asyncCase, k.patientId, k.id, k.category, k.dueAt, now >= k.escalateAt});
    for (const auto& source : sources_) {
      auto more = source(c, actor, team, now);
      out.items.insert(out.items.end(), std::make_move_iterator(more.begin()),
                       std::make_move_iterator(more.end()));
    }
  });
  std::stable_sort(out.items.begin(), out.items.end(), [](const WorkItem& x, const WorkItem& y) {
    if (x.kind != y.kind) return x.kind < y.kind;
    if (x.urgent != y.urgent) return x.urgent;
    return x.at < y.at;
  });
  for (const auto& i : out.items) {
    switch (i.kind) {
      case WorkKind::alert:
        ++out.counts.alerts;
        break;
      case WorkKind::visit:
        ++out.counts.visits;
        break;
      case WorkKind::draft:
        ++out.counts.drafts;
        break;
      case WorkKind::cosign:
        ++out.counts.cosign;
        break;
      case WorkKind::review:
        ++out.counts.reviews;
        break;
      case WorkKind::asyncCase:
        ++out.counts.cases;
        break;
    }
  }
  return out;
}

}  // namespace vigil::worklist
