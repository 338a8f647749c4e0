// The patient record (issue 21, docs/patients.md): a patient's record and its history for the
// patient, the care team and admins (admins without the clinical sections), and the patient's
// own record under /api/v1/me. The gate authorises the route's operation on the patient in the
// path (or the caller's own) and audits the request; patients::PatientRecordService authorises
// again, section by section, and audits what it reads or writes in the same transaction. The
// body's shape is the service's (patients::recordToJson / recordUpdateFromJson): a bad field
// answers 422 naming it, a stale baseVersion 409 record_changed.

#include "common.hpp"
#include "vigil/core/error.hpp"
#include "vigil/patients/patient_record.hpp"
#include "vigil/patients/record_json.hpp"

namespace vigil::web::api {
namespace {

std::string breakGlassOf(const Request& req) {
  return req.header("x-break-glass-reason").substr(0, 200);
}

/// api::guarded plus a stale update: 409 record_changed.
Handler recordGuarded(Handler h) {
  return guarded([h = std::move(h)](Request& req) -> Response {
    try {
      return h(req);
    } catch (const patients::RecordConflict& e) {
      return Response::error(409, "record_changed", e.what());
    }
  });
}

JsonObject historyJson(std::int64_t patientId, const std::vector<patients::RecordChange>& list) {
  auto items = array();
  for (const auto& ch : list) {
    auto o = object();
    o->set("version", ch.version);
    o->set("changedAt", iso(ch.changedAt));
    o->set("changedBy", ch.changedBy);
    o->set("changedByRole", ch.changedByRole);
    auto sections = array();
    for (auto s : ch.sections) sections->add(std::string(patients::toString(s)));
    o->set("sections", sections);
    items->add(o);
  }
  auto o = object();
  o->set("patientId", patientId);
  o->set("items", items);
  return o;
}

/// The current record, or with `?version=N` the record as it was at version N.
Response getRecord(const ApiServices& s, Request& req, std::int64_t patientId) {
  if (auto v = req.query.find("version"); v != req.query.end() && !v->second.empty()) {
    const auto version = static_cast<int>(queryInt(req, "version", 1, 1, 1000000));
    return jsonResponse(200, patients::recordToJson(s.records->getVersion(
                                 *req.actor, patientId, version, breakGlassOf(req))));
  }
  return jsonResponse(
      200, patients::recordToJson(s.records->get(*req.actor, patientId, breakGlassOf(req))));
}

Response putRecord(const ApiServices& s, Request& req, std::int64_t patientId) {
  auto update = patients::recordUpdateFromJson(parseBody(req));
  return jsonResponse(200, patients::recordToJson(s.records->update(*req.actor, patientId, update,
                                                                    breakGlassOf(req))));
}

Response getHistory(const ApiServices& s, Request& req, std::int64_t patientId) {
  return jsonResponse(
      200, historyJson(patientId, s.records->history(*req.actor, patientId, breakGlassOf(req))));
}

}  // namespace

void addRecordRoutes(Router& r, const ApiServices& s) {
  r.add({"GET", "/api/v1/patients/{id}/record", Access::authenticated, "patient_record.get",
         recordGuarded([&s](Request& req) { return getRecord(s, req, pathId(req, "id")); }), "",
         "id"});
  r.add({"PUT", "/api/v1/patients/{id}/record", Access::authenticated, "patient_record.update",
         recordGuarded([&s](Request& req) { return putRecord(s, req, pathId(req, "id")); }), "",
         "id"});
  r.add({"GET", "/api/v1/patients/{id}/record/history", Access::authenticated,
         "patient_record.history",
         recordGuarded([&s](Request& req) { return getHistory(s, req, pathId(req, "id")); }), "",
         "id"});
  // The patient's own record: the gate lets only an actor with a patient record through.
  r.add({"GET", "/api/v1/me/record", Access::authenticated, "patient_record.get",
         recordGuarded([&s](Request& req) { return getRecord(s, req, *req.actor->patientId); }), "",
         kPatientSelf});
  r.add({"PUT", "/api/v1/me/record", Access::authenticated, "patient_record.update",
         recordGuarded([&s](Request& req) { return putRecord(s, req, *req.actor->patientId); }), "",
         kPatientSelf});
  r.add({"GET", "/api/v1/me/record/history", Access::authenticated, "patient_record.history",
         recordGuarded([&s](Request& req) { return getHistory(s, req, *req.actor->patientId); }),
         "", kPatientSelf});
}

}  // namespace vigil::web::api
