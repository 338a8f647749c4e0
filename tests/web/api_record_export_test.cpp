// The record download through the real server (issue 21, HIPAA right of access): the patient
// downloads their own record as a FHIR R4 Bundle (the Patient, their Observations with LOINC
// and UCUM, their Conditions) and as HTML (a <script> in a medication's name escaped), is
// refused another patient's, a provider downloads a care-team patient's, a bad format is 400,
// every export is audited with its format, and a canary in the record reaches no log.
// Expected values written by hand.

#include <Poco/Base64Decoder.h>
#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>
#include <iterator>
#include <mutex>
#include <sstream>

#include "api_fixture.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/time.hpp"

using namespace vigil;
using namespace vigil::web;
using namespace vigil::web::test;

namespace {

Poco::JSON::Object::Ptr parse(const std::string& body) {
  Poco::JSON::Parser p;
  return p.parse(body).extract<Poco::JSON::Object::Ptr>();
}

/// The resources of a Bundle of the given type.
std::vector<Poco::JSON::Object::Ptr> resources(const Poco::JSON::Object::Ptr& bundle,
                                               const std::string& type) {
  std::vector<Poco::JSON::Object::Ptr> out;
  auto entries = bundle->getArray("entry");
  for (std::size_t i = 0; i < entries->size(); ++i) {
    auto r = entries->getObject(static_cast<unsigned>(i))->getObject("resource");
    if (r->getValue<std::string>("resourceType") == type) out.push_back(r);
  }
  return out;
}

std::string codeOf(const Poco::JSON::Object::Ptr& codeable) {
  return codeable->getArray("coding")->getObject(0)->getValue<std::string>("code");
}

constexpr const char* kCanary = "Zyxwquartz";

void fillRecord(ApiFixture& f) {
  auto patient = f.signIn(f.patientUserId);
  auto mine = f.request(
      "PUT", "/api/v1/me/record", &patient,
      std::string(R"({"contact":{"email":"ana@example.org","phone":"+1 555 010 2030"},)") +
          R"("language":"pt-BR","medications":[{"name":"<script>alert(1)</script>"},)" +
          R"({"name":")" + kCanary + R"( tea","rxcui":""}]})");
  BOOST_REQUIRE_MESSAGE(mine.status == 200, mine.body);
  // Ana signs the telehealth consent (the fixture's published version).
  f.consents->sign({f.patientUserId, security::Role::patient, f.patientA}, f.patientA,
                   {f.telehealth.id, f.telehealth.sha256, "Ana Silva", true, "203.0.113.7"});
  auto provider = f.signIn(f.providerId);
  auto added =
      f.request("PUT", "/api/v1/patients/" + std::to_string(f.patientA) + "/record", &provider,
                R"({"problems":[{"code":"I10","description":"Essential hypertension"}]})");
  BOOST_REQUIRE_MESSAGE(added.status == 200, added.body);
  const auto t = core::toMillis(f.clock.now() - std::chrono::hours(1));
  f.db->writeSync([&](store::Connection& c) {
    c.execute(
        "INSERT INTO readings (device_id, patient_id, dedup_key, kind, loinc, unit, components, "
        "device_time, received_at, source) VALUES (?1, ?2, 'seq:1', 'blood_pressure', "
        "'85354-9', 'mm[Hg]', '{\"8480-6\":142,\"8462-4\":91}', ?3, ?3, 'mqtt-json')",
        f.deviceA, f.patientA, t);
    c.execute(
        "INSERT INTO readings (device_id, patient_id, dedup_key, kind, loinc, unit, value, "
        "device_time, received_at, source) VALUES (?1, ?2, 'seq:2', 'heart_rate', '8867-4', "
        "'/min', 71, ?3, ?3, 'mqtt-json')",
        f.deviceA, f.patientA, t);
    c.execute(
        "INSERT INTO readings (device_id, patient_id, dedup_key, kind, loinc, unit, value, "
        "device_time, received_at, source) VALUES (?1, ?2, 'seq:3', 'heart_rate', '8867-4', "
        "'/min', 99, ?3, ?3, 'mqtt-json')",
        f.deviceB, f.patientB, t);
    // A held video visit of A with Dr. Lee, and one of B that A's copy must not show.
    c.execute(
        "INSERT INTO visits (patient_id, provider_user_id, starts_at, ends_at, state, created_by, "
        "created_at, ended_at) VALUES (?1, ?2, ?3, ?4, 'ended', ?2, ?3, ?5)",
        f.patientA, f.providerId, t, t + 1800000, t + 1200000);
    c.execute(
        "INSERT INTO visits (patient_id, provider_user_id, starts_at, ends_at, state, created_by, "
        "created_at) VALUES (?1, ?2, ?3, ?4, 'scheduled', ?2, ?3)",
        f.patientB, f.providerId, t, t + 1800000);
  });
  // Dr. Lee's signed RPM review of Ana (issue 23: signed notes are part of the record).
  const security::Actor lee{f.providerId, security::Role::provider, std::nullopt};
  std::int64_t rpm = 0;
  for (const auto& tpl : f.notes->templates(lee))
    if (tpl.key == "rpm_review") rpm = tpl.id;
  auto n = f.notes->create(lee, f.patientA, {notes::EncounterKind::rpm_review, "2026-11"}, rpm);
  n = f.notes->update(lee, f.patientA, n.id, n.version,
                      {"Feels dizzy some mornings.", "BP 142/91.", "Hypertension above goal.",
                       "Increase lisinopril to 20 mg."});
  f.notes->sign(lee, f.patientA, n.id, n.version);
}

/// The text of the one DocumentReference of a bundle (its base64 attachment, decoded).
std::string noteTextOf(const Poco::JSON::Object::Ptr& bundle) {
  auto docs = resources(bundle, "DocumentReference");
  BOOST_REQUIRE_EQUAL(docs.size(), 1u);
  BOOST_TEST(docs[0]->getValue<std::string>("docStatus") == "final");
  std::istringstream in(docs[0]
                            ->getArray("content")
                            ->getObject(0)
                            ->getObject("attachment")
                            ->getValue<std::string>("data"));
  Poco::Base64Decoder dec(in);
  return std::string(std::istreambuf_iterator<char>(dec), std::istreambuf_iterator<char>());
}

std::int64_t exportAudits(ApiFixture& f, const std::string& format, std::int64_t patientId) {
  return f.db
      ->read([&](store::Connection& c) {
        return c.queryValue<std::int64_t>(
            "SELECT count(*) FROM audit_log WHERE action = 'patient_record.export' AND "
            "object_type = 'patient_record_export' AND object_id = ?1 AND patient_id = ?2 AND "
            "outcome = 'success'",
            format, patientId);
      })
      .value_or(-1);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ApiRecordExport)

BOOST_AUTO_TEST_CASE(the_patient_downloads_their_own_record_as_fhir_and_html) {
  std::mutex mutex;
  std::string logged;
  log::setSink([&](std::string_view line) {
    std::lock_guard lock(mutex);
    logged.append(line).append("\n");
  });
  {
    ApiFixture f;
    fillRecord(f);
    auto patient = f.signIn(f.patientUserId);

    auto fhirReply = f.request("GET", "/api/v1/me/record/export?format=fhir", &patient);
    BOOST_REQUIRE_MESSAGE(fhirReply.status == 200, fhirReply.body);
    BOOST_TEST(fhirReply.headers["Content-Type"].rfind("application/fhir+json", 0) == 0u);
    BOOST_TEST(fhirReply.headers["Cache-Control"] == "no-store");
    const auto disposition = fhirReply.headers["Content-Disposition"];
    const auto day = core::formatUtc(f.clock.now(), core::Fraction::millis);
    BOOST_TEST(disposition == "attachment; filename=\"vigil-record-" + std::to_string(f.patientA) +
                                  "-" + day.substr(0, 4) + day.substr(5, 2) + day.substr(8, 2) +
                                  ".json\"");
    auto bundle = parse(fhirReply.body);
    BOOST_TEST(bundle->getValue<std::string>("resourceType") == "Bundle");
    BOOST_TEST(bundle->getValue<std::string>("type") == "collection");
    auto patients = resources(bundle, "Patient");
    BOOST_REQUIRE(patients.size() == 1u);
    BOOST_TEST(patients[0]->getArray("name")->getObject(0)->getValue<std::string>("family") ==
               "Silva");
    BOOST_TEST(patients[0]->getValue<std::string>("birthDate") == "1956-03-02");
    // The download is the FHIR API's $everything (issue 26): the API's ids and references,
    // each entry's fullUrl <base>/<Type>/<id>, the MRN on the Patient.
    BOOST_TEST(patients[0]->getValue<std::string>("id") == std::to_string(f.patientA));
    BOOST_TEST(patients[0]->getArray("identifier")->getObject(0)->getValue<std::string>("value") ==
               "MRN-A");
    const auto patientRef = "Patient/" + std::to_string(f.patientA);
    auto entries = bundle->getArray("entry");
    for (std::size_t i = 0; i < entries->size(); ++i) {
      auto e = entries->getObject(static_cast<unsigned>(i));
      auto r = e->getObject("resource");
      const auto tail = "/fhir/" + r->getValue<std::string>("resourceType") + "/" +
                        r->getValue<std::string>("id");
      const auto url = e->getValue<std::string>("fullUrl");
      BOOST_TEST((url.size() > tail.size() && url.ends_with(tail)), url);
    }

    auto observations = resources(bundle, "Observation");
    BOOST_REQUIRE(observations.size() == 2u);  // patient B's reading is not there
    auto bp = observations[0];
    auto hr = observations[1];
    if (codeOf(bp->getObject("code")) != "85354-9") std::swap(bp, hr);
    BOOST_TEST(codeOf(bp->getObject("code")) == "85354-9");
    BOOST_TEST(codeOf(bp->getArray("category")->getObject(0)) == "vital-signs");
    auto systolic = bp->getArray("component")->getObject(0);
    BOOST_TEST(codeOf(systolic->getObject("code")) == "8480-6");
    BOOST_TEST(systolic->getObject("valueQuantity")->getValue<double>("value") == 142.0);
    BOOST_TEST(systolic->getObject("valueQuantity")->getValue<std::string>("code") == "mm[Hg]");
    BOOST_TEST(systolic->getObject("valueQuantity")->getValue<std::string>("system") ==
               "http://unitsofmeasure.org");
    BOOST_TEST(codeOf(bp->getArray("component")->getObject(1)->getObject("code")) == "8462-4");
    BOOST_TEST(codeOf(hr->getObject("code")) == "8867-4");
    BOOST_TEST(hr->getObject("valueQuantity")->getValue<double>("value") == 71.0);
    BOOST_TEST(hr->getObject("valueQuantity")->getValue<std::string>("code") == "/min");
    BOOST_TEST(hr->getObject("subject")->getValue<std::string>("reference") == patientRef);

    auto conditions = resources(bundle, "Condition");
    BOOST_REQUIRE(conditions.size() == 1u);
    auto coding = conditions[0]->getObject("code")->getArray("coding")->getObject(0);
    BOOST_TEST(coding->getValue<std::string>("system") == "http://hl7.org/fhir/sid/icd-10-cm");
    BOOST_TEST(coding->getValue<std::string>("code") == "I10");
    BOOST_TEST(resources(bundle, "MedicationStatement").size() == 2u);
    auto consents = resources(bundle, "Consent");
    BOOST_REQUIRE(consents.size() == 1u);  // the fixture's telehealth signature
    BOOST_TEST(consents[0]->getValue<std::string>("status") == "active");
    auto encounters = resources(bundle, "Encounter");
    BOOST_REQUIRE(encounters.size() == 1u);  // B's visit is not there
    BOOST_TEST(encounters[0]->getValue<std::string>("status") == "finished");
    BOOST_TEST(encounters[0]->getObject("class")->getValue<std::string>("code") == "VR");
    BOOST_TEST(encounters[0]
                   ->getArray("participant")
                   ->getObject(0)
                   ->getObject("individual")
                   ->getValue<std::string>("display") == "Dr. Lee");
    BOOST_TEST(encounters[0]->getObject("subject")->getValue<std::string>("reference") ==
               patientRef);
    // The signed note as the patient's visit summary: assessment and plan, signed by name.
    const auto note = noteTextOf(bundle);
    BOOST_TEST(note.find("Assessment:\nHypertension above goal.") != std::string::npos, note);
    BOOST_TEST(note.find("Plan:\nIncrease lisinopril to 20 mg.") != std::string::npos);
    BOOST_TEST(note.find("by Dr. Lee") != std::string::npos);
    BOOST_TEST(note.find("dizzy") == std::string::npos);   // no subjective
    BOOST_TEST(note.find("142/91") == std::string::npos);  // no objective

    auto html = f.request("GET", "/api/v1/me/record/export?format=html", &patient);
    BOOST_REQUIRE_MESSAGE(html.status == 200, html.body);
    BOOST_TEST(html.headers["Content-Type"] == "text/html; charset=utf-8");
    BOOST_TEST(html.headers["Content-Disposition"].find(".html\"") != std::string::npos);
    BOOST_TEST(html.body.find("<script") == std::string::npos);
    BOOST_TEST(html.body.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
    BOOST_TEST(html.body.find("Essential hypertension") != std::string::npos);
    BOOST_TEST(html.body.find("Dr. Lee") != std::string::npos);
    BOOST_TEST(html.body.find("Clinical notes") != std::string::npos);
    BOOST_TEST(html.body.find("Increase lisinopril to 20 mg.") != std::string::npos);
    BOOST_TEST(html.body.find("dizzy") == std::string::npos);

    BOOST_TEST(exportAudits(f, "fhir", f.patientA) == 1);
    BOOST_TEST(exportAudits(f, "html", f.patientA) == 1);
  }
  log::setSink(nullptr);
  BOOST_TEST(!logged.empty());
  BOOST_TEST(logged.find(kCanary) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(another_patients_record_is_refused_and_audited_as_denied) {
  ApiFixture f;
  auto patient = f.signIn(f.patientUserId);
  auto other = f.request(
      "GET", "/api/v1/patients/" + std::to_string(f.patientB) + "/record/export?format=fhir",
      &patient);
  BOOST_TEST(other.status == 403);
  BOOST_TEST(other.body.find("Okoro") == std::string::npos);
  auto denied = f.db->read([&](store::Connection& c) {
    return c.queryValue<std::int64_t>(
        "SELECT count(*) FROM audit_log WHERE action = 'patient_record.export' AND "
        "patient_id = ?1 AND outcome = 'denied'",
        f.patientB);
  });
  BOOST_TEST(denied.value_or(0) >= 1);
}

BOOST_AUTO_TEST_CASE(a_provider_downloads_a_care_team_patients_record_and_bad_formats_are_400) {
  ApiFixture f;
  fillRecord(f);
  auto provider = f.signIn(f.providerId);
  const auto base = "/api/v1/patients/" + std::to_string(f.patientA) + "/record/export";
  auto r = f.request("GET", base + "?format=fhir", &provider);
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  auto bundle = parse(r.body);
  BOOST_TEST(resources(bundle, "Patient").size() == 1u);
  BOOST_TEST(resources(bundle, "Observation").size() == 2u);
  BOOST_TEST(resources(bundle, "Condition").size() == 1u);
  BOOST_TEST(noteTextOf(bundle).find("Subjective:\nFeels dizzy some mornings.") !=
             std::string::npos);  // the clinician's copy: the whole note
  BOOST_TEST(exportAudits(f, "fhir", f.patientA) == 1);

  auto bad = f.request("GET", base + "?format=pdf", &provider);
  BOOST_TEST(bad.status == 400);
  BOOST_TEST(bad.body.find("format") != std::string::npos, bad.body);
  auto missing = f.request("GET", base, &provider);
  BOOST_TEST(missing.status == 400);

  // An admin's copy leaves the clinical lists out (minimum necessary), readings stay.
  auto admin = f.signIn(f.adminActor.id);
  auto a = f.request("GET", base + "?format=fhir", &admin);
  BOOST_REQUIRE_MESSAGE(a.status == 200, a.body);
  auto adminBundle = parse(a.body);
  BOOST_TEST(resources(adminBundle, "Condition").empty());
  BOOST_TEST(resources(adminBundle, "MedicationStatement").empty());
  BOOST_TEST(resources(adminBundle, "Observation").size() == 2u);
  BOOST_TEST(resources(adminBundle, "DocumentReference").empty());  // admins read no note

  // The front desk and nurses do not export.
  auto desk = f.signIn(f.frontDeskId);
  BOOST_TEST(f.request("GET", base + "?format=html", &desk).status == 403);
  auto nurse = f.signIn(f.nurseId);
  BOOST_TEST(f.request("GET", base + "?format=html", &nurse).status == 403);
}

BOOST_AUTO_TEST_SUITE_END()
