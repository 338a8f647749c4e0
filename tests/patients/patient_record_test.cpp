// The patient record (issue 21): validation, versions and history, who reads and writes which
// section (a table written by hand from docs/patients.md), search through blind indexes, and a
// canary in every new field that must never reach the database bytes, logs, errors or metrics.

#include "vigil/patients/patient_record.hpp"

#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>

#include "security_fixture.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/patients/record_json.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/access_guard.hpp"

using vigil::AccessDenied;
using vigil::NotFound;
using vigil::ValidationError;
using vigil::patients::EntrySource;
using vigil::patients::PatientRecordService;
using vigil::patients::RecordConflict;
using vigil::patients::RecordSection;
using vigil::patients::RecordUpdate;
using vigil::security::Actor;
using vigil::security::Role;

namespace {

RecordUpdate updateFrom(const std::string& json) {
  Poco::JSON::Parser parser;
  return vigil::patients::recordUpdateFromJson(
      parser.parse(json).extract<Poco::JSON::Object::Ptr>());
}

struct RecordFixture : vigil::security::test::SecurityFixture {
  vigil::registry::PatientRepository registry{*db, keys->cipher(), keys->blindIndex(), clock};
  PatientRecordService records{*db, *audit, keys->cipher(), registry, clock};
  std::int64_t patientId = 0, otherPatientId = 0;
  Actor patient{0, Role::patient, std::nullopt};
  Actor otherPatient{0, Role::patient, std::nullopt};
  Actor provider{0, Role::provider, std::nullopt};
  Actor nurse{0, Role::nurse, std::nullopt};
  Actor strangerProvider{0, Role::provider, std::nullopt};

  RecordFixture() {
    patientId = registry.create({0, "MRN-R1", "Ana", "Silva", "1956-03-02", "UTC", "", {}, true});
    otherPatientId =
        registry.create({0, "MRN-R2", "Ben", "Okoro", "1961-07-19", "UTC", "", {}, true});
    patient = {user(Role::patient, "ana@home.example", "patient passphrase 2026", patientId),
               Role::patient, patientId};
    otherPatient = {
        user(Role::patient, "ben@home.example", "other passphrase 2026", otherPatientId),
        Role::patient, otherPatientId};
    provider.id = user(Role::provider, "dr@clinic.example", "provider passphrase 2026");
    nurse.id = user(Role::nurse, "rn@clinic.example", "nurse passphrase 2026");
    strangerProvider.id = user(Role::provider, "dr2@clinic.example", "provider2 passphrase 2026");
    db->writeSync([&](vigil::store::Connection& c) {
      vigil::security::SqliteCareTeam::assignIn(c, provider.id, patientId, admin.id, clock.now());
      vigil::security::SqliteCareTeam::assignIn(c, nurse.id, patientId, admin.id, clock.now());
    });
  }

  std::int64_t rows(const std::string& sql) {
    return db->read(
        [&](vigil::store::Connection& c) { return c.queryValue<std::int64_t>(sql).value_or(-1); });
  }
};

const std::string kContact =
    R"({"contact":{"email":"ana@home.example","phone":"+1 (555) 010-2030",)"
    R"("address":{"line1":"12 Elm St","city":"Springfield","region":"IL","postalCode":"62701",)"
    R"("country":"US"}}})";
const std::string kProblems =
    R"({"problems":[{"code":"i10","description":"Essential hypertension","status":"active"},)"
    R"({"code":"E11.9","description":"Type 2 diabetes mellitus without complications",)"
    R"("status":"active","onsetDate":"2019-05-01"}]})";

}  // namespace

BOOST_AUTO_TEST_SUITE(PatientRecordValidation)

