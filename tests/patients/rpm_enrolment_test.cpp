// RPM enrolment (issue 21, docs/patients.md "RPM enrolment"): refused without RPM consent, one
// active enrolment per condition (the database's partial unique index), ending, the consent's
// withdrawal ending every episode in its own transaction, the re-sign rule, the billing query's
// periods, and who may do what. Expected values are written by hand from the requirement; the
// fixture's clock starts at 2027-01-15T08:00:00Z.
#include "vigil/patients/rpm_enrolment.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>

#include "security_fixture.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/core/time.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/access_guard.hpp"

using namespace std::chrono_literals;
using vigil::AccessDenied;
using vigil::NotFound;
using vigil::TimePoint;
using vigil::ValidationError;
using vigil::patients::ConsentKind;
using vigil::patients::ConsentRequired;
using vigil::patients::ConsentService;
using vigil::patients::EnrolmentConflict;
using vigil::patients::EnrolmentEndReason;
using vigil::patients::NewEnrolment;
using vigil::patients::RpmEnrolmentService;
using vigil::security::Actor;
using vigil::security::Role;

namespace {

TimePoint at(const char* rfc3339) {
  return *vigil::core::parseRfc3339(rfc3339);
}

struct RpmFixture : vigil::security::test::SecurityFixture {
  vigil::registry::PatientRepository records{*db, keys->cipher(), keys->blindIndex(), clock};
  vigil::registry::DeviceRegistry devices{*db, clock};
  ConsentService consents{*db, *audit, keys->cipher(), records, clock};
  RpmEnrolmentService rpm{*db, *audit, keys->cipher(), clock};
  std::int64_t patientId = 0, otherPatientId = 0;
  std::int64_t cuff = 0, scale = 0, otherCuff = 0;
  Actor patient{0, Role::patient, std::nullopt};
  Actor otherPatient{0, Role::patient, std::nullopt};
  Actor provider{0, Role::provider, std::nullopt};
  Actor nurse{0, Role::nurse, std::nullopt};
  Actor strangerProvider{0, Role::provider, std::nullopt};
  vigil::patients::ConsentDocument rpmDoc;

  RpmFixture() {
    patientId = records.create({0, "MRN-R1", "Ana", "Silva", "1956-03-02", "UTC", "", {}, true});
    otherPatientId =
        records.create({0, "MRN-R2", "Ben", "Okoro", "1961-07-19", "UTC", "", {}, true});
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
    using vigil::registry::DeviceKind;
    cuff = devices.add({"bp-0001", DeviceKind::blood_pressure, "UA-651BLE", "S1", "1.0"}).id;
    scale = devices.add({"wt-0001", DeviceKind::weight_scale, "UC-352BLE", "S2", "1.0"}).id;
    otherCuff = devices.add({"bp-0002", DeviceKind::blood_pressure, "UA-651BLE", "S3", "1.0"}).id;
    devices.assign(cuff, patientId);
    devices.assign(scale, patientId);
    devices.assign(otherCuff, otherPatientId);
    rpmDoc = publishRpm(false);
  }

