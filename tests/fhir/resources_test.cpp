// The mappers of daemon/fhir/src/resources.cpp and bundle.cpp. Each expected resource is
// written by hand from the FHIR R4 spec (resource pages, the vital-signs profiles, the code
// systems' URLs), not printed by the code; the comparison ignores key order.
#define BOOST_TEST_MODULE fhir
#include "vigil/fhir/resources.hpp"

#include <Poco/Base64Decoder.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <boost/test/unit_test.hpp>
#include <iterator>
#include <set>
#include <sstream>

#include "vigil/core/time.hpp"
#include "vigil/fhir/bundle.hpp"

using namespace vigil;

namespace {

/// Key-order-free text of a JSON value: parsed into sorted objects, printed again.
std::string canonical(const std::string& json) {
  Poco::JSON::Parser parser;  // objects without preserved order: keys sorted
  auto v = parser.parse(json);
  std::ostringstream s;
  Poco::JSON::Stringifier::stringify(v, s);
  Poco::JSON::Parser again;
  std::ostringstream t;
  Poco::JSON::Stringifier::stringify(again.parse(s.str()), t);
  return t.str();
}

std::string text(const Poco::JSON::Object::Ptr& o) {
  std::ostringstream s;
  Poco::JSON::Stringifier::stringify(o, s);
  return s.str();
}

void checkJson(const Poco::JSON::Object::Ptr& actual, const std::string& expected) {
  BOOST_TEST(canonical(text(actual)) == canonical(expected));
}

TimePoint at(const char* rfc3339) {
  return *core::parseRfc3339(rfc3339);
}

const std::string kPatientRef = "urn:uuid:0f2d7a4e-2c1b-4d7e-9a51-6b0c1d2e3f40";

}  // namespace

BOOST_AUTO_TEST_SUITE(PatientResource)

BOOST_AUTO_TEST_CASE(maps_names_birth_date_telecom_address_contact_and_language) {
  patients::PatientRecord r;
  r.patientId = 7;
  r.demographics = {"Ana", "Silva", "1961-04-09", "America/Chicago", "TX"};
  r.contact.email = "ana@example.org";
  r.contact.phone = "+1 512 555 0100";
  r.contact.address = {"12 Oak St", "Apt 3", "Austin", "TX", "78701", "US"};
  r.language = "pt-BR";
  r.emergencyContact = {"Rui Silva", "son", "+1 512 555 0199"};
  checkJson(fhir::patientResource(r, "p1"), R"({
    "resourceType": "Patient",
    "id": "p1",
    "name": [{"use": "official", "family": "Silva", "given": ["Ana"]}],
    "telecom": [{"system": "phone", "value": "+1 512 555 0100"},
                {"system": "email", "value": "ana@example.org"}],
    "birthDate": "1961-04-09",
    "address": [{"use": "home", "line": ["12 Oak St", "Apt 3"], "city": "Austin",
                 "state": "TX", "postalCode": "78701", "country": "US"}],
    "contact": [{"relationship": [{"text": "son"}], "name": {"text": "Rui Silva"},
                 "telecom": [{"system": "phone", "value": "+1 512 555 0199"}]}],
    "communication": [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "pt-BR"}]},
                       "preferred": true}]
  })");
}

BOOST_AUTO_TEST_CASE(leaves_out_what_is_not_given) {
  patients::PatientRecord r;
  r.demographics = {"Mei", "Tanaka", "1990-01-02", "UTC", ""};
  checkJson(fhir::patientResource(r, "p2"), R"({
    "resourceType": "Patient", "id": "p2",
    "name": [{"use": "official", "family": "Tanaka", "given": ["Mei"]}],
    "birthDate": "1990-01-02"
  })");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(ObservationResource)

