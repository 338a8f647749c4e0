#pragma once
// The patient-satisfaction figures of the practice reports (issue 30, docs/reports.md "Patient
// satisfaction"), for vigil::analytics. Plain data: counts with the patients behind them
// (PatientTally), means and the net promoter score. No comment: free text is PHI.
//
// Period: the video visits that ended (visits.ended_at) in [from, to), and the answers to
// those visits whenever they were given; day d of the series is [from + d days,
// from + d + 1 days), by the visit's end. Scope: the visit's provider (scope.coversProvider).

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/core/tally.hpp"

namespace vigil::store {
class Connection;
}

namespace vigil::surveys {

/// What the answers to a set of visits say.
struct SurveyFigures {
  /// Visits answered (one answer per visit).
  PatientTally responses;
  /// ratings[r - 1]: answers with rating r (1..5).
  std::array<PatientTally, 5> ratings;
  /// The mean of the ratings; nullopt without answers.
  std::optional<double> meanRating;
  /// "How likely are you to recommend us" 9-10, 7-8, 0-6.
  PatientTally promoters;
  PatientTally passives;
  PatientTally detractors;
  /// Net promoter score: 100 x (promoters - detractors) / responses, from -100 to 100; nullopt
  /// without answers.
  std::optional<double> nps;
};

/// One provider's visits and their answers.
struct ProviderSurveyFigures {
  std::int64_t providerUserId = 0;
  /// Video visits of this provider that ended in the period with the patient joined.
  PatientTally visitsEnded;
  SurveyFigures figures;
};

/// One day of the series (by the visit's end).
struct SurveyDay {
  TimePoint start;  // from + d days
  PatientTally visitsEnded;
  PatientTally responses;
  std::optional<double> meanRating;
};

/// The satisfaction report of a period and scope.
struct SurveyReport {
  TimePoint from;
  TimePoint to;
  /// The denominator: video visits that ended in [from, to) with the patient admitted (the
  /// visits a survey is due for).
  PatientTally visitsEnded;
  SurveyFigures total;
  /// Providers with a visit in the period, by user id.
  std::vector<ProviderSurveyFigures> providers;
  /// One entry per day of [from, to) (a partial last day included).
  std::vector<SurveyDay> days;
};

/// The report (reads video's ended visits and the answers on `c`, both by index; no access
/// check and no audit: vigil::analytics authorises and audits the report).
SurveyReport surveyReportIn(store::Connection& c, TimePoint from, TimePoint to,
                            const ReportScope& scope);

}  // namespace vigil::surveys
