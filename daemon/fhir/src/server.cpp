// The FHIR API's reads, access decisions and audit, $everything and Observation history
// (issue 26); searches in server_search.cpp, the create in server_create.cpp.

#include "vigil/fhir/server.hpp"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "compartment.hpp"
#include "json_util.hpp"
#include "server_internal.hpp"
#include "vigil/alerts/alert_repository.hpp"
#include "vigil/core/time.hpp"
#include "vigil/fhir/bundle.hpp"
#include "vigil/fhir/record_export.hpp"
#include "vigil/fhir/resources.hpp"
#include "vigil/readings/reading_query.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/store/database.hpp"

namespace vigil::fhir {
namespace server {

std::optional<std::int64_t> patientOfCompartmentId(std::string_view id) {
  auto dash = id.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto local = id.substr(dash + 1);
  if (!numericId(local)) return std::nullopt;
  return numericId(id.substr(0, dash));
}

std::string_view operationOf(std::string_view type, security::Role view) {
  if (type == "Patient" || type == "Coverage") return "patient.get";
  if (type == "Observation" || type == "Device") return "reading.list";
  if (type == "Encounter") return "visit.list";
  if (type == "Consent") return "consent.list";
  if (type == "DocumentReference")
    return view == security::Role::patient ? "visit_summary.list" : "note.list";
  if (type == "Condition" || type == "MedicationStatement" || type == "AllergyIntolerance")
    return "patient_record.get";
  if (type == "MedicationRequest") return "prescription.list";
  if (type == "Flag") return "alert.list";
  if (type == "Appointment") return "visit.list";
  if (type == "Schedule" || type == "Slot") return "schedule.slots";
  return "";
}

bool recordCompartmentType(std::string_view type) {
  return type == "Encounter" || type == "Consent" || type == "DocumentReference" ||
         type == "Condition" || type == "MedicationStatement" || type == "AllergyIntolerance" ||
         type == "Coverage" || type == "MedicationRequest" || type == "Flag" ||
         type == "Appointment";
}

Poco::JSON::Object::Ptr searchset(const std::vector<FhirServer::Item>& items,
                                  const std::string& base, const std::string& selfUrl,
                                  const std::string& nextUrl, std::optional<std::int64_t> total) {
  auto b = json::object();
  b->set("resourceType", std::string("Bundle"));
  b->set("id", newUuid());
  b->set("type", std::string("searchset"));
  if (total) b->set("total", *total);
  auto links = json::array();
  auto link = [&](const char* relation, const std::string& url) {
    auto l = json::object();
    l->set("relation", std::string(relation));
    l->set("url", url);
    links->add(l);
  };
  link("self", selfUrl);
  if (!nextUrl.empty()) link("next", nextUrl);
  b->set("link", links);
  auto entries = json::array();
  for (const auto& item : items) {
    auto e = json::object();
    e->set("fullUrl", base + "/" + item.type + "/" + item.id);
    e->set("resource", item.resource);
    auto search = json::object();
    search->set("mode", std::string("match"));
    e->set("search", search);
    entries->add(e);
  }
  b->set("entry", entries);
  return b;
}

std::string searchUrl(const std::string& base, std::string_view type, const SearchParams& params,
                      const std::string& pageToken) {
  std::string url = base + "/" + std::string(type);
  char sep = '?';
  for (const auto& [k, v] : params) {
    if (k == "_page") continue;
    url += sep + encodeParam(k) + "=" + encodeParam(v);
    sep = '&';
  }
  if (!pageToken.empty()) url += sep + std::string("_page=") + pageToken;
  return url;
}

FhirResponse oneOrSearchset(const std::vector<FhirServer::Item>& items, bool singleRead,
                            const std::string& base, std::string_view type,
                            const SearchParams& params) {
  FhirResponse r;
  if (singleRead) {
    if (items.empty()) throw FhirError(404, "not-found", "no such resource");
    r.body = items.front().resource;
    r.etag = "W/\"1\"";
    return r;
  }
  r.body = searchset(items, base, searchUrl(base, type, params), "",
                     static_cast<std::int64_t>(items.size()));
  return r;
}

std::size_t pageOffset(const SearchParams& params) {
  auto page = valuesOf(params, "_page");
  if (page.empty()) return 0;
  auto offset = parseOffsetToken(page.back());
  if (!offset) throw FhirError(400, "invalid", "_page: not a page of this search");
  return *offset;
}

Poco::JSON::Object::Ptr offsetPage(const std::vector<FhirServer::Item>& items, std::size_t offset,
                                   std::size_t count, const std::string& base,
                                   std::string_view type, const SearchParams& params) {
  std::vector<FhirServer::Item> page;
  for (std::size_t i = offset; i < items.size() && page.size() < count; ++i)
    page.push_back(items[i]);
  std::string next;
  if (count > 0 && offset + count < items.size())
    next = searchUrl(base, type, params, offsetToken(offset + count));
  auto token = valuesOf(params, "_page");
  return searchset(page, base, searchUrl(base, type, params, token.empty() ? "" : token.back()),
                   next, static_cast<std::int64_t>(items.size()));
}

void setMeta(Poco::JSON::Object::Ptr resource, std::optional<TimePoint> lastUpdated) {
  Poco::JSON::Object::Ptr meta = resource->getObject("meta");
  if (!meta) meta = json::object();
  meta->set("versionId", std::string("1"));
  if (lastUpdated) meta->set("lastUpdated", json::instant(*lastUpdated));
  resource->set("meta", meta);
}

void checkParams(std::string_view type, const SearchParams& params,
                 std::initializer_list<std::string_view> supported) {
  for (const auto& [k, v] : params) {
    if (k == "_count" || k == "_page" || k == "_sort" || k == "_format") continue;
    if (std::find(supported.begin(), supported.end(), k) == supported.end())
      throw FhirError(400, "not-supported",
                      std::string(type) + " search: parameter " + k + " is not supported");
  }
}

}  // namespace server

using namespace server;

FhirServer::FhirServer(store::Database& db, security::AuditLog& audit,
                       const crypto::FieldCipher& cipher, const RecordExportService& records,
                       registry::PatientRepository& patients, Clock& clock,
                       ObservationIntake intake, FhirServerOptions options)
    : db_(db),
      audit_(audit),
      cipher_(cipher),
      records_(records),
      patients_(patients),
      clock_(clock),
      intake_(std::move(intake)),
      options_(options) {}

const std::vector<std::string_view>& FhirServer::resourceTypes() {
  static const std::vector<std::string_view> kTypes = {
      "Patient",     "Practitioner",      "Device",    "Observation",         "Encounter",
      "Consent",     "DocumentReference", "Condition", "MedicationStatement", "AllergyIntolerance",
      "Coverage",    "MedicationRequest", "Flag",
#ifdef VIGIL_WITH_SCHEDULING
      "Appointment", "Schedule",          "Slot",
#endif
  };
  return kTypes;
}

security::Role FhirServer::viewOf(const FhirCaller& caller) const {
  // A backend client reads as the practice's clinicians do (whole notes, clinical lists).
  return caller.client ? security::Role::provider : caller.user->role;
}

FhirServer::Decision FhirServer::decide(const FhirCaller& caller, std::string_view type,
                                        Interaction interaction,
                                        std::optional<std::int64_t> patientId) const {
  Decision d;
  d.action = std::string(operationOf(type, viewOf(caller)));
  if (d.action.empty()) d.action = "fhir." + std::string(type) + ".read";
  if (caller.client) {
    d.allowed = caller.client->allows(type, interaction);
    d.reason = d.allowed ? "smart_scope" : "scope_not_granted";
    return d;
  }
  const auto& user = *caller.user;
  if (user.role != security::Role::patient || !user.patientId) {
    d.reason = "portal_patients_only";
  } else if (interaction == Interaction::create) {
    d.reason = "role_lacks_permission";
  } else if (patientId && *patientId != *user.patientId) {
    d.reason = "not_own_record";
  } else if (const auto* op = security::findOperation(d.action);
             op && !security::roleHas(user.role, op->permission)) {
    d.reason = "role_lacks_permission";
  } else {
    d.allowed = true;
    d.reason = "self";
  }
  return d;
}

void FhirServer::audit(const FhirCaller& caller, const Decision& d, std::string objectId,
                       std::optional<std::int64_t> patientId, security::AuditOutcome outcome,
                       std::string reason) const {
  security::AuditEvent e;
  e.actorId = caller.client ? caller.client->clientId : caller.user->id;
  e.actorRole = caller.client ? "fhir_client" : std::string(security::toString(caller.user->role));
  e.action = d.action;
  e.objectType = "fhir";
  e.objectId = std::move(objectId);
  e.patientId = patientId;
  e.outcome = outcome;
  e.reason = reason.empty() ? d.reason : std::move(reason);
  audit_.record(db_, e);
}

FhirServer::Decision FhirServer::require(const FhirCaller& caller, std::string_view type,
                                         Interaction interaction,
                                         std::optional<std::int64_t> patientId,
                                         const std::string& objectId) const {
  auto d = decide(caller, type, interaction, patientId);
  if (!d.allowed) {
    audit(caller, d, objectId, patientId, security::AuditOutcome::denied);
    if (d.reason == "scope_not_granted")
      throw FhirError(403, "forbidden", "the access token's scopes do not cover this request");
    throw FhirError(403, "forbidden", "you do not have access to this record");
  }
  return d;
}

std::vector<FhirServer::Item> FhirServer::compartmentIn(store::Connection& c, std::string_view type,
                                                        std::int64_t patientId, security::Role view,
                                                        const std::string& base) const {
  (void)base;
  return server::compartmentIn(c, {records_, cipher_, &patients_}, type, patientId, view);
}

std::optional<FhirServer::Item> FhirServer::readOneIn(store::Connection& c, std::string_view type,
                                                      std::string_view id, security::Role view,
                                                      const std::string& base) const {
  if (type == "Observation") {
    auto rid = numericId(id);
    if (!rid) return std::nullopt;
    auto reading = readings::ReadingQuery::readingIn(c, *rid);
    if (!reading || reading->patientId == 0) return std::nullopt;
    auto r = observationResource(
        *reading, std::string(id), patientRef(reading->patientId),
        reading->deviceId ? "Device/" + std::to_string(*reading->deviceId) : std::string());
    setMeta(r, reading->receivedAt);
    return Item{"Observation", std::string(id), readings::effectiveTime(*reading), r};
  }
  if (type == "Patient") {
    auto pid = numericId(id);
    if (!pid || !registry::PatientRepository::existsIn(c, *pid)) return std::nullopt;
    auto data = records_.readIn(c, view, *pid, false);
    auto patient = patients_.getIn(c, *pid);
    auto r = patientResource(data.record, std::string(id), patient ? patient->mrn : "");
    setMeta(r, data.record.updatedAt);
    return Item{"Patient", std::string(id), std::nullopt, r};
  }
  if (type == "Device") {
    auto did = numericId(id);
    if (!did) return std::nullopt;
    auto device = registry::DeviceRegistry::findIn(c, *did);
    if (!device) return std::nullopt;
    auto now = clock_.now();
    auto patient = registry::DeviceRegistry::patientAtIn(c, *did, now);
    auto r = deviceResource(*device, std::string(id), patient ? patientRef(*patient) : "");
    setMeta(r, std::nullopt);
    return Item{"Device", std::string(id), std::nullopt, r};
  }
  if (!recordCompartmentType(type)) return std::nullopt;
  auto patient = patientOfCompartmentId(id);
  if (!patient || !registry::PatientRepository::existsIn(c, *patient)) return std::nullopt;
  for (auto& item : compartmentIn(c, type, *patient, view, base))
    if (item.id == id) return std::move(item);
  return std::nullopt;
}

namespace {

/// The patient a resource belongs to (nullopt for Practitioner and unassigned devices).
std::optional<std::int64_t> patientOfItem(const FhirServer::Item& item) {
  if (item.type == "Patient") return numericId(item.id);
  if (item.type == "Appointment") return patientOfCompartmentId(item.id);  // a participant
  auto ref = item.resource->has("subject")       ? item.resource->getObject("subject")
             : item.resource->has("patient")     ? item.resource->getObject("patient")
             : item.resource->has("beneficiary") ? item.resource->getObject("beneficiary")
                                                 : nullptr;
  if (!ref) return std::nullopt;
  auto text = ref->getValue<std::string>("reference");
  if (!text.starts_with("Patient/")) return std::nullopt;
  return numericId(std::string_view(text).substr(8));
}

}  // namespace

FhirResponse FhirServer::read(const FhirCaller& caller, std::string_view type, std::string_view id,
                              const std::string& base) {
  auto known = resourceTypes();
  if (std::find(known.begin(), known.end(), type) == known.end())
    throw FhirError(404, "not-supported", "this server does not serve that resource type");
  // Scopes are checked before anything is looked up: a client without them learns nothing.
  if (caller.client && !caller.client->allows(type, Interaction::read))
    require(caller, type, Interaction::read, std::nullopt, std::string(type));
  if (type == "Practitioner")
    return searchPractitioners(caller, {{"_id", std::string(id)}}, base, true);
  if (type == "Schedule") return searchSchedules(caller, {{"_id", std::string(id)}}, base, true);
  if (type == "Slot") return readSlot(caller, id, base);
  auto item =
      db_.read([&](store::Connection& c) { return readOneIn(c, type, id, viewOf(caller), base); });
  const auto objectId = std::string(type) + "/" + std::string(id);
  if (!item) {
    // Unknown ids are audited too (someone probing), without a patient.
    auto d = decide(caller, type, Interaction::read, std::nullopt);
    audit(caller, d, objectId, std::nullopt, security::AuditOutcome::failure, "not_found");
    throw FhirError(404, "not-found", "no such resource");
  }
  const auto patient = patientOfItem(*item);
  auto d = require(caller, type, Interaction::read, patient, objectId);
  audit(caller, d, objectId, patient, security::AuditOutcome::success);
  FhirResponse r;
  r.body = item->resource;
  r.etag = "W/\"1\"";
  return r;
}

FhirResponse FhirServer::history(const FhirCaller& caller, std::string_view type,
                                 std::string_view id, std::optional<std::string_view> versionId,
                                 const std::string& base) {
  if (type != "Observation")
    throw FhirError(404, "not-supported", "history is served for Observation only");
  if (versionId && *versionId != "1") {
    read(caller, type, id, base);  // audits the access (and answers 404 for an unknown id)
    throw FhirError(404, "not-found", "no such version: readings never change");
  }
  auto current = read(caller, type, id, base);
  if (versionId) return current;
  auto b = json::object();
  b->set("resourceType", std::string("Bundle"));
  b->set("id", newUuid());
  b->set("type", std::string("history"));
  b->set("total", 1);
  auto self = json::object();
  self->set("relation", std::string("self"));
  self->set("url", base + "/Observation/" + std::string(id) + "/_history");
  b->set("link", json::one(self));
  auto e = json::object();
  e->set("fullUrl", base + "/Observation/" + std::string(id));
  e->set("resource", current.body);
  auto request = json::object();
  request->set("method", std::string("POST"));
  request->set("url", std::string("Observation"));
  e->set("request", request);
  auto response = json::object();
  response->set("status", std::string("201 Created"));
  auto meta = current.body->getObject("meta");
  if (meta && meta->has("lastUpdated")) response->set("lastModified", meta->get("lastUpdated"));
  e->set("response", response);
  b->set("entry", json::one(e));
  FhirResponse r;
  r.body = b;
  return r;
}

FhirResponse FhirServer::everything(const FhirCaller& caller, std::string_view patientId,
                                    const std::string& base) {
  auto pid = numericId(patientId);
  const auto objectId = "Patient/" + std::string(patientId) + "/$everything";
  Decision d;
  d.action = "patient_record.export";
  if (caller.client) {
    // $everything is the patient's whole compartment: every type it returns must be granted.
    for (auto type : resourceTypes())
      if (type != "Practitioner" && type != "Schedule" && type != "Slot" &&
          !caller.client->allows(type, Interaction::read)) {
        d.reason = "scope_not_granted";
        audit(caller, d, objectId, pid, security::AuditOutcome::denied);
        throw FhirError(403, "forbidden",
                        "$everything needs read scopes on every patient resource type "
                        "(system/*.rs)");
      }
    d.allowed = true;
    d.reason = "smart_scope";
  } else {
    d = decide(caller, "Patient", Interaction::read, pid);
    d.action = "patient_record.export";
    if (d.allowed && !security::roleHas(caller.user->role, security::Permission::recordExport))
      d = Decision{false, d.action, "role_lacks_permission"};
    if (!d.allowed) {
      audit(caller, d, objectId, pid, security::AuditOutcome::denied);
      throw FhirError(403, "forbidden", "you do not have access to this record");
    }
  }
  const auto view = viewOf(caller);
  auto items = db_.read([&](store::Connection& c) -> std::optional<std::vector<Item>> {
    if (!pid || !registry::PatientRepository::existsIn(c, *pid)) return std::nullopt;
    auto data = records_.readIn(c, view, *pid, true);
    return server::everythingIn(c, {records_, cipher_, &patients_}, *pid, view, data);
  });
  if (!items) {
    audit(caller, d, objectId, std::nullopt, security::AuditOutcome::failure, "not_found");
    throw FhirError(404, "not-found", "no such patient");
  }
  audit(caller, d, objectId, pid, security::AuditOutcome::success);
  FhirResponse r;
  r.body =
      searchset(*items, base, base + "/" + objectId, "", static_cast<std::int64_t>(items->size()));
  return r;
}

}  // namespace vigil::fhir
