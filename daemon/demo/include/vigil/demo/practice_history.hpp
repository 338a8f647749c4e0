#pragma once
// A practice's past, for the reports (issue 30): providers with weekly hours, NPIs and licenses,
// two clinic groups, patients with portal logins, consents, insurance, a blood-pressure cuff and
// (most of them) an RPM enrolment, then `days` of history written through the owning libraries'
// services with a clock the generator moves by hand (no SQL on their tables):
//
//   - readings: the cuff's readings through the normal store path (backfillDemoHistory), each
//     patient with an adherence of their own (most days, about two days in three, one in three);
//   - appointments (video follow-ups, booked the morning of the day): completed (both join, the
//     provider ends the visit 20 minutes in), cancelled two hours before, no-shows (marked 15
//     minutes in), and some left booked; and booked ones in the `futureDays` after `until`;
//   - on-demand requests: a provider on duty each weekday afternoon starts most requests a few
//     minutes after they are made (the visit ends 15 minutes later), a few are withdrawn;
//   - async cases: answered within the business-day target, answered late, some never, half of
//     the answered ones closed; the periodic escalation runs every evening;
//   - alerts (alerts::AlertLifecycle journalled by AlertRepository): raised for enrolled patients,
//     acknowledged and resolved after delays that depend on the severity, some escalated first,
//     those of the last two days left open;
//   - billing: each month's care-management minutes (the nurse's review, sometimes the provider's
//     call), the month approved by the provider two days after it ends, completed visits approved
//     with 99213; the claims then move through submitted and accepted, most to paid, some denied.
//
// Deterministic: every choice comes from one RNG seeded with `seed`, drawn in the timeline's
// order (events at equal times in the order they were added), so the same plan on the same
// `until` creates the same history. What a service refuses (a slot taken, a patient busy, a month
// not approvable) is skipped and counted, never retried.
//
// The demo seed (demo_clinic.cpp) runs the small plan (demoPracticePlan(): 3 providers, 24
// patients, 90 days, ~3,000 transactions, +4 s on the seed); tests/bench/reports_bench.cpp the
// large one (50 providers, 5,000 patients, a year, ~5 minutes).

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/demo/demo_clinic.hpp"

namespace vigil {
class ProgressBar;
}
namespace vigil::security {
struct Actor;
}

namespace vigil::demo {

/// What to create. The rates are per day (weekdays only for visits and on-demand care).
struct PracticePlan {
  std::string tag = "hist";  // MRNs (TAG-00001), e-mails (tag.patient1@demo.vigil)
  /// The providers: those with these e-mails first (they exist), then created ones named from
  /// `providerNames` (then "Dr. Provider N") up to `providers`.
  std::vector<std::string> existingProviders;
  std::vector<std::string> providerNames;
  int providers = 3;
  /// A nurse on every care team who logs the review minutes (empty: the provider logs them).
  std::string nurseEmail;
  /// Two clinic groups splitting the providers in halves (empty name: no group).
  std::string firstGroup = "North clinic";
  std::string secondGroup = "South clinic";
  int patients = 24;
  double rpmShare = 0.75;  // of the patients, enrolled in RPM (and so with alerts and claims)
  std::chrono::days days{90};
  std::chrono::days futureDays{14};
  bool readingsOncePerDay = false;  // the cuff's first routine time only (the bench's year)
  double visitsPerProviderDay = 2;
  double onDemandPerDay = 2;
  double casesPerDay = 1.5;
  double alertsPerDay = 3;
  bool claims = true;
  std::uint64_t seed = 30;
};

/// The demo seed's plan: Dr. Lee and two more providers, the demo nurse, 24 patients, 90 days.
PracticePlan demoPracticePlan();

/// What the generator created (and what the services refused).
struct PracticeHistoryResult {
  int providers = 0;  // created (not counting existing ones)
  int patients = 0;
  int enrolled = 0;
  std::uint64_t readings = 0;
  int appointments = 0;  // booked (past and future)
  int completed = 0;
  int surveysAnswered = 0;  // satisfaction surveys the patients answered (held video visits)
  int cancelled = 0;
  int noShows = 0;
  int futureBooked = 0;
  int onDemandSeen = 0;
  int onDemandCancelled = 0;
  int casesOpened = 0;
  int casesAnswered = 0;
  int alertsRaised = 0;
  int alertsResolved = 0;
  int claims = 0;
  int refused = 0;  // steps a service refused (skipped)
};

/// Creates the plan's practice and its history in [until - days, until) (and the future
/// bookings after `until`), as `admin`. `progress` (optional) counts the timeline's events.
/// Throws what the set-up's services throw (the history's refusals are only counted).
PracticeHistoryResult generatePracticeHistory(const DemoServices& services,
                                              const security::Actor& admin,
                                              const PracticePlan& plan, TimePoint until,
                                              ProgressBar* progress = nullptr);

}  // namespace vigil::demo
