// The demo seed's notes (daemon/demo/src/demo_notes.cpp): Rosa Alvarez gets Dr. Lee's signed
// RPM monthly review of last month with an addendum, and a draft follow-up; her visit summary
// shows the review's assessment and plan; a second run adds nothing.

#include "demo_notes.hpp"
#ifdef VIGIL_WITH_VIDEO
#include "demo_visit_note.hpp"
#include "vigil/patients/consent.hpp"
#include "vigil/video/visit.hpp"
#endif

#include <boost/test/unit_test.hpp>

#include "note_fixture.hpp"

using namespace vigil;
using namespace vigil::notes;
using vigil::security::Actor;
using vigil::security::Role;

BOOST_AUTO_TEST_SUITE(DemoNotes)

BOOST_FIXTURE_TEST_CASE(rosa_gets_a_signed_review_and_a_draft_once,
                        security::test::SecurityFixture) {
  registry::PatientRepository registry{*db, keys->cipher(), keys->blindIndex(), clock};
  NoteService notes{*db, *audit, keys->cipher(), registry, clock};
  auto rosa =
      registry.create({0, "DEMO-1001", "Rosa", "Alvarez", "1948-03-12", "UTC", "IL", {}, true});
  Actor provider{user(Role::provider, "dr.lee@demo.vigil", "provider passphrase 2026"),
                 Role::provider, std::nullopt};
  Actor patient{user(Role::patient, "rosa.alvarez@demo.vigil", "patient passphrase 2026", rosa),
                Role::patient, rosa};
  db->writeSync([&](store::Connection& c) {
    security::SqliteCareTeam::assignIn(c, provider.id, rosa, admin.id, clock.now());
  });
  demo::DemoServices services{*db, *keys, *audit, *accounts};
  demo::ensureDemoNotes(services, "dr.lee@demo.vigil");

  auto list = notes.list(provider, rosa);
  BOOST_REQUIRE_EQUAL(list.size(), 2u);
  int signedCount = 0, drafts = 0;
  for (const auto& n : list) {
    if (n.state == NoteState::signed_) {
      ++signedCount;
      BOOST_TEST(n.templateKey == "rpm_review");
      BOOST_TEST((n.encounter.kind == EncounterKind::rpm_review));
      BOOST_TEST(notes.get(provider, rosa, n.id).addenda.size() == 1u);
    } else {
      ++drafts;
      BOOST_TEST(n.templateKey == "follow_up");
    }
  }
  BOOST_TEST(signedCount == 1);
  BOOST_TEST(drafts == 1);
  auto summaries = notes.visitSummaries(patient, rosa);
  BOOST_REQUIRE_EQUAL(summaries.size(), 1u);
  BOOST_TEST(summaries[0].plan.find("lisinopril") != std::string::npos);

  demo::ensureDemoNotes(services, "dr.lee@demo.vigil");
  BOOST_TEST(notes.list(provider, rosa).size() == 2u);
  BOOST_TEST(audit->verify(*db).ok);
}

#ifdef VIGIL_WITH_VIDEO
// The demo's past video visit (demo_visit_note.cpp): ended, 20 minutes, a week before the seed;
// Dr. Lee's signed note names it; Rosa's summaries carry its plan; a second run adds nothing.
BOOST_FIXTURE_TEST_CASE(rosa_gets_a_past_video_visit_with_a_signed_note_once,
                        security::test::SecurityFixture) {
  registry::PatientRepository registry{*db, keys->cipher(), keys->blindIndex(), clock};
  NoteService notes{*db, *audit, keys->cipher(), registry, clock};
  patients::ConsentService consents{*db, *audit, keys->cipher(), registry, clock};
  auto rosa =
      registry.create({0, "DEMO-1001", "Rosa", "Alvarez", "1948-03-12", "UTC", "IL", {}, true});
  Actor provider{user(Role::provider, "dr.lee@demo.vigil", "provider passphrase 2026"),
                 Role::provider, std::nullopt};
  Actor patient{user(Role::patient, "rosa.alvarez@demo.vigil", "patient passphrase 2026", rosa),
                Role::patient, rosa};
  db->writeSync([&](store::Connection& c) {
    security::SqliteCareTeam::assignIn(c, provider.id, rosa, admin.id, clock.now());
  });
  auto telehealth = consents.publish(
      admin, {patients::ConsentKind::telehealth, "Telehealth consent", "Care by video.", false});
  consents.sign(patient, rosa,
                {telehealth.id, telehealth.sha256, "Rosa Alvarez", true, "192.0.2.7"});
  demo::DemoServices services{*db, *keys, *audit, *accounts};
  demo::ensureDemoVisitNote(services, "dr.lee@demo.vigil", "rosa.alvarez@demo.vigil");

  auto list = notes.list(provider, rosa);
  BOOST_REQUIRE_EQUAL(list.size(), 1u);
  BOOST_TEST((list[0].encounter.kind == EncounterKind::video_visit));
  BOOST_TEST((list[0].state == NoteState::signed_));
  video::VisitService visits{*db, *audit, clock, {}, &keys->cipher()};
  auto visit = visits.find(std::stoll(list[0].encounter.ref));
  BOOST_REQUIRE(visit);
  BOOST_TEST(visit->patientId == rosa);
  BOOST_TEST(visit->providerUserId == provider.id);
  BOOST_TEST((visit->state == video::VisitState::ended));
  BOOST_REQUIRE(visit->endedAt);
  BOOST_TEST(
      std::chrono::duration_cast<std::chrono::minutes>(*visit->endedAt - visit->startsAt).count() ==
      20);
  // A week before the seed (the system clock's day, 15:00 UTC).
  const auto age = std::chrono::system_clock::now() - visit->startsAt;
  BOOST_TEST(age > std::chrono::hours(6 * 24));
  BOOST_TEST(age < std::chrono::hours(8 * 24));
  auto summaries = notes.visitSummaries(patient, rosa);
  BOOST_REQUIRE_EQUAL(summaries.size(), 1u);
  BOOST_TEST(summaries[0].plan.find("Video follow-up in four weeks") != std::string::npos);

  demo::ensureDemoVisitNote(services, "dr.lee@demo.vigil", "rosa.alvarez@demo.vigil");
  BOOST_TEST(notes.list(provider, rosa).size() == 1u);
  BOOST_TEST(audit->verify(*db).ok);
}
#endif

BOOST_AUTO_TEST_SUITE_END()
