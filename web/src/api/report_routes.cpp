// GET /api/v1/reports/alert-response: how fast the clinic answers its alerts, for quality
// reporting. Per severity: alerts raised in the period, how many were acknowledged, resolved and
// escalated, and the median and 90th percentile of raised → acknowledged and raised → resolved;
// per day: alerts raised and the median time to acknowledge (the portal charts it). Aggregates
// only: no patient id, no value, nothing of one alert, so it needs no care-team filter. The
// alerts library tallies them from its journal (alerts::alertResponseReport).

#include "common.hpp"
#include "vigil/alerts/alert_report.hpp"

namespace vigil::web::api {
namespace {

constexpr alerts::Severity kSeverities[] = {alerts::Severity::critical, alerts::Severity::high,
                                            alerts::Severity::low, alerts::Severity::info};

/// Nearest-rank percentile of ascending seconds; null when there are none.
Poco::Dynamic::Var percentile(const std::vector<double>& ascending, double p) {
  auto v = alerts::nearestRankPercentile(ascending, p);
  return v ? Poco::Dynamic::Var(*v) : Poco::Dynamic::Var();
}

}  // namespace

void addReportRoutes(Router& r, const ApiServices& s) {
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