BOOST_FIXTURE_TEST_CASE(each_bad_field_is_refused_by_name_and_nothing_is_stored, RecordFixture) {
  // body -> the field path the error must start with (written by hand from the rules)
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"problems":[{"code":"E11-9","description":"x"}]})", "problems[0].code"},
      {R"({"problems":[{"code":"119","description":"x"}]})", "problems[0].code"},
      {R"({"problems":[{"code":"E11.12345","description":"x"}]})", "problems[0].code"},
      {R"({"problems":[{"code":"E11.9","description":" "}]})", "problems[0].description"},
      {R"({"problems":[{"code":"E11.9","description":"x","status":"cured"}]})",
       "problems[0].status"},
      {R"({"problems":[{"code":"E11.9","description":"x","onsetDate":"2030-01-01"}]})",
       "problems[0].onsetDate"},
      {R"({"problems":[{"code":"E11.9","description":")" + std::string(201, 'a') + R"("}]})",
       "problems[0].description"},
      {R"({"medications":[{"rxcui":"31a076","name":"lisinopril"}]})", "medications[0].rxcui"},
      {R"({"medications":[{"rxcui":"314076"}]})", "medications[0].name"},
      {R"({"allergies":[{"substance":"penicillin","severity":"deadly"}]})",
       "allergies[0].severity"},
      {R"({"allergies":[{"reaction":"hives"}]})", "allergies[0].substance"},
      {R"({"contact":{"email":"ana.home.example"}})", "contact.email"},
      {R"({"contact":{"phone":"555-12"}})", "contact.phone"},
      {R"({"contact":{"address":{"line1":"12 Elm St"}}})", "contact.address.city"},
      {R"({"contact":{"address":{"line1":"1 A","city":"B","country":"USA"}}})",
       "contact.address.country"},
      {R"x({"language":"english (US)"})x", "language"},
      {R"({"language":"e"})", "language"},
      {R"({"emergencyContact":{"relationship":"daughter"}})", "emergencyContact.name"},
      {R"({"emergencyContact":{"name":"Maria Silva","phone":""}})", "emergencyContact.phone"},
      {R"({"insurance":{"secondary":{"payer":"Aetna","memberId":"W1"}}})", "insurance.secondary"},
      {R"({"insurance":{"primary":{"payer":"Medicare","memberId":""}}})",
       "insurance.primary.memberId"},
      {R"({"insurance":{"primary":{"payer":"Medicare","memberId":"1EG4 TE5"}}})",
       "insurance.primary.memberId"},
      {R"({"insurance":{"primary":{"payer":"M","memberId":"1","relationship":"cousin"}}})",
       "insurance.primary.relationship"},
      {R"({"insurance":{"primary":{"payer":"M","memberId":"1","subscriberBirthDate":"1956-13-01"}}})",
       "insurance.primary.subscriberBirthDate"},
      {R"({"pharmacy":{"name":"Corner Pharmacy","ncpdpId":"12345"}})", "pharmacy.ncpdpId"},
      {R"({"pharmacy":{"phone":"+1 555 010 9999"}})", "pharmacy.name"},
      {R"({"demographics":{"givenName":"Ana","familyName":"Silva","birthDate":"2030-01-01"}})",
       "demographics.birthDate"},
      {R"({"demographics":{"givenName":"","familyName":"Silva","birthDate":"1956-03-02"}})",
       "demographics.givenName"},
      {R"({"demographics":{"givenName":"Ana","familyName":"Silva","birthDate":"1956-03-02",)"
       R"("state":"Illinois"}})",
       "demographics.state"},
      {R"({"favouriteColour":"blue"})", "favouriteColour"},
      {R"({"contact":{"email":42}})", "contact.email"},
      {R"({"problems":"none"})", "problems"},
      {R"({})", "record"},
  };
  for (const auto& [body, field] : cases) {
    try {
      records.update(provider, patientId, updateFrom(body));
      BOOST_ERROR(body << " was accepted");
    } catch (const ValidationError& e) {
      const std::string what = e.what();
      BOOST_TEST(what.rfind(field + ": ", 0) == 0u, body << " -> " << what);
    }
  }
  BOOST_TEST(rows("SELECT count(*) FROM patient_record_versions") == 0);
}

