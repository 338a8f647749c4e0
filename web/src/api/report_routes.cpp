// GET /api/v1/reports/alert-response: how fast the clinic answers its alerts, for quality
// reporting. Per severity: alerts raised in the period, how many were acknowledged, resolved and
// escalated, and the median and 90th percentile of raised → acknowledged and raised → resolved;
// per day: alerts raised and the median time to acknowledge (the portal charts it). Aggregates
// only: no patient id, no value, nothing of one alert, so it needs no care-team filter. The
// alerts library tallies them from its journal (alerts::alertResponseReport).
//
// GET /api/v1/reports/practice and GET /api/v1/reports/practice/export (issue 30): the practice
// reports of vigil::analytics for a period and a scope (?scope=practice|provider|group&id=N),
// as JSON sections of tables for the portal's charts, or one section as CSV. ReportService
// decides the scope, suppresses small cells and audits each view and export with its scope.

#include "common.hpp"
#include "vigil/alerts/alert_report.hpp"
#include "vigil/analytics/practice_report.hpp"

namespace vigil::web::api {
namespace {

constexpr alerts::Severity kSeverities[] = {alerts::Severity::critical, alerts::Severity::high,
                                            alerts::Severity::low, alerts::Severity::info};

/// Nearest-rank percentile of ascending seconds; null when there are none.
Poco::Dynamic::Var percentile(const std::vector<double>& ascending, double p) {
  auto v = alerts::nearestRankPercentile(ascending, p);
  return v ? Poco::Dynamic::Var(*v) : Poco::Dynamic::Var();
}

analytics::ReportRequest practiceRequest(Request& req, const Clock& clock) {
  analytics::ReportRequest out;
  out.to = clock.now();
  out.from = out.to - std::chrono::days(30);
  if (!req.query["from"].empty()) {
    auto t = parseTime(req.query["from"]);
    if (!t) throw BadRequest("from must be a time");
    out.from = *t;
  }
  if (!req.query["to"].empty()) {
    auto t = parseTime(req.query["to"]);
    if (!t) throw BadRequest("to must be a time");
    out.to = *t;
  }
  const std::string scope = req.query["scope"].empty() ? "practice" : req.query["scope"];
  if (scope == "practice") {
    out.scope = analytics::ScopeKind::practice;
  } else if (scope == "provider" || scope == "group") {
    out.scope = scope == "provider" ? analytics::ScopeKind::provider : analytics::ScopeKind::group;
    if (req.query["id"].empty()) throw BadRequest("id must name the provider or the group");
    out.scopeId = queryInt(req, "id", 0, 1, INT64_MAX);
  } else {
    throw BadRequest("scope must be practice, provider or group");
  }
  if (!req.query["sections"].empty()) out.sections = splitList(req.query["sections"]);
  return out;
}

Poco::Dynamic::Var cellJson(const analytics::Cell& c) {
  switch (c.kind) {
    case analytics::Cell::Kind::number:
      return c.number;
    case analytics::Cell::Kind::text:
      return c.text;
    case analytics::Cell::Kind::suppressed:
      return analytics::suppressedText();
    case analytics::Cell::Kind::empty:
      break;
  }
  return {};
}

JsonObject practiceReportJson(const analytics::PracticeReport& report) {
  auto sections = array();
  for (const auto& section : report.sections) {
    auto tables = array();
    for (const auto& t : section.tables) {
      auto columns = array();
      for (const auto& col : t.columns) {
        auto o = object();
        o->set("key", col.key);
        o->set("label", col.label);
        o->set("unit", col.unit);
        columns->add(o);
      }
      auto rows = array();
      for (const auto& row : t.rows) {
        auto cells = array();
        for (const auto& cell : row) cells->add(cellJson(cell));
        rows->add(cells);
      }
      auto o = object();
      o->set("key", t.key);
      o->set("title", t.title);
      o->set("chart", t.chart);
      o->set("columns", columns);
      o->set("rows", rows);
      tables->add(o);
    }
    auto o = object();
    o->set("key", section.key);
    o->set("title", section.title);
    o->set("tables", tables);
    sections->add(o);
  }
  auto out = object();
  out->set("from", iso(report.from));
  out->set("to", iso(report.to));
  out->set("smallCellsApply", report.smallCellsApply);
  out->set("suppressedCells", report.suppressedCells);
  out->set("smallCell", static_cast<int>(analytics::kSmallCell));
  out->set("sections", sections);
  return out;
}

/// A date for a file name: the UTC day of `t`.
std::string fileDay(TimePoint t) {
  return iso(t).substr(0, 10);
}

}  // namespace

void addReportRoutes(Router& r, const ApiServices& s) {
  if (s.reports != nullptr) {
    // The service authorises the scope and audits the view or the export with it.
    Route view{"GET", "/api/v1/reports/practice", Access::authenticated, "report.view",
               guarded([&s](Request& req) {
                 const auto request = practiceRequest(req, *s.clock);
                 return jsonResponse(200, practiceReportJson(s.reports->run(*req.actor, request)));
               })};
    view.auditedByHandler = true;
    r.add(std::move(view));
    Route csv{"GET", "/api/v1/reports/practice/export", Access::authenticated, "report.export",
              guarded([&s](Request& req) {
                const auto request = practiceRequest(req, *s.clock);
                const std::string section = req.query["section"];
                if (section.empty()) throw BadRequest("section must name one section");
                Response out;
                out.status = 200;
                out.contentType = "text/csv; charset=utf-8";
                out.body = s.reports->exportCsv(*req.actor, request, section);
                out.headers.emplace_back("Content-Disposition", "attachment; filename=\"vigil-" +
                                                                    section + "-" +
                                                                    fileDay(request.from) + "-" +
                                                                    fileDay(request.to) + ".csv\"");
                return out;
              })};
    csv.auditedByHandler = true;
    r.add(std::move(csv));
  }
  r.add({"GET", "/api/v1/reports/alert-response", Access::authenticated, "alert.report",
         guarded([&s](Request& req) {
           auto now = s.clock->now();
           auto to = now;
           auto from = now - std::chrono::days(30);
           if (!req.query["from"].empty()) {
             auto t = parseTime(req.query["from"]);
             if (!t) throw BadRequest("from must be a time");
             from = *t;
           }
           if (!req.query["to"].empty()) {
             auto t = parseTime(req.query["to"]);
             if (!t) throw BadRequest("to must be a time");
             to = *t;
           }
           if (to <= from) throw BadRequest("to must be after from");
           if (to - from > std::chrono::days(366)) throw BadRequest("period: a year at most");
           auto report = alerts::alertResponseReport(*s.db, from, to);

           auto severities = array();
           for (auto severity : kSeverities) {
             const auto& t = report.bySeverity[severity];
             auto o = object();
             o->set("severity", std::string(alerts::toString(severity)));
             o->set("raised", t.raised);
             o->set("acknowledged", t.acknowledged);
             o->set("resolved", t.resolved);
             o->set("escalated", t.escalated);
             o->set("ackP50Seconds", percentile(t.toAckSeconds, 50));
             o->set("ackP90Seconds", percentile(t.toAckSeconds, 90));
             o->set("resolveP50Seconds", percentile(t.toResolveSeconds, 50));
             o->set("resolveP90Seconds", percentile(t.toResolveSeconds, 90));
             severities->add(o);
           }
           auto days = array();
           for (std::size_t d = 0; d < report.byDay.size(); ++d) {
             const auto& t = report.byDay[d];
             auto o = object();
             o->set("start", iso(from + std::chrono::days(static_cast<std::int64_t>(d))));
             o->set("raised", t.raised);
             o->set("acknowledged", t.acknowledged);
             o->set("ackP50Seconds", percentile(t.toAckSeconds, 50));
             days->add(o);
           }
           auto out = object();
           out->set("from", iso(from));
           out->set("to", iso(to));
           out->set("bySeverity", severities);
           out->set("byDay", days);
           return jsonResponse(200, out);
         })});
}

}  // namespace vigil::web::api
