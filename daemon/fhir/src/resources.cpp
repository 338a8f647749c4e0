#include "vigil/fhir/resources.hpp"

#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <utility>
#include <vector>

#include "json_util.hpp"
#include "vigil/core/time.hpp"
#include "vigil/fhir/bundle.hpp"

namespace vigil::fhir {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr std::string_view kObservationCategory =
    "http://terminology.hl7.org/CodeSystem/observation-category";

using json::array;
using json::codeable;
using json::coding;
using json::instant;
using json::object;
using json::one;
using json::reference;
using json::start;
using json::textConcept;

JsonObject address(const patients::Address& a) {
  auto o = object();
  o->set("use", std::string("home"));
  auto lines = array();
  if (!a.line1.empty()) lines->add(a.line1);
  if (!a.line2.empty()) lines->add(a.line2);
  if (lines->size() > 0) o->set("line", lines);
  if (!a.city.empty()) o->set("city", a.city);
  if (!a.region.empty()) o->set("state", a.region);
  if (!a.postalCode.empty()) o->set("postalCode", a.postalCode);
  if (!a.country.empty()) o->set("country", a.country);
  return o;
}

JsonObject contactPoint(std::string_view system, const std::string& value) {
  auto o = object();
  o->set("system", std::string(system));
  o->set("value", value);
  return o;
}

struct VitalSign {
  std::string_view code, display, profile;
};
// LOINC codes the box stores (devices/reading.hpp) with the FHIR R4 vital-signs profile of each.
constexpr VitalSign kVitalSigns[] = {
    {"85354-9", "Blood pressure panel with all children optional", "bp"},
    {"8480-6", "Systolic blood pressure", ""},
    {"8462-4", "Diastolic blood pressure", ""},
    {"8478-0", "Mean blood pressure", ""},
    {"8867-4", "Heart rate", "heartrate"},
    {"59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "oxygensat"},
    {"29463-7", "Body weight", "bodyweight"},
    {"8302-2", "Body height", "bodyheight"},
    {"39156-5", "Body mass index (BMI) [Ratio]", "bmi"},
    {"8310-5", "Body temperature", "bodytemp"},
    {"9279-1", "Respiratory rate", "resprate"},
};
struct LabCode {
  std::string_view code, display;
};
constexpr LabCode kLabCodes[] = {
    {"2339-0", "Glucose [Mass/volume] in Blood"},
    {"2345-7", "Glucose [Mass/volume] in Serum or Plasma"},
    {"41653-7", "Glucose [Mass/volume] in Capillary blood by Glucometer"},
    {"4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood"},
};

const VitalSign* vitalSign(std::string_view code) {
  for (const auto& v : kVitalSigns)
    if (v.code == code) return &v;
  return nullptr;
}

JsonObject quantity(double value, const std::string& unit) {
  auto o = object();
  o->set("value", value);
  o->set("unit", unit);
  o->set("system", std::string(kUcumSystem));
  o->set("code", unit);
  return o;
}

JsonObject loincConcept(std::string_view code) {
  return codeable(coding(kLoincSystem, code, loincDisplay(code)));
}

/// Observation.code: the stored LOINC code. R4's oxygensat profile requires LOINC 2708-6
/// (Oxygen saturation in Arterial blood); the box's pulse-oximetry code 59408-5 goes beside it.
/// A reading without a standard code (e.g. an RR interval) has a text only: a LOINC coding needs
/// a code (FHIR's code type has no empty string).
JsonObject observationCode(std::string_view code) {
  if (code.empty()) return textConcept("Device reading without a standard code");
  auto o = loincConcept(code);
  if (code == "59408-5") {
    auto codings = array();
    codings->add(coding(kLoincSystem, "2708-6", "Oxygen saturation in Arterial blood"));
    codings->add(coding(kLoincSystem, code, loincDisplay(code)));
    o->set("coding", codings);
  }
  return o;
}

JsonObject dataAbsent() {
  return codeable(
      coding("http://terminology.hl7.org/CodeSystem/data-absent-reason", "unknown", "Unknown"));
}

/// The stored components ({"8480-6": 168, "8462-4": 95, ...}) in the panel's order, then any
/// other component in the stored order. A component without a number is kept, absent.
std::vector<std::pair<std::string, std::optional<double>>> components(const std::string& json,
                                                                      const std::string& panel) {
  std::vector<std::pair<std::string, std::optional<double>>> out;
  Poco::JSON::Parser parser;
  parser.setAllowComments(false);
  auto parsed = parser.parse(json).extract<Object::Ptr>();
  std::vector<std::string> keys;
  for (const auto& key : readings::panelComponents(panel))
    if (parsed->has(key)) keys.push_back(key);
  std::vector<std::string> rest;
  parsed->getNames(rest);
  for (const auto& key : rest)
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  for (const auto& key : keys) {
    auto v = parsed->get(key);
    if (v.isNumeric() && std::isfinite(v.convert<double>()))
      out.emplace_back(key, v.convert<double>());
    else
      out.emplace_back(key, std::nullopt);
  }
  return out;
}

}  // namespace

std::string_view loincDisplay(std::string_view code) {
  if (const auto* v = vitalSign(code)) return v->display;
  for (const auto& l : kLabCodes)
    if (l.code == code) return l.display;
  return {};
}

JsonObject patientResource(const patients::PatientRecord& record, const std::string& id,
                           const std::string& mrn) {
  const auto& d = record.demographics;
  auto o = start("Patient", id);
  if (!mrn.empty()) {
    auto identifier = object();
    identifier->set("use", std::string("usual"));
    identifier->set("type", codeable(coding("http://terminology.hl7.org/CodeSystem/v2-0203", "MR",
                                            "Medical record number")));
    identifier->set("system", std::string(kMrnSystem));
    identifier->set("value", mrn);
    o->set("identifier", one(identifier));
  }
  auto name = object();
  name->set("use", std::string("official"));
  name->set("family", d.familyName);
  auto given = array();
  given->add(d.givenName);
  name->set("given", given);
  o->set("name", one(name));
  auto telecom = array();
  if (!record.contact.phone.empty()) telecom->add(contactPoint("phone", record.contact.phone));
  if (!record.contact.email.empty()) telecom->add(contactPoint("email", record.contact.email));
  if (telecom->size() > 0) o->set("telecom", telecom);
  if (!d.birthDate.empty()) o->set("birthDate", d.birthDate);
  if (!record.contact.address.empty()) o->set("address", one(address(record.contact.address)));
  const auto& ec = record.emergencyContact;
  if (!ec.name.empty()) {
    auto c = object();
    if (!ec.relationship.empty()) c->set("relationship", one(textConcept(ec.relationship)));
    auto n = object();
    n->set("text", ec.name);
    c->set("name", n);
    if (!ec.phone.empty()) c->set("telecom", one(contactPoint("phone", ec.phone)));
    o->set("contact", one(c));
  }
  if (!record.language.empty()) {
    auto c = object();
    c->set("language", codeable(coding("urn:ietf:bcp:47", record.language)));
    c->set("preferred", true);
    o->set("communication", one(c));
  }
  return o;
}

JsonObject observationResource(const readings::ReceivedReading& reading, const std::string& id,
                               const std::string& patientRef, const std::string& deviceRef) {
  auto o = start("Observation", id);
  const auto* vital = vitalSign(reading.code);
  if (vital) {
    auto meta = object();
    auto profiles = array();
    profiles->add(std::string("http://hl7.org/fhir/StructureDefinition/vitalsigns"));
    if (!vital->profile.empty())
      profiles->add("http://hl7.org/fhir/StructureDefinition/" + std::string(vital->profile));
    meta->set("profile", profiles);
    o->set("meta", meta);
  }
  o->set("status", std::string("final"));
  if (vital)
    o->set("category", one(codeable(coding(kObservationCategory, "vital-signs", "Vital Signs"),
                                    "Vital Signs")));
  else if (!reading.code.empty())
    o->set("category",
           one(codeable(coding(kObservationCategory, "laboratory", "Laboratory"), "Laboratory")));
  o->set("code", observationCode(reading.code));
  o->set("subject", reference(patientRef));
  const bool deviceUtc = reading.deviceTime && !reading.deviceTimeLocal;
  o->set("effectiveDateTime", instant(deviceUtc ? *reading.deviceTime : reading.receivedAt));
  o->set("issued", instant(reading.receivedAt));
  if (!deviceRef.empty()) o->set("device", reference(deviceRef));
  if (reading.components) {
    auto list = array();
    for (const auto& [code, value] : components(*reading.components, reading.code)) {
      auto c = object();
      c->set("code", loincConcept(code));
      if (value)
        c->set("valueQuantity", quantity(*value, reading.unit));
      else
        c->set("dataAbsentReason", dataAbsent());
      list->add(c);
    }
    o->set("component", list);
  } else if (reading.value && std::isfinite(*reading.value)) {
    o->set("valueQuantity", quantity(*reading.value, reading.unit));
  } else {
    o->set("dataAbsentReason", dataAbsent());
  }
  return o;
}

JsonObject conditionResource(const patients::Problem& problem, const std::string& id,
                             const std::string& patientRef) {
  auto o = start("Condition", id);
  const bool active = problem.status == patients::ProblemStatus::active;
  o->set("clinicalStatus",
         codeable(coding("http://terminology.hl7.org/CodeSystem/condition-clinical",
                         active ? "active" : "resolved")));
  o->set("category", one(codeable(coding("http://terminology.hl7.org/CodeSystem/condition-category",
                                         "problem-list-item", "Problem List Item"))));
  o->set("code",
         codeable(coding(kIcd10CmSystem, problem.code, problem.description), problem.description));
  o->set("subject", reference(patientRef));
  if (!problem.onsetDate.empty()) o->set("onsetDateTime", problem.onsetDate);
  if (problem.source == patients::EntrySource::patient) o->set("asserter", reference(patientRef));
  return o;
}

JsonObject medicationStatementResource(const patients::Medication& medication,
                                       const std::string& id, const std::string& patientRef) {
  auto o = start("MedicationStatement", id);
  o->set(
      "status",
      std::string(medication.status == patients::MedicationStatus::active ? "active" : "stopped"));
  o->set("medicationCodeableConcept",
         medication.rxcui.empty()
             ? textConcept(medication.name)
             : codeable(coding(kRxNormSystem, medication.rxcui, medication.name), medication.name));
  o->set("subject", reference(patientRef));
  if (medication.source == patients::EntrySource::patient)
    o->set("informationSource", reference(patientRef));
  if (!medication.instructions.empty()) {
    auto dosage = object();
    dosage->set("text", medication.instructions);
    o->set("dosage", one(dosage));
  }
  return o;
}

JsonObject allergyIntoleranceResource(const patients::Allergy& allergy, const std::string& id,
                                      const std::string& patientRef) {
  auto o = start("AllergyIntolerance", id);
  o->set("clinicalStatus",
         codeable(coding("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                         "active", "Active")));
  o->set("code", textConcept(allergy.substance));
  o->set("patient", reference(patientRef));
  if (allergy.source == patients::EntrySource::patient) o->set("asserter", reference(patientRef));
  // Reaction.manifestation is required (1..*): a severity without a reaction is not exported.
  if (!allergy.reaction.empty()) {
    auto reaction = object();
    reaction->set("manifestation", one(textConcept(allergy.reaction)));
    switch (allergy.severity) {
      case patients::AllergySeverity::mild:
        reaction->set("severity", std::string("mild"));
        break;
      case patients::AllergySeverity::moderate:
        reaction->set("severity", std::string("moderate"));
        break;
      case patients::AllergySeverity::severe:
        reaction->set("severity", std::string("severe"));
        break;
      case patients::AllergySeverity::unknown:
        break;
    }
    o->set("reaction", one(reaction));
  }
  return o;
}

JsonObject coverageResource(const patients::Insurance& insurance, int order, const std::string& id,
                            const std::string& patientRef) {
  auto o = start("Coverage", id);
  o->set("status", std::string("active"));
  if (!insurance.subscriberName.empty()) {
    auto s = object();
    s->set("display", insurance.subscriberName);
    o->set("subscriber", s);
  }
  o->set("subscriberId", insurance.memberId);
  o->set("beneficiary", reference(patientRef));
  o->set("relationship",
         codeable(coding("http://terminology.hl7.org/CodeSystem/subscriber-relationship",
                         patients::toString(insurance.relationship))));
  auto payor = object();
  payor->set("display", insurance.payer);
  o->set("payor", one(payor));
  auto classes = array();
  auto klass = [&](std::string_view type, const std::string& value) {
    auto c = object();
    c->set("type", codeable(coding("http://terminology.hl7.org/CodeSystem/coverage-class", type)));
    c->set("value", value);
    classes->add(c);
  };
  if (!insurance.groupNumber.empty()) klass("group", insurance.groupNumber);
  if (!insurance.plan.empty()) klass("plan", insurance.plan);
  if (classes->size() > 0) o->set("class", classes);
  o->set("order", order);
  return o;
}

JsonObject consentResource(const patients::Signature& signature,
                           const std::optional<patients::ConsentDocument>& document,
                           const std::string& id, const std::string& patientRef) {
  auto o = start("Consent", id);
  o->set("status", std::string(signature.withdrawnAt ? "inactive" : "active"));
  const bool privacy = signature.kind == patients::ConsentKind::privacyNotice ||
                       signature.kind == patients::ConsentKind::recording;
  o->set("scope", codeable(coding("http://terminology.hl7.org/CodeSystem/consentscope",
                                  privacy ? "patient-privacy" : "treatment")));
  auto category = array();
  category->add(codeable(coding(kLoincSystem, "59284-0", "Patient Consent")));
  category->add(codeable(coding(std::string(kVigilExtensionBase) + "consent-kind",
                                patients::toString(signature.kind))));
  o->set("category", category);
  o->set("patient", reference(patientRef));
  o->set("dateTime", instant(signature.signedAt));
  // ppc-1: a Consent names its policy or policyRule (extensible binding consent-policy): the
  // HIPAA Notice of Privacy Practices for the privacy notice, else the patient's opt-in.
  o->set("policyRule",
         signature.kind == patients::ConsentKind::privacyNotice
             ? codeable(coding("http://terminology.hl7.org/CodeSystem/consentpolicycodes",
                               "hipaa-npp", "HIPAA Notice of Privacy Practices"))
             : codeable(
                   coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "OPTIN", "opt-in")));
  auto attachment = object();
  attachment->set("contentType", std::string("text/plain; charset=utf-8"));
  const std::string version = "version " + std::to_string(signature.version);
  attachment->set("title", document
                               ? document->title + ", " + version
                               : std::string(patients::toString(signature.kind)) + ", " + version);
  auto hash = object();
  hash->set("url", std::string(kVigilExtensionBase) + "document-sha256");
  hash->set("valueString", signature.documentSha256);
  attachment->set("extension", one(hash));
  o->set("sourceAttachment", attachment);
  auto provision = object();
  provision->set("type", std::string("permit"));
  auto period = object();
  period->set("start", instant(signature.signedAt));
  if (signature.withdrawnAt) period->set("end", instant(*signature.withdrawnAt));
  provision->set("period", period);
  o->set("provision", provision);
  return o;
}

JsonObject encounterResource(const video::Visit& visit, const std::string& providerName,
                             const std::string& id, const std::string& patientRef) {
  auto o = start("Encounter", id);
  std::string status = "planned";
  switch (visit.state) {
    case video::VisitState::scheduled:
      status = "planned";
      break;
    case video::VisitState::inProgress:
      status = "in-progress";
      break;
    case video::VisitState::ended:
      status = "finished";
      break;
    case video::VisitState::cancelled:
      status = "cancelled";
      break;
  }
  o->set("status", status);
  o->set("class", coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "VR", "virtual"));
  o->set("subject", reference(patientRef));
  if (!providerName.empty()) {
    auto performer = object();
    performer->set("type",
                   one(codeable(coding("http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                       "PPRF", "primary performer"))));
    auto individual = object();
    individual->set("display", providerName);
    performer->set("individual", individual);
    o->set("participant", one(performer));
  }
  auto period = object();
  period->set("start", instant(visit.startsAt));
  period->set("end",
              instant(visit.state == video::VisitState::ended && visit.endedAt ? *visit.endedAt
                                                                               : visit.endsAt));
  o->set("period", period);
  return o;
}

std::string noteText(const NoteData& data) {
  const auto& n = data.note;
  std::string t = n.templateTitle + "\n";
  static const std::map<notes::EncounterKind, std::string> kinds = {
      {notes::EncounterKind::video_visit, "Video visit"},
      {notes::EncounterKind::in_person_visit, "In-person visit"},
      {notes::EncounterKind::rpm_review, "RPM monthly review"},
      {notes::EncounterKind::async_case, "Async case"},
      {notes::EncounterKind::phone_call, "Phone call"}};
  t += "Encounter: " + kinds.at(n.encounter.kind) + " " + n.encounter.ref + "\n";
  if (n.signedAt)
    t += "Signed " + instant(*n.signedAt) + " by " +
         (data.signerName.empty() ? std::string("a clinician") : data.signerName) + "\n";
  if (n.cosignedAt) t += "Co-signed " + instant(*n.cosignedAt) + " by " + data.cosignerName + "\n";
  auto section = [&t](std::string_view name, const std::string& text) {
    t += "\n" + std::string(name) + ":\n" + (text.empty() ? std::string("(none)") : text) + "\n";
  };
  if (!data.summaryOnly) {
    section("Subjective", n.soap.subjective);
    section("Objective", n.soap.objective);
  }
  section("Assessment", n.soap.assessment);
  section("Plan", n.soap.plan);
  for (std::size_t i = 0; i < n.addenda.size(); ++i) {
    const auto& a = n.addenda[i];
    const auto who = i < data.addendumAuthors.size() ? data.addendumAuthors[i] : std::string();
    t += "\nAddendum, signed " + instant(a.signedAt) + (who.empty() ? "" : " by " + who) + ":\n" +
         a.text + "\n";
  }
  return t;
}

JsonObject documentReferenceResource(const NoteData& data, const std::string& id,
                                     const std::string& patientRef,
                                     const std::string& encounterRef) {
  const auto& n = data.note;
  auto o = start("DocumentReference", id);
  o->set("status", std::string("current"));
  o->set("docStatus", std::string("final"));
  o->set("type", codeable(coding(kLoincSystem, "11506-3", "Progress note"), n.templateTitle));
  o->set("category",
         one(codeable(
             coding("http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
                    "clinical-note", "Clinical Note"))));
  o->set("subject", reference(patientRef));
  if (n.signedAt) o->set("date", instant(*n.signedAt));
  auto signer = object();
  signer->set("display", data.signerName);
  o->set("author", one(signer));
  auto authenticator = object();
  authenticator->set("display", n.cosignedBy ? data.cosignerName : data.signerName);
  o->set("authenticator", authenticator);
  o->set("description", data.summaryOnly ? n.templateTitle + " (visit summary)" : n.templateTitle);
  auto attachment = object();
  attachment->set("contentType", std::string("text/plain; charset=utf-8"));
  attachment->set("language", std::string("en"));
  std::ostringstream b64;
  {
    Poco::Base64Encoder enc(b64);
    enc.rdbuf()->setLineLength(0);
    enc << noteText(data);
    enc.close();
  }
  attachment->set("data", b64.str());
  attachment->set("title", n.templateTitle);
  if (n.signedAt) attachment->set("creation", instant(*n.signedAt));
  auto content = object();
  content->set("attachment", attachment);
  o->set("content", one(content));
  if (!encounterRef.empty()) {
    auto context = object();
    context->set("encounter", one(reference(encounterRef)));
    o->set("context", context);
  }
  return o;
}

}  // namespace vigil::fhir
