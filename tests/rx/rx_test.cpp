// E-prescribing (issue 25) without the cloud link: the drug list and the RxTerms import, the
// state rules (each seeded row that limits something, and the federal floor), the pre-checks,
// warnings, EPCS approvals, DEA numbers, and the NCPDP NewRx/CancelRx checked by libxml2's
// xmllint against the schema of the required elements (data/ncpdp_script_2017071_required.xsd).
// Expected values are written by hand from the issue, the seeded table's sources and
// docs/prescribing.md.
#define BOOST_TEST_MODULE rx
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fstream>

#include "rx_fixture.hpp"
#include "vigil/rx/ncpdp.hpp"

using namespace vigil;
using namespace vigil::rx;
using rx::test::RxFixture;
using security::Actor;
using security::Role;

namespace {

const std::string kData = std::string(VIGIL_SOURCE_DIR) + "/tests/rx/data/";

std::vector<std::string> fieldsOf(const std::vector<RuleBreach>& b) {
  std::vector<std::string> out;
  for (const auto& x : b) out.push_back(x.field);
  return out;
}

std::vector<std::string> itemsOf(const std::vector<MissingItem>& m) {
  std::vector<std::string> out;
  for (const auto& x : m) out.push_back(x.item);
  return out;
}

/// xmllint --noout --schema XSD FILE: 0 when the file is valid.
int xmllint(const std::filesystem::path& dir, const std::string& xml) {
  const auto file = dir / "message.xml";
  std::ofstream(file) << xml;
  const std::string cmd = "xmllint --noout --schema '" + kData +
                          "ncpdp_script_2017071_required.xsd' '" + file.string() + "' 2>'" +
                          (dir / "xmllint.err").string() + "'";
  const int rc = std::system(cmd.c_str());
  if (rc != 0) {
    std::ifstream err(dir / "xmllint.err");
    BOOST_TEST_MESSAGE("xmllint: " << std::string(std::istreambuf_iterator<char>(err), {}));
  }
  return rc;
}

ScriptMessage sample() {
  ScriptMessage m;
  m.messageId = "6f1c9a52-0d7e-4a8e-9a55-3c1b1b2d9e01";
  m.sentTime = "2026-12-07T15:00:00.000Z";
  m.orderNumber = "6f1c9a52-0d7e-4a8e-9a55-3c1b1b2d9e01";
  m.pharmacyNcpdp = "1000001";
  m.pharmacyName = "Riverside Pharmacy";
  m.clinicId = "Vigil Clinic";
  m.prescriberNpi = "1234567893";
  m.prescriberLast = "Chen";
  m.prescriberFirst = "Maya";
  m.clinicAddress1 = "1 Main Street";
  m.clinicCity = "Springfield";
  m.clinicState = "IL";
  m.clinicPostal = "62701";
  m.clinicPhone = "2175550100";
  m.patientLast = "Diaz";
  m.patientFirst = "Rosa";
  m.patientBirthDate = "1958-04-11";
  m.patientAddress1 = "12 Elm Street";
  m.patientCity = "Austin";
  m.patientState = "TX";
  m.patientPostal = "78701";
  m.drugDescription = "lisinopril 10 MG Oral Tablet";
  m.rxcui = "314076";
  m.quantity = "30";
  m.quantityUnit = "tablet";
  m.daysSupply = 30;
  m.writtenDate = "2026-12-07";
  m.refills = 2;
  m.sig = "Take 1 tablet by mouth daily";
  m.note = "Blister packs & large print <please>";
  return m;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(rx_unit, RxFixture)

// --- The drug list ---

BOOST_AUTO_TEST_CASE(the_starter_list_holds_common_and_controlled_drugs_with_rxnorm_codes) {
  BOOST_TEST(drugs.loadStarterList() == 0);  // loaded once by the fixture
  auto lis = drug("lisinopril 10 MG Oral Tablet");
  BOOST_TEST(lis.rxcui == "314076");
  BOOST_TEST(lis.ingredientRxcui == "29046");
  BOOST_TEST(lis.schedule == 0);
  BOOST_TEST(drug("oxycodone hydrochloride 5 MG Oral Tablet").schedule == 2);
  BOOST_TEST(drug("oxycodone hydrochloride 5 MG Oral Tablet").rxcui == "1049621");
  BOOST_TEST(drug("tramadol hydrochloride 50 MG Oral Tablet").schedule == 4);
  BOOST_TEST(drug("alprazolam 0.5 MG Oral Tablet").schedule == 4);
  BOOST_TEST(drug("pregabalin 75 MG Oral Capsule").schedule == 5);
  BOOST_TEST(drug("buprenorphine 8 MG Sublingual Tablet").schedule == 3);
  BOOST_TEST(drug("metformin hydrochloride 500 MG Oral Tablet").rxcui == "861007");
  BOOST_TEST(starterDrugs().size() >= 30u);
  // Every word must match; case does not matter.
  auto found = drugs.search("AMLO 5", 10);
  BOOST_REQUIRE_EQUAL(found.size(), 1u);
  BOOST_TEST(found[0].name == "amlodipine 5 MG Oral Tablet");
  BOOST_CHECK_THROW(drugs.search("  ", 10), ValidationError);
}

BOOST_AUTO_TEST_CASE(rxterms_import_reads_the_nlm_layout_skips_retired_and_suppressed_rows) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> calls;
  auto r = drugs.importRxTerms(
      kData + "rxterms_fixture.txt",
      [&](std::uint64_t done, std::uint64_t total) { calls.emplace_back(done, total); });
  BOOST_TEST(r.rows == 7);
  BOOST_TEST(r.imported == 5);
  BOOST_TEST(r.skipped == 2);
  BOOST_REQUIRE(!calls.empty());
  BOOST_TEST(calls.back().first == calls.back().second);  // ends at 100 %
  BOOST_TEST(calls.back().second == std::filesystem::file_size(kData + "rxterms_fixture.txt"));
  auto combo = drugs.search("acetaminophen oxycodone fixture", 5);
  BOOST_REQUIRE_EQUAL(combo.size(), 1u);
  BOOST_TEST(combo[0].rxcui == "900001");
  BOOST_TEST(combo[0].generic == "acetaminophen / oxycodone hydrochloride");
  BOOST_TEST(combo[0].schedule == 2);  // the strictest controlled ingredient
  BOOST_TEST(combo[0].strength == "325-5 mg");
  BOOST_TEST(combo[0].source == "rxterms");
  BOOST_TEST(drugs.search("retired drug", 5).empty());
  BOOST_TEST(drugs.search("suppressed drug", 5).empty());
  // A row of the starter list is updated in place, not doubled.
  BOOST_TEST(drugs.search("lisinopril 10", 5).size() == 1u);
  // Importing again changes nothing more.
  auto again = drugs.importRxTerms(kData + "rxterms_fixture.txt", {});
  BOOST_TEST(again.imported == 5);
  BOOST_TEST(drugs.search("tramadol", 5).size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_file_without_the_rxterms_header_is_refused_naming_the_column) {
  auto bad = dir / "bad.txt";
  std::ofstream(bad) << "RXCUI|TTY|NAME\n1|SCD|x\n";
  try {
    drugs.importRxTerms(bad, {});
    BOOST_FAIL("imported");
  } catch (const ValidationError& e) {
    BOOST_TEST(std::string(e.what()).find("FULL_NAME") != std::string::npos);
  }
  BOOST_CHECK_THROW(drugs.importRxTerms(dir / "missing.txt", {}), FileMissing);
}

// --- The state rules ---

BOOST_AUTO_TEST_CASE(each_seeded_state_rule_limits_as_its_statute_says) {
  struct Case {
    const char* state;
    int schedule, days, refills;
    bool telehealth, inPerson;
    std::vector<std::string> expected;
  };
  // clang-format off
  const std::vector<Case> cases = {
    // The federal floor: C-II never refilled; C-III/IV at most 5; C-V as authorised.
    {"US", 2, 30, 0, false, false, {}},
    {"US", 2, 30, 1, false, false, {"refills"}},
    {"US", 4, 30, 5, false, false, {}},
    {"US", 4, 30, 6, false, false, {"refills"}},
    {"US", 3, 30, 6, false, false, {"refills"}},
    {"US", 5, 90, 11, false, false, {}},
    // Telehealth without a prior in-person evaluation (Ryan Haight), any schedule.
    {"US", 5, 30, 0, true, false, {"in_person_on"}},
    {"US", 5, 30, 0, true, true, {}},
    // A state without a row of its own gets the floor.
    {"OH", 2, 90, 0, false, false, {}},
    {"OH", 2, 30, 2, false, false, {"refills"}},
    // New York: 7 days for C-II (initial acute opioid), 30 days for C-III and C-IV.
    {"NY", 2, 7, 0, false, false, {}},
    {"NY", 2, 8, 0, false, false, {"days_supply"}},
    {"NY", 4, 30, 5, false, false, {}},
    {"NY", 4, 31, 0, false, false, {"days_supply"}},
    {"NY", 3, 31, 6, false, false, {"days_supply", "refills"}},
    // Florida: C-II 7 days at most.
    {"FL", 2, 7, 0, false, false, {}},
    {"FL", 2, 8, 0, false, false, {"days_supply"}},
    // Texas: 10 days for C-II.
    {"TX", 2, 10, 0, false, false, {}},
    {"TX", 2, 11, 0, false, false, {"days_supply"}},
    {"TX", 4, 90, 5, false, false, {}},
    // California: no days limit; C-IV refills as the floor.
    {"CA", 2, 90, 0, false, false, {}},
    {"CA", 4, 30, 6, false, false, {"refills"}},
    // Massachusetts: 7 days for C-II.
    {"MA", 2, 8, 0, true, false, {"days_supply", "in_person_on"}},
  };
  // clang-format on
  for (const auto& k : cases) {
    auto rule = db->read([&](store::Connection& c) {
      return StateRuleService::applicableIn(c, k.state, k.schedule);
    });
    std::optional<Date> when;
    if (k.inPerson) when = *licensing::parseDate("2026-10-01");
    BOOST_TEST_CONTEXT(k.state << " C-" << k.schedule << " " << k.days << "d " << k.refills
                               << "r") {
      BOOST_TEST(fieldsOf(breaches(rule, k.days, k.refills, k.telehealth, when)) == k.expected,
                 boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(epcs_is_mandatory_in_the_seeded_states_and_the_refusal_quotes_the_source) {
  db->read([&](store::Connection& c) {
    for (const char* s : {"NY", "FL", "TX", "CA", "MA"})
      BOOST_TEST(StateRuleService::applicableIn(c, s, 2).epcsRequired, s);
    BOOST_TEST(!StateRuleService::applicableIn(c, "OH", 2).epcsRequired);
    auto tx = StateRuleService::applicableIn(c, "TX", 2);
    auto b = breaches(tx, 14, 0, false, std::nullopt);
    BOOST_REQUIRE_EQUAL(b.size(), 1u);
    BOOST_TEST(b[0].message.find("481.07636") != std::string::npos);
    BOOST_TEST(b[0].message.find("21 CFR 1306.12(a)") != std::string::npos);  // the floor too
  });
}

BOOST_AUTO_TEST_CASE(an_admin_updates_a_rule_audited_and_cannot_allow_a_c2_refill) {
  StateRule r;
  r.state = "OH";
  r.schedule = 2;
  r.maxDaysSupply = 7;
  r.maxRefills = 0;
  r.epcsRequired = true;
  r.inPersonRequired = true;
  r.ruleText = "Ohio: acute pain opioids at most 7 days for adults.";
  r.source = "Ohio Admin. Code 4731-11-13";
  rules.set(admin, r);
  BOOST_TEST(lastAudit("rx_rule.set").has_value());
  auto oh =
      db->read([&](store::Connection& c) { return StateRuleService::applicableIn(c, "OH", 2); });
  BOOST_TEST(*oh.maxDaysSupply == 7);
  BOOST_TEST(oh.quoted.find("4731-11-13") != std::string::npos);
  r.maxRefills = 1;
  BOOST_CHECK_THROW(rules.set(admin, r), ValidationError);
  r.maxRefills = 0;
  BOOST_CHECK_THROW(rules.set(provider, r), AccessDenied);
  BOOST_TEST(rules.list(provider).size() == 25u);  // 24 seeded + Ohio
}

// --- Prescribers ---

BOOST_AUTO_TEST_CASE(dea_numbers_need_their_check_digit) {
  BOOST_TEST(validDeaNumber("BC1234563"));
  BOOST_TEST(validDeaNumber("A91234563"));
  BOOST_TEST(!validDeaNumber("BC1234564"));
  BOOST_TEST(!validDeaNumber("bc1234563"));
  BOOST_TEST(!validDeaNumber("BC123456"));
  BOOST_CHECK_THROW(prescribers.setDea(admin, provider.id, "TX", "BC1234564",
                                       *licensing::parseDate("2028-01-01")),
                    ValidationError);
  BOOST_CHECK_THROW(prescribers.setDea(provider, provider.id, "TX", "BC1234563",
                                       *licensing::parseDate("2028-01-01")),
                    AccessDenied);
}

BOOST_AUTO_TEST_CASE(epcs_access_needs_two_distinct_approvers_one_an_admin) {
  BOOST_CHECK_THROW(prescribers.approveEpcs(provider, provider.id), ValidationError);  // self
  auto third = Actor{user(Role::provider, "third@clinic.example", "third passphrase 2026"),
                     Role::provider, std::nullopt};
  auto a = prescribers.approveEpcs(colleague, provider.id);
  BOOST_TEST(!a.granted);
  a = prescribers.approveEpcs(third, provider.id);
  BOOST_TEST(!a.granted);  // two providers, no admin
  BOOST_CHECK_THROW(prescribers.approveEpcs(colleague, provider.id), ValidationError);  // twice
  auto nurse = Actor{user(Role::nurse, "rn@clinic.example", "nurse passphrase 2026"), Role::nurse,
                     std::nullopt};
  BOOST_CHECK_THROW(prescribers.approveEpcs(nurse, provider.id), AccessDenied);
  a = prescribers.approveEpcs(admin, provider.id);
  BOOST_TEST(a.granted);
  BOOST_TEST(a.approvals.size() == 3u);
  BOOST_TEST(lastAudit("epcs.approve")->event.actorId == admin.id);
  prescribers.revokeEpcs(admin, provider.id);
  BOOST_TEST(!prescribers.epcsAccess(provider, provider.id).granted);
  BOOST_TEST(lastAudit("epcs.revoke").has_value());
}

// --- Pre-checks, entry and warnings (the service without a cloud link) ---

struct ServiceFixture : RxFixture {
  PrescriptionService service{*db, *audit, keys->cipher(), records, *accounts, nullptr, clock};
};

BOOST_FIXTURE_TEST_CASE(the_prechecks_name_every_missing_item_with_its_fix, ServiceFixture) {
  auto oxy = drug("oxycodone hydrochloride 5 MG Oral Tablet");
  // Ready for a non-controlled drug; the controlled one needs DEA and EPCS access.
  BOOST_TEST(service.precheck(provider, patientId).ready);
  auto pre = service.precheck(provider, patientId, oxy.id);
  BOOST_TEST(itemsOf(pre.missing) == (std::vector<std::string>{"dea", "epcs_access"}),
             boost::test_tools::per_element());
  for (const auto& m : pre.missing) BOOST_TEST(!m.fix.empty());
  BOOST_TEST(pre.allergies.size() == 1u);
  BOOST_TEST(pre.medications.size() == 1u);
  BOOST_TEST(pre.pharmacyNcpdp == "1000001");
  readyForControlled();
  BOOST_TEST(service.precheck(provider, patientId, oxy.id).ready);
  // A DEA registration in another state does not count.
  prescribers.removeDea(admin, provider.id, "TX");
  prescribers.setDea(admin, provider.id, "CA", "BC1234563", *licensing::parseDate("2028-06-30"));
  BOOST_TEST(itemsOf(service.precheck(provider, patientId, oxy.id).missing) ==
                 (std::vector<std::string>{"dea"}),
             boost::test_tools::per_element());
  // The patient's address and pharmacy gone; a prescriber without NPI and Texas license.
  auto other = Actor{user(Role::provider, "new@clinic.example", "new provider passphrase"),
                     Role::provider, std::nullopt};
  db->writeSync([&](store::Connection& c) {
    security::SqliteCareTeam::assignIn(c, other.id, patientId, admin.id, clock.now());
  });
  patients::RecordUpdate u;
  u.contact = patients::Contact{};
  u.pharmacy = patients::Pharmacy{};
  records.update(provider, patientId, u);
  BOOST_TEST(itemsOf(service.precheck(other, patientId).missing) ==
                 (std::vector<std::string>{"npi", "license", "address", "pharmacy"}),
             boost::test_tools::per_element());
  // create() refuses with the same list.
  try {
    service.create(other, patientId, input(drug("amlodipine 5 MG Oral Tablet")));
    BOOST_FAIL("created");
  } catch (const PrecheckFailed& e) {
    BOOST_TEST(e.missing().size() == 4u);
  }
  // Someone outside the care team gets no pre-check at all.
  BOOST_CHECK_THROW(service.precheck(colleague, patientId), AccessDenied);
}

BOOST_FIXTURE_TEST_CASE(an_expired_license_and_an_unknown_state_are_named, ServiceFixture) {
  auto lic = licenses.licenses(admin, provider.id).licenses.at(0);
  licensing::LicenseInput in;
  in.state = "TX";
  in.type = "MD";
  in.number = "Q1234";
  in.expiresOn = *licensing::parseDate("2026-12-01");  // before the fixture's 2026-12-07
  licenses.edit(admin, provider.id, lic.id, in);
  auto pre = service.precheck(provider, patientId);
  BOOST_REQUIRE_EQUAL(pre.missing.size(), 1u);
  BOOST_TEST(pre.missing[0].item == "license");
  BOOST_TEST(pre.missing[0].message.find("expired") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(allergy_and_duplicate_warnings_wait_for_acknowledgement, ServiceFixture) {
  auto amox = drug("amoxicillin 500 MG Oral Capsule");
  // The record's allergy is "Penicillin": amoxicillin is not named so: no warning by name.
  BOOST_TEST(service.warnings(provider, patientId, input(amox)).empty());
  patients::RecordUpdate u;
  patients::Allergy al;
  al.substance = "amoxicillin";
  al.reaction = "rash";
  u.allergies = std::vector<patients::Allergy>{al};
  records.update(provider, patientId, u);
  try {
    service.create(provider, patientId, input(amox));
    BOOST_FAIL("created without acknowledging");
  } catch (const WarningsToAcknowledge& e) {
    BOOST_REQUIRE_EQUAL(e.warnings().size(), 1u);
    BOOST_TEST(e.warnings()[0].kind == "allergy");
    BOOST_TEST(e.warnings()[0].message.find("rash") != std::string::npos);
  }
  auto in = input(amox);
  in.acknowledged = {"allergy"};
  auto p = service.create(provider, patientId, in);
  BOOST_TEST(p.status == "draft");
  BOOST_TEST(p.warnings == "allergy");
  BOOST_TEST(p.sig == "Take 1 tablet by mouth daily");
  // The record's active lisinopril 10 mg (same RXCUI): a duplicate.
  auto lis = drug("lisinopril 10 MG Oral Tablet");
  auto w = service.warnings(provider, patientId, input(lis));
  BOOST_REQUIRE_EQUAL(w.size(), 1u);
  BOOST_TEST(w[0].kind == "duplicate");
  // An open prescription of the same drug is a duplicate too.
  auto again = service.warnings(provider, patientId, input(amox));
  BOOST_TEST(again.size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(a_controlled_entry_is_refused_with_the_rule_quoted, ServiceFixture) {
  readyForControlled();
  auto oxy = drug("oxycodone hydrochloride 5 MG Oral Tablet");
  auto in = input(oxy, 14, 1);
  try {
    service.create(provider, patientId, in);
    BOOST_FAIL("created");
  } catch (const RuleBroken& e) {
    BOOST_TEST(fieldsOf(e.breaches()) == (std::vector<std::string>{"days_supply", "refills"}),
               boost::test_tools::per_element());
    BOOST_TEST(e.quoted().find("Texas") != std::string::npos);
  }
  in = input(oxy, 5, 0);
  in.inPersonOn.reset();
  try {
    service.create(provider, patientId, in);
    BOOST_FAIL("created");
  } catch (const RuleBroken& e) {
    BOOST_TEST(fieldsOf(e.breaches()) == std::vector<std::string>{"in_person_on"},
               boost::test_tools::per_element());
  }
  auto p = service.create(provider, patientId, input(oxy, 5, 0));
  BOOST_TEST(p.drug.schedule == 2);
  BOOST_TEST(p.ruleQuoted.find("481.0755") != std::string::npos);
  // The patient does not see a draft; signing needs the cloud link.
  BOOST_TEST(service.list(patient, patientId).empty());
  BOOST_CHECK_THROW(service.sign(provider, p.id, std::nullopt), ValidationError);
  // The provider may discard a draft.
  service.discard(provider, p.id);
  BOOST_CHECK_THROW(service.get(provider, p.id), NotFound);
}

BOOST_FIXTURE_TEST_CASE(a_signed_prescription_cannot_change_in_place, ServiceFixture) {
  auto p = service.create(provider, patientId, input(drug("amlodipine 5 MG Oral Tablet")));
  db->writeSync([&](store::Connection& c) {
    c.execute("UPDATE prescriptions SET status = 'signed', signed_at = 1 WHERE id = ?1", p.id);
  });
  BOOST_CHECK_THROW(db->writeSync([&](store::Connection& c) {
    c.execute("UPDATE prescriptions SET refills = 5 WHERE id = ?1", p.id);
  }),
                    std::exception);
  BOOST_CHECK_THROW(db->writeSync([&](store::Connection& c) {
    c.execute("DELETE FROM prescriptions WHERE id = ?1", p.id);
  }),
                    std::exception);
  BOOST_CHECK_THROW(service.discard(provider, p.id), ValidationError);
}

// --- NCPDP SCRIPT ---

BOOST_AUTO_TEST_CASE(the_newrx_and_cancelrx_are_valid_against_the_required_elements) {
  auto m = sample();
  const auto xml = newRxXml(m);
  BOOST_TEST(xml.find("&amp; large print &lt;please&gt;") != std::string::npos);
  BOOST_TEST(xmllint(dir.path(), xml) == 0);
  // Controlled under EPCS: DEA number, DEA schedule, the signature indicator.
  m.schedule = 2;
  m.prescriberDea = "BC1234563";
  m.epcsSigned = true;
  m.refills = 0;
  const auto cii = newRxXml(m);
  BOOST_TEST(cii.find("<Code>C48672</Code>") != std::string::npos);
  BOOST_TEST(cii.find("<DEANumber>BC1234563</DEANumber>") != std::string::npos);
  BOOST_TEST(xmllint(dir.path(), cii) == 0);
  m.relatesTo = m.messageId;
  m.messageId = "0b7a3f52-1111-4a8e-9a55-3c1b1b2d9e02";
  BOOST_TEST(xmllint(dir.path(), cancelRxXml(m)) == 0);
}

BOOST_AUTO_TEST_CASE(the_schema_refuses_a_message_missing_a_required_element) {
  auto m = sample();
  auto xml = newRxXml(m);
  // No pharmacy: the schema (and so a pharmacy) refuses it.
  auto from = xml.find("<Pharmacy>"), to = xml.find("</Pharmacy>") + 11;
  BOOST_TEST(xmllint(dir.path(), xml.substr(0, from) + xml.substr(to)) != 0);
  m.patientBirthDate = "";  // an empty date
  BOOST_TEST(xmllint(dir.path(), newRxXml(m)) != 0);
  m = sample();
  m.pharmacyNcpdp = "PH-0001";  // not an NCPDP ID
  BOOST_TEST(xmllint(dir.path(), newRxXml(m)) != 0);
}

BOOST_AUTO_TEST_SUITE_END()