  vigil::patients::ConsentDocument publishRpm(bool resign) {
    return consents.publish(admin, {ConsentKind::rpm, "RPM consent",
                                    "I agree to remote monitoring of my readings.", resign});
  }
  void signRpm(const vigil::patients::ConsentDocument& doc) {
    vigil::patients::SignRequest r;
    r.documentId = doc.id;
    r.documentSha256 = doc.sha256;
    r.typedName = "Ana Silva";
    r.agreed = true;
    r.signerIp = "192.0.2.10";
    consents.sign(patient, patientId, r);
  }
  NewEnrolment hypertension(std::vector<std::int64_t> ids = {}) const {
    return {"I10", "Essential (primary) hypertension", ids.empty() ? std::vector{cuff} : ids,
            "2027-01-15"};
  }
  std::int64_t rows(const std::string& sql) {
    return db->read(
        [&](vigil::store::Connection& c) { return c.queryValue<std::int64_t>(sql).value_or(-1); });
  }
  std::vector<vigil::patients::EnrolmentPeriod> periods(const char* from, const char* to) {
    return db->read([&](vigil::store::Connection& c) {
      return RpmEnrolmentService::enrolmentsIn(c, patientId, at(from), at(to));
    });
  }
  bool enrolledNow() {
    return db->read([&](vigil::store::Connection& c) {
      return RpmEnrolmentService::isEnrolledIn(c, patientId);
    });
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(RpmEnrolments)

BOOST_AUTO_TEST_CASE(icd10cm_codes_are_checked_for_their_format) {
  for (const char* good : {"I10", "I50.9", "E11.9", "J44.9", "E11.65", "S72.001A", "Z79.4"})
    BOOST_TEST(vigil::patients::validIcd10Cm(good), good);
  for (const char* bad :
       {"", "I1", "i10", "10A", "I10.", "I5.9", "I50-9", "I50.12345", "I10 ", "E11..9", "IA0"})
    BOOST_TEST(!vigil::patients::validIcd10Cm(bad), bad);
}

BOOST_FIXTURE_TEST_CASE(enrolling_without_rpm_consent_is_refused, RpmFixture) {
  try {
    rpm.enrol(provider, patientId, hypertension());
    BOOST_FAIL("enrolled without consent");
  } catch (const ConsentRequired& e) {
    BOOST_TEST(vigil::patients::toString(e.kind()) == "rpm");
  }
  // A telehealth consent is not an RPM consent.
  auto tele = consents.publish(admin, {ConsentKind::telehealth, "Telehealth", "Video ok.", false});
  vigil::patients::SignRequest r{tele.id, tele.sha256, "Ana Silva", true, "192.0.2.10"};
  consents.sign(patient, patientId, r);
  BOOST_CHECK_THROW(rpm.enrol(provider, patientId, hypertension()), ConsentRequired);
  BOOST_TEST(rows("SELECT count(*) FROM rpm_enrolments") == 0);
  BOOST_TEST(!enrolledNow());
}

BOOST_FIXTURE_TEST_CASE(a_consenting_patient_is_enrolled_with_devices_and_audited, RpmFixture) {
  signRpm(rpmDoc);
  auto e = rpm.enrol(provider, patientId, hypertension({cuff, scale}));
  BOOST_TEST(e.conditionCode == "I10");
  BOOST_TEST(e.conditionDescription == "Essential (primary) hypertension");
  BOOST_TEST(e.startDate == "2027-01-15");
  BOOST_TEST(e.enrolledBy == provider.id);
  BOOST_TEST(vigil::core::formatUtc(e.enrolledAt) == "2027-01-15T08:00:00.000000Z");
  BOOST_TEST(e.active());
  BOOST_REQUIRE(e.devices.size() == 2u);
  BOOST_TEST(e.devices[0].uid == "bp-0001");
  BOOST_TEST(e.devices[0].kind == "blood_pressure");
  BOOST_TEST(e.devices[0].model == "UA-651BLE");
  BOOST_TEST(e.devices[1].kind == "weight_scale");
  BOOST_TEST(enrolledNow());
  // The description is only a ciphertext in the row.
  BOOST_TEST(rows("SELECT count(*) FROM rpm_enrolments WHERE description_enc IS NOT NULL") == 1);
  auto description = db->read([](vigil::store::Connection& c) {
    return *c.queryValue<vigil::store::Blob>("SELECT description_enc FROM rpm_enrolments");
  });
  BOOST_TEST(!description.empty());
  BOOST_TEST(std::string(description.begin(), description.end()).find("hypertension") ==
             std::string::npos);
  auto entry = lastAudit("rpm_enrolment.create");
  BOOST_REQUIRE(entry.has_value());
  BOOST_TEST(entry->event.actorId == provider.id);
  BOOST_TEST(entry->event.patientId.value_or(0) == patientId);
  BOOST_TEST(entry->event.reason == "care_team");
  auto list = rpm.enrolments(patient, patientId);
  BOOST_REQUIRE(list.enrolments.size() == 1u);
  BOOST_TEST(list.consentActive);
  BOOST_TEST(list.enrolments[0].devices.size() == 2u);
  BOOST_TEST(lastAudit("rpm_enrolment.list").has_value());
}

BOOST_FIXTURE_TEST_CASE(bad_requests_are_refused_and_store_nothing, RpmFixture) {
  signRpm(rpmDoc);
  auto e = hypertension();
  e.conditionCode = "hypertension";
  BOOST_CHECK_THROW(rpm.enrol(provider, patientId, e), ValidationError);
  e = hypertension();
  e.conditionDescription = "   ";
  BOOST_CHECK_THROW(rpm.enrol(provider, patientId, e), ValidationError);
  e = hypertension();
  e.deviceIds.clear();
  BOOST_CHECK_THROW(rpm.enrol(provider, patientId, e), ValidationError);
  e = hypertension({otherCuff});  // assigned to another patient
  BOOST_CHECK_THROW(rpm.enrol(provider, patientId, e), ValidationError);
  e = hypertension();
  e.startDate = "2027-02-30";
  BOOST_CHECK_THROW(rpm.enrol(provider, patientId, e), ValidationError);
  e.startDate = "2027-03-01";  // more than 30 days ahead of 2027-01-15
  BOOST_CHECK_THROW(rpm.enrol(provider, patientId, e), ValidationError);
  BOOST_TEST(rows("SELECT count(*) FROM rpm_enrolments") == 0);
  BOOST_TEST(rows("SELECT count(*) FROM rpm_enrolment_devices") == 0);
}

BOOST_FIXTURE_TEST_CASE(one_active_enrolment_per_condition_by_the_database, RpmFixture) {
  signRpm(rpmDoc);
  auto first = rpm.enrol(provider, patientId, hypertension());
  try {
    rpm.enrol(provider, patientId, hypertension());
    BOOST_FAIL("a second active enrolment for I10");
  } catch (const EnrolmentConflict& e) {
    BOOST_TEST(e.code() == "already_enrolled");
  }
  // The constraint is the database's, not only the service's check.
  try {
    db->writeSync([&](vigil::store::Connection& c) {
      c.execute(
          "INSERT INTO rpm_enrolments (patient_id, condition_code, start_date, enrolled_by, "
          "enrolled_at) VALUES (?1, 'I10', '2027-01-16', ?2, 0)",
          patientId, provider.id);
    });
    BOOST_FAIL("a second open I10 episode was stored");
  } catch (const vigil::store::DbError& e) {
    BOOST_TEST(e.isConstraint(), e.what());
  }
  // Another condition is another episode; another patient's I10 is theirs.
  rpm.enrol(provider, patientId,
            {"I50.9", "Heart failure, unspecified", {cuff, scale}, "2027-01-15"});
  BOOST_TEST(rows("SELECT count(*) FROM rpm_enrolments WHERE end_date IS NULL") == 2);
  // Once ended, the condition may be enrolled again.
  rpm.end(provider, patientId, first.id, "2027-01-15", EnrolmentEndReason::completed);
  auto again = rpm.enrol(provider, patientId, hypertension());
  BOOST_TEST(again.id != first.id);
  BOOST_TEST(rows("SELECT count(*) FROM rpm_enrolments WHERE condition_code = 'I10'") == 2);
}

BOOST_FIXTURE_TEST_CASE(an_episode_ends_once_with_a_date_and_a_reason, RpmFixture) {
  signRpm(rpmDoc);
  auto e = rpm.enrol(provider, patientId, hypertension());
  clock.advance(48h);  // 2027-01-17T08:00Z
  BOOST_CHECK_THROW(rpm.end(provider, patientId, e.id, "2027-01-14", EnrolmentEndReason::completed),
                    ValidationError);  // before the start
  BOOST_CHECK_THROW(rpm.end(provider, patientId, e.id, "2027-01-18", EnrolmentEndReason::completed),
                    ValidationError);  // after today
  BOOST_CHECK_THROW(
      rpm.end(provider, patientId, e.id, "2027-01-16", EnrolmentEndReason::consentWithdrawn),
      ValidationError);  // only the withdrawal records that reason
  BOOST_CHECK_THROW(
      rpm.end(provider, otherPatientId, e.id, "2027-01-16", EnrolmentEndReason::completed),
      AccessDenied);  // not on the other patient's care team
  auto ended = rpm.end(provider, patientId, e.id, "2027-01-16", EnrolmentEndReason::patientRequest);
  BOOST_TEST(!ended.active());
  BOOST_TEST(*ended.endDate == "2027-01-16");
  BOOST_TEST(vigil::patients::toString(*ended.endReason) == "patient_request");
  BOOST_TEST(vigil::core::formatUtc(*ended.endedAt) == "2027-01-17T08:00:00.000000Z");
  BOOST_TEST(*ended.endedBy == provider.id);
  try {
    rpm.end(provider, patientId, e.id, "2027-01-17", EnrolmentEndReason::completed);
    BOOST_FAIL("ended twice");
  } catch (const EnrolmentConflict& c) {
    BOOST_TEST(c.code() == "already_ended");
  }
  BOOST_CHECK_THROW(rpm.end(provider, patientId, 9999, "2027-01-17", EnrolmentEndReason::other),
                    NotFound);
  BOOST_TEST(lastAudit("rpm_enrolment.end")->event.actorId == provider.id);
  BOOST_TEST(!enrolledNow());
}

// Withdrawal and the ends share one write job, so one COMMIT: after a crash the database holds
// both or neither (SQLite's atomic commit). The second half shows it: when ending an episode
// fails, the withdrawal is not recorded either.
BOOST_FIXTURE_TEST_CASE(withdrawing_rpm_consent_ends_every_episode_in_its_transaction, RpmFixture) {
  signRpm(rpmDoc);
  auto htn = rpm.enrol(provider, patientId, hypertension());
  auto hf = rpm.enrol(provider, patientId,
                      {"I50.9", "Heart failure, unspecified", {scale}, "2027-01-15"});
  clock.advance(26h);  // 2027-01-16T10:00Z

  // A failing end (a trigger standing for a fault) rolls the withdrawal back too.
  const bool pg = db->backend() == vigil::store::Backend::postgres;
  db->writeSync([&](vigil::store::Connection& c) {
    c.exec(pg ? "CREATE TRIGGER test_fail_end BEFORE UPDATE OF end_date ON rpm_enrolments "
                "FOR EACH ROW EXECUTE FUNCTION raise_abort('injected fault')"
              : "CREATE TRIGGER test_fail_end BEFORE UPDATE OF end_date ON rpm_enrolments "
                "BEGIN SELECT RAISE(ABORT, 'injected fault'); END");
  });
  BOOST_CHECK_THROW(consents.withdraw(patient, patientId, ConsentKind::rpm), vigil::Error);
  BOOST_TEST(consents.hasActiveConsent(patientId, ConsentKind::rpm));
  BOOST_TEST(rows("SELECT count(*) FROM rpm_enrolments WHERE end_date IS NULL") == 2);
  db->writeSync([&](vigil::store::Connection& c) {
    c.exec(pg ? "DROP TRIGGER test_fail_end ON rpm_enrolments" : "DROP TRIGGER test_fail_end");
  });

  // Withdrawing the RPM consent ends both episodes.
  BOOST_TEST(consents.withdraw(patient, patientId, ConsentKind::rpm) == 1u);
  auto list = rpm.enrolments(provider, patientId);
  BOOST_TEST(!list.consentActive);
  BOOST_REQUIRE(list.enrolments.size() == 2u);
  for (const auto& e : list.enrolments) {
    BOOST_TEST(!e.active());
    BOOST_TEST(*e.endDate == "2027-01-16");
    BOOST_TEST(vigil::patients::toString(*e.endReason) == "consent_withdrawn");
    BOOST_TEST(*e.endedBy == patient.id);
    BOOST_TEST(vigil::core::formatUtc(*e.endedAt) == "2027-01-16T10:00:00.000000Z");
  }
  // The same instant as the withdrawal: written by the same job.
  BOOST_TEST(rows("SELECT count(*) FROM rpm_enrolments e JOIN consents s ON s.patient_id = "
                  "e.patient_id WHERE s.kind = 'rpm' AND e.ended_at = s.withdrawn_at") == 2);
  // One audit entry per ended episode, by the patient, reason consent_withdrawn.
  std::map<std::string, int> ends;
  for (auto seq = auditCount(); seq > 0; --seq) {
    auto entry = auditEntry(seq);
    if (entry && entry->event.action == "rpm_enrolment.end") {
      BOOST_TEST(entry->event.actorId == patient.id);
      BOOST_TEST(entry->event.reason == "consent_withdrawn");
      ++ends[entry->event.objectId];
    }
  }
  BOOST_TEST(ends.size() == 2u);
  BOOST_TEST(ends[std::to_string(htn.id)] == 1);
  BOOST_TEST(ends[std::to_string(hf.id)] == 1);
  BOOST_TEST(!enrolledNow());
  BOOST_CHECK_THROW(rpm.enrol(provider, patientId, hypertension()), ConsentRequired);
}

// Decision (docs/patients.md): a new RPM version that requires re-signing ends nothing (the
// provider's order stands) but the episode is not billable, and no new one starts, until the
// patient signs the new version.
BOOST_FIXTURE_TEST_CASE(a_resign_version_keeps_episodes_but_not_billable_until_signed, RpmFixture) {
  signRpm(rpmDoc);
  auto e = rpm.enrol(provider, patientId, hypertension());
  clock.set(at("2027-01-20T12:00:00Z"));
  auto v2 = publishRpm(true);
  auto list = rpm.enrolments(provider, patientId);
  BOOST_TEST(list.enrolments[0].active());
  BOOST_TEST(!list.consentActive);
  BOOST_TEST(!enrolledNow());
  BOOST_CHECK_THROW(
      rpm.enrol(provider, patientId,
                {"E11.9", "Type 2 diabetes mellitus without complications", {scale}, "2027-01-20"}),
      ConsentRequired);
  auto p = periods("2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z");
  BOOST_REQUIRE(p.size() == 1u);
  BOOST_TEST(p[0].enrolmentId == e.id);
  BOOST_TEST(vigil::core::formatUtc(p[0].from) == "2027-01-15T08:00:00.000000Z");
  BOOST_TEST(vigil::core::formatUtc(p[0].until) == "2027-01-20T12:00:00.000000Z");
  clock.set(at("2027-01-22T09:30:00Z"));
  signRpm(v2);
  BOOST_TEST(enrolledNow());
  p = periods("2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z");
  BOOST_REQUIRE(p.size() == 2u);
  BOOST_TEST(vigil::core::formatUtc(p[1].from) == "2027-01-22T09:30:00.000000Z");
  BOOST_TEST(vigil::core::formatUtc(p[1].until) == "2027-02-01T00:00:00.000000Z");
}

// The billing query: episodes overlapping [from, to), only while an RPM consent was in force.
// Timeline (UTC): signs 01-15 08:00; I10 from 01-10 (before the consent) ended 01-19; E11.9
// from 01-20; withdrawal 01-25 12:00 (ends E11.9 on 01-25); signs again 02-01 09:00; I10 again
// from 02-01.
BOOST_FIXTURE_TEST_CASE(billing_periods_overlap_the_range_within_the_consent, RpmFixture) {
  signRpm(rpmDoc);
  auto first = rpm.enrol(provider, patientId,
                         {"I10", "Essential (primary) hypertension", {cuff}, "2027-01-10"});
  clock.set(at("2027-01-20T08:00:00Z"));
  rpm.end(provider, patientId, first.id, "2027-01-19", EnrolmentEndReason::completed);
  auto diabetes =
      rpm.enrol(provider, patientId,
                {"E11.9", "Type 2 diabetes mellitus without complications", {scale}, "2027-01-20"});
  clock.set(at("2027-01-25T12:00:00Z"));
  consents.withdraw(patient, patientId, ConsentKind::rpm);
  clock.set(at("2027-02-01T09:00:00Z"));
  signRpm(rpmDoc);
  auto second = rpm.enrol(provider, patientId,
                          {"I10", "Essential (primary) hypertension", {cuff}, "2027-02-01"});

  struct Expected {
    std::int64_t id;
    const char* code;
    const char* from;
    const char* until;
  };
  auto check = [&](const char* from, const char* to, const std::vector<Expected>& want) {
    auto got = periods(from, to);
    BOOST_REQUIRE_MESSAGE(got.size() == want.size(), from << " .. " << to);
    for (std::size_t i = 0; i < want.size(); ++i) {
      BOOST_TEST(got[i].enrolmentId == want[i].id);
      BOOST_TEST(got[i].conditionCode == want[i].code);
      BOOST_TEST(vigil::core::formatUtc(got[i].from) == want[i].from);
      BOOST_TEST(vigil::core::formatUtc(got[i].until) == want[i].until);
    }
  };
  check("2027-01-01T00:00:00Z", "2027-03-01T00:00:00Z",
        {{first.id, "I10", "2027-01-15T08:00:00.000000Z", "2027-01-20T00:00:00.000000Z"},
         {diabetes.id, "E11.9", "2027-01-20T00:00:00.000000Z", "2027-01-25T12:00:00.000000Z"},
         {second.id, "I10", "2027-02-01T09:00:00.000000Z", "2027-03-01T00:00:00.000000Z"}});
  check("2027-01-18T00:00:00Z", "2027-01-21T00:00:00Z",
        {{first.id, "I10", "2027-01-18T00:00:00.000000Z", "2027-01-20T00:00:00.000000Z"},
         {diabetes.id, "E11.9", "2027-01-20T00:00:00.000000Z", "2027-01-21T00:00:00.000000Z"}});
  check("2027-01-26T00:00:00Z", "2027-02-01T00:00:00Z", {});
  check("2027-01-01T00:00:00Z", "2027-01-15T00:00:00Z", {});  // enrolled, but no consent yet
  BOOST_TEST(second.startDate == "2027-02-01");
  // Another patient's query sees none of these.
  BOOST_TEST(db->read([&](vigil::store::Connection& c) {
                 return RpmEnrolmentService::enrolmentsIn(
                     c, otherPatientId, at("2027-01-01T00:00:00Z"), at("2027-03-01T00:00:00Z"));
               }).empty());
}

// Who may do what, written by hand from docs/patients.md: providers on the care team enrol and
// end (others only by break-glass); nurses on the care team, admins and the patient (own) read.
BOOST_FIXTURE_TEST_CASE(who_may_enrol_end_and_read, RpmFixture) {
  signRpm(rpmDoc);
  auto e = rpm.enrol(provider, patientId, hypertension());
  struct Row {
    const char* who;
    Actor actor;
    bool read, create, end;
  };
  const Row table[] = {
      // who                  actor             read   create end
      {"patient (own)", patient, true, false, false},
      {"other patient", otherPatient, false, false, false},
      {"provider, care team", provider, true, true, true},
      {"nurse, care team", nurse, true, false, false},
      {"provider, stranger", strangerProvider, false, false, false},
      {"admin", admin, true, false, false},
  };
  for (const auto& row : table) {
    BOOST_TEST_CONTEXT(row.who) {
      bool read = true, create = true, end = true;
      try {
        rpm.enrolments(row.actor, patientId);
      } catch (const AccessDenied&) {
        read = false;
      }
      try {
        // A condition of its own per row: an allowed enrol must not collide with the previous.
        auto n = hypertension();
        n.conditionCode = "I50.9";
        auto made = rpm.enrol(row.actor, patientId, n);
        rpm.end(provider, patientId, made.id, "2027-01-15", EnrolmentEndReason::other);
      } catch (const AccessDenied&) {
        create = false;
      }
      try {
        rpm.end(row.actor, patientId, e.id, "2027-01-15", EnrolmentEndReason::other);
        e = rpm.enrol(provider, patientId, hypertension());  // open it again for the next row
      } catch (const AccessDenied&) {
        end = false;
      }
      BOOST_TEST(read == row.read);
      BOOST_TEST(create == row.create);
      BOOST_TEST(end == row.end);
    }
  }
  // Break-glass: a provider outside the care team enrols with a reason, flagged.
  auto n = hypertension();
  n.conditionCode = "J44.9";
  auto made = rpm.enrol(strangerProvider, patientId, n, "covering the clinic overnight");
  BOOST_TEST(made.enrolledBy == strangerProvider.id);
  auto entry = lastAudit("rpm_enrolment.create");
  BOOST_TEST(entry->event.breakGlass);
  // A nurse with break-glass still may not enrol: the role lacks the permission.
  n.conditionCode = "E11.9";
  BOOST_CHECK_THROW(rpm.enrol(nurse, patientId, n, "covering"), AccessDenied);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(RpmEnrolmentCanary)

namespace {
const std::string kCanaryCondition = "Quorvexian tremor of the left hand";

struct CapturedRpmLog {
  std::mutex mutex;
  std::string text;
  CapturedRpmLog() {
    vigil::log::setLevel(vigil::log::Level::debug);
    vigil::log::setSink([this](std::string_view line) {
      std::lock_guard lock(mutex);
      text.append(line).append("\n");
    });
  }
  ~CapturedRpmLog() {
    vigil::log::setSink(nullptr);
    vigil::log::setLevel(vigil::log::Level::info);
  }
};

std::string bytesOf(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
}  // namespace

// The condition's description is typed by the provider (free text): only its ciphertext is
// stored; it reaches no log, error message or /metrics.
BOOST_AUTO_TEST_CASE(the_condition_description_never_reaches_the_database_file_logs_or_metrics) {
  CapturedRpmLog captured;
  std::string files, errors;
  {
    RpmFixture f;
    f.signRpm(f.rpmDoc);
    auto e = f.hypertension();
    e.conditionCode = "G25.0";
    e.conditionDescription = kCanaryCondition;
    f.rpm.enrol(f.provider, f.patientId, e);
    for (const auto& actor : {f.nurse, f.strangerProvider}) {
      try {
        f.rpm.enrol(actor, f.patientId, e);
      } catch (const std::exception& x) {
        errors += x.what();
      }
    }
    try {
      f.rpm.enrol(f.provider, f.patientId, e);  // already enrolled
    } catch (const std::exception& x) {
      errors += x.what();
    }
    auto read = f.rpm.enrolments(f.admin, f.patientId);
    BOOST_TEST(read.enrolments.at(0).conditionDescription == kCanaryCondition);  // really stored
    f.consents.withdraw(f.patient, f.patientId, ConsentKind::rpm);
    if (f.storeOptions.backend == vigil::store::Backend::postgres) {
      f.db->close();
      files += vigil::security::test::postgresBytesAtRest(f.storeOptions);
    } else {
      if (std::filesystem::exists(f.dir / "vigil.db-wal")) files += bytesOf(f.dir / "vigil.db-wal");
      f.db->close();
      for (const auto& name : {"vigil.db", "vigil.db-wal"})
        if (std::filesystem::exists(f.dir / name)) files += bytesOf(f.dir / name);
    }
    BOOST_TEST(files.find("G25.0") != std::string::npos);  // the bytes read are the store's
  }
  const std::string metrics = vigil::Metrics::global().render();
  for (const auto& canary : {std::string("Quorvexian"), kCanaryCondition}) {
    BOOST_TEST(files.find(canary) == std::string::npos, canary << " in the database bytes");
    BOOST_TEST(captured.text.find(canary) == std::string::npos, canary << " in the log");
    BOOST_TEST(errors.find(canary) == std::string::npos, canary << " in an error message");
    BOOST_TEST(metrics.find(canary) == std::string::npos, canary << " in /metrics");
  }
  BOOST_TEST(!errors.empty());
}

BOOST_AUTO_TEST_SUITE_END()
