// The worklist (issue 23, docs/notes.md "The worklist"): a provider's or nurse's work in one
// place. GET /api/v1/worklist lists the items with the patients' names (operation
// worklist.read, audited by the gate once per listing, like the alert queue); GET
// /api/v1/worklist/counts gives the counts the navigation and the tab title show (operation
// worklist.count: no PHI, so the gate checks the role and nothing is audited: the portal asks
// again after each live event). `tz` is the caller's IANA zone (what "today" means), UTC when
// absent.

#include "common.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/time.hpp"
#include "vigil/core/time_zone.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/worklist/worklist.hpp"

namespace vigil::web::api {
namespace {

std::shared_ptr<const core::TimeZone> zoneOf(const Request& req) {
  const auto it = req.query.find("tz");
  if (it == req.query.end() || it->second.empty()) return core::TimeZone::utc();
  try {
    return core::TimeZone::locate(it->second);
  } catch (const vigil::Error&) {
    throw BadRequest("tz: an IANA time zone such as America/New_York");
  }
}

JsonObject countsJson(const worklist::WorkCounts& c) {
  auto o = object();
  o->set("alerts", c.alerts);
  o->set("visits", c.visits);
  o->set("drafts", c.drafts);
  o->set("cosign", c.cosign);
  o->set("reviews", c.reviews);
  o->set("cases", c.cases);
  o->set("total", c.total());
  return o;
}

}  // namespace

void addWorklistRoutes(Router& r, const ApiServices& s) {
  r.add({"GET", "/api/v1/worklist", Access::authenticated, "worklist.read",
         guarded([&s](Request& req) {
           auto list = s.worklist->list(*req.actor, *zoneOf(req));
           std::vector<std::int64_t> ids;
           for (const auto& i : list.items) ids.push_back(i.patientId);
           std::sort(ids.begin(), ids.end());
           ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
           auto names = ids.empty() ? std::map<std::int64_t, std::string>{}
                                    : s.patients->displayNames(ids);  // names only
           auto items = array();
           for (const auto& i : list.items) {
             auto o = object();
             o->set("kind", std::string(worklist::toString(i.kind)));
             o->set("patientId", i.patientId);
             o->set("patientName", names[i.patientId]);
             o->set("ref", i.ref);
             o->set("detail", i.detail);
             o->set("at", core::formatUtc(i.at));
             o->set("urgent", i.urgent);
             items->add(o);
           }
           auto o = object();
           o->set("items", items);
           o->set("counts", countsJson(list.counts));
           return jsonResponse(200, o);
         })});
  Route counts{"GET", "/api/v1/worklist/counts", Access::authenticated, "worklist.count",
               guarded([&s](Request& req) {
                 return jsonResponse(200,
                                     countsJson(s.worklist->list(*req.actor, *zoneOf(req)).counts));
               })};
  counts.auditedByHandler = true;  // counts carry no PHI: checked by role, not audited
  r.add(std::move(counts));
}

}  // namespace vigil::web::api
