// The alert queue and the alert lifecycle commands. Unresolved alerts come from the lifecycle
// (in memory, authoritative); resolved ones from the store. A command on an alert is
// authorised against the alert's patient (care team), then audited.

#include <algorithm>
#include <map>
#include <set>

#include "common.hpp"
#include "json_models.hpp"
#include "vigil/alerts/alert_lifecycle.hpp"
#include "vigil/alerts/alert_repository.hpp"
#include "vigil/alerts/rule_set.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/accounts.hpp"

namespace vigil::web::api {
namespace {

using alerts::Alert;

/// Alerts as the portal shows them, for one response: patient display names (each decrypted
/// once, only the two name fields: the queue shows no MRN or birth date; prefetch() gets a
/// page's names in one read), the names of the staff who claimed or were assigned an alert
/// (issue 17: "Claimed by" shows a person), and the clinical title from the rule in force.
class AlertViews {
 public:
  explicit AlertViews(const ApiServices& s)
      : s_(s), rules_(s.rules ? s.rules->snapshot() : nullptr) {}
  void prefetch(const std::vector<std::int64_t>& ids) {
    std::vector<std::int64_t> missing;
    for (auto id : ids)
      if (!names_.count(id)) missing.push_back(id);
    if (missing.empty()) return;
    auto found =
        s_.patients ? s_.patients->displayNames(missing) : std::map<std::int64_t, std::string>{};
    for (auto id : missing) names_.emplace(id, found.count(id) ? found[id] : std::string{});
  }
  JsonObject operator()(const Alert& a) {
    prefetch({a.patientId});
    auto o = alertJson(a, names_.at(a.patientId));
    const alerts::AlertRule* rule = rules_ ? rules_->find(a.patientId, a.ruleKey) : nullptr;
    o->set("title", alerts::clinicalTitle(a, rule));
    o->set("unit", alerts::alertUnit(a, rule));
    o->set("claimedByName", staffName(a.claimedBy));
    o->set("assigneeName", staffName(a.assignee));
    o->set("unassignedEscalation", a.unassignedEscalation());
    return o;
  }

  /// operator()'s object written straight into `out` (the queue's page, issue 28).
  void write(std::string& out, const Alert& a) {
    prefetch({a.patientId});
    JsonObjectWriter w(out);
    writeAlertMembers(w, a, names_.at(a.patientId));
    const alerts::AlertRule* rule = rules_ ? rules_->find(a.patientId, a.ruleKey) : nullptr;
    w.string("title", alerts::clinicalTitle(a, rule));
    w.string("unit", alerts::alertUnit(a, rule));
    writeStaffName(w, "claimedByName", a.claimedBy);
    writeStaffName(w, "assigneeName", a.assignee);
    w.boolean("unassignedEscalation", a.unassignedEscalation());
    w.close();
  }

  /// A staff member's display name (null for nobody, a patient or an unknown id).
  Poco::Dynamic::Var staffName(std::optional<std::int64_t> id) {
    const std::string* name = staffNameOf(id);
    if (!name) return Poco::Dynamic::Var();
    return *name;
  }

 private:
  void writeStaffName(JsonObjectWriter& w, std::string_view key, std::optional<std::int64_t> id) {
    if (const std::string* name = staffNameOf(id)) {
      w.string(key, *name);
    } else {
      w.null(key);
    }
  }

  /// nullptr for nobody, a patient or an unknown id.
  const std::string* staffNameOf(std::optional<std::int64_t> id) {
    if (!id || !s_.accounts) return nullptr;
    auto it = staff_.find(*id);
    if (it == staff_.end()) {
      auto user = s_.accounts->findUser(*id);
      it = staff_
               .emplace(*id, user && user->role != security::Role::patient ? user->displayName
                                                                           : std::string{})
               .first;
    }
    return it->second.empty() ? nullptr : &it->second;
  }

