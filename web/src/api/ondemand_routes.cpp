// The on-demand queue (issue 22, docs/scheduling.md "On-demand care"): a patient asks to be seen
// now, follows their place and estimated wait, and cancels; a provider goes on and off duty,
// sees their queue and starts a request (the video visit is created then). The gate checks each
// route's operation (on the patient in the path, or the role when the patient comes from the
// request) and audits the request; ondemand::OnDemandService authorises again on the patient it
// finds and audits in the transaction of what it reads or writes. Paths carry ids only; the
// live updates come through GET /api/v1/events ("ondemand.changed"). Built with video.

#include "common.hpp"
#include "vigil/core/error.hpp"
#include "vigil/ondemand/ondemand.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/accounts.hpp"

namespace vigil::web::api {
namespace {

using ondemand::OnDemandService;

/// api::guarded plus the queue's own answers.
Handler onDemandGuarded(Handler h) {
  return guarded([h = std::move(h)](Request& req) -> Response {
    try {
      return h(req);
    } catch (const ondemand::RequestOpen&) {
      return Response::error(409, "request_open", "a request to be seen is already open");
    } catch (const ondemand::NotWaiting&) {
      return Response::error(409, "not_waiting", "the request was started or cancelled");
    } catch (const ondemand::NotOnDuty&) {
      return Response::error(409, "not_on_duty", "go on duty to start on-demand visits");
    } catch (const ondemand::ConsentRequired&) {
      return Response::error(409, "consent_required", "the telehealth consent is not signed");
    } catch (const ondemand::NotLicensed& e) {
      return Response::error(403, "not_licensed", e.what());
    }
  });
}

std::string userName(const ApiServices& s, std::optional<std::int64_t> id) {
  if (!id) return {};
  auto u = s.accounts->findUser(*id);
  return u ? u->displayName : std::string();
}

JsonObject requestJson(const ApiServices& s, const ondemand::Request& r) {
  auto o = object();
  o->set("id", r.id);
  o->set("patientId", r.patientId);
  o->set("state", std::string(toString(r.state)));
  o->set("reason", std::string(toString(r.reason)));
  o->set("patientState", r.patientState);
  o->set("requestedAt", iso(r.requestedAt));
  o->set("providerUserId",
         r.providerUserId ? Poco::Dynamic::Var(*r.providerUserId) : Poco::Dynamic::Var());
  o->set("providerName", userName(s, r.providerUserId));
  o->set("position", r.position);
  o->set("estimatedWaitMinutes",
         r.estimatedWait ? Poco::Dynamic::Var(static_cast<std::int64_t>(r.estimatedWait->count()))
                         : Poco::Dynamic::Var());
  o->set("visitId", r.visitId ? Poco::Dynamic::Var(*r.visitId) : Poco::Dynamic::Var());
  o->set("averageVisitMinutes",
         static_cast<std::int64_t>(s.ondemand->policy().averageVisit.count()));
  return o;
}

JsonObject dutyJson(const ondemand::Duty& d) {
  auto o = object();
  o->set("providerUserId", d.providerUserId);
  o->set("onDuty", d.onDuty);
  o->set("changedAt", isoOrNull(d.changedAt));
  o->set("queueLength", d.queueLength);
  return o;
}

void addDutyRoutes(Router& r, const ApiServices& s) {
  r.add({"GET", "/api/v1/me/duty", Access::authenticated, "ondemand.queue",
         onDemandGuarded([&s](Request& req) {
           return jsonResponse(200, dutyJson(s.ondemand->duty(*req.actor)));
         })});
  r.add({"PUT", "/api/v1/me/duty", Access::authenticated, "ondemand.duty",
         onDemandGuarded([&s](Request& req) {
           auto body = parseBody(req);
           if (!body->has("onDuty") || !body->get("onDuty").isBoolean())
             throw BadRequest("onDuty: true or false");
           const bool on = body->getValue<bool>("onDuty");
           return jsonResponse(200, dutyJson(s.ondemand->setDuty(*req.actor, on)));
         })});
  r.add({"GET", "/api/v1/me/ondemand-queue", Access::authenticated, "ondemand.queue",
         onDemandGuarded([&s](Request& req) {
           auto queue = s.ondemand->queue(*req.actor);
           std::vector<std::int64_t> ids;
           for (const auto& q : queue) ids.push_back(q.patientId);
           // Names only: the provider calls the next patient by name (the listing is audited).
           auto names =
               s.patients ? s.patients->displayNames(ids) : std::map<std::int64_t, std::string>{};
           auto items = array();
           for (const auto& q : queue) {
             auto o = requestJson(s, q);
             o->set("patientName", names[q.patientId]);
             items->add(o);
           }
           auto o = object();
           o->set("items", items);
           return jsonResponse(200, o);
         })});
  r.add({"POST", "/api/v1/ondemand-requests/{id}/start", Access::authenticated, "ondemand.start",
         onDemandGuarded([&s](Request& req) {
           auto visit = s.ondemand->start(*req.actor, pathId(req, "id"));
           auto o = object();
           o->set("visitId", visit);
           return jsonResponse(201, o);
         })});
}

void addRequestRoutes(Router& r, const ApiServices& s) {
  r.add({"POST", "/api/v1/patients/{id}/ondemand-requests", Access::authenticated,
         "ondemand.request", onDemandGuarded([&s](Request& req) {
           auto body = parseBody(req);
           auto reason = ondemand::parseReason(requireString(body, "reason", 40));
           if (!reason)
             throw BadRequest(
                 "reason: new_symptoms, ongoing_condition, medication, test_results or other");
           auto made = s.ondemand->request(*req.actor, pathId(req, "id"), *reason,
                                           requireString(body, "state", 2));
           return jsonResponse(201, requestJson(s, made));
         }),
         "", "id"});
  r.add({"GET", "/api/v1/patients/{id}/ondemand-requests/current", Access::authenticated,
         "ondemand.status", onDemandGuarded([&s](Request& req) {
           auto current = s.ondemand->current(*req.actor, pathId(req, "id"));
           auto o = object();
           o->set("request",
                  current ? Poco::Dynamic::Var(requestJson(s, *current)) : Poco::Dynamic::Var());
           return jsonResponse(200, o);
         }),
         "", "id"});
  r.add({"POST", "/api/v1/ondemand-requests/{id}/cancel", Access::authenticated, "ondemand.cancel",
         onDemandGuarded([&s](Request& req) {
           s.ondemand->cancel(*req.actor, pathId(req, "id"));
           return noContent();
         })});
}

}  // namespace

void addOnDemandRoutes(Router& r, const ApiServices& s) {
  addDutyRoutes(r, s);
  addRequestRoutes(r, s);
}

}  // namespace vigil::web::api
