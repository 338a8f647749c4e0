// The satisfaction report (survey_report.hpp): two range reads, each on an index: video's ended
// visits (visits_ended_by_time) for the denominator, the answers by their visit's end
// (visit_surveys_by_visit_end), which each answer keeps so the report reads no visit per
// answer. A year of a 50-provider practice is some tens of thousands of rows of each.
#include "vigil/surveys/survey_report.hpp"

#include <map>

#include "vigil/core/time.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/video/visit.hpp"

namespace vigil::surveys {

using core::fromMillis;
using core::toMillis;

namespace {

/// Adds answers up; finish() turns the sums into the figures.
class FiguresBuilder {
 public:
  void add(std::int64_t patientId, int rating, int recommend) {
    f_.responses.add(patientId);
    f_.ratings[static_cast<std::size_t>(rating - 1)].add(patientId);
    ratingSum_ += rating;
    if (recommend >= 9)
      f_.promoters.add(patientId);
    else if (recommend >= 7)
      f_.passives.add(patientId);
    else
      f_.detractors.add(patientId);
  }

  SurveyFigures finish() {
    f_.responses.finish();
    for (auto& r : f_.ratings) r.finish();
    f_.promoters.finish();
    f_.passives.finish();
    f_.detractors.finish();
    if (f_.responses.count > 0) {
      const auto n = static_cast<double>(f_.responses.count);
      f_.meanRating = static_cast<double>(ratingSum_) / n;
      f_.nps = 100.0 * static_cast<double>(f_.promoters.count - f_.detractors.count) / n;
    }
    return f_;
  }

 private:
  SurveyFigures f_;
  std::int64_t ratingSum_ = 0;
};

struct ProviderBuilder {
  PatientTally visitsEnded;
  FiguresBuilder figures;
};

struct DayBuilder {
  PatientTally visitsEnded;
  PatientTally responses;
  std::int64_t ratingSum = 0;
};

}  // namespace

SurveyReport surveyReportIn(store::Connection& c, TimePoint from, TimePoint to,
                            const ReportScope& scope) {
  using std::chrono::hours;
  SurveyReport report;
  report.from = from;
  report.to = to;
  if (to <= from) return report;
  const auto dayCount =
      static_cast<std::size_t>((to - from + hours(24) - TimePoint::duration(1)) / hours(24));
  std::vector<DayBuilder> days(dayCount);
  auto dayOf = [&](TimePoint t) { return static_cast<std::size_t>((t - from) / hours(24)); };
  std::map<std::int64_t, ProviderBuilder> providers;

  for (const auto& v : video::VisitService::endedSummariesIn(c, from, to)) {
    if (!v.patientJoined || !scope.coversProvider(v.providerUserId)) continue;
    report.visitsEnded.add(v.patientId);
    providers[v.providerUserId].visitsEnded.add(v.patientId);
    days[dayOf(v.endedAt)].visitsEnded.add(v.patientId);
  }

  FiguresBuilder total;
  auto st = c.prepare(
      "SELECT patient_id, provider_user_id, visit_ended_at, rating, recommend FROM visit_surveys "
      "WHERE visit_ended_at >= ?1 AND visit_ended_at < ?2");
  st.bindAll(toMillis(from), toMillis(to));
  while (st.step()) {
    const auto patientId = st.getInt64(0);
    const auto providerId = st.getInt64(1);
    if (!scope.coversProvider(providerId)) continue;
    const auto endedAt = fromMillis(st.getInt64(2));
    const auto rating = static_cast<int>(st.getInt64(3));
    const auto recommend = static_cast<int>(st.getInt64(4));
    total.add(patientId, rating, recommend);
    providers[providerId].figures.add(patientId, rating, recommend);
    auto& day = days[dayOf(endedAt)];
    day.responses.add(patientId);
    day.ratingSum += rating;
  }

  report.visitsEnded.finish();
  report.total = total.finish();
  for (auto& [id, p] : providers) {
    p.visitsEnded.finish();
    report.providers.push_back({id, std::move(p.visitsEnded), p.figures.finish()});
  }
  for (std::size_t d = 0; d < days.size(); ++d) {
    SurveyDay out;
    out.start = from + hours(24) * static_cast<int>(d);
    out.visitsEnded = std::move(days[d].visitsEnded);
    out.visitsEnded.finish();
    out.responses = std::move(days[d].responses);
    out.responses.finish();
    if (out.responses.count > 0)
      out.meanRating =
          static_cast<double>(days[d].ratingSum) / static_cast<double>(out.responses.count);
    report.days.push_back(std::move(out));
  }
  return report;
}

}  // namespace vigil::surveys
