#include "vigil/alerts/alert_rule.hpp"

#include <boost/test/unit_test.hpp>
#include <set>

#include "alerts_fixture.hpp"
#include "vigil/core/error.hpp"

using namespace vigil::alerts;
using namespace vigil::alerts::test;
using vigil::TimePoint;

BOOST_AUTO_TEST_SUITE(AlertRuleTests)

BOOST_AUTO_TEST_CASE(at_least_includes_the_limit_and_picks_the_highest_tier) {
  auto r = makeRule("s", RuleKind::threshold, loinc::kSystolic, Comparison::atLeast,
                    {{Severity::high, 160}, {Severity::critical, 180}});
  BOOST_TEST(!r.classify(159.9).has_value());
  BOOST_TEST(*r.classify(160.0) == Severity::high);
  BOOST_TEST(*r.classify(179.9) == Severity::high);
  BOOST_TEST(*r.classify(180.0) == Severity::critical);
}

BOOST_AUTO_TEST_CASE(above_excludes_the_limit) {
  auto r = makeRule("s", RuleKind::threshold, loinc::kSystolic, Comparison::above,
                    {{Severity::high, 160}});
  BOOST_TEST(!r.classify(160.0).has_value());
  BOOST_TEST(*r.classify(160.1) == Severity::high);
}

BOOST_AUTO_TEST_CASE(below_excludes_and_at_most_includes_the_limit) {
  auto below = makeRule("o", RuleKind::threshold, loinc::kSpO2, Comparison::below,
                        {{Severity::high, 90}, {Severity::critical, 85}});
  BOOST_TEST(!below.classify(90.0).has_value());
  BOOST_TEST(*below.classify(89.9) == Severity::high);
  BOOST_TEST(*below.classify(84.0) == Severity::critical);
  auto atMost = below;
  atMost.comparison = Comparison::atMost;
  BOOST_TEST(*atMost.classify(90.0) == Severity::high);
  BOOST_TEST(*atMost.classify(85.0) == Severity::critical);
}

BOOST_AUTO_TEST_CASE(silence_tiers_are_hours_and_include_the_limit) {
  auto r = makeRule("m", RuleKind::missingData, loinc::kBodyWeight, Comparison::atLeast,
                    {{Severity::low, 48}, {Severity::high, 96}});
  BOOST_TEST(r.minimumSilence() == std::chrono::nanoseconds{48h});
  BOOST_TEST(!r.classifySilence(48h - 1ns).has_value());
  BOOST_TEST(*r.classifySilence(48h) == Severity::low);
  BOOST_TEST(*r.classifySilence(96h) == Severity::high);
}

BOOST_AUTO_TEST_CASE(validate_rejects_malformed_rules_naming_the_field) {
  auto ok = makeRule("r", RuleKind::rateOfChange, loinc::kBodyWeight, Comparison::atLeast,
                     {{Severity::high, 1.0}}, 24h);
  BOOST_CHECK_NO_THROW(ok.validate());
  auto noWindow = ok;
  noWindow.window = 0s;
  BOOST_CHECK_EXCEPTION(noWindow.validate(), vigil::ValidationError, [](const auto& e) {
    return std::string(e.what()).find("window") != std::string::npos;
  });
  auto fallLimitForRise = ok;
  fallLimitForRise.tiers = {{Severity::high, -1.0}};
  BOOST_CHECK_THROW(fallLimitForRise.validate(), vigil::ValidationError);
  auto noTiers = ok;
  noTiers.tiers.clear();
  BOOST_CHECK_THROW(noTiers.validate(), vigil::ValidationError);
  auto shortRun = makeRule("c", RuleKind::consecutive, loinc::kSystolic, Comparison::atLeast,
                           {{Severity::low, 140}}, 0s, 1);
  BOOST_CHECK_THROW(shortRun.validate(), vigil::ValidationError);
  auto noKey = ok;
  noKey.key.clear();
  BOOST_CHECK_THROW(noKey.validate(), vigil::ValidationError);
}

BOOST_AUTO_TEST_CASE(default_rules_are_valid_and_unique) {
  auto rules = defaultRules();
  BOOST_TEST(rules.size() >= 10u);
  std::set<std::string> keys;
  for (const auto& r : rules) {
    BOOST_CHECK_NO_THROW(r.validate());
    BOOST_TEST(keys.insert(r.key).second);
  }
}

BOOST_AUTO_TEST_CASE(names_round_trip) {
  for (auto k : {RuleKind::threshold, RuleKind::rateOfChange, RuleKind::missingData,
                 RuleKind::consecutive, RuleKind::countWithin}) {
    BOOST_TEST((*parseRuleKind(toString(k)) == k));
  }
  for (auto s : {Severity::info, Severity::low, Severity::high, Severity::critical}) {
    BOOST_TEST((*parseSeverity(toString(s)) == s));
  }
  for (auto c : {Comparison::atLeast, Comparison::above, Comparison::atMost, Comparison::below}) {
    BOOST_TEST((*parseComparison(toString(c)) == c));
  }
  BOOST_TEST(!parseSeverity("urgent").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