  const ApiServices& s_;
  std::shared_ptr<const alerts::RuleSnapshot> rules_;
  std::map<std::int64_t, std::string> names_;
  std::map<std::int64_t, std::string> staff_;
};

Response transitionAnswer(const ApiServices& s, const alerts::TransitionResult& r) {
  switch (r.outcome) {
    case alerts::Outcome::ok:
      return jsonResponse(200, AlertViews(s)(*r.alert));
    case alerts::Outcome::notFound:
      return Response::error(404, "not_found", "no such alert");
    case alerts::Outcome::wrongState:
      return Response::error(409, "wrong_state", "the alert is not in a state that allows this");
    case alerts::Outcome::notClaimer:
      return Response::error(409, "not_claimer", "someone else has claimed this alert");
    case alerts::Outcome::noteRequired:
      return Response::error(422, "validation", "a note is required");
    case alerts::Outcome::reasonRequired:
      return Response::error(422, "validation", "a reason is required");
    case alerts::Outcome::invalidTime:
      return Response::error(400, "bad_request", "until must be in the future");
  }
  return Response::error(500, "internal", "internal error");
}

/// The alert for a command, authorised for the caller (audited as `operation`).
Alert alertFor(const ApiServices& s, const Request& req, std::string_view operation) {
  auto id = pathId(req, "id");
  auto a = s.alerts->get(id);
  if (!a) a = s.alertStore->alert(id);
  if (!a) throw ApiFailure(404, "not_found", "no such alert");
  authorizePatient(s, req, operation, a->patientId, "alert", std::to_string(id),
                   a->assignee == req.actor->id);
  return *a;
}

/// The alert queue, one alert with its history, a patient's alerts.
void addAlertReadRoutes(Router& r, const ApiServices& s) {
  r.add({"GET", "/api/v1/alerts", Access::authenticated, "alert.queue", guarded([&s](Request& req) {
           auto page = queryInt(req, "page", 1, 1, 100000);
           auto size = queryInt(req, "pageSize", 50, 1, 200);
           auto statusText = req.query["status"].empty() ? "open,claimed,acknowledged,escalated"
                                                         : req.query["status"];
           std::set<std::string> states;
           for (const auto& st : splitList(statusText)) {
             if (!alerts::parseAlertState(st)) throw BadRequest("status has an unknown state");
             states.insert(st);
           }
           std::set<std::string> severities;
           for (const auto& sv : splitList(req.query["severity"])) {
             if (!alerts::parseSeverity(sv)) throw BadRequest("severity has an unknown value");
             severities.insert(sv);
           }
           std::optional<std::int64_t> patient;
           if (!req.query["patient"].empty()) patient = queryInt(req, "patient", 0, 1, INT64_MAX);
           std::optional<std::int64_t> assignee;
           // assignee=none: escalated with nobody left in the chain (shown to every admin).
           const bool unassigned = req.query["assignee"] == "none";
           if (req.query["assignee"] == "me") {
             assignee = req.actor->id;
           } else if (!req.query["assignee"].empty() && !unassigned) {
             assignee = queryInt(req, "assignee", 0, 1, INT64_MAX);
           }
           auto visible = visiblePatients(s, *req.actor);
           std::set<std::int64_t> allowed;
           if (visible) allowed.insert(visible->begin(), visible->end());

           std::vector<Alert> all = s.alerts->openAlerts();
           if (states.count("resolved")) {
             auto resolved = s.alertStore->resolvedAlerts(patient, 500);
             all.insert(all.end(), resolved.begin(), resolved.end());
           }
           std::vector<Alert> hits;
           for (auto& a : all) {
             // Routed to the caller by escalation: theirs to work, care team or not.
             if (visible && !allowed.count(a.patientId) && a.assignee != req.actor->id) continue;
             if (unassigned && !a.unassignedEscalation()) continue;
             if (!states.count(std::string(alerts::toString(a.state)))) continue;
             if (!severities.empty() &&
                 !severities.count(std::string(alerts::toString(a.severity))))
               continue;
             if (patient && a.patientId != *patient) continue;
             if (assignee && a.claimedBy != assignee && a.assignee != assignee) continue;
             hits.push_back(std::move(a));
           }
           std::sort(hits.begin(), hits.end(), [](const Alert& x, const Alert& y) {
             if (x.severity != y.severity) return x.severity > y.severity;
             if (x.raisedAt != y.raisedAt) return x.raisedAt < y.raisedAt;
             return x.id < y.id;
           });
           auto total = static_cast<std::int64_t>(hits.size());
           auto first = std::min<std::int64_t>(total, (page - 1) * size);
           auto last = std::min<std::int64_t>(total, first + size);
           AlertViews views(s);
           std::vector<std::int64_t> pagePatients;
           for (auto i = first; i < last; ++i)
             pagePatients.push_back(hits[static_cast<std::size_t>(i)].patientId);
           views.prefetch(pagePatients);
           // pageJson()'s shape, written straight into the body: the queue is the portal's
           // most frequent read (issue 28).
           std::string body;
           body.reserve(static_cast<std::size_t>(last - first + 1) * 640);
           JsonObjectWriter w(body);
           std::string& items = w.raw("items");
           items += '[';
           for (auto i = first; i < last; ++i) {
             if (i > first) items += ',';
             views.write(items, hits[static_cast<std::size_t>(i)]);
           }
           items += ']';
           w.integer("total", total);
           w.integer("page", page);
           w.integer("pageSize", size);
           w.close();
           return Response::json(200, std::move(body));
         })});
  r.add({"GET", "/api/v1/alerts/{id}", Access::authenticated, "alert.list",
         guarded([&s](Request& req) {
           auto a = alertFor(s, req, "alert.list");
           auto o = AlertViews(s)(a);
           auto history = array();
           auto events = s.alerts->history(a.id);
           if (events.empty()) events = s.alertStore->history(a.id);
           AlertViews names(s);
           for (const auto& e : events) {
             auto line = alertEventJson(e);
             line->set("actorName", names.staffName(e.actorId));
             line->set("assigneeName", names.staffName(e.assignee));
             history->add(line);
           }
           o->set("history", history);
           return jsonResponse(200, o);
         })});
  r.add({"GET", "/api/v1/patients/{id}/alerts", Access::authenticated, "alert.list",
         guarded([&s](Request& req) {
           auto id = pathId(req, "id");
           std::vector<Alert> list;
           for (auto& a : s.alerts->openAlerts())
             if (a.patientId == id) list.push_back(std::move(a));
           for (auto& a : s.alertStore->resolvedAlerts(id, 200)) list.push_back(std::move(a));
           AlertViews views(s);
           views.prefetch({id});
           auto items = array();
           for (const auto& a : list) items->add(views(a));
           auto total = static_cast<std::int64_t>(list.size());
           return jsonResponse(200, pageJson(items, total, 1, total));
         }),
         "", "id"});
}

/// The commands on one alert, each authorised against the alert's patient (alertFor()).
void addAlertCommandRoutes(Router& r, const ApiServices& s) {
  r.add({"POST", "/api/v1/alerts/{id}/claim", Access::authenticated, "alert.acknowledge",
         guarded([&s](Request& req) {
           auto a = alertFor(s, req, "alert.acknowledge");
           return transitionAnswer(s, s.alerts->claim(a.id, req.actor->id));
         })});
  r.add({"POST", "/api/v1/alerts/{id}/acknowledge", Access::authenticated, "alert.acknowledge",
         guarded([&s](Request& req) {
           auto a = alertFor(s, req, "alert.acknowledge");
           return transitionAnswer(s, s.alerts->acknowledge(a.id, req.actor->id));
         })});
  r.add({"POST", "/api/v1/alerts/{id}/resolve", Access::authenticated, "alert.acknowledge",
         guarded([&s](Request& req) {
           auto body = parseBody(req);
           auto note = optionalString(body, "note", 2000);
           bool group = body->has("group") && body->getValue<bool>("group");
           auto a = alertFor(s, req, "alert.acknowledge");
           if (!group) return transitionAnswer(s, s.alerts->resolve(a.id, req.actor->id, note));
           // The patient's other open alerts on the same vital, resolved with it (same patient:
           // covered by the authorisation and audit entry of this one).
           auto done = s.alerts->resolveGroup(a.id, req.actor->id, note);
           if (!done.head) return transitionAnswer(s, done.head);
           auto o = AlertViews(s)(*done.head.alert);
           auto also = array();
           for (const auto& other : done.alsoResolved) also->add(other.id);
           auto left = array();
           for (auto id : done.leftOpen) left->add(id);
           o->set("alsoResolved", also);
           o->set("leftOpen", left);
           return jsonResponse(200, o);
         })});
  r.add({"POST", "/api/v1/alerts/{id}/escalate", Access::authenticated, "alert.acknowledge",
         guarded([&s](Request& req) {
           auto note = optionalString(parseBody(req), "note", 2000);
           auto a = alertFor(s, req, "alert.acknowledge");
           return transitionAnswer(s, s.alerts->escalate(a.id, req.actor->id, note));
         })});
  r.add({"POST", "/api/v1/alerts/{id}/snooze", Access::authenticated, "alert.acknowledge",
         guarded([&s](Request& req) {
           auto body = parseBody(req);
           auto reason = optionalString(body, "reason", 500);
           auto until = parseTime(requireString(body, "until", 40));
           if (!until) throw BadRequest("until must be a time");
           auto a = alertFor(s, req, "alert.acknowledge");
           auto outcome = s.alerts->suppress(a.patientId, a.ruleKey, req.actor->id, reason, *until);
           if (outcome != alerts::Outcome::ok) return transitionAnswer(s, {outcome, std::nullopt});
           return noContent();
         })});
}

}  // namespace

void addAlertRoutes(Router& r, const ApiServices& s) {
  addAlertReadRoutes(r, s);
  addAlertCommandRoutes(r, s);
}

}  // namespace vigil::web::api