BOOST_AUTO_TEST_CASE(heart_rate_follows_the_vital_signs_heart_rate_profile) {
  readings::ReceivedReading r;
  r.code = "8867-4";
  r.unit = "/min";
  r.value = 72;
  r.deviceTime = at("2026-11-30T08:15:00Z");
  r.receivedAt = at("2026-11-30T08:15:02.500Z");
  checkJson(fhir::observationResource(r, "o1", kPatientRef), R"({
    "resourceType": "Observation", "id": "o1",
    "meta": {"profile": ["http://hl7.org/fhir/StructureDefinition/vitalsigns",
                         "http://hl7.org/fhir/StructureDefinition/heartrate"]},
    "status": "final",
    "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                              "code": "vital-signs", "display": "Vital Signs"}],
                  "text": "Vital Signs"}],
    "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4", "display": "Heart rate"}]},
    "subject": {"reference": "urn:uuid:0f2d7a4e-2c1b-4d7e-9a51-6b0c1d2e3f40"},
    "effectiveDateTime": "2026-11-30T08:15:00.000Z",
    "issued": "2026-11-30T08:15:02.500Z",
    "valueQuantity": {"value": 72, "unit": "/min", "system": "http://unitsofmeasure.org",
                      "code": "/min"}
  })");
}

BOOST_AUTO_TEST_CASE(blood_pressure_is_the_panel_with_systolic_and_diastolic_components) {
  readings::ReceivedReading r;
  r.code = "85354-9";
  r.unit = "mm[Hg]";
  r.components = R"({"8462-4": 95, "8480-6": 168})";
  r.deviceTime = at("2026-11-30T07:00:00Z");
  r.deviceTimeLocal = true;  // no offset on the device: the receipt time is what is known
  r.receivedAt = at("2026-11-30T13:00:05Z");
  checkJson(fhir::observationResource(r, "o2", kPatientRef), R"({
    "resourceType": "Observation", "id": "o2",
    "meta": {"profile": ["http://hl7.org/fhir/StructureDefinition/vitalsigns",
                         "http://hl7.org/fhir/StructureDefinition/bp"]},
    "status": "final",
    "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                              "code": "vital-signs", "display": "Vital Signs"}],
                  "text": "Vital Signs"}],
    "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9",
                         "display": "Blood pressure panel with all children optional"}]},
    "subject": {"reference": "urn:uuid:0f2d7a4e-2c1b-4d7e-9a51-6b0c1d2e3f40"},
    "effectiveDateTime": "2026-11-30T13:00:05.000Z",
    "issued": "2026-11-30T13:00:05.000Z",
    "component": [
      {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6",
                            "display": "Systolic blood pressure"}]},
       "valueQuantity": {"value": 168, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org",
                         "code": "mm[Hg]"}},
      {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4",
                            "display": "Diastolic blood pressure"}]},
       "valueQuantity": {"value": 95, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org",
                         "code": "mm[Hg]"}}
    ]
  })");
}

// R4 oxygensat (hl7.org/fhir/R4/oxygensat.html): Observation.code.coding must hold LOINC 2708-6
// "Oxygen saturation in Arterial blood" (slice OxygenSatCode, 1..1); the pulse-oximetry code
// 59408-5 is an additional coding.
BOOST_AUTO_TEST_CASE(spo2_carries_the_oxygensat_code_2708_6_beside_pulse_oximetry) {
  readings::ReceivedReading r;
  r.code = "59408-5";
  r.unit = "%";
  r.value = 97;
  r.deviceTime = at("2026-11-30T08:20:00Z");
  r.receivedAt = at("2026-11-30T08:20:01Z");
  checkJson(fhir::observationResource(r, "o4", kPatientRef), R"({
    "resourceType": "Observation", "id": "o4",
    "meta": {"profile": ["http://hl7.org/fhir/StructureDefinition/vitalsigns",
                         "http://hl7.org/fhir/StructureDefinition/oxygensat"]},
    "status": "final",
    "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                              "code": "vital-signs", "display": "Vital Signs"}],
                  "text": "Vital Signs"}],
    "code": {"coding": [
      {"system": "http://loinc.org", "code": "2708-6", "display": "Oxygen saturation in Arterial blood"},
      {"system": "http://loinc.org", "code": "59408-5",
       "display": "Oxygen saturation in Arterial blood by Pulse oximetry"}]},
    "subject": {"reference": "urn:uuid:0f2d7a4e-2c1b-4d7e-9a51-6b0c1d2e3f40"},
    "effectiveDateTime": "2026-11-30T08:20:00.000Z",
    "issued": "2026-11-30T08:20:01.000Z",
    "valueQuantity": {"value": 97, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}
  })");
}

