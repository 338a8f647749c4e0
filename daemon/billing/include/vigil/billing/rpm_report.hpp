#pragma once
// RPM enrolment and adherence for the practice reports (issue 30, docs/reports.md "RPM
// enrolment and adherence"): who was enrolled, who joined and left, who sent readings, how many
// days with data each 30-day device-supply period got (the billing rules' periods, rules.hpp),
// who is at risk of missing 16 days in the period running now, and a monthly series.
//
// Read as billing reads them: enrolments and their RPM consent through
// patients::RpmEnrolmentService::enrolmentsIn (an enrolment counts only while a consent covers
// it), days with data through readings::ReadingQuery::transmittedIn, in each patient's zone.
// Cost: per patient with an enrolment, one enrolment read and one read of their transmitted
// readings over the period (the index reading_rows_by_patient_local); no audit here, the caller
// (vigil::analytics) authorises and audits the report.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/core/tally.hpp"

namespace vigil::store {
class Connection;
}

namespace vigil::billing {

/// A patient whose current 30-day period may end under 16 days.
struct AtRiskPatient {
  std::int64_t patientId = 0;
  int daysSoFar = 0;      // days with data in the period, up to and including today
  int daysLeft = 0;       // days of the period still able to get data (today, if it has none yet)
  bool reachable = true;  // daysSoFar + daysLeft >= 16
};

/// One calendar month (the patient's zone) that touches the period.
struct RpmMonth {
  std::string month;        // YYYY-MM
  PatientTally enrolled;    // count: patients
  PatientTally fullPeriod;  // count: patients with a period ending in it with >= 16 days
};

struct RpmReport {
  TimePoint from;
  TimePoint to;
  TimePoint asOf;  // the "now" of the at-risk figures: min(to, the clock's now)

  PatientTally enrolled;         // count: patients enrolled (and consented) at any time in it
  PatientTally newEnrolments;    // count: enrolments whose start date begins in [from, to)
  PatientTally endedEnrolments;  // count: enrolments whose last day begins in [from, to)
  PatientTally active;  // count: enrolled patients with >= 1 transmitted reading in [from, to)

  // Device-supply periods whose last day begins in [from, to) and is over by asOf.
  PatientTally periods16to30;  // count: periods
  PatientTally periods2to15;
  PatientTally periods0to1;
  std::optional<double> meanDaysPerPeriod;

  // The current period of each patient enrolled at asOf.
  PatientTally atRisk;       // count: patients; 16 reachable but behind the pace
  PatientTally cannotReach;  // count: patients; 16 no longer reachable
  /// Filled only when asked (listPatients): unreachable last; then by slack (days so far + days
  /// left - 16) ascending, then days left, then patient id.
  std::vector<AtRiskPatient> atRiskPatients;

  std::vector<RpmMonth> months;  // oldest first
};

/// The RPM figures of [from, to) (from < to) for the patients `scope` covers. `now` is the
/// clock's now; `listPatients` fills atRiskPatients (only for readers allowed to see patients).
RpmReport rpmReportIn(store::Connection& c, TimePoint from, TimePoint to, const ReportScope& scope,
                      TimePoint now, bool listPatients = false);

}  // namespace vigil::billing
