// The demo seed's intake (daemon/demo/src/demo_records.cpp): the demo patients' records get
// their contact, insurance, pharmacy and history, with the real codes the seed names (checked
// here against the values written by hand: ICD-10-CM I10, E78.5, I50.9, E11.9; RxNorm 314076
// lisinopril 10 mg tablet, 861007 metformin 500 mg tablet), Rosa's allergy as patient-reported,
// and a second run changes nothing.

#include "demo_records.hpp"

#include <boost/test/unit_test.hpp>

#include "security_fixture.hpp"
#include "vigil/patients/patient_record.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/access_guard.hpp"

using vigil::security::Actor;
using vigil::security::Role;

BOOST_AUTO_TEST_SUITE(DemoRecords)

BOOST_FIXTURE_TEST_CASE(demo_patients_get_realistic_intake_once,
                        vigil::security::test::SecurityFixture) {
  vigil::registry::PatientRepository registry{*db, keys->cipher(), keys->blindIndex(), clock};
  vigil::patients::PatientRecordService records{*db, *audit, keys->cipher(), registry, clock};
  auto rosa =
      registry.create({0, "DEMO-1001", "Rosa", "Alvarez", "1948-03-12", "UTC", "IL", {}, true});
  auto walter =
      registry.create({0, "DEMO-1002", "Walter", "Nguyen", "1952-07-30", "UTC", "IL", {}, true});
  auto samuel =
      registry.create({0, "DEMO-1004", "Samuel", "Bergstrom", "1960-01-21", "UTC", "IL", {}, true});
  Actor provider{user(Role::provider, "dr.lee@demo.vigil", "provider passphrase 2026"),
                 Role::provider, std::nullopt};
  user(Role::patient, "rosa.alvarez@demo.vigil", "patient passphrase 2026", rosa);
  db->writeSync([&](vigil::store::Connection& c) {
    for (auto p : {rosa, walter, samuel})
      vigil::security::SqliteCareTeam::assignIn(c, provider.id, p, admin.id, clock.now());
  });
  vigil::demo::DemoServices services{*db, *keys, *audit, *accounts};
  vigil::demo::ensureDemoRecords(services, admin);

  auto r = records.get(provider, rosa);
  BOOST_TEST(r.version == 3);  // front desk, Dr. Lee, Rosa's own allergy
  BOOST_TEST(r.contact.address.city == "Chicago");
  BOOST_TEST(r.language == "es-US");
  BOOST_TEST(r.insurance.primary->payer == "Medicare");
  BOOST_TEST(r.insurance.secondary.has_value());
  BOOST_TEST(r.pharmacy.ncpdpId.size() == 7u);
  BOOST_REQUIRE(r.problems.size() == 2u);
  BOOST_TEST(r.problems[0].code == "I10");
  BOOST_TEST(r.problems[1].code == "E78.5");
  BOOST_TEST(r.medications.at(0).rxcui == "314076");
  BOOST_REQUIRE(r.allergies.size() == 1u);
  BOOST_TEST(r.allergies[0].substance == "Penicillin");
  BOOST_TEST((r.allergies[0].source == vigil::patients::EntrySource::patient));

  auto w = records.get(provider, walter);
  BOOST_TEST(w.version == 2);
  BOOST_TEST(w.problems.at(0).code == "I50.9");
  BOOST_TEST(w.medications.at(1).rxcui.empty());  // free text: carvedilol
  auto s = records.get(provider, samuel);
  BOOST_TEST(s.problems.at(0).code == "E11.9");
  BOOST_TEST(s.medications.at(0).rxcui == "861007");

  vigil::demo::ensureDemoRecords(services, admin);
  BOOST_TEST(records.get(provider, rosa).version == 3);
  BOOST_TEST(records.get(provider, walter).version == 2);
  BOOST_TEST(audit->verify(*db).ok);
}

BOOST_AUTO_TEST_SUITE_END()