// A reading kind without a LOINC code (device-protocol.md: rr_interval, energy_expended ...):
// FHIR's code type has no empty string, so Observation.code is a text, and no category is claimed.
BOOST_AUTO_TEST_CASE(a_reading_without_a_loinc_code_is_coded_by_text_only) {
  readings::ReceivedReading r;
  r.unit = "s";
  r.value = 0.84;
  r.receivedAt = at("2026-11-30T08:21:00Z");
  checkJson(fhir::observationResource(r, "o5", kPatientRef), R"({
    "resourceType": "Observation", "id": "o5",
    "status": "final",
    "code": {"text": "Device reading without a standard code"},
    "subject": {"reference": "urn:uuid:0f2d7a4e-2c1b-4d7e-9a51-6b0c1d2e3f40"},
    "effectiveDateTime": "2026-11-30T08:21:00.000Z",
    "issued": "2026-11-30T08:21:00.000Z",
    "valueQuantity": {"value": 0.84, "unit": "s", "system": "http://unitsofmeasure.org", "code": "s"}
  })");
}

BOOST_AUTO_TEST_CASE(glucose_is_a_laboratory_observation_and_a_missing_value_is_absent) {
  readings::ReceivedReading r;
  r.code = "41653-7";
  r.unit = "mg/dL";
  r.receivedAt = at("2026-11-30T09:00:00Z");
  checkJson(fhir::observationResource(r, "o3", kPatientRef), R"({
    "resourceType": "Observation", "id": "o3",
    "status": "final",
    "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                              "code": "laboratory", "display": "Laboratory"}],
                  "text": "Laboratory"}],
    "code": {"coding": [{"system": "http://loinc.org", "code": "41653-7",
                         "display": "Glucose [Mass/volume] in Capillary blood by Glucometer"}]},
    "subject": {"reference": "urn:uuid:0f2d7a4e-2c1b-4d7e-9a51-6b0c1d2e3f40"},
    "effectiveDateTime": "2026-11-30T09:00:00.000Z",
    "issued": "2026-11-30T09:00:00.000Z",
    "dataAbsentReason": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                                     "code": "unknown", "display": "Unknown"}]}
  })");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(ClinicalResources)

BOOST_AUTO_TEST_CASE(a_problem_is_a_problem_list_condition_in_icd_10_cm) {
  patients::Problem p;
  p.code = "E11.9";
  p.description = "Type 2 diabetes mellitus without complications";
  p.onsetDate = "2019-05-01";
  p.source = patients::EntrySource::patient;
  checkJson(fhir::conditionResource(p, "c1", kPatientRef), R"({
    "resourceType": "Condition", "id": "c1",
    "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                   "code": "active"}]},
    "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                              "code": "problem-list-item", "display": "Problem List Item"}]}],
    "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "E11.9",
                         "display": "Type 2 diabetes mellitus without complications"}],
             "text": "Type 2 diabetes mellitus without complications"},
    "subject": {"reference": "urn:uuid:0f2d7a4e-2c1b-4d7e-9a51-6b0c1d2e3f40"},
    "onsetDateTime": "2019-05-01",
    "asserter": {"reference": "urn:uuid:0f2d7a4e-2c1b-4d7e-9a51-6b0c1d2e3f40"}
  })");
  p.status = patients::ProblemStatus::resolved;
  p.source = patients::EntrySource::clinician;
  p.onsetDate.clear();
  auto resolved = fhir::conditionResource(p, "c1", kPatientRef);
  BOOST_TEST(!resolved->has("asserter"));
  BOOST_TEST(!resolved->has("onsetDateTime"));
  BOOST_TEST(
      canonical(text(resolved->getObject("clinicalStatus"))) ==
      canonical(
          R"({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "resolved"}]})"));
}

BOOST_AUTO_TEST_CASE(a_medication_is_coded_in_rxnorm_when_its_rxcui_is_known) {
  patients::Medication m;
  m.rxcui = "197361";
  m.name = "Amlodipine 5 MG Oral Tablet";
  m.instructions = "1 tablet daily";
  checkJson(fhir::medicationStatementResource(m, "m1", kPatientRef), R"({
    "resourceType": "MedicationStatement", "id": "m1",
    "status": "active",
    "medicationCodeableConcept": {
      "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "197361",
                  "display": "Amlodipine 5 MG Oral Tablet"}],
      "text": "Amlodipine 5 MG Oral Tablet"},
    "subject": {"reference": "urn:uuid:0f2d7a4e-2c1b-4d7e-9a51-6b0c1d2e3f40"},
    "dosage": [{"text": "1 tablet daily"}]
  })");
}

