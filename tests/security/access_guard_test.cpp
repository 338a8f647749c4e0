#include "vigil/security/access_guard.hpp"

#include <boost/test/unit_test.hpp>

#include "security_fixture.hpp"

using namespace vigil;
using namespace vigil::security;
using vigil::security::test::SecurityFixture;

namespace {

struct GuardFixture : SecurityFixture {
  Actor provider{0, Role::provider, std::nullopt};
  Actor patient{0, Role::patient, 100};
  GuardFixture() {
    provider.id = user(Role::provider, "doc@clinic.example", "quiet harbour lanterns glow");
    patient.id = user(Role::patient, "pat@example.org", "purple otters sing at dawn", 100);
    accounts->assignCareTeam(admin, provider.id, 100);
    db->writeSync([](store::Connection& c) {
      c.execute("INSERT INTO patients (id, created_at) VALUES (100, 0), (200, 0)");
    });
  }
  std::int64_t patients() {
    return db->read([](store::Connection& c) {
      return *c.queryValue<std::int64_t>("SELECT count(*) FROM patients");
    });
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(AccessGuard_, GuardFixture)

BOOST_AUTO_TEST_CASE(allowed_write_commits_with_its_audit_entry) {
  auto before = auditCount();
  guard->write(
      provider, operation("patient.update"), 100, {"patient", "100"},
      [](store::Connection& c) { c.execute("UPDATE patients SET state = 'IL' WHERE id = 100"); });
  BOOST_TEST(auditCount() == before + 1);
  auto e = lastAudit("patient.update");
  BOOST_TEST(e->event.patientId.value_or(0) == 100);
  BOOST_TEST(e->event.actorId == provider.id);
  BOOST_TEST(e->event.reason == "care_team");
}

BOOST_AUTO_TEST_CASE(denied_write_changes_nothing_and_records_the_denial) {
  auto before = auditCount();
  BOOST_CHECK_THROW(
      guard->write(provider, operation("patient.update"), 200, {"patient", "200"},
                   [](store::Connection& c) { c.execute("DELETE FROM patients WHERE id = 200"); }),
      AccessDenied);
  BOOST_TEST(patients() == 2);
  BOOST_TEST(auditCount() == before + 1);
  auto e = lastAudit("patient.update");
  BOOST_TEST((e->event.outcome == AuditOutcome::denied));
  BOOST_TEST(e->event.reason == "not_on_care_team");
}

BOOST_AUTO_TEST_CASE(failed_write_rolls_back_and_is_audited_as_a_failure) {
  auto before = auditCount();
  BOOST_CHECK_THROW(guard->write(provider, operation("patient.update"), 100, {"patient", "100"},
                                 [](store::Connection& c) {
                                   c.execute("DELETE FROM patients WHERE id = 100");
                                   throw ValidationError("later check failed");
                                 }),
                    ValidationError);
  BOOST_TEST(patients() == 2);
  // The change is gone with its success entry; the attempt stays, as a failure.
  BOOST_TEST(auditCount() == before + 1);
  auto e = lastAudit("patient.update");
  BOOST_TEST((e->event.outcome == AuditOutcome::failure));
  BOOST_TEST(e->event.reason == "not_completed");
  BOOST_TEST((e->event.patientId == std::optional<std::int64_t>(100)));
}

BOOST_AUTO_TEST_CASE(failed_emergency_access_keeps_its_break_glass_entry) {
  // Provider 1 is not on patient 200's care team: only an emergency reason lets them in. The
  // job fails after the door opened, and the emergency access must still be on record.
  auto before = auditCount();
  BOOST_CHECK_THROW(guard->read(
                        provider, operation("patient.get"), 200, {"patient", "200"},
                        [](store::Connection&) -> int { throw NotFound("patient"); },
                        "unresponsive on the phone"),
                    NotFound);
  BOOST_TEST(auditCount() == before + 1);
  auto e = lastAudit("patient.get");
  BOOST_TEST((e->event.outcome == AuditOutcome::failure));
  BOOST_TEST(e->event.breakGlass);
}

BOOST_AUTO_TEST_CASE(read_returns_data_only_with_its_audit_entry) {
  auto n = guard->read(
      patient, operation("patient.get"), 100, {"patient", "100"}, [](store::Connection& c) {
        return *c.queryValue<std::int64_t>("SELECT count(*) FROM patients WHERE id = 100");
      });
  BOOST_TEST(n == 1);
  auto e = lastAudit("patient.get");
  BOOST_TEST(e->event.reason == "own_record");
  BOOST_CHECK_THROW(guard->read(patient, operation("patient.get"), 200, {"patient", "200"},
                                [](store::Connection&) { return 1; }),
                    AccessDenied);
  BOOST_TEST((lastAudit("patient.get")->event.outcome == AuditOutcome::denied));
}

BOOST_AUTO_TEST_CASE(break_glass_is_allowed_flagged_and_gives_its_reason) {
  guard->read(
      provider, operation("reading.list"), 200, {"readings", ""},
      [](store::Connection&) { return 0; }, "patient unresponsive in clinic");
  auto e = lastAudit("reading.list");
  BOOST_TEST(e->event.breakGlass);
  BOOST_TEST((e->event.outcome == AuditOutcome::success));
  BOOST_TEST(e->event.reason == "break_glass");
  auto text = db->read([&](store::Connection& c) { return audit->justificationIn(c, e->seq); });
  BOOST_TEST(text.has_value());
  BOOST_TEST(text.value_or("<none>") == "patient unresponsive in clinic");
  auto raw = db->read([&](store::Connection& c) {
    return c
        .queryValue<store::Blob>("SELECT text_enc FROM audit_justifications WHERE seq = ?1", e->seq)
        .value_or(store::Blob{});
  });
  BOOST_TEST(raw.size() > crypto::FieldCipher::kOverhead);
  BOOST_TEST(std::string(raw.begin(), raw.end()).find("unresponsive") == std::string::npos);
  BOOST_TEST(audit->verify(*db).ok);
  auto flagged = db->read([](store::Connection& c) {
    return *c.queryValue<std::int64_t>("SELECT count(*) FROM audit_log WHERE break_glass = 1");
  });
  BOOST_TEST(flagged == 1);
}

BOOST_AUTO_TEST_CASE(require_in_composes_inside_a_job_and_still_records_denials) {
  auto before = auditCount();
  db->writeSync([&](store::Connection& c) {
    guard->requireIn(c, provider, operation("note.write"), 100, {"note", "1"});
    c.execute("UPDATE patients SET state = 'WI' WHERE id = 100");
  });
  BOOST_TEST(auditCount() == before + 1);
  BOOST_CHECK_THROW(db->writeSync([&](store::Connection& c) {
    c.execute("UPDATE patients SET state = 'XX' WHERE id = 200");
    guard->requireIn(c, provider, operation("note.write"), 200, {"note", "2"});
  }),
                    AccessDenied);
  // The job rolled back; its denial was queued as a job of its own.
  db->writeSync([](store::Connection&) {});  // the queue is FIFO: the denial is in by now
  BOOST_TEST(auditCount() == before + 2);
  auto e = lastAudit("note.write");
  BOOST_TEST((e->event.outcome == AuditOutcome::denied));
  BOOST_TEST(db->read([](store::Connection& c) {
    return *c.queryValue<std::string>("SELECT coalesce(state, '') FROM patients WHERE id = 200");
  }) == "");
}

BOOST_AUTO_TEST_CASE(care_team_relation_lists_patients) {
  auto list =
      db->read([&](store::Connection& c) { return SqliteCareTeam::patientsOfIn(c, provider.id); });
  BOOST_TEST(list.size() == 1u);
  BOOST_TEST(list[0] == 100);
  BOOST_CHECK_THROW(accounts->assignCareTeam(admin, patient.id, 100), ValidationError);
}

BOOST_AUTO_TEST_SUITE_END()
