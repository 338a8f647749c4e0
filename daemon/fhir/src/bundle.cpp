#include "vigil/fhir/bundle.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/UUIDGenerator.h>

#include <map>

#include "vigil/core/time.hpp"
#include "vigil/fhir/resources.hpp"

namespace vigil::fhir {

std::string newUuid() {
  return Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
}

Poco::JSON::Object::Ptr collectionBundle(const std::string& id, TimePoint timestamp,
                                         const std::vector<BundleEntry>& entries) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("resourceType", std::string("Bundle"));
  o->set("id", id);
  o->set("type", std::string("collection"));
  o->set("timestamp", core::formatUtc(timestamp, core::Fraction::millis));
  Poco::JSON::Array::Ptr list = new Poco::JSON::Array();
  for (const auto& e : entries) {
    Poco::JSON::Object::Ptr entry = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    entry->set("fullUrl", e.fullUrl);
    entry->set("resource", e.resource);
    list->add(entry);
  }
  o->set("entry", list);
  return o;
}

Poco::JSON::Object::Ptr recordBundle(const PatientRecordData& data, TimePoint timestamp) {
  std::vector<BundleEntry> entries;
  auto add = [&](auto&& make) {
    const auto id = newUuid();
    entries.push_back({"urn:uuid:" + id, make(id)});
  };
  const auto patientId = newUuid();
  const auto patientRef = "urn:uuid:" + patientId;
  entries.push_back({patientRef, patientResource(data.record, patientId)});
  const auto& ins = data.record.insurance;
  if (ins.primary)
    add([&](const std::string& id) { return coverageResource(*ins.primary, 1, id, patientRef); });
  if (ins.secondary)
    add([&](const std::string& id) { return coverageResource(*ins.secondary, 2, id, patientRef); });
  for (const auto& p : data.record.problems)
    add([&](const std::string& id) { return conditionResource(p, id, patientRef); });
  for (const auto& m : data.record.medications)
    add([&](const std::string& id) { return medicationStatementResource(m, id, patientRef); });
  for (const auto& a : data.record.allergies)
    add([&](const std::string& id) { return allergyIntoleranceResource(a, id, patientRef); });
  for (const auto& s : data.signatures) {
    std::optional<patients::ConsentDocument> doc;
    if (auto it = data.documents.find(s.documentId); it != data.documents.end()) doc = it->second;
    add([&](const std::string& id) { return consentResource(s, doc, id, patientRef); });
  }
  std::map<std::string, std::string> encounterOfVisit;  // visit id (as a note names it) -> urn
  for (const auto& v : data.visits)
    add([&](const std::string& id) {
      encounterOfVisit[std::to_string(v.visit.id)] = "urn:uuid:" + id;
      return encounterResource(v.visit, v.providerName, id, patientRef);
    });
  for (const auto& n : data.notes)
    add([&](const std::string& id) {
      std::string encounter;
      if (n.note.encounter.kind == notes::EncounterKind::video_visit)
        if (auto it = encounterOfVisit.find(n.note.encounter.ref); it != encounterOfVisit.end())
          encounter = it->second;
      return documentReferenceResource(n, id, patientRef, encounter);
    });
  for (const auto& r : data.readings)
    add([&](const std::string& id) { return observationResource(r, id, patientRef); });
  return collectionBundle(newUuid(), timestamp, entries);
}

}  // namespace vigil::fhir