BOOST_AUTO_TEST_CASE(a_medication_without_rxcui_is_text_and_names_the_patient_as_source) {
  patients::Medication m;
  m.name = "fish oil";
  m.status = patients::MedicationStatus::stopped;
  m.source = patients::EntrySource::patient;
  checkJson(fhir::medicationStatementResource(m, "m2", kPatientRef), R"({
    "resourceType": "MedicationStatement", "id": "m2",
    "status": "stopped",
    "medicationCodeableConcept": {"text": "fish oil"},
    "subject": {"reference": "urn:uuid:0f2d7a4e-2c1b-4d7e-9a51-6b0c1d2e3f40"},
    "informationSource": {"reference": "urn:uuid:0f2d7a4e-2c1b-4d7e-9a51-6b0c1d2e3f40"}
  })");
}

BOOST_AUTO_TEST_CASE(an_allergy_has_its_substance_reaction_and_severity) {
  patients::Allergy a;
  a.substance = "Penicillin";
  a.reaction = "Hives";
  a.severity = patients::AllergySeverity::moderate;
  checkJson(fhir::allergyIntoleranceResource(a, "a1", kPatientRef), R"({
    "resourceType": "AllergyIntolerance", "id": "a1",
    "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                                   "code": "active", "display": "Active"}]},
    "code": {"text": "Penicillin"},
    "patient": {"reference": "urn:uuid:0f2d7a4e-2c1b-4d7e-9a51-6b0c1d2e3f40"},
    "reaction": [{"manifestation": [{"text": "Hives"}], "severity": "moderate"}]
  })");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(AdministrativeResources)

BOOST_AUTO_TEST_CASE(insurance_is_a_coverage_with_its_order) {
  patients::Insurance i;
  i.payer = "Blue Shield";
  i.plan = "PPO Gold";
  i.memberId = "XJ-123456";
  i.groupNumber = "G-77";
  i.subscriberName = "Ana Silva";
  i.relationship = patients::SubscriberRelationship::self;
  checkJson(fhir::coverageResource(i, 1, "cov1", kPatientRef), R"({
    "resourceType": "Coverage", "id": "cov1",
    "status": "active",
    "subscriber": {"display": "Ana Silva"},
    "subscriberId": "XJ-123456",
    "beneficiary": {"reference": "urn:uuid:0f2d7a4e-2c1b-4d7e-9a51-6b0c1d2e3f40"},
    "relationship": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/subscriber-relationship",
                                 "code": "self"}]},
    "payor": [{"display": "Blue Shield"}],
    "class": [
      {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/coverage-class", "code": "group"}]},
       "value": "G-77"},
      {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/coverage-class", "code": "plan"}]},
       "value": "PPO Gold"}
    ],
    "order": 1
  })");
}

BOOST_AUTO_TEST_CASE(a_withdrawn_signature_is_an_inactive_consent_with_its_period) {
  patients::Signature s;
  s.documentId = 3;
  s.kind = patients::ConsentKind::rpm;
  s.version = 2;
  s.documentSha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  s.signedAt = at("2026-10-01T10:00:00Z");
  s.withdrawnAt = at("2026-11-01T12:30:00Z");
  s.typedName = "Ana Silva";
  s.signerIp = "203.0.113.9";
  patients::ConsentDocument d;
  d.id = 3;
  d.kind = patients::ConsentKind::rpm;
  d.version = 2;
  d.title = "Remote patient monitoring";
  checkJson(fhir::consentResource(s, d, "k1", kPatientRef), R"({
    "resourceType": "Consent", "id": "k1",
    "status": "inactive",
    "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                          "code": "treatment"}]},
    "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}]},
                 {"coding": [{"system": "urn:vigil:fhir:consent-kind", "code": "rpm"}]}],
    "patient": {"reference": "urn:uuid:0f2d7a4e-2c1b-4d7e-9a51-6b0c1d2e3f40"},
    "dateTime": "2026-10-01T10:00:00.000Z",
    "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                               "code": "OPTIN", "display": "opt-in"}]},
    "sourceAttachment": {
      "contentType": "text/plain; charset=utf-8",
      "title": "Remote patient monitoring, version 2",
      "extension": [{"url": "urn:vigil:fhir:document-sha256",
                     "valueString": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}]},
    "provision": {"type": "permit",
                  "period": {"start": "2026-10-01T10:00:00.000Z", "end": "2026-11-01T12:30:00.000Z"}}
  })");
}

