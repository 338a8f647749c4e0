// RPM enrolment (issue 21, docs/patients.md "RPM enrolment"): a patient's enrolments in remote
// monitoring, enrolling (providers on the care team; 409 {"error":"consent_required",
// "kind":"rpm"} without an active RPM consent) and ending an episode. The gate authorises the
// route's operation on the patient in the path and audits the request; patients::
// RpmEnrolmentService authorises again and audits what it reads or writes in the same
// transaction, as the consent routes do.

#include "common.hpp"
#include "vigil/core/error.hpp"
#include "vigil/patients/rpm_enrolment.hpp"

namespace vigil::web::api {
namespace {

using patients::Enrolment;

JsonObject enrolmentJson(const Enrolment& e, bool consentActive) {
  auto o = object();
  o->set("id", e.id);
  o->set("conditionCode", e.conditionCode);
  o->set("conditionDescription", e.conditionDescription);
  o->set("startDate", e.startDate);
  o->set("enrolledAt", iso(e.enrolledAt));
  o->set("enrolledBy", e.enrolledBy);
  o->set("active", e.active());
  // Billable now: active and the RPM consent in force (a re-sign version sets it aside).
  o->set("billable", e.active() && consentActive);
  o->set("endDate", e.endDate ? Poco::Dynamic::Var(*e.endDate) : Poco::Dynamic::Var());
  o->set("endReason", e.endReason ? Poco::Dynamic::Var(std::string(toString(*e.endReason)))
                                  : Poco::Dynamic::Var());
  o->set("endedAt", isoOrNull(e.endedAt));
  auto devices = array();
  for (const auto& d : e.devices) {
    auto dev = object();
    dev->set("id", d.id);
    dev->set("uid", d.uid);
    dev->set("kind", d.kind);
    dev->set("model", d.model);
    devices->add(dev);
  }
  o->set("devices", devices);
  return o;
}

/// api::guarded plus the enrolment's own refusals: no RPM consent (409 consent_required with
/// the kind) and a conflict with the enrolments' state (409 with its code).
Handler rpmGuarded(Handler h) {
  return guarded([h = std::move(h)](Request& req) -> Response {
    try {
      return h(req);
    } catch (const patients::ConsentRequired& e) {
      return Response::json(409,
                            std::string(R"({"error":"consent_required","kind":")") +
                                std::string(patients::toString(e.kind())) +
                                R"(","message":"the patient has not signed the RPM consent"})");
    } catch (const patients::EnrolmentConflict& e) {
      return Response::error(409, e.code(), e.what());
    }
  });
}

std::string breakGlass(const Request& req) {
  return req.header("x-break-glass-reason").substr(0, 200);
}

}  // namespace

void addRpmRoutes(Router& r, const ApiServices& s) {
  r.add({"GET", "/api/v1/patients/{id}/rpm-enrolments", Access::authenticated, "rpm_enrolment.list",
         rpmGuarded([&s](Request& req) {
           const auto id = pathId(req, "id");
           auto all = s.rpm->enrolments(*req.actor, id, breakGlass(req));
           auto list = array();
           for (const auto& e : all.enrolments) list->add(enrolmentJson(e, all.consentActive));
           auto o = object();
           o->set("patientId", id);
           o->set("consentActive", all.consentActive);
           o->set("enrolments", list);
           return jsonResponse(200, o);
         }),
         "", "id"});
  r.add({"POST", "/api/v1/patients/{id}/rpm-enrolments", Access::authenticated,
         "rpm_enrolment.create", rpmGuarded([&s](Request& req) {
           auto body = parseBody(req);
           patients::NewEnrolment e;
           e.conditionCode = requireString(body, "conditionCode", 16);
           e.conditionDescription = requireString(body, "conditionDescription", 200);
           e.startDate = requireString(body, "startDate", 10);
           auto ids = body->getArray("deviceIds");
           if (!ids) throw BadRequest("deviceIds must be an array of device ids");
           for (std::size_t i = 0; i < ids->size() && i <= 16; ++i) {
             auto v = ids->get(static_cast<unsigned>(i));
             if (!v.isInteger()) throw BadRequest("deviceIds must be an array of device ids");
             e.deviceIds.push_back(v.convert<std::int64_t>());
           }
           auto made = s.rpm->enrol(*req.actor, pathId(req, "id"), e, breakGlass(req));
           return jsonResponse(201, enrolmentJson(made, true));
         }),
         "", "id"});
  r.add({"POST", "/api/v1/patients/{id}/rpm-enrolments/{enrolmentId}/end", Access::authenticated,
         "rpm_enrolment.end", rpmGuarded([&s](Request& req) {
           auto body = parseBody(req);
           const auto endDate = requireString(body, "endDate", 10);
           auto reason = patients::parseEnrolmentEndReason(requireString(body, "reason", 32));
           if (!reason)
             throw BadRequest(
                 "reason must be completed, patient_request, not_medically_necessary or other");
           auto ended = s.rpm->end(*req.actor, pathId(req, "id"), pathId(req, "enrolmentId"),
                                   endDate, *reason, breakGlass(req));
           return jsonResponse(200, enrolmentJson(ended, false));
         }),
         "", "id"});
}

}  // namespace vigil::web::api
