// The case report (issue 30): the cases opened in [from, to), read in one range scan of
// cases_by_opened (migration 0040); the first clinician reply's author of an answered case is
// looked up through case_messages_by_case (its first rows), then everything is tallied in memory.
#include "vigil/cases/case_report.hpp"

#include <map>
#include <optional>
#include <string>

#include "vigil/core/time.hpp"
#include "vigil/store/database.hpp"

namespace vigil::cases {

using core::toMillis;
using store::Connection;
using namespace std::chrono;

namespace {

constexpr std::int64_t kDayMs = 86'400'000;

struct Row {
  std::int64_t patient = 0;
  std::int64_t openedMs = 0;
  bool closed = false;
  std::int64_t dueMs = 0;
  std::optional<std::int64_t> firstReplyMs;
  bool escalated = false;
  std::optional<std::int64_t> provider;  // the first replier, else the assignee
};

void count(CaseFigures& f, const Row& r, std::int64_t asOfMs) {
  f.opened.add(r.patient);
  if (r.closed) f.closed.add(r.patient);
  if (r.escalated) f.escalated.add(r.patient);
  if (r.firstReplyMs) {
    f.answered.add(r.patient);
    f.toFirstReply.add(r.patient, static_cast<double>(*r.firstReplyMs - r.openedMs) / 1000.0);
    (*r.firstReplyMs <= r.dueMs ? f.onTime : f.late).add(r.patient);
  } else if (r.dueMs <= asOfMs) {
    f.overdue.add(r.patient);
  }
}

void finish(CaseFigures& f) {
  for (auto* t : {&f.opened, &f.answered, &f.closed, &f.escalated, &f.onTime, &f.late, &f.overdue})
    t->finish();
  f.toFirstReply.finish();
}

}  // namespace

CaseReport caseReportIn(Connection& c, TimePoint from, TimePoint to, const ReportScope& scope,
                        TimePoint asOf) {
  CaseReport report;
  const auto fromMs = toMillis(from);
  const auto toMs = toMillis(to);
  if (toMs <= fromMs) return report;
  const auto dayCount = (toMs - fromMs + kDayMs - 1) / kDayMs;
  for (std::int64_t d = 0; d < dayCount; ++d)
    report.days.push_back({from + milliseconds(d * kDayMs), {}});

  // The first clinician reply: the first message of a case not by the patient (the question
  // aside), the one whose time first_response_at holds (case_service.cpp, messageIn).
  auto st = c.prepare(
      "SELECT k.patient_id, k.opened_at, k.state, k.due_at, k.first_response_at, "
      "k.escalated_at IS NOT NULL, "
      "coalesce(CASE WHEN k.first_response_at IS NULL THEN NULL ELSE "
      "(SELECT m.author_id FROM case_messages m WHERE m.case_id = k.id AND m.kind <> 'question' "
      "AND m.author_role <> 'patient' ORDER BY m.id LIMIT 1) END, k.assignee) "
      "FROM cases k WHERE k.opened_at >= ?1 AND k.opened_at < ?2");
  st.bindAll(fromMs, toMs);
  const auto asOfMs = toMillis(asOf);
  std::map<std::int64_t, ProviderCases> providers;
  while (st.step()) {
    Row r;
    r.patient = st.getInt64(0);
    r.openedMs = st.getInt64(1);
    r.closed = st.getText(2) == "closed";
    r.dueMs = st.getInt64(3);
    r.firstReplyMs = st.get<std::optional<std::int64_t>>(4);
    r.escalated = st.getInt64(5) != 0;
    r.provider = st.get<std::optional<std::int64_t>>(6);
    if (r.provider ? !scope.coversProvider(*r.provider) : !scope.coversPatient(r.patient)) continue;
    count(report.totals, r, asOfMs);
    count(report.days[static_cast<std::size_t>((r.openedMs - fromMs) / kDayMs)].cases, r, asOfMs);
    if (r.provider) {
      auto& p = providers[*r.provider];
      p.providerUserId = *r.provider;
      count(p.cases, r, asOfMs);
    }
  }
  finish(report.totals);
  for (auto& d : report.days) finish(d.cases);
  for (auto& [id, p] : providers) {
    finish(p.cases);
    report.providers.push_back(std::move(p));
  }
  return report;
}

CaseReport caseReportIn(Connection& c, TimePoint from, TimePoint to, const ReportScope& scope) {
  return caseReportIn(c, from, to, scope, to);
}

}  // namespace vigil::cases
