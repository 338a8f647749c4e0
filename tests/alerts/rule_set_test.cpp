#include "vigil/alerts/rule_set.hpp"

#include <boost/test/unit_test.hpp>

#include "alerts_fixture.hpp"
#include "vigil/core/error.hpp"
#include "vigil/testsupport/manual_clock.hpp"

using namespace vigil::alerts;
using namespace vigil::alerts::test;
using vigil::TimePoint;

namespace {
AlertRule systolic(double high, double critical) {
  return makeRule("bp.systolic.high", RuleKind::threshold, loinc::kSystolic, Comparison::atLeast,
                  {{Severity::high, high}, {Severity::critical, critical}}, 0s, 0, "mm[Hg]");
}
}  // namespace

BOOST_AUTO_TEST_SUITE(RuleSetTests)

BOOST_AUTO_TEST_CASE(override_replaces_the_default_for_that_patient_only) {
  vigil::testsupport::ManualClock clock(kT0);
  RuleSet rules(clock, {systolic(160, 180)});
  rules.setOverride(7, systolic(150, 170), 42, "on vasopressors");
  auto snap = rules.snapshot();
  const auto& forSeven = snap->rulesFor(7, std::string(loinc::kSystolic));
  const auto& forEight = snap->rulesFor(8, std::string(loinc::kSystolic));
  BOOST_REQUIRE(forSeven.size() == 1u);
  BOOST_REQUIRE(forEight.size() == 1u);
  BOOST_TEST(forSeven[0]->tiers[0].limit == 150.0);
  BOOST_TEST(*forSeven[0]->patientId == 7);
  BOOST_TEST(forEight[0]->tiers[0].limit == 160.0);
  BOOST_TEST(!forEight[0]->patientId.has_value());
}

BOOST_AUTO_TEST_CASE(disabled_override_turns_the_default_off_for_the_patient) {
  vigil::testsupport::ManualClock clock(kT0);
  RuleSet rules(clock, {systolic(160, 180)});
  auto off = systolic(160, 180);
  off.enabled = false;
  rules.setOverride(7, off, 42, "palliative care");
  auto snap = rules.snapshot();
  BOOST_TEST(snap->rulesFor(7, std::string(loinc::kSystolic)).empty());
  BOOST_TEST(snap->find(7, "bp.systolic.high") != nullptr);
  BOOST_TEST(snap->rulesFor(8, std::string(loinc::kSystolic)).size() == 1u);
}

BOOST_AUTO_TEST_CASE(every_change_gets_a_new_version_and_an_audit_entry) {
  vigil::testsupport::ManualClock clock(kT0);
  RuleSet rules(clock, {systolic(160, 180)});
  const auto v1 = rules.snapshot()->find(1, "bp.systolic.high")->version;
  clock.advance(1h);
  auto v2 = rules.setDefault(systolic(165, 185), 42, "clinic protocol 2027");
  auto v3 = rules.setOverride(7, systolic(150, 170), 43, "on vasopressors");
  BOOST_TEST(v2.version > v1);
  BOOST_TEST(v3.version > v2.version);
  auto history = rules.history(std::nullopt, "bp.systolic.high");
  BOOST_REQUIRE(history.size() == 2u);
  BOOST_TEST(history[1].actorId == 42);
  BOOST_TEST(history[1].reason == "clinic protocol 2027");
  BOOST_TEST((history[1].at == kT0 + 1h));
  BOOST_TEST(history[1].rule.tiers[0].limit == 165.0);
  auto patientHistory = rules.history(7, "bp.systolic.high");
  BOOST_REQUIRE(patientHistory.size() == 1u);
  BOOST_TEST(patientHistory[0].actorId == 43);
}

BOOST_AUTO_TEST_CASE(removing_the_override_restores_the_default) {
  vigil::testsupport::ManualClock clock(kT0);
  RuleSet rules(clock, {systolic(160, 180)});
  rules.setOverride(7, systolic(150, 170), 42, "x");
  BOOST_TEST(rules.removeOverride(7, "bp.systolic.high", 42, "back to normal"));
  BOOST_TEST(!rules.removeOverride(7, "bp.systolic.high", 42, "again"));
  auto snap = rules.snapshot();
  BOOST_TEST(snap->rulesFor(7, std::string(loinc::kSystolic))[0]->tiers[0].limit == 160.0);
  auto history = rules.history(7, "bp.systolic.high");
  BOOST_REQUIRE(history.size() == 2u);
  BOOST_TEST(history[1].removed);
}

BOOST_AUTO_TEST_CASE(a_snapshot_taken_before_a_change_stays_as_it_was) {
  vigil::testsupport::ManualClock clock(kT0);
  RuleSet rules(clock, {systolic(160, 180)});
  auto before = rules.snapshot();
  rules.setDefault(systolic(170, 190), 42, "x");
  BOOST_TEST(before->rulesFor(1, std::string(loinc::kSystolic))[0]->tiers[0].limit == 160.0);
  BOOST_TEST(rules.snapshot()->rulesFor(1, std::string(loinc::kSystolic))[0]->tiers[0].limit ==
             170.0);
  BOOST_TEST(rules.snapshot()->revision() > before->revision());
}

BOOST_AUTO_TEST_CASE(rejects_an_invalid_rule_and_keeps_the_old_one) {
  vigil::testsupport::ManualClock clock(kT0);
  RuleSet rules(clock, {systolic(160, 180)});
  auto bad = systolic(160, 180);
  bad.tiers.clear();
  BOOST_CHECK_THROW(rules.setOverride(7, bad, 42, "x"), vigil::ValidationError);
  BOOST_TEST(rules.snapshot()->rulesFor(7, std::string(loinc::kSystolic)).size() == 1u);
  BOOST_TEST(rules.history(7, "bp.systolic.high").empty());
}

BOOST_AUTO_TEST_CASE(missing_data_rules_are_listed_per_patient) {
  vigil::testsupport::ManualClock clock(kT0);
  RuleSet rules(clock);  // clinic defaults
  auto snap = rules.snapshot();
  BOOST_TEST(snap->missingDataRulesFor(1).size() == 2u);
  auto off = *snap->find(1, "bp.missing");
  off.enabled = false;
  rules.setOverride(9, off, 1, "no cuff at home");
  BOOST_TEST(rules.snapshot()->missingDataRulesFor(9).size() == 1u);
  BOOST_TEST(rules.snapshot()->missingDataRulesFor(1).size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
