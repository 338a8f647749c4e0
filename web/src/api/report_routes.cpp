// GET /api/v1/reports/alert-response: how fast the clinic answers its alerts, for quality
// reporting. Per severity: alerts raised in the period, how many were acknowledged, resolved and
// escalated, and the median and 90th percentile of raised → acknowledged and raised → resolved;
// per day: alerts raised and the median time to acknowledge (the portal charts it). Aggregates
// only: no patient id, no value, nothing of one alert, so it needs no care-team filter. Read from
// the alerts table (the journal), not from the lifecycle's memory, which drops resolved alerts.

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include "common.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::web::api {
namespace {

constexpr std::array<const char*, 4> kSeverities{"critical", "high", "low", "info"};
constexpr std::int64_t kDayMs = 24 * 3600 * 1000;

/// Nearest-rank percentile of sorted seconds; null when there are none.
Poco::Dynamic::Var percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return {};
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

struct Tally {
  std::int64_t raised = 0, acknowledged = 0, resolved = 0, escalated = 0;
  std::vector<double> toAck, toResolve;  // seconds
};

std::int64_t millisOf(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
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
           auto fromMs = millisOf(from);
           auto toMs = millisOf(to);

           std::map<std::string, Tally> bySeverity;
           std::map<std::int64_t, Tally> byDay;  // day index since `from`
           s.db->read([&](store::Connection& c) {
             auto st = c.prepare(
                 "SELECT severity, raised_at, acknowledged_at, resolved_at, escalation_level "
                 "FROM alerts WHERE raised_at >= ?1 AND raised_at < ?2");
             st.bindAll(fromMs, toMs);
             while (st.step()) {
               auto severity = st.get<std::string>(0);
               auto raised = st.get<std::int64_t>(1);
               auto acked = st.get<std::optional<std::int64_t>>(2);
               auto resolved = st.get<std::optional<std::int64_t>>(3);
               bool escalated = st.get<std::int64_t>(4) > 0;
               for (Tally* t : {&bySeverity[severity], &byDay[(raised - fromMs) / kDayMs]}) {
                 ++t->raised;
                 if (acked) {
                   ++t->acknowledged;
                   t->toAck.push_back(static_cast<double>(*acked - raised) / 1000.0);
                 }
                 if (resolved) {
                   ++t->resolved;
                   t->toResolve.push_back(static_cast<double>(*resolved - raised) / 1000.0);
                 }
                 if (escalated) ++t->escalated;
               }
             }
           });

           auto severities = array();
           for (const char* name : kSeverities) {
             auto& t = bySeverity[name];
             std::sort(t.toAck.begin(), t.toAck.end());
             std::sort(t.toResolve.begin(), t.toResolve.end());
             auto o = object();
             o->set("severity", name);
             o->set("raised", t.raised);
             o->set("acknowledged", t.acknowledged);
             o->set("resolved", t.resolved);
             o->set("escalated", t.escalated);
             o->set("ackP50Seconds", percentile(t.toAck, 50));
             o->set("ackP90Seconds", percentile(t.toAck, 90));
             o->set("resolveP50Seconds", percentile(t.toResolve, 50));
             o->set("resolveP90Seconds", percentile(t.toResolve, 90));
             severities->add(o);
           }
           auto days = array();
           auto dayCount = (toMs - fromMs + kDayMs - 1) / kDayMs;
           for (std::int64_t d = 0; d < dayCount; ++d) {
             auto& t = byDay[d];
             std::sort(t.toAck.begin(), t.toAck.end());
             auto o = object();
             o->set("start", iso(from + std::chrono::milliseconds(d * kDayMs)));
             o->set("raised", t.raised);
             o->set("acknowledged", t.acknowledged);
             o->set("ackP50Seconds", percentile(t.toAck, 50));
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
