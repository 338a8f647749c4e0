// The care sections (issue 30, docs/reports.md): visits and provider utilisation (scheduling),
// on-demand care (ondemand), async cases (cases). Each reads its library's report on the
// report's connection and lays it out as tables the portal charts.

#include "sections_care.hpp"

#include <ranges>

#include "section_support.hpp"
#include "vigil/cases/case_report.hpp"
#ifdef VIGIL_ANALYTICS_WITH_VISITS
#include "vigil/ondemand/ondemand_report.hpp"
#include "vigil/scheduling/visit_report.hpp"
#include "vigil/surveys/survey_report.hpp"
#endif

namespace vigil::analytics::detail {

#ifdef VIGIL_ANALYTICS_WITH_VISITS
namespace {

/// The visit counts' columns and cells, in one order (by provider, per day).
std::vector<Column> visitColumns() {
  return {count("scheduled", "Scheduled"), count("completed", "Completed"),
          count("cancelled", "Cancelled"), count("no_shows", "No-shows")};
}

std::vector<Cell> visitCells(const SmallCells& cells, const scheduling::VisitCounts& v) {
  return {cells.count(v.scheduled), cells.count(v.completed), cells.count(v.cancelled),
          cells.count(v.noShows)};
}

/// The on-demand figures' columns and cells, in one order (by provider, per day).
std::vector<Column> onDemandColumns() {
  return {count("requests", "Requests"), count("seen", "Seen"),
          seconds("wait_p50", "Request to visit, median"),
          seconds("wait_p90", "Request to visit, 90th percentile")};
}

std::vector<Cell> onDemandCells(const SmallCells& cells, const ondemand::OnDemandCounts& r) {
  return {cells.count(r.requests), cells.count(r.seen), cells.percentile(r.toVisitStart, 50),
          cells.percentile(r.toVisitStart, 90)};
}

}  // namespace

Section visitsSection(const SectionContext& x) {
  const auto r = scheduling::visitReportIn(x.c, x.from, x.to, x.scope);
  const auto& cells = x.cells;
  Section s;
  s.title = "Visits and utilisation";
  const auto& t = r.totals;
  s.tables.push_back(totals(
      "The period",
      {count("scheduled", "Scheduled"), count("completed", "Completed"),
       count("cancelled", "Cancelled"), count("no_shows", "No-shows"),
       count("still_booked", "Still booked"), ratio("completion", "Completed of scheduled"),
       ratio("no_show_rate", "No-shows of scheduled"), minutes("available", "Available time"),
       minutes("booked", "Booked time"), ratio("utilisation", "Utilisation")},
      {cells.count(t.scheduled), cells.count(t.completed), cells.count(t.cancelled),
       cells.count(t.noShows), cells.count(t.stillBooked), cells.share(t.completed, t.scheduled),
       cells.share(t.noShows, t.scheduled), cells.count(r.time.availableMinutes),
       cells.count(r.time.bookedMinutes),
       cells.derived(r.time.utilisation, r.time.bookedMinutes.patients)}));
  auto providerColumns = labelled(text("provider", "Provider"), visitColumns());
  providerColumns.push_back(ratio("utilisation", "Utilisation"));
  s.tables.push_back(
      seriesTable("by_provider", "By provider", "bar", std::move(providerColumns), r.providers,
                  [&](const auto& p) {
                    auto row = labelled(x.staffName(p.providerUserId), visitCells(cells, p.visits));
                    row.push_back(cells.derived(p.time.utilisation, p.time.bookedMinutes.patients));
                    return row;
                  }));
  s.tables.push_back(seriesTable(
      "by_day", "Per day", "line", labelled(date("day", "Day"), visitColumns()), r.days,
      [&](const auto& d) { return labelled(dayLabel(d.dayStart), visitCells(cells, d.visits)); }));
  return s;
}

Section onDemandSection(const SectionContext& x) {
  const auto r = ondemand::onDemandReportIn(x.c, x.from, x.to, x.scope);
  const auto& cells = x.cells;
  Section s;
  s.title = "On-demand care";
  const auto& t = r.totals;
  s.tables.push_back(
      totals("The period",
             {count("requests", "Requests"), count("seen", "Seen"), count("cancelled", "Cancelled"),
              count("waiting", "Still waiting"), seconds("wait_p50", "Request to visit, median"),
              seconds("wait_p90", "Request to visit, 90th percentile")},
             {cells.count(t.requests), cells.count(t.seen), cells.count(t.cancelled),
              cells.count(t.waiting), cells.percentile(t.toVisitStart, 50),
              cells.percentile(t.toVisitStart, 90)}));
  s.tables.push_back(seriesTable(
      "by_provider", "By provider", "bar",
      labelled(text("provider", "Provider"), onDemandColumns()), r.providers, [&](const auto& p) {
        return labelled(x.staffName(p.providerUserId), onDemandCells(cells, p.requests));
      }));
  s.tables.push_back(
      seriesTable("by_day", "Per day", "line", labelled(date("day", "Day"), onDemandColumns()),
                  r.days, [&](const auto& d) {
                    return labelled(dayLabel(d.dayStart), onDemandCells(cells, d.requests));
                  }));
  return s;
}

Section satisfactionSection(const SectionContext& x) {
  const auto r = surveys::surveyReportIn(x.c, x.from, x.to, x.scope);
  const auto& cells = x.cells;
  const auto& t = r.total;
  Section s;
  s.title = "Patient satisfaction";
  s.tables.push_back(totals(
      "The period",
      {count("visits", "Video visits ended"),
       count("responses", "Surveys answered"),
       ratio("response_rate", "Answered, of visits"),
       {"mean", "Rating, mean (1–5)", "number"},
       count("promoters", "Promoters (9–10)"),
       count("passives", "Passives (7–8)"),
       count("detractors", "Detractors (0–6)"),
       {"nps", "Net promoter score", "number"}},
      {cells.count(r.visitsEnded), cells.count(t.responses),
       cells.share(t.responses, r.visitsEnded), cells.derived(t.meanRating, t.responses.patients),
       cells.count(t.promoters), cells.count(t.passives), cells.count(t.detractors),
       cells.derived(t.nps, t.responses.patients)}));
  s.tables.push_back(seriesTable(
      "ratings", "Ratings", "bar", {text("rating", "Rating"), count("answers", "Answers")},
      std::views::iota(std::size_t{0}, t.ratings.size()), [&](std::size_t i) {
        return std::vector<Cell>{Cell::label(std::to_string(i + 1)), cells.count(t.ratings[i])};
      }));
  s.tables.push_back(seriesTable(
      "by_provider", "By provider", "bar",
      {text("provider", "Provider"),
       count("visits", "Video visits ended"),
       count("responses", "Surveys answered"),
       {"mean", "Rating, mean (1–5)", "number"},
       {"nps", "Net promoter score", "number"}},
      r.providers, [&](const auto& p) {
        return std::vector<Cell>{Cell::label(x.staffName(p.providerUserId)),
                                 cells.count(p.visitsEnded), cells.count(p.figures.responses),
                                 cells.derived(p.figures.meanRating, p.figures.responses.patients),
                                 cells.derived(p.figures.nps, p.figures.responses.patients)};
      }));
  s.tables.push_back(seriesTable("by_day", "Per day", "line",
                                 {date("day", "Day"), count("visits", "Video visits ended"),
                                  count("responses", "Surveys answered")},
                                 r.days, [&](const auto& d) {
                                   return std::vector<Cell>{Cell::label(dayLabel(d.start)),
                                                            cells.count(d.visitsEnded),
                                                            cells.count(d.responses)};
                                 }));
  return s;
}
#endif

Section casesSection(const SectionContext& x) {
  const auto r = cases::caseReportIn(x.c, x.from, x.to, x.scope, std::min(x.to, x.now));
  const auto& cells = x.cells;
  Section s;
  s.title = "Async cases";
  const auto& t = r.totals;
  s.tables.push_back(
      totals("The period",
             {count("opened", "Opened"), count("answered", "Answered"), count("closed", "Closed"),
              count("escalated", "Escalated"), count("on_time", "Answered within the target"),
              count("late", "Answered late"), count("overdue", "Past the target, no answer"),
              ratio("on_time_share", "Within the target, of answered"),
              seconds("reply_p50", "First reply, median"),
              seconds("reply_p90", "First reply, 90th percentile")},
             {cells.count(t.opened), cells.count(t.answered), cells.count(t.closed),
              cells.count(t.escalated), cells.count(t.onTime), cells.count(t.late),
              cells.count(t.overdue), cells.share(t.onTime, t.answered),
              cells.percentile(t.toFirstReply, 50), cells.percentile(t.toFirstReply, 90)}));
  s.tables.push_back(seriesTable("by_provider", "By clinician", "bar",
                                 {text("clinician", "Clinician"), count("answered", "Answered"),
                                  count("on_time", "Within the target"), count("late", "Late"),
                                  seconds("reply_p50", "First reply, median")},
                                 r.providers, [&](const auto& p) {
                                   return std::vector<Cell>{
                                       Cell::label(x.staffName(p.providerUserId)),
                                       cells.count(p.cases.answered), cells.count(p.cases.onTime),
                                       cells.count(p.cases.late),
                                       cells.percentile(p.cases.toFirstReply, 50)};
                                 }));
  s.tables.push_back(seriesTable(
      "by_day", "Per day", "line",
      {date("day", "Day"), count("opened", "Opened"), count("answered", "Answered"),
       seconds("reply_p50", "First reply, median")},
      r.days, [&](const auto& d) {
        return std::vector<Cell>{Cell::label(dayLabel(d.dayStart)), cells.count(d.cases.opened),
                                 cells.count(d.cases.answered),
                                 cells.percentile(d.cases.toFirstReply, 50)};
      }));
  return s;
}

}  // namespace vigil::analytics::detail
