// Alerts named for clinicians (issue 17): vital, direction and severity in words, never a bare
// "LOW" on a high value; missing data in hours. Expected titles written from the example
// ("Systolic BP high — critical, 180 mmHg").
#include "vigil/alerts/alert.hpp"

#include <boost/test/unit_test.hpp>

#include "alerts_fixture.hpp"

using namespace vigil::alerts;
using namespace vigil::alerts::test;

namespace {

Alert alertOf(const AlertRule& rule, Severity severity, double latest, double worst) {
  Alert a;
  a.id = 1;
  a.patientId = 7;
  a.ruleKey = rule.key;
  a.kind = rule.kind;
  a.code = rule.code;
  a.severity = severity;
  a.latestValue = latest;
  a.worstValue = worst;
  a.higherIsWorse = rule.comparison == Comparison::atLeast || rule.comparison == Comparison::above;
  return a;
}

const AlertRule& defaultRule(const std::string& key) {
  static const auto rules = defaultRules();
  for (const auto& r : rules)
    if (r.key == key) return r;
  BOOST_FAIL("no default rule " << key);
  return rules.front();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ClinicalTitle)

BOOST_AUTO_TEST_CASE(a_threshold_alert_names_vital_direction_severity_and_value) {
  const auto& rule = defaultRule("bp.systolic.high");
  BOOST_TEST(clinicalTitle(alertOf(rule, Severity::critical, 180, 180), &rule) ==
             "Systolic BP high — critical, 180 mmHg");
  const auto& low = defaultRule("bp.systolic.low");
  BOOST_TEST(clinicalTitle(alertOf(low, Severity::high, 84, 84), &low) ==
             "Systolic BP low — high priority, 84 mmHg");
}

BOOST_AUTO_TEST_CASE(a_low_severity_alert_on_a_high_value_never_reads_as_low_pressure) {
  // The consecutive-readings rule on systolic >= 140 has severity low: the clinician must read
  // "high blood pressure, low priority", not "LOW".
  const auto& rule = defaultRule("bp.systolic.elevated");
  auto title = clinicalTitle(alertOf(rule, Severity::low, 180, 180), &rule);
  BOOST_TEST(title == "Systolic BP high, 3 readings in a row — low priority, 180 mmHg");
  BOOST_TEST(title.find("LOW") == std::string::npos);
  BOOST_TEST(title.find("BP low") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(rate_count_and_missing_data_alerts_say_what_happened) {
  const auto& day = defaultRule("weight.gain.day");
  BOOST_TEST(clinicalTitle(alertOf(day, Severity::high, 1.3, 1.3), &day) ==
             "Weight gain — high priority, +1.3 kg in 24 h");
  const auto& week = defaultRule("weight.gain.week");
  BOOST_TEST(clinicalTitle(alertOf(week, Severity::high, 2.46, 2.46), &week) ==
             "Weight gain — high priority, +2.5 kg in 7 days");
  const auto& spo2 = defaultRule("spo2.low.repeated");
  BOOST_TEST(clinicalTitle(alertOf(spo2, Severity::high, 88, 87), &spo2) ==
             "SpO2 low, 2 readings within 10 min — high priority, 87 %");
  const auto& missing = defaultRule("weight.missing");
  BOOST_TEST(clinicalTitle(alertOf(missing, Severity::low, 49.5, 49.5), &missing) ==
             "No weight for 49 h — low priority");
  BOOST_TEST(alertUnit(alertOf(missing, Severity::low, 49.5, 49.5), &missing) == "h");
  BOOST_TEST(alertUnit(alertOf(day, Severity::high, 1.3, 1.3), &day) == "kg");
}

BOOST_AUTO_TEST_CASE(without_its_rule_an_alert_still_reads_clinically) {
  const auto& rule = defaultRule("temp.high");
  BOOST_TEST(clinicalTitle(alertOf(rule, Severity::low, 38.2, 38.2), nullptr) ==
             "Temperature high — low priority, 38.2 °C");
}

BOOST_AUTO_TEST_SUITE_END()