// R4 Consent invariant ppc-1 ("Either a Policy or PolicyRule"): the privacy notice's policy is
// the HIPAA Notice of Privacy Practices (consentpolicycodes hipaa-npp, hl7.org/fhir/R4/
// codesystem-consentpolicycodes.html); a consent the patient gives is an opt-in (v3-ActCode OPTIN).
BOOST_AUTO_TEST_CASE(every_consent_names_its_policy_rule) {
  patients::Signature s;
  s.documentId = 5;
  s.kind = patients::ConsentKind::privacyNotice;
  s.version = 1;
  s.documentSha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  s.signedAt = at("2026-10-01T10:00:00Z");
  auto privacy = fhir::consentResource(s, std::nullopt, "k2", kPatientRef);
  checkJson(privacy->getObject("policyRule"), R"({"coding": [{
    "system": "http://terminology.hl7.org/CodeSystem/consentpolicycodes", "code": "hipaa-npp",
    "display": "HIPAA Notice of Privacy Practices"}]})");
  BOOST_TEST(privacy->getObject("scope")->getArray("coding")->getObject(0)->getValue<std::string>(
                 "code") == "patient-privacy");
  s.kind = patients::ConsentKind::telehealth;
  checkJson(fhir::consentResource(s, std::nullopt, "k3", kPatientRef)->getObject("policyRule"),
            R"({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                            "code": "OPTIN", "display": "opt-in"}]})");
}

BOOST_AUTO_TEST_CASE(a_held_video_visit_is_a_finished_virtual_encounter) {
  video::Visit v;
  v.id = 12;
  v.patientId = 4;
  v.providerUserId = 2;
  v.startsAt = at("2026-11-20T15:00:00Z");
  v.endsAt = at("2026-11-20T15:30:00Z");
  v.state = video::VisitState::ended;
  v.endedAt = at("2026-11-20T15:22:10Z");
  checkJson(fhir::encounterResource(v, "Dr. Mei Lee", "e1", kPatientRef), R"({
    "resourceType": "Encounter", "id": "e1",
    "status": "finished",
    "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "VR",
              "display": "virtual"},
    "subject": {"reference": "urn:uuid:0f2d7a4e-2c1b-4d7e-9a51-6b0c1d2e3f40"},
    "participant": [{"type": [{"coding": [{
                       "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                       "code": "PPRF", "display": "primary performer"}]}],
                     "individual": {"display": "Dr. Mei Lee"}}],
    "period": {"start": "2026-11-20T15:00:00.000Z", "end": "2026-11-20T15:22:10.000Z"}
  })");
}

BOOST_AUTO_TEST_CASE(a_scheduled_visit_is_planned_and_a_cancelled_one_cancelled) {
  video::Visit v;
  v.startsAt = at("2026-12-20T15:00:00Z");
  v.endsAt = at("2026-12-20T15:30:00Z");
  checkJson(fhir::encounterResource(v, "", "e2", kPatientRef), R"({
    "resourceType": "Encounter", "id": "e2",
    "status": "planned",
    "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "VR",
              "display": "virtual"},
    "subject": {"reference": "urn:uuid:0f2d7a4e-2c1b-4d7e-9a51-6b0c1d2e3f40"},
    "period": {"start": "2026-12-20T15:00:00.000Z", "end": "2026-12-20T15:30:00.000Z"}
  })");
  v.state = video::VisitState::cancelled;
  BOOST_TEST(fhir::encounterResource(v, "", "e3", kPatientRef)->getValue<std::string>("status") ==
             "cancelled");
  v.state = video::VisitState::inProgress;
  BOOST_TEST(fhir::encounterResource(v, "", "e4", kPatientRef)->getValue<std::string>("status") ==
             "in-progress");
}

