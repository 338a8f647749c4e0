#pragma once
// Async cases for the practice reports (issue 30, docs/reports.md "Async cases"): the cases
// opened in [from, to), what became of them, the wall-clock time to the first clinician reply,
// and the response target (the clinic's business-hours target: each case's due_at, set by
// cases::dueAt when it was opened, the same instant the escalation check and the worklist use)
// met, missed, or passed with no reply yet. vigil::analytics composes it into the report; it
// authorises and audits the read itself.

#include <cstdint>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/core/tally.hpp"

namespace vigil::store {
class Connection;
}

namespace vigil::cases {

/// The figures of a set of cases (the period's, a provider's, a day's).
struct CaseFigures {
  PatientTally opened;
  PatientTally answered;       // a clinician replied (first_response_at set)
  PatientTally closed;         // state closed
  PatientTally escalated;      // the periodic check escalated it (escalated_at set)
  DurationTally toFirstReply;  // opened_at → first_response_at, wall-clock seconds
  PatientTally onTime;         // answered at or before due_at
  PatientTally late;           // answered after due_at
  PatientTally overdue;        // not answered, and due_at at or before `asOf`
};

struct ProviderCases {
  std::int64_t providerUserId = 0;
  CaseFigures cases;
};

struct DayCases {
  TimePoint dayStart;  // from + d days; the day is [dayStart, dayStart + 24 h)
  CaseFigures cases;
};

struct CaseReport {
  CaseFigures totals;
  /// By the case's provider: the clinician who replied first, else the assignee; a case with
  /// neither is in the totals and the days only. By id.
  std::vector<ProviderCases> providers;
  std::vector<DayCases> days;  // one per day of [from, to), the last one partial
};

/// The case report over [from, to) for `scope`: a case counts when its provider (as in
/// CaseReport::providers) is in scope (scope.coversProvider), or, with no provider, when its
/// patient is (scope.coversPatient). "Overdue" is judged at `asOf` (the caller's clock now, so
/// a period running into the future does not call a case late before its time). Read on `c`:
/// no check, no audit. Every tally finish()ed.
CaseReport caseReportIn(store::Connection& c, TimePoint from, TimePoint to,
                        const ReportScope& scope, TimePoint asOf);
/// The same judged at the end of the period (asOf = to): for a period that has ended.
CaseReport caseReportIn(store::Connection& c, TimePoint from, TimePoint to,
                        const ReportScope& scope);

}  // namespace vigil::cases