BOOST_FIXTURE_TEST_CASE(good_values_are_accepted_and_codes_upper_cased, RecordFixture) {
  records.update(provider, patientId, updateFrom(kProblems));
  records.update(patient, patientId,
                 updateFrom(R"({"language":"zh-Hant-TW","pharmacy":{"name":"Corner Pharmacy",)"
                            R"("ncpdpId":"1234563","phone":"555 010 9999"}})"));
  records.update(patient, patientId, updateFrom(R"({"language":"es-419"})"));
  auto r = records.get(provider, patientId);
  BOOST_TEST(r.problems.size() == 2u);
  BOOST_TEST(r.problems.at(0).code == "I10");
  BOOST_TEST(r.problems.at(1).onsetDate == "2019-05-01");
  BOOST_TEST(r.language == "es-419");
  BOOST_TEST(r.pharmacy.ncpdpId == "1234563");
  BOOST_TEST(r.version == 3);
}

BOOST_AUTO_TEST_CASE(icd10cm_format) {
  for (const char* good : {"I10", "E11.9", "I50.9", "S72.001A", "U07.1", "Z79.4", "C4A.0"})
    BOOST_TEST(vigil::patients::validIcd10Cm(good), good);
  for (const char* bad : {"", "I1", "10", "E11.", "E11.12345", "e11.9", "EX1.9", "I10 "})
    BOOST_TEST(!vigil::patients::validIcd10Cm(bad), bad);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(PatientRecordHistory)

BOOST_FIXTURE_TEST_CASE(every_change_is_a_version_with_who_when_and_which_sections, RecordFixture) {
  BOOST_TEST(records.get(patient, patientId).version == 0);
  BOOST_TEST(records.history(patient, patientId).empty());
  records.update(patient, patientId, updateFrom(kContact));
  clock.advance(std::chrono::minutes(5));
  records.update(provider, patientId, updateFrom(kProblems));
  clock.advance(std::chrono::minutes(5));
  // The same contact again changes nothing: no version.
  records.update(patient, patientId, updateFrom(kContact));
  records.update(nurse, patientId,
                 updateFrom(R"({"language":"pt-BR","allergies":[{"substance":"Penicillin",)"
                            R"("reaction":"Hives","severity":"moderate"}]})"));
  auto h = records.history(provider, patientId);
  BOOST_REQUIRE(h.size() == 3u);
  BOOST_TEST(h[0].version == 3);
  BOOST_TEST(h[0].changedBy == nurse.id);
  BOOST_TEST(h[0].changedByRole == "nurse");
  BOOST_TEST((h[0].sections ==
              std::vector<RecordSection>{RecordSection::language, RecordSection::allergies}));
  BOOST_TEST(h[1].version == 2);
  BOOST_TEST(h[1].changedBy == provider.id);
  BOOST_TEST((h[1].sections == std::vector<RecordSection>{RecordSection::problems}));
  BOOST_TEST(h[2].version == 1);
  BOOST_TEST(h[2].changedByRole == "patient");
  BOOST_TEST((h[2].sections == std::vector<RecordSection>{RecordSection::contact}));
  BOOST_TEST((h[1].changedAt - h[2].changedAt == std::chrono::minutes(5)));
  BOOST_TEST(rows("SELECT count(*) FROM patient_record_versions") == 3);
  // Reading the history is audited (the patient's read at the start, the provider's).
  BOOST_TEST(rows("SELECT count(*) FROM audit_log WHERE action = 'patient_record.history'") == 2);
  BOOST_TEST(rows("SELECT count(*) FROM audit_log WHERE action = 'patient_record.update' AND "
                  "outcome = 'success'") == 4);
}

BOOST_FIXTURE_TEST_CASE(a_past_version_reads_as_it_was, RecordFixture) {
  records.update(patient, patientId, updateFrom(kContact));    // v1
  records.update(provider, patientId, updateFrom(kProblems));  // v2
  records.update(nurse, patientId,                             // v3
                 updateFrom(R"({"language":"pt-BR","contact":{"email":"ana@new.example"},)"
                            R"("allergies":[{"substance":"Penicillin","severity":"mild"}]})"));
  auto v1 = records.getVersion(provider, patientId, 1);
  BOOST_TEST(v1.version == 1);
  BOOST_TEST(v1.contact.email == "ana@home.example");
  BOOST_TEST(v1.problems.empty());
  BOOST_TEST(v1.allergies.empty());
  BOOST_TEST(v1.demographics.familyName == "Silva");  // recorded none: the registry's
  auto v2 = records.getVersion(patient, patientId, 2);
  BOOST_TEST(v2.contact.email == "ana@home.example");
  BOOST_TEST(v2.problems.size() == 2u);
  BOOST_TEST(v2.language.empty());
  auto v3 = records.getVersion(provider, patientId, 3);
  BOOST_TEST(v3.contact.email == "ana@new.example");
  BOOST_TEST(v3.language == "pt-BR");
  BOOST_TEST(v3.allergies.at(0).substance == "Penicillin");
  // Admins read past versions without the clinical sections, as the current one.
  auto adminV2 = records.getVersion(admin, patientId, 2);
  BOOST_TEST(!adminV2.clinicalIncluded);
  BOOST_TEST(adminV2.problems.empty());
  BOOST_CHECK_THROW(records.getVersion(provider, patientId, 4), NotFound);
  BOOST_CHECK_THROW(records.getVersion(provider, patientId, 0), ValidationError);
  BOOST_CHECK_THROW(records.getVersion(strangerProvider, patientId, 1), AccessDenied);
  BOOST_CHECK_THROW(records.getVersion(otherPatient, patientId, 1), AccessDenied);
  // Each read is audited with the version it read.
  BOOST_TEST(rows("SELECT count(*) FROM audit_log WHERE action = 'patient_record.get' AND "
                  "object_id = '" +
                  std::to_string(patientId) + "@v2' AND outcome = 'success'") == 2);
  BOOST_TEST(rows("SELECT count(*) FROM audit_log WHERE action = 'patient_record.get' AND "
                  "outcome = 'denied'") == 2);
}

BOOST_FIXTURE_TEST_CASE(entries_keep_their_source_until_changed, RecordFixture) {
  // The patient reports an allergy; a clinician adds a problem sending the allergy back as read.
  records.update(patient, patientId,
                 updateFrom(R"({"allergies":[{"substance":"Sulfa","severity":"mild"}]})"));
  auto r = records.get(provider, patientId);
  BOOST_REQUIRE(r.allergies.size() == 1u);
  BOOST_TEST((r.allergies[0].source == EntrySource::patient));
  const auto allergyId = r.allergies[0].id;
  records.update(provider, patientId,
                 updateFrom(R"({"allergies":[{"id":)" + std::to_string(allergyId) +
                            R"(,"substance":"Sulfa","severity":"mild","source":"clinician"}],)"
                            R"("problems":[{"code":"I50.9","description":"Heart failure"}]})"));
  r = records.get(patient, patientId);
  BOOST_TEST((r.allergies.at(0).source == EntrySource::patient));  // unchanged: still the patient's
  BOOST_TEST(r.allergies.at(0).id == allergyId);
  BOOST_TEST((r.problems.at(0).source == EntrySource::clinician));
  // The clinician confirms it with a severity: now the clinician's entry.
  records.update(provider, patientId,
                 updateFrom(R"({"allergies":[{"id":)" + std::to_string(allergyId) +
                            R"(,"substance":"Sulfa","severity":"severe"}]})"));
  r = records.get(patient, patientId);
  BOOST_TEST((r.allergies.at(0).source == EntrySource::clinician));
  BOOST_TEST(r.allergies.at(0).id != allergyId);
  BOOST_TEST(r.version == 3);
}

BOOST_FIXTURE_TEST_CASE(a_stale_base_version_is_refused, RecordFixture) {
  records.update(patient, patientId, updateFrom(kContact));
  auto u = updateFrom(R"({"language":"en-US","baseVersion":0})");
  BOOST_CHECK_THROW(records.update(provider, patientId, u), RecordConflict);
  u.baseVersion = 1;
  BOOST_TEST(records.update(provider, patientId, u).version == 2);
}

BOOST_FIXTURE_TEST_CASE(demographics_go_to_the_registry_and_its_search_indexes, RecordFixture) {
  records.update(admin, patientId,
                 updateFrom(R"({"demographics":{"givenName":"Ana","familyName":"Pereira",)"
                            R"("birthDate":"1956-03-02","timeZone":"America/Chicago",)"
                            R"("state":"IL"}})"));
  auto p = registry.get(patientId);
  BOOST_TEST(p->familyName == "Pereira");
  BOOST_TEST(p->timeZone == "America/Chicago");
  BOOST_TEST(p->state == "IL");
  BOOST_TEST(p->mrn == "MRN-R1");
  BOOST_TEST((registry.search("pereira") == std::vector<std::int64_t>{patientId}));
  BOOST_TEST(registry.search("silva").empty());
  auto h = records.history(admin, patientId);
  BOOST_TEST((h.at(0).sections == std::vector<RecordSection>{RecordSection::demographics}));
  BOOST_CHECK_THROW(records.get(admin, 999999), NotFound);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(PatientRecordAccess)

BOOST_FIXTURE_TEST_CASE(who_reads_and_writes_which_section, RecordFixture) {
  records.update(provider, patientId, updateFrom(kProblems));
  struct Row {
    const char* who;
    Actor actor;
    const char* breakGlass;
    bool read, clinicalShown, writeAdministrative, writeClinical, history;
  };
  // Written by hand from docs/patients.md ("Who may read and change the record").
  const std::vector<Row> table = {
      {"the patient", patient, "", true, true, true, true, true},
      {"another patient", otherPatient, "", false, false, false, false, false},
      {"provider on the care team", provider, "", true, true, true, true, true},
      {"nurse on the care team", nurse, "", true, true, true, true, true},
      {"provider off the team", strangerProvider, "", false, false, false, false, false},
      {"provider off the team, break-glass", strangerProvider, "patient collapsed", true, true,
       true, true, true},
      {"admin", admin, "", true, false, true, false, true},
  };
  for (const auto& row : table) {
    BOOST_TEST_CONTEXT(row.who) {
      try {
        auto r = records.get(row.actor, patientId, row.breakGlass);
        BOOST_TEST(row.read);
        BOOST_TEST(r.clinicalIncluded == row.clinicalShown);
        BOOST_TEST(r.problems.size() == (row.clinicalShown ? 2u : 0u));
        BOOST_TEST(r.demographics.familyName == "Silva");
      } catch (const AccessDenied&) {
        BOOST_TEST(!row.read);
      }
      try {
        records.update(row.actor, patientId, updateFrom(R"({"language":"en-US"})"), row.breakGlass);
        BOOST_TEST(row.writeAdministrative);
      } catch (const AccessDenied&) {
        BOOST_TEST(!row.writeAdministrative);
      }
      const auto before = rows("SELECT count(*) FROM patient_record_versions");
      try {
        records.update(row.actor, patientId,
                       updateFrom(R"({"language":"fr","allergies":[{"substance":"Latex",)"
                                  R"("severity":"mild"}]})"),
                       row.breakGlass);
        BOOST_TEST(row.writeClinical);
      } catch (const AccessDenied&) {
        BOOST_TEST(!row.writeClinical);
        // Refused whole: not even the administrative part was kept.
        BOOST_TEST(rows("SELECT count(*) FROM patient_record_versions") == before);
      }
      try {
        records.history(row.actor, patientId, row.breakGlass);
        BOOST_TEST(row.history);
      } catch (const AccessDenied&) {
        BOOST_TEST(!row.history);
      }
    }
  }
  // The admin's refused clinical update is on record as a denial of the clinical operation.
  BOOST_TEST(rows("SELECT count(*) FROM audit_log WHERE action = "
                  "'patient_record.update_clinical' AND outcome = 'denied' AND actor_id = " +
                  std::to_string(admin.id)) == 1);
  BOOST_TEST(rows("SELECT count(*) FROM audit_log WHERE action = 'patient_record.get' AND "
                  "break_glass = 1") == 1);
  BOOST_TEST(audit->verify(*db).ok);
}

BOOST_AUTO_TEST_SUITE_END()
