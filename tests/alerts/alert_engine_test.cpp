#define BOOST_TEST_MODULE alerts
#include "vigil/alerts/alert_engine.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <limits>
#include <random>
#include <set>

#include "alerts_fixture.hpp"

using namespace vigil::alerts;
using namespace vigil::alerts::test;
using std::chrono::days;
using std::chrono::sys_days;
using vigil::TimePoint;

namespace {

const std::string kSys(loinc::kSystolic);
const std::string kWeight(loinc::kBodyWeight);
const std::string kSpO2(loinc::kSpO2);

AlertRule systolicHigh() {
  return makeRule("bp.systolic.high", RuleKind::threshold, loinc::kSystolic, Comparison::atLeast,
                  {{Severity::high, 160}, {Severity::critical, 180}}, 0s, 0, "mm[Hg]");
}
AlertRule weightDay() {
  return makeRule("weight.gain.day", RuleKind::rateOfChange, loinc::kBodyWeight,
                  Comparison::atLeast, {{Severity::high, 1.0}}, 24h, 0, "kg");
}
AlertRule weightWeek() {
  return makeRule("weight.gain.week", RuleKind::rateOfChange, loinc::kBodyWeight,
                  Comparison::atLeast, {{Severity::high, 2.0}}, days{7}, 0, "kg");
}
AlertRule systolicRun() {
  return makeRule("bp.systolic.elevated", RuleKind::consecutive, loinc::kSystolic,
                  Comparison::atLeast, {{Severity::low, 140}}, 0s, 3, "mm[Hg]");
}
AlertRule spo2Twice() {
  return makeRule("spo2.low.repeated", RuleKind::countWithin, loinc::kSpO2, Comparison::below,
                  {{Severity::high, 90}}, 10min, 2, "%");
}
AlertRule weightMissing() {
  return makeRule("weight.missing", RuleKind::missingData, loinc::kBodyWeight, Comparison::atLeast,
                  {{Severity::low, 24}, {Severity::high, 72}});
}

Observation bp(std::int64_t id, double v, TimePoint t, std::int64_t patient = 7) {
  return makeObs(id, patient, loinc::kSystolic, v, t, "mm[Hg]");
}
Observation kg(std::int64_t id, double v, TimePoint t, std::int64_t patient = 7) {
  return makeObs(id, patient, loinc::kBodyWeight, v, t, "kg");
}
Observation spo2(std::int64_t id, double v, TimePoint t, std::int64_t patient = 7) {
  return makeObs(id, patient, loinc::kSpO2, v, t, "%");
}

std::size_t countKind(const std::vector<AlertChange>& changes, AlertChangeKind kind) {
  return static_cast<std::size_t>(std::count_if(
      changes.begin(), changes.end(), [&](const AlertChange& c) { return c.kind == kind; }));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(AlertEngineThreshold)

BOOST_AUTO_TEST_CASE(raises_exactly_at_the_limit_and_not_just_below) {
  EngineFixture f({systolicHigh()});
  BOOST_TEST(f.eval(bp(1, 159.9, kT0)).empty());
  auto changes = f.eval(bp(2, 160.0, kT0 + 1min));
  BOOST_REQUIRE(changes.size() == 1u);
  BOOST_TEST((changes[0].kind == AlertChangeKind::raised));
  BOOST_TEST((changes[0].alert.severity == Severity::high));
  BOOST_TEST(changes[0].alert.firstReadingId == 2);
  auto critical = f.eval(bp(3, 180.0, kT0 + 2min));
  BOOST_REQUIRE(critical.size() == 1u);
  BOOST_TEST((critical[0].kind == AlertChangeKind::updated));
  BOOST_TEST((critical[0].alert.severity == Severity::critical));
}

BOOST_AUTO_TEST_CASE(burst_of_1000_breaches_in_one_batch_gives_one_alert_with_count_1000) {
  EngineFixture f({systolicHigh()});
  auto sub = f.bus.subscribe("ws", 16);
  std::vector<Observation> batch;
  for (int i = 0; i < 1000; ++i) {
    // Milliseconds apart; the worst (199) is in the middle.
    batch.push_back(
        bp(i + 1, i == 500 ? 199.0 : 161.0 + (i % 10), kT0 + std::chrono::milliseconds(i)));
  }
  auto changes = f.eval(batch);
  BOOST_REQUIRE(changes.size() == 1u);
  const auto& a = changes[0].alert;
  BOOST_TEST((changes[0].kind == AlertChangeKind::raised));
  BOOST_TEST(a.count == 1000);
  BOOST_TEST(a.worstValue == 199.0);
  BOOST_TEST(a.latestValue == 161.0 + 999 % 10);
  BOOST_TEST(a.firstReadingId == 1);
  BOOST_TEST(a.lastReadingId == 1000);
  BOOST_TEST((a.severity == Severity::critical));
  BOOST_TEST(f.lifecycle.openAlerts().size() == 1u);
  BOOST_TEST(sub->queued() == 1u);  // one event for the batch, not 1000
}

BOOST_AUTO_TEST_CASE(alert_records_the_version_of_the_patient_override) {
  EngineFixture f({systolicHigh()});
  auto strict = systolicHigh();
  strict.tiers = {{Severity::high, 150}};
  auto set = f.ruleSet.setOverride(7, strict, 42, "post-stroke target");
  auto forSeven = f.eval(bp(1, 155, kT0, 7));
  auto forEight = f.eval(bp(2, 155, kT0, 8));
  BOOST_REQUIRE(forSeven.size() == 1u);
  BOOST_TEST(forSeven[0].alert.ruleVersion == set.version);
  BOOST_TEST(forEight.empty());
}

BOOST_AUTO_TEST_CASE(values_in_another_unit_are_converted_before_judging) {
  auto fever = makeRule("temp.high", RuleKind::threshold, loinc::kBodyTemperature,
                        Comparison::atLeast, {{Severity::low, 38.0}}, 0s, 0, "Cel");
  EngineFixture f({fever});
  BOOST_TEST(f.eval(makeObs(1, 7, loinc::kBodyTemperature, 100.2, kT0, "[degF]")).empty());
  BOOST_TEST(f.eval(makeObs(2, 7, loinc::kBodyTemperature, 100.5, kT0, "[degF]")).size() == 1u);
}

BOOST_AUTO_TEST_CASE(unconvertible_unit_is_counted_and_skipped) {
  EngineFixture f({systolicHigh()});
  BOOST_TEST(f.eval(makeObs(1, 7, loinc::kSystolic, 200, kT0, "kPa")).empty());
  BOOST_TEST(f.counter("vigil_alert_engine_unit_mismatch_total") == 1u);
}

BOOST_AUTO_TEST_CASE(non_finite_values_are_counted_and_do_not_poison_windows) {
  EngineFixture f({systolicHigh(), weightDay()});
  BOOST_TEST(f.eval(bp(1, std::numeric_limits<double>::infinity(), kT0)).empty());
  f.eval(kg(2, 80.0, kT0));
  f.eval(kg(3, std::numeric_limits<double>::quiet_NaN(), kT0 + 1h));
  BOOST_TEST(f.eval(kg(4, 81.0, kT0 + 2h)).size() == 1u);
  BOOST_TEST(f.counter("vigil_alert_engine_invalid_total") == 2u);
}

BOOST_AUTO_TEST_CASE(default_rules_raise_for_a_dangerous_blood_pressure_panel) {
  EngineFixture f(defaultRules());
  std::vector<Observation> panel{bp(1, 185, kT0),
                                 makeObs(2, 7, loinc::kDiastolic, 121, kT0, "mm[Hg]"),
                                 makeObs(3, 7, loinc::kHeartRate, 72, kT0, "/min")};
  auto changes = f.eval(panel);
  BOOST_REQUIRE(changes.size() == 2u);
  std::set<std::string> keys;
  for (const auto& c : changes) keys.insert(c.alert.ruleKey);
  BOOST_TEST(keys.count("bp.systolic.high") == 1u);
  BOOST_TEST(keys.count("bp.diastolic.high") == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(AlertEngineRateOfChange)

BOOST_AUTO_TEST_CASE(rise_against_a_reading_exactly_24_hours_earlier_raises) {
  EngineFixture f({weightDay()});
  f.eval(kg(1, 80.0, kT0));
  auto changes = f.eval(kg(2, 81.0, kT0 + 24h));
  BOOST_REQUIRE(changes.size() == 1u);
  BOOST_TEST(changes[0].alert.latestValue == 1.0);
  BOOST_TEST(changes[0].alert.lastReadingId == 2);
}

BOOST_AUTO_TEST_CASE(rise_over_more_than_24_hours_does_not_raise_the_day_rule) {
  EngineFixture f({weightDay()});
  f.eval(kg(1, 80.0, kT0));
  BOOST_TEST(f.eval(kg(2, 81.5, kT0 + 24h + 1s)).empty());
}

BOOST_AUTO_TEST_CASE(rise_just_under_the_limit_does_not_raise) {
  EngineFixture f({weightDay()});
  f.eval(kg(1, 80.0, kT0));
  BOOST_TEST(f.eval(kg(2, 80.9, kT0 + 12h)).empty());
}

BOOST_AUTO_TEST_CASE(rise_is_measured_from_the_lowest_reading_in_the_window) {
  EngineFixture f({weightDay()});
  f.eval({kg(1, 80.5, kT0), kg(2, 79.8, kT0 + 6h)});
  auto changes = f.eval(kg(3, 80.8, kT0 + 20h));
  BOOST_REQUIRE(changes.size() == 1u);
  BOOST_TEST(changes[0].alert.latestValue == 1.0, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(slow_weekly_gain_raises_the_week_rule_only) {
  EngineFixture f({weightDay(), weightWeek()});
  std::vector<AlertChange> all;
  for (int day = 0; day <= 6; ++day) {
    auto c = f.eval(kg(day + 1, 80.0 + 0.4 * day, kT0 + days{day}));
    all.insert(all.end(), c.begin(), c.end());
  }
  BOOST_REQUIRE(!all.empty());
  for (const auto& c : all) BOOST_TEST(c.alert.ruleKey == "weight.gain.week");
  BOOST_TEST(f.lifecycle.openAlert(7, "weight.gain.week")->worstValue == 2.4,
             boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(pounds_are_judged_in_kilograms) {
  EngineFixture f({weightDay()});
  f.eval(makeObs(1, 7, loinc::kBodyWeight, 176.0, kT0, "[lb_av]"));
  BOOST_TEST(f.eval(makeObs(2, 7, loinc::kBodyWeight, 178.0, kT0 + 12h, "[lb_av]")).empty());
  BOOST_TEST(f.eval(makeObs(3, 7, loinc::kBodyWeight, 178.3, kT0 + 13h, "[lb_av]")).size() == 1u);
}

BOOST_AUTO_TEST_CASE(late_lower_reading_turns_a_later_reading_into_a_rise) {
  EngineFixture f({weightDay()});
  f.eval(kg(1, 80.6, kT0));
  BOOST_TEST(f.eval(kg(3, 81.0, kT0 + 20h)).empty());
  // A hub that was offline delivers a reading taken between the two.
  auto changes = f.eval(kg(2, 79.9, kT0 + 10h));
  BOOST_REQUIRE(changes.size() == 1u);
  BOOST_TEST(changes[0].alert.lastReadingId == 3);
  BOOST_TEST(changes[0].alert.latestValue == 1.1, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(batch_order_does_not_change_the_result) {
  std::vector<Observation> readings;
  for (int i = 0; i < 40; ++i) {
    readings.push_back(kg(i + 1, 80.0 + ((i * 7) % 13) * 0.15, kT0 + std::chrono::hours(i * 5)));
  }
  EngineFixture inOrder({weightDay(), weightWeek()});
  inOrder.eval(readings);
  auto shuffled = readings;
  std::mt19937 rng(7);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  EngineFixture outOfOrder({weightDay(), weightWeek()});
  outOfOrder.eval(shuffled);
  auto a = inOrder.lifecycle.openAlerts();
  auto b = outOfOrder.lifecycle.openAlerts();
  BOOST_REQUIRE(a.size() == b.size());
  BOOST_REQUIRE(!a.empty());
  for (std::size_t i = 0; i < a.size(); ++i) {
    BOOST_TEST(a[i].ruleKey == b[i].ruleKey);
    BOOST_TEST(a[i].count == b[i].count);
    BOOST_TEST(a[i].worstValue == b[i].worstValue);
  }
}

BOOST_AUTO_TEST_CASE(late_batch_split_across_deliveries_matches_one_delivery) {
  // A hub offline for a day delivers its readings a day late, in two pieces, newest first.
  EngineFixture f({weightDay()});
  f.eval(kg(1, 80.0, kT0));
  f.clock.advance(48h);
  f.eval({kg(4, 80.4, kT0 + 30h)});
  auto changes = f.eval({kg(2, 79.2, kT0 + 20h), kg(3, 79.5, kT0 + 25h)});
  BOOST_REQUIRE(changes.size() == 1u);  // 80.4 at +30h is 1.2 above 79.2 at +20h
  BOOST_TEST(changes[0].alert.lastReadingId == 4);
  BOOST_TEST(changes[0].alert.worstValue == 1.2, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(reading_older_than_the_horizon_is_judged_by_thresholds_only) {
  EngineOptions options;
  options.lateHorizon = 24h;
  EngineFixture f({weightDay(), makeRule("weight.max", RuleKind::threshold, loinc::kBodyWeight,
                                         Comparison::atLeast, {{Severity::low, 150}}, 0s, 0, "kg")},
                  {}, options);
  f.eval(kg(1, 80.0, kT0 + days{10}));
  auto changes = f.eval(kg(2, 151.0, kT0));  // ten days late
  BOOST_REQUIRE(changes.size() == 1u);
  BOOST_TEST(changes[0].alert.ruleKey == "weight.max");
  BOOST_TEST(f.counter("vigil_alert_engine_too_late_total") == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(AlertEngineConsecutive)

BOOST_AUTO_TEST_CASE(needs_n_breaching_readings_in_a_row) {
  EngineFixture f({systolicRun()});
  BOOST_TEST(f.eval(bp(1, 145, kT0)).empty());
  BOOST_TEST(f.eval(bp(2, 140, kT0 + 1h)).empty());  // exactly at the limit counts
  auto changes = f.eval(bp(3, 150, kT0 + 2h));
  BOOST_REQUIRE(changes.size() == 1u);
  BOOST_TEST((changes[0].alert.severity == Severity::low));
  BOOST_TEST(f.eval(bp(4, 151, kT0 + 3h)).size() == 1u);  // the run goes on: same alert
  BOOST_TEST(f.lifecycle.openAlerts()[0].count == 2);
}

BOOST_AUTO_TEST_CASE(an_in_range_reading_breaks_the_run) {
  EngineFixture f({systolicRun()});
  f.eval({bp(1, 145, kT0), bp(2, 146, kT0 + 1h), bp(3, 139.9, kT0 + 2h)});
  BOOST_TEST(f.eval(bp(4, 147, kT0 + 3h)).empty());
  BOOST_TEST(f.eval(bp(5, 147, kT0 + 4h)).empty());
  BOOST_TEST(f.eval(bp(6, 147, kT0 + 5h)).size() == 1u);
}

BOOST_AUTO_TEST_CASE(late_reading_completes_a_run_by_device_time) {
  EngineFixture f({systolicRun()});
  BOOST_TEST(f.eval({bp(1, 145, kT0), bp(3, 146, kT0 + 2h)}).empty());
  auto changes = f.eval(bp(2, 150, kT0 + 1h));
  BOOST_REQUIRE(changes.size() == 1u);
  BOOST_TEST(changes[0].alert.lastReadingId == 2);
}

BOOST_AUTO_TEST_CASE(late_in_range_reading_between_breaches_prevents_the_run) {
  EngineFixture f({systolicRun()});
  f.eval({bp(1, 145, kT0), bp(2, 120, kT0 + 1h)});
  BOOST_TEST(f.eval({bp(3, 146, kT0 + 2h), bp(4, 147, kT0 + 3h)}).empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(AlertEngineCountWithin)

BOOST_AUTO_TEST_CASE(two_low_readings_exactly_ten_minutes_apart_raise) {
  EngineFixture f({spo2Twice()});
  BOOST_TEST(f.eval(spo2(1, 89, kT0)).empty());
  auto changes = f.eval(spo2(2, 88, kT0 + 10min));
  BOOST_REQUIRE(changes.size() == 1u);
  BOOST_TEST((changes[0].alert.severity == Severity::high));
}

BOOST_AUTO_TEST_CASE(two_low_readings_just_over_ten_minutes_apart_do_not_raise) {
  EngineFixture f({spo2Twice()});
  f.eval(spo2(1, 89, kT0));
  BOOST_TEST(f.eval(spo2(2, 88, kT0 + 10min + 1s)).empty());
}

BOOST_AUTO_TEST_CASE(a_reading_at_the_limit_is_not_low) {
  EngineFixture f({spo2Twice()});
  f.eval(spo2(1, 89, kT0));
  BOOST_TEST(f.eval(spo2(2, 90, kT0 + 1min)).empty());
}

BOOST_AUTO_TEST_CASE(late_reading_inside_the_window_completes_the_count) {
  EngineFixture f({spo2Twice()});
  f.eval({spo2(1, 89, kT0), spo2(3, 89, kT0 + 15min)});
  BOOST_TEST(f.lifecycle.openAlerts().empty());
  auto changes = f.eval(spo2(2, 97, kT0 + 7min));  // normal: still nothing
  BOOST_TEST(changes.empty());
  changes = f.eval(spo2(4, 88, kT0 + 8min));
  BOOST_REQUIRE(changes.size() == 1u);
  BOOST_TEST(changes[0].alert.firstReadingId == 4);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(AlertEngineMissingData)

BOOST_AUTO_TEST_CASE(raised_exactly_when_the_silence_reaches_the_limit) {
  EngineFixture f({weightMissing()});
  f.eval(kg(1, 80, kT0));
  BOOST_TEST(f.engine.tick(kT0 + 24h - 1ns).empty());
  f.clock.set(kT0 + 24h);
  auto changes = f.engine.tick(kT0 + 24h);
  BOOST_REQUIRE(changes.size() == 1u);
  BOOST_TEST((changes[0].kind == AlertChangeKind::raised));
  BOOST_TEST(changes[0].alert.ruleKey == "weight.missing");
  BOOST_TEST((changes[0].alert.severity == Severity::low));
  BOOST_TEST(changes[0].alert.latestValue == 24.0);
  BOOST_TEST(f.engine.tick(kT0 + 25h).empty());  // still the same open alert
}

BOOST_AUTO_TEST_CASE(enrolled_patient_without_any_reading_is_reported) {
  EngineFixture f({weightMissing()});
  f.engine.enroll(9, kT0);
  f.clock.set(kT0 + 24h);
  auto changes = f.engine.tick(kT0 + 24h);
  BOOST_REQUIRE(changes.size() == 1u);
  BOOST_TEST(changes[0].alert.patientId == 9);
}

BOOST_AUTO_TEST_CASE(late_batch_arriving_before_the_tick_prevents_the_alert) {
  EngineFixture f({weightMissing()});
  f.eval(kg(1, 80, kT0));
  f.clock.set(kT0 + 30h);
  // The hub was offline; its reading from +20h arrives at +30h, before the tick.
  auto late = kg(2, 80.2, kT0 + 20h);
  late.receivedAt = kT0 + 30h;
  f.eval(late);
  BOOST_TEST(f.engine.tick(kT0 + 30h).empty());
  BOOST_TEST(f.engine.tick(kT0 + 44h - 1ns).empty());
  BOOST_TEST(f.engine.tick(kT0 + 44h).size() == 1u);
}

BOOST_AUTO_TEST_CASE(late_reading_filling_the_reported_gap_resolves_the_alert_as_late_data) {
  EngineFixture f({weightMissing()});
  f.eval(kg(1, 80, kT0));
  f.clock.set(kT0 + 24h);
  auto id = f.engine.tick(kT0 + 24h).at(0).alert.id;
  f.clock.set(kT0 + 26h);
  auto late = kg(2, 80.1, kT0 + 12h);  // inside (raisedAt - 24h, raisedAt]
  late.receivedAt = kT0 + 26h;
  auto changes = f.eval(late);
  BOOST_REQUIRE(changes.size() == 1u);
  BOOST_TEST((changes[0].kind == AlertChangeKind::resolved));
  BOOST_TEST(changes[0].alert.id == id);
  BOOST_TEST(changes[0].alert.resolutionNote == "late data");
  BOOST_TEST(!changes[0].alert.resolvedBy.has_value());
  BOOST_TEST(f.engine.tick(kT0 + 26h).empty());  // the gap is no longer 24 h
}

BOOST_AUTO_TEST_CASE(late_reading_from_before_the_reported_window_keeps_the_alert) {
  EngineFixture f({weightMissing()});
  f.eval(kg(1, 80, kT0));
  f.clock.set(kT0 + 30h);
  f.engine.tick(kT0 + 30h);  // reported silence (+6h, +30h]
  auto late = kg(2, 80.1, kT0 + 5h);
  late.receivedAt = kT0 + 31h;
  f.clock.set(kT0 + 31h);
  BOOST_TEST(f.eval(late).empty());
  BOOST_TEST(f.lifecycle.openAlert(7, "weight.missing").has_value());
}

BOOST_AUTO_TEST_CASE(data_resuming_resolves_the_alert) {
  EngineFixture f({weightMissing()});
  f.eval(kg(1, 80, kT0));
  f.clock.set(kT0 + 24h);
  f.engine.tick(kT0 + 24h);
  f.clock.set(kT0 + 27h);
  auto changes = f.eval(kg(2, 80.1, kT0 + 27h));
  BOOST_REQUIRE(changes.size() == 1u);
  BOOST_TEST(changes[0].alert.resolutionNote == "data resumed");
}

BOOST_AUTO_TEST_CASE(silence_growing_past_the_next_tier_raises_the_severity_of_the_same_alert) {
  EngineFixture f({weightMissing()});
  f.eval(kg(1, 80, kT0));
  auto id = f.engine.tick(kT0 + 24h).at(0).alert.id;
  f.lifecycle.claim(id, 101);  // acknowledged: no escalation in the way
  f.lifecycle.acknowledge(id, 101);
  BOOST_TEST(f.engine.tick(kT0 + 48h).empty());
  auto changes = f.engine.tick(kT0 + 72h);
  BOOST_REQUIRE(changes.size() == 1u);
  BOOST_TEST(changes[0].alert.id == id);
  BOOST_TEST((changes[0].alert.severity == Severity::high));
  BOOST_TEST(changes[0].alert.worstValue == 72.0);
}

BOOST_AUTO_TEST_CASE(after_a_provider_resolves_it_the_same_silence_raises_again_one_period_later) {
  EngineFixture f({weightMissing()});
  f.eval(kg(1, 80, kT0));
  f.clock.set(kT0 + 24h);
  auto id = f.engine.tick(kT0 + 24h).at(0).alert.id;
  f.clock.set(kT0 + 25h);
  f.lifecycle.claim(id, 101);
  f.lifecycle.resolve(id, 101, "scale broken, new one shipped");
  BOOST_TEST(f.engine.tick(kT0 + 25h).empty());
  BOOST_TEST(f.engine.tick(kT0 + 48h - 1ns).empty());
  auto again = f.engine.tick(kT0 + 48h);
  BOOST_REQUIRE(countKind(again, AlertChangeKind::raised) == 1u);
  BOOST_TEST(again[0].alert.id != id);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(AlertEngineClockSkew)

BOOST_AUTO_TEST_CASE(device_clock_ahead_is_judged_at_reception) {
  EngineFixture f({weightMissing(), weightDay()});
  auto skewed = kg(1, 80, kT0 + 3h);  // device clock three hours fast
  skewed.receivedAt = kT0;
  f.eval(skewed);
  BOOST_TEST(f.counter("vigil_alert_engine_clock_skew_total") == 1u);
  // The missing-data alert comes 24 h after the reception, not 27 h.
  BOOST_TEST(f.engine.tick(kT0 + 24h).size() == 1u);
}

BOOST_AUTO_TEST_CASE(device_clock_ahead_within_tolerance_keeps_device_time) {
  EngineFixture f({weightDay()});
  auto a = kg(1, 80, kT0 + 4min);
  a.receivedAt = kT0;
  f.eval(a);
  BOOST_TEST(f.counter("vigil_alert_engine_clock_skew_total") == 0u);
  auto b = kg(2, 81, kT0 + 4min + 24h);
  b.receivedAt = kT0 + 24h;
  BOOST_TEST(f.eval(b).size() == 1u);  // exactly 24 h apart in device time
}

BOOST_AUTO_TEST_CASE(device_clock_behind_is_judged_by_device_time) {
  EngineFixture f({spo2Twice()});
  auto a = spo2(1, 88, kT0 - 2h);  // device two hours slow
  a.receivedAt = kT0;
  auto b = spo2(2, 88, kT0 - 2h + 5min);
  b.receivedAt = kT0 + 5min;
  f.eval(a);
  BOOST_TEST(f.eval(b).size() == 1u);
  BOOST_TEST(f.counter("vigil_alert_engine_clock_skew_total") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(AlertEngineDaylightSaving)

// America/New_York, 2026-11-01: 02:00 EDT (06:00Z) falls back to 01:00 EST, so 01:00-02:00
// local happens twice. 01:20 EDT is 05:20Z; 01:10 EST is 06:10Z: 50 minutes later although the
// wall clock reads 10 minutes earlier.
BOOST_AUTO_TEST_CASE(repeated_local_hour_at_fall_back_does_not_create_an_alert) {
  const TimePoint day = sys_days{std::chrono::year{2026} / 11 / 1};
  EngineFixture f({spo2Twice()});
  f.clock.set(day + 7h);
  BOOST_TEST(f.eval({spo2(1, 88, day + 5h + 20min), spo2(2, 88, day + 6h + 10min)}).empty());
}

// 2026-03-08: 02:00 EST (07:00Z) springs forward to 03:00 EDT. 01:55 EST (06:55Z) and
// 03:05 EDT (07:05Z) are 10 minutes apart although the wall clock reads 70 minutes.
BOOST_AUTO_TEST_CASE(skipped_local_hour_at_spring_forward_does_not_miss_an_alert) {
  const TimePoint day = sys_days{std::chrono::year{2026} / 3 / 8};
  EngineFixture f({spo2Twice()});
  f.clock.set(day + 8h);
  BOOST_TEST(f.eval({spo2(1, 88, day + 6h + 55min), spo2(2, 88, day + 7h + 5min)}).size() == 1u);
}

// Daily 08:00-local weigh-ins across the fall-back are 25 h apart: the rolling 24 h rule
// compares elapsed time only, and the missing-data rule counts elapsed hours, not local days.
BOOST_AUTO_TEST_CASE(day_windows_are_rolling_24_hours_across_the_change) {
  const TimePoint oct31 = sys_days{std::chrono::year{2026} / 10 / 31};
  EngineFixture f({weightDay(), weightMissing()});
  f.clock.set(oct31 + 12h);
  f.eval(kg(1, 80.0, oct31 + 12h));  // 08:00 EDT
  BOOST_TEST(f.engine.tick(oct31 + 12h + 24h - 1ns).empty());
  f.clock.set(oct31 + 12h + 24h);
  BOOST_TEST(f.engine.tick(oct31 + 12h + 24h).size() == 1u);  // 24 elapsed hours = 07:00 EST
  f.clock.set(oct31 + 37h);
  auto changes = f.eval(kg(2, 81.5, oct31 + 37h));  // 08:00 EST, 25 h later
  BOOST_REQUIRE(changes.size() == 1u);
  BOOST_TEST(changes[0].alert.ruleKey == "weight.missing");  // resumed; no day-rule rise
  BOOST_TEST((changes[0].kind == AlertChangeKind::resolved));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(AlertEngineState)

BOOST_AUTO_TEST_CASE(state_stays_bounded_for_a_continuous_stream) {
  EngineFixture f({systolicRun(), spo2Twice(), weightDay()});
  std::vector<Observation> batch;
  for (int i = 0; i < 5000; ++i) {
    const auto t = kT0 + std::chrono::seconds(i);
    batch.push_back(bp(2 * i + 1, 150, t));
    batch.push_back(spo2(2 * i + 2, 85, t));
  }
  f.eval(batch);
  BOOST_TEST(f.engine.heldSamples() <= 2u * 1024u);
  BOOST_TEST(f.lifecycle.openAlerts().size() == 2u);
  BOOST_TEST(f.lifecycle.openAlert(7, "spo2.low.repeated")->count == 4999);
}

BOOST_AUTO_TEST_CASE(tick_escalates_overdue_alerts) {
  EscalationPolicy policy;
  policy.chain = {101, 102};
  EngineFixture f({systolicHigh()}, policy);
  auto id = f.eval(bp(1, 185, kT0)).at(0).alert.id;
  BOOST_TEST(f.engine.tick(kT0 + 15min - 1s).empty());
  auto changes = f.engine.tick(kT0 + 15min);
  BOOST_REQUIRE(changes.size() == 1u);
  BOOST_TEST((changes[0].kind == AlertChangeKind::escalated));
  BOOST_TEST(changes[0].alert.id == id);
  BOOST_TEST(*changes[0].alert.assignee == 102);
}

// Issue 17 (found with the warm-up fix): a patient monitored only for blood pressure (no scale)
// got "No weight for 96 h — high priority" once the engine had known them for two days, and at
// once after a restart that warmed up a week. A missing-data rule watches a vital the patient
// sends (or every vital once the patient is enrolled explicitly).
BOOST_AUTO_TEST_CASE(no_missing_data_alert_for_a_vital_the_patient_never_sends) {
  EngineFixture f({weightMissing()});
  f.eval(bp(1, 130, kT0));
  BOOST_TEST(f.engine.tick(kT0 + 24h * 7).empty());
  f.eval(kg(2, 80, kT0 + 24h * 7));  // a scale from now on
  BOOST_TEST(f.engine.tick(kT0 + 24h * 7 + 23h).empty());
  BOOST_TEST(f.engine.tick(kT0 + 24h * 7 + 24h).size() == 1u);  // the scale went silent
}

BOOST_AUTO_TEST_CASE(discharged_patient_gets_no_missing_data_alert) {
  EngineFixture f({weightMissing()});
  f.eval(kg(1, 80, kT0));
  f.engine.discharge(7);
  BOOST_TEST(f.engine.tick(kT0 + 48h).empty());
}

BOOST_AUTO_TEST_CASE(redelivered_reading_is_not_counted_twice_by_stateful_rules) {
  EngineFixture f({systolicRun()});
  f.eval({bp(1, 150, kT0), bp(2, 150, kT0 + 1h)});
  BOOST_TEST(f.eval(bp(2, 150, kT0 + 1h)).empty());
}

BOOST_AUTO_TEST_SUITE_END()
