#pragma once
// On-demand care for the practice reports (issue 30, docs/reports.md "On-demand care"): the
// requests to be seen now made in [from, to), by what became of them, and the time from the
// request to the start of its video visit. vigil::analytics composes it into the report; it
// authorises and audits the read itself.
//
// A request is in one of three states (ondemand_requests, migration 0029): waiting (in a queue
// or the pool), started (a provider started its video visit: closed_at is that instant, the
// provider closed_by), cancelled (the patient withdrew it while it waited). Nothing else ends a
// request: a request nobody starts stays waiting.

#include <cstdint>
#include <optional>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/core/tally.hpp"

namespace vigil::store {
class Connection;
}

namespace vigil::ondemand {

/// The figures of a set of requests (the period's, a provider's, a day's).
struct OnDemandCounts {
  PatientTally requests;       // every request made
  PatientTally seen;           // started: a provider started its visit
  PatientTally cancelled;      // withdrawn by the patient while waiting
  PatientTally waiting;        // still waiting when the report was read
  DurationTally toVisitStart;  // requested_at → the visit's start, seconds (seen ones)
};

struct ProviderOnDemand {
  std::int64_t providerUserId = 0;
  OnDemandCounts requests;
};

struct DayOnDemand {
  TimePoint dayStart;  // from + d days; the day is [dayStart, dayStart + 24 h)
  OnDemandCounts requests;
};

struct OnDemandReport {
  OnDemandCounts totals;
  /// By the request's provider: who started it, else whose queue it is (or was, when cancelled)
  /// in; a request never matched (the pool) is in the totals and the days only. By id.
  std::vector<ProviderOnDemand> providers;
  std::vector<DayOnDemand> days;  // one per day of [from, to), the last one partial
};

/// The on-demand report over [from, to) for `scope`: a request counts when its provider (as in
/// OnDemandReport::providers) is in scope (scope.coversProvider); a request never matched only
/// for the practice. Read on `c`: no check, no audit. Every tally finish()ed.
OnDemandReport onDemandReportIn(store::Connection& c, TimePoint from, TimePoint to,
                                const ReportScope& scope);

}  // namespace vigil::ondemand