namespace {

fhir::NoteData cosignedNote() {
  fhir::NoteData d;
  auto& n = d.note;
  n.id = 31;
  n.templateTitle = "Chronic care / RPM monthly review";
  n.encounter = {notes::EncounterKind::video_visit, "12"};
  n.state = notes::NoteState::signed_;
  n.signedBy = 5;
  n.signedAt = at("2026-11-20T16:00:00Z");
  n.cosignedBy = 2;
  n.cosignedAt = at("2026-11-20T17:00:00Z");
  n.soap = {"Feels well.", "BP 128/80.", "Controlled.", "Continue."};
  notes::Addendum a;
  a.authorId = 2;
  a.signedAt = at("2026-11-21T09:00:00Z");
  a.text = "Pharmacy confirmed.";
  n.addenda.push_back(a);
  d.signerName = "Nurse Kim";
  d.cosignerName = "Dr. Mei Lee";
  d.addendumAuthors = {"Dr. Mei Lee"};
  return d;
}

std::string base64Decoded(const std::string& data) {
  std::istringstream in(data);
  Poco::Base64Decoder dec(in);
  return std::string(std::istreambuf_iterator<char>(dec), std::istreambuf_iterator<char>());
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_signed_note_is_a_final_progress_note_document_with_its_text) {
  const auto d = cosignedNote();
  auto o = fhir::documentReferenceResource(d, "d1", kPatientRef, "urn:uuid:e-12");
  auto attachment = o->getArray("content")->getObject(0)->getObject("attachment");
  const auto data = attachment->getValue<std::string>("data");
  attachment->remove("data");
  checkJson(o, R"({
    "resourceType": "DocumentReference", "id": "d1",
    "status": "current", "docStatus": "final",
    "type": {"coding": [{"system": "http://loinc.org", "code": "11506-3",
                         "display": "Progress note"}],
             "text": "Chronic care / RPM monthly review"},
    "category": [{"coding": [{
        "system": "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
        "code": "clinical-note", "display": "Clinical Note"}]}],
    "subject": {"reference": "urn:uuid:0f2d7a4e-2c1b-4d7e-9a51-6b0c1d2e3f40"},
    "date": "2026-11-20T16:00:00.000Z",
    "author": [{"display": "Nurse Kim"}],
    "authenticator": {"display": "Dr. Mei Lee"},
    "description": "Chronic care / RPM monthly review",
    "content": [{"attachment": {"contentType": "text/plain; charset=utf-8", "language": "en",
                                "title": "Chronic care / RPM monthly review",
                                "creation": "2026-11-20T16:00:00.000Z"}}],
    "context": {"encounter": [{"reference": "urn:uuid:e-12"}]}
  })");
  BOOST_TEST(base64Decoded(data) ==
             "Chronic care / RPM monthly review\n"
             "Encounter: Video visit 12\n"
             "Signed 2026-11-20T16:00:00.000Z by Nurse Kim\n"
             "Co-signed 2026-11-20T17:00:00.000Z by Dr. Mei Lee\n"
             "\nSubjective:\nFeels well.\n"
             "\nObjective:\nBP 128/80.\n"
             "\nAssessment:\nControlled.\n"
             "\nPlan:\nContinue.\n"
             "\nAddendum, signed 2026-11-21T09:00:00.000Z by Dr. Mei Lee:\nPharmacy confirmed.\n");
}

BOOST_AUTO_TEST_CASE(the_patients_copy_of_a_note_is_its_visit_summary) {
  auto d = cosignedNote();
  d.summaryOnly = true;
  d.note.soap.subjective.clear();
  d.note.soap.objective.clear();
  BOOST_TEST(fhir::noteText(d) ==
             "Chronic care / RPM monthly review\n"
             "Encounter: Video visit 12\n"
             "Signed 2026-11-20T16:00:00.000Z by Nurse Kim\n"
             "Co-signed 2026-11-20T17:00:00.000Z by Dr. Mei Lee\n"
             "\nAssessment:\nControlled.\n"
             "\nPlan:\nContinue.\n"
             "\nAddendum, signed 2026-11-21T09:00:00.000Z by Dr. Mei Lee:\nPharmacy confirmed.\n");
  auto o = fhir::documentReferenceResource(d, "d2", kPatientRef, "");
  BOOST_TEST(o->getValue<std::string>("description") ==
             "Chronic care / RPM monthly review (visit summary)");
  BOOST_TEST(!o->has("context"));
}

BOOST_AUTO_TEST_SUITE_END()

// MedicationRequest, Flag and Appointment (issue 26), as the FHIR API serves them: ids
// "<patient>-<row>", the Patient as "Patient/<id>". Expected from hl7.org/fhir/R4
// medicationrequest.html, flag.html, appointment.html and their value sets.
BOOST_AUTO_TEST_SUITE(OrderResources)

