#pragma once
// Visits and provider utilisation for the practice reports (issue 30, docs/reports.md "Visits
// and utilisation"): the appointments whose start lies in [from, to), by what became of them,
// and the providers' available time (their weekly templates minus exceptions, in each
// provider's zone, exactly as the slot search reads them) against the time booked. vigil::
// analytics composes it into the report; it authorises and audits the read itself.
//
// What marks each state (the appointments table, migration 0025, and the visit of a video
// booking): cancelled = state cancelled; no-show = state no_show (staff marked it); completed =
// state completed, or still booked with its video visit ended (video::VisitService::end; nothing
// in the product sets the state completed yet, docs/scheduling.md "Not built yet", and nothing
// marks an in-person visit as held, so a held in-person appointment stays booked); the old row of
// a reschedule (state rescheduled) is not a booking of its own: its successor counts at its own
// start.

#include <cstdint>
#include <optional>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/core/tally.hpp"

namespace vigil::store {
class Connection;
}

namespace vigil::scheduling {

/// The appointment figures of a set of appointments (the period's, a provider's, a day's).
struct VisitCounts {
  PatientTally scheduled;    // every booking, whatever became of it (not the rescheduled rows)
  PatientTally completed;    // state completed, or booked with its video visit ended
  PatientTally cancelled;    // state cancelled
  PatientTally noShows;      // state no_show
  PatientTally stillBooked;  // booked, not (yet) completed: scheduled − the three above
  PatientTally rescheduled;  // moved away (state rescheduled): not in scheduled
};

/// A provider's time: what the template offered and what was booked, in minutes.
struct Utilisation {
  PatientTally availableMinutes;  // of no patient (add(0, minutes))
  PatientTally bookedMinutes;     // each appointment's minutes under its patient
  /// bookedMinutes / availableMinutes; nullopt when nothing was available.
  std::optional<double> utilisation;
};

struct ProviderVisits {
  std::int64_t providerUserId = 0;
  VisitCounts visits;
  Utilisation time;
};

struct DayVisits {
  TimePoint dayStart;  // from + d days; the day is [dayStart, dayStart + 24 h)
  VisitCounts visits;
};

struct VisitReport {
  VisitCounts totals;
  Utilisation time;
  std::vector<ProviderVisits> providers;  // by provider id
  std::vector<DayVisits> days;            // one per day of [from, to), the last one partial
};

/// The visit report over [from, to) for `scope` (an appointment counts when its provider is in
/// scope: scope.coversProvider), read on `c`: no check, no audit (vigil::analytics authorises
/// and audits its own read). Providers with a schedule (schedule_settings) in scope are listed
/// even without an appointment. Every tally finish()ed.
VisitReport visitReportIn(store::Connection& c, TimePoint from, TimePoint to,
                          const ReportScope& scope);

}  // namespace vigil::scheduling
