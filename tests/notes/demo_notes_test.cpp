// The demo seed's notes (daemon/demo/src/demo_notes.cpp): Rosa Alvarez gets Dr. Lee's signed
// RPM monthly review of last month with an addendum, and a draft follow-up; her visit summary
// shows the review's assessment and plan; a second run adds nothing.

#include "demo_notes.hpp"

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

BOOST_AUTO_TEST_SUITE_END()