rx::Prescription lisinopril() {
  rx::Prescription p;
  p.id = 41;
  p.patientId = 7;
  p.prescriberId = 3;
  p.drug.rxcui = "314076";
  p.drug.name = "lisinopril 10 MG Oral Tablet";
  p.sig = "Take 1 tablet by mouth once daily";
  p.quantity = "30";
  p.quantityUnit = "tablet";
  p.daysSupply = 30;
  p.refills = 2;
  p.substitution = false;
  p.status = "received";
  p.signedAt = at("2026-11-02T15:04:05Z");
  p.createdAt = at("2026-11-02T14:50:00Z");
  return p;
}

BOOST_AUTO_TEST_CASE(a_signed_prescription_is_an_active_order_with_its_dispense_request) {
  checkJson(fhir::medicationRequestResource(lisinopril(), "7-41", "Patient/7", "Practitioner/3"),
            R"({
    "resourceType": "MedicationRequest", "id": "7-41",
    "status": "active",
    "intent": "order",
    "medicationCodeableConcept": {
      "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "314076",
                  "display": "lisinopril 10 MG Oral Tablet"}],
      "text": "lisinopril 10 MG Oral Tablet"},
    "subject": {"reference": "Patient/7"},
    "authoredOn": "2026-11-02T15:04:05.000Z",
    "requester": {"reference": "Practitioner/3"},
    "dosageInstruction": [{"text": "Take 1 tablet by mouth once daily"}],
    "dispenseRequest": {
      "numberOfRepeatsAllowed": 2,
      "quantity": {"value": 30, "unit": "tablet"},
      "expectedSupplyDuration": {"value": 30, "unit": "days",
                                 "system": "http://unitsofmeasure.org", "code": "d"}},
    "substitution": {"allowedBoolean": false}
  })");
}

BOOST_AUTO_TEST_CASE(a_draft_without_rxcui_is_text_only_and_authored_when_created) {
  auto p = lisinopril();
  p.status = "draft";
  p.signedAt.reset();
  p.drug.rxcui.clear();
  p.drug.name = "albuterol 90 MCG/ACTUAT Inhalant Solution";
  p.sig = "2 puffs every 4 hours as needed";
  p.quantity = "8.5";
  p.quantityUnit = "mL";
  p.daysSupply = 25;
  p.refills = 0;
  p.substitution = true;
  checkJson(fhir::medicationRequestResource(p, "7-41", "Patient/7", "Practitioner/3"), R"({
    "resourceType": "MedicationRequest", "id": "7-41",
    "status": "draft",
    "intent": "order",
    "medicationCodeableConcept": {"text": "albuterol 90 MCG/ACTUAT Inhalant Solution"},
    "subject": {"reference": "Patient/7"},
    "authoredOn": "2026-11-02T14:50:00.000Z",
    "requester": {"reference": "Practitioner/3"},
    "dosageInstruction": [{"text": "2 puffs every 4 hours as needed"}],
    "dispenseRequest": {
      "numberOfRepeatsAllowed": 0,
      "quantity": {"value": 8.5, "unit": "mL"},
      "expectedSupplyDuration": {"value": 25, "unit": "days",
                                 "system": "http://unitsofmeasure.org", "code": "d"}},
    "substitution": {"allowedBoolean": true}
  })");
}

BOOST_AUTO_TEST_CASE(each_prescription_status_has_its_medicationrequest_status) {
  // docs/prescribing.md's statuses (migration 0032) against R4's medicationrequest-status.
  const std::pair<const char*, const char*> table[] = {
      {"draft", "draft"},
      {"signed", "active"},
      {"received", "active"},
      {"change_requested", "active"},
      {"cancel_requested", "active"},
      {"cancel_denied", "active"},
      {"filled", "completed"},
      {"not_filled", "stopped"},
      {"error", "stopped"},
      {"cancelled", "cancelled"},
      {"something_new", "unknown"},
  };
  for (const auto& [rx, fhirStatus] : table)
    BOOST_TEST(fhir::medicationRequestStatus(rx) == fhirStatus, rx);
}

