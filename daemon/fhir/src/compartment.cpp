// A patient's compartment as the FHIR API and the record download serve it (compartment.hpp).

#include "compartment.hpp"

#include <map>

#include "vigil/alerts/alert_repository.hpp"
#include "vigil/fhir/record_export.hpp"
#include "vigil/fhir/resources.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/rx/prescriptions.hpp"

namespace vigil::fhir::server {
namespace {

using Item = FhirServer::Item;

bool ordersType(std::string_view type) {
  return type == "MedicationRequest" || type == "Flag" || type == "Appointment";
}

std::vector<Item> ordersIn(store::Connection& c, const CompartmentSources& s, std::string_view type,
                           std::int64_t patientId, security::Role view) {
  // The prescriptions, open alerts and appointments of the patient: loaded only for their own
  // type or for $everything, and in $everything only what `view` may read (the operation's
  // permission: a patient reads no alerts), the way readIn leaves out what a role may not see.
  std::vector<Item> out;
  const bool everything = type.empty();
  auto wanted = [&](std::string_view t) {
    if (!everything) return t == type;
    const auto* op = security::findOperation(operationOf(t, view));
    return op && security::roleHas(view, op->permission);
  };
  const auto ref = patientRef(patientId);
  if (wanted("MedicationRequest"))
    for (const auto& p : rx::PrescriptionService::forPatientIn(c, s.cipher, patientId)) {
      // A patient never sees drafts (the portal's rule, docs/prescribing.md "The patient").
      if (view == security::Role::patient && p.status == "draft") continue;
      auto id = compartmentId(patientId, p.id);
      auto r =
          medicationRequestResource(p, id, ref, "Practitioner/" + std::to_string(p.prescriberId));
      setMeta(r, p.updatedAt);
      out.push_back({"MedicationRequest", std::move(id), p.signedAt.value_or(p.createdAt), r});
    }
  if (wanted("Flag"))
    for (const auto& a : alerts::AlertRepository::openForPatientIn(c, s.cipher, patientId)) {
      auto id = compartmentId(patientId, a.id);
      auto r = flagResource(a, id, ref);
      setMeta(r, std::nullopt);
      out.push_back({"Flag", std::move(id), a.raisedAt, r});
    }
#ifdef VIGIL_WITH_SCHEDULING
  if (wanted("Appointment")) {
    std::map<std::int64_t, std::string> typeNames;
    for (const auto& a : scheduling::SchedulingService::forPatientIn(c, patientId)) {
      auto [it, fresh] = typeNames.try_emplace(a.typeId);
      if (fresh)
        if (auto t = scheduling::SchedulingService::typeIn(c, a.typeId)) it->second = t->name;
      auto id = compartmentId(patientId, a.id);
      auto r = appointmentResource(a, it->second, id, ref,
                                   "Practitioner/" + std::to_string(a.providerUserId));
      setMeta(r, std::nullopt);
      out.push_back({"Appointment", std::move(id), a.startsAt, r});
    }
  }
#endif
  return out;
}

/// The record types of `data` (and the orders read on `c`) of `type`, or all for "".
std::vector<Item> recordTypesIn(store::Connection& c, const CompartmentSources& s,
                                std::string_view type, std::int64_t patientId, security::Role view,
                                const PatientRecordData& data) {
  std::vector<Item> out;
  const auto ref = patientRef(patientId);
  const bool everything = type.empty();
  for (auto& item : ordersIn(c, s, type, patientId, view)) out.push_back(std::move(item));
  if (!everything && ordersType(type)) return out;
  auto add = [&](std::string_view t, std::string id, std::optional<TimePoint> date, auto make) {
    if (!everything && t != type) return;
    auto r = make(id);
    setMeta(r, std::nullopt);
    out.push_back({std::string(t), std::move(id), date, r});
  };
  const auto& ins = data.record.insurance;
  if (ins.primary)
    add("Coverage", compartmentId(patientId, 1), std::nullopt,
        [&](const std::string& id) { return coverageResource(*ins.primary, 1, id, ref); });
  if (ins.secondary)
    add("Coverage", compartmentId(patientId, 2), std::nullopt,
        [&](const std::string& id) { return coverageResource(*ins.secondary, 2, id, ref); });
  for (const auto& p : data.record.problems)
    add("Condition", compartmentId(patientId, p.id), std::nullopt,
        [&](const std::string& id) { return conditionResource(p, id, ref); });
  for (const auto& m : data.record.medications)
    add("MedicationStatement", compartmentId(patientId, m.id), std::nullopt,
        [&](const std::string& id) { return medicationStatementResource(m, id, ref); });
  for (const auto& a : data.record.allergies)
    add("AllergyIntolerance", compartmentId(patientId, a.id), std::nullopt,
        [&](const std::string& id) { return allergyIntoleranceResource(a, id, ref); });
  for (const auto& sig : data.signatures) {
    std::optional<patients::ConsentDocument> doc;
    if (auto it = data.documents.find(sig.documentId); it != data.documents.end()) doc = it->second;
    add("Consent", compartmentId(patientId, sig.id), sig.signedAt,
        [&](const std::string& id) { return consentResource(sig, doc, id, ref); });
  }
  for (const auto& v : data.visits)
    add("Encounter", compartmentId(patientId, v.visit.id), v.visit.startsAt,
        [&](const std::string& id) { return encounterResource(v.visit, v.providerName, id, ref); });
  for (const auto& n : data.notes) {
    std::string encounter;
    if (n.note.encounter.kind == notes::EncounterKind::video_visit)
      if (auto visit = numericId(n.note.encounter.ref))
        encounter = "Encounter/" + compartmentId(patientId, *visit);
    add("DocumentReference", compartmentId(patientId, n.note.id), n.note.signedAt,
        [&](const std::string& id) { return documentReferenceResource(n, id, ref, encounter); });
  }
  return out;
}

}  // namespace

std::vector<Item> compartmentIn(store::Connection& c, const CompartmentSources& s,
                                std::string_view type, std::int64_t patientId,
                                security::Role view) {
  std::vector<Item> out;
  const auto ref = patientRef(patientId);
  if (type == "Device") {
    for (const auto& a : registry::DeviceRegistry::currentForPatientIn(c, patientId))
      if (auto device = registry::DeviceRegistry::findIn(c, a.deviceId)) {
        auto r = deviceResource(*device, std::to_string(device->id), ref);
        setMeta(r, std::nullopt);
        out.push_back({"Device", std::to_string(device->id), a.validFrom, r});
      }
    return out;
  }
  if (ordersType(type)) return ordersIn(c, s, type, patientId, view);
  auto data = s.records.readIn(c, view, patientId, false);
  return recordTypesIn(c, s, type, patientId, view, data);
}

std::vector<Item> everythingIn(store::Connection& c, const CompartmentSources& s,
                               std::int64_t patientId, security::Role view,
                               const PatientRecordData& data) {
  std::vector<Item> out;
  std::string mrn;
  if (s.patients)
    if (auto registered = s.patients->getIn(c, patientId)) mrn = registered->mrn;
  auto patient = patientResource(data.record, std::to_string(patientId), mrn);
  setMeta(patient, data.record.updatedAt);
  out.push_back({"Patient", std::to_string(patientId), std::nullopt, patient});
  for (auto& item : recordTypesIn(c, s, "", patientId, view, data)) out.push_back(std::move(item));
  for (auto& item : compartmentIn(c, s, "Device", patientId, view)) out.push_back(std::move(item));
  const auto ref = patientRef(patientId);
  for (const auto& reading : data.readings) {
    const auto id = std::to_string(reading.readingId);
    auto r = observationResource(
        reading, id, ref,
        reading.deviceId ? "Device/" + std::to_string(*reading.deviceId) : std::string());
    setMeta(r, reading.receivedAt);
    out.push_back({"Observation", id, readings::effectiveTime(reading), r});
  }
  return out;
}

}  // namespace vigil::fhir::server