BOOST_AUTO_TEST_CASE(an_open_alert_is_an_active_clinical_flag_without_its_value) {
  alerts::Alert a;
  a.id = 12;
  a.patientId = 7;
  a.ruleKey = "bp.systolic.high";
  a.kind = alerts::RuleKind::threshold;
  a.code = "8480-6";
  a.severity = alerts::Severity::critical;
  a.state = alerts::AlertState::claimed;
  a.latestValue = a.worstValue = 184;
  a.raisedAt = at("2026-11-30T09:15:00Z");
  checkJson(fhir::flagResource(a, "7-12", "Patient/7"), R"({
    "resourceType": "Flag", "id": "7-12",
    "status": "active",
    "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/flag-category",
                              "code": "clinical", "display": "Clinical"}]}],
    "code": {"coding": [{"system": "urn:vigil:fhir:alert-rule", "code": "bp.systolic.high"}],
             "text": "Systolic blood pressure: out of range, critical"},
    "subject": {"reference": "Patient/7"},
    "period": {"start": "2026-11-30T09:15:00.000Z"}
  })");
  a.kind = alerts::RuleKind::missingData;
  a.code = "29463-7";
  a.severity = alerts::Severity::low;
  auto silent = fhir::flagResource(a, "7-12", "Patient/7");
  BOOST_TEST(silent->getObject("code")->getValue<std::string>("text") ==
             "Body weight: no readings, low priority");
}

#ifdef VIGIL_WITH_SCHEDULING
BOOST_AUTO_TEST_CASE(a_booked_appointment_has_its_patient_and_practitioner_accepted) {
  scheduling::Appointment a;
  a.id = 5;
  a.patientId = 7;
  a.providerUserId = 3;
  a.typeId = 2;
  a.startsAt = at("2026-12-03T15:00:00Z");
  a.endsAt = at("2026-12-03T15:30:00Z");
  checkJson(
      fhir::appointmentResource(a, "Follow-up video visit", "7-5", "Patient/7", "Practitioner/3"),
      R"({
    "resourceType": "Appointment", "id": "7-5",
    "status": "booked",
    "serviceType": [{"coding": [{"system": "urn:vigil:appointment-type", "code": "2",
                                 "display": "Follow-up video visit"}],
                     "text": "Follow-up video visit"}],
    "appointmentType": {"text": "Follow-up video visit"},
    "start": "2026-12-03T15:00:00.000Z",
    "end": "2026-12-03T15:30:00.000Z",
    "participant": [{"actor": {"reference": "Patient/7"}, "status": "accepted"},
                    {"actor": {"reference": "Practitioner/3"}, "status": "accepted"}]
  })");
  // appointmentstatus: cancelled (a rescheduled one too: a new one replaced it), noshow,
  // fulfilled.
  const std::pair<scheduling::AppointmentState, const char*> table[] = {
      {scheduling::AppointmentState::cancelled, "cancelled"},
      {scheduling::AppointmentState::rescheduled, "cancelled"},
      {scheduling::AppointmentState::noShow, "noshow"},
      {scheduling::AppointmentState::completed, "fulfilled"},
  };
  for (const auto& [state, status] : table) {
    a.state = state;
    BOOST_TEST(fhir::appointmentResource(a, "", "7-5", "Patient/7", "Practitioner/3")
                   ->getValue<std::string>("status") == status);
  }
}
BOOST_AUTO_TEST_CASE(a_free_slot_and_its_schedule) {
  // slot.html: schedule (1..1), status (1..1: free), start, end (1..1); schedule.html: actor
  // (1..*), active.
  scheduling::Slot slot{3, 2, at("2026-12-08T15:00:00Z"), at("2026-12-08T15:30:00Z")};
  scheduling::AppointmentType type;
  type.id = 2;
  type.name = "Follow-up video visit";
  checkJson(fhir::slotResource(slot, type, "3-2-1796742000000", "Schedule/3"), R"({
    "resourceType": "Slot", "id": "3-2-1796742000000",
    "serviceType": [{"coding": [{"system": "urn:vigil:appointment-type", "code": "2",
                                 "display": "Follow-up video visit"}],
                     "text": "Follow-up video visit"}],
    "schedule": {"reference": "Schedule/3"},
    "status": "free",
    "start": "2026-12-08T15:00:00.000Z",
    "end": "2026-12-08T15:30:00.000Z"
  })");
  checkJson(fhir::scheduleResource("3", "Practitioner/3"), R"({
    "resourceType": "Schedule", "id": "3", "active": true,
    "actor": [{"reference": "Practitioner/3"}]
  })");
}
#endif

BOOST_AUTO_TEST_SUITE_END()
