#include "vigil/alerts/alert_report.hpp"

#include <boost/test/unit_test.hpp>

#include "../store/temp_dir.hpp"
#include "alerts_fixture.hpp"
#include "vigil/alerts/alert_repository.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/testsupport/test_store.hpp"

using namespace vigil::alerts;
using namespace vigil::alerts::test;
using vigil::TimePoint;
using vigil::store::Connection;
using vigil::store::Database;

namespace {

/// A real store with patients 7, 8 and 9; alerts are written through the repository's journal.
struct ReportFixture {
  TestCipher keys;
  vigil::store::test::TempDir dir;
  vigil::Metrics metrics;
  std::unique_ptr<Database> db;
  std::unique_ptr<AlertRepository> repo;
  std::int64_t nextId = 1;

  ReportFixture() {
    auto o = vigil::testsupport::testStoreOptions(dir / "vigil.db");
    o.metrics = &metrics;
    o.synchronousFull = false;
    db = Database::open(o);
    db->writeSync([](Connection& c) {
      c.execute("INSERT INTO patients (id, created_at) VALUES (7, 0), (8, 0), (9, 0)");
    });
    repo = std::make_unique<AlertRepository>(*db, keys.cipher, metrics);
  }

  /// Stores an alert of patient 7 raised at `raised`, acknowledged / resolved that long after
  /// it, under a rule of its own.
  void alert(Severity severity, TimePoint raised, std::optional<std::chrono::seconds> ack,
             std::optional<std::chrono::seconds> resolve, int escalationLevel = 0) {
    alertOf(7, "rule." + std::to_string(nextId), RuleKind::threshold, severity, raised, ack,
            resolve, escalationLevel);  // one unresolved alert per rule
  }

  /// The same for a patient and rule.
  void alertOf(std::int64_t patient, const std::string& rule, RuleKind kind, Severity severity,
               TimePoint raised, std::optional<std::chrono::seconds> ack,
               std::optional<std::chrono::seconds> resolve, int escalationLevel = 0) {
    Alert a;
    a.id = nextId++;
    a.patientId = patient;
    a.ruleKey = rule;
    a.ruleVersion = 1;
    a.kind = kind;
    a.code = std::string(loinc::kSystolic);
    a.severity = severity;
    a.count = 1;
    a.firstObservedAt = a.lastObservedAt = a.raisedAt = raised;
    a.ackDeadline = raised + 15min;
    if (ack) a.acknowledgedAt = raised + *ack;
    if (resolve) a.resolvedAt = raised + *resolve;
    a.state = resolve ? AlertState::resolved : ack ? AlertState::acknowledged : AlertState::open;
    a.escalationLevel = escalationLevel;
    if (escalationLevel > 0) a.escalatedAt = raised + 5min;
    repo->alertChanged(a, nullptr);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(NearestRankPercentile)

BOOST_AUTO_TEST_CASE(is_null_for_no_values_and_a_value_of_the_set_otherwise) {
  BOOST_TEST(!nearestRankPercentile({}, 50));
  BOOST_TEST(*nearestRankPercentile({42.0}, 50) == 42.0);
  BOOST_TEST(*nearestRankPercentile({42.0}, 90) == 42.0);
  const std::vector<double> ten{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  BOOST_TEST(*nearestRankPercentile(ten, 50) == 5.0);
  BOOST_TEST(*nearestRankPercentile(ten, 90) == 9.0);
  BOOST_TEST(*nearestRankPercentile(ten, 91) == 10.0);
  BOOST_TEST(*nearestRankPercentile(ten, 100) == 10.0);
  BOOST_TEST(*nearestRankPercentile({60, 120, 300}, 50) == 120.0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(AlertResponseReport_, ReportFixture)

BOOST_AUTO_TEST_CASE(tallies_the_period_by_severity_and_by_day) {
  const TimePoint from = kT0;
  const TimePoint to = kT0 + 60h;  // three days, the last one twelve hours
  alert(Severity::critical, from + 1h, 60s, 600s);
  alert(Severity::critical, from + 2h, 120s, std::nullopt, 1);
  alert(Severity::critical, from + 26h, 300s, 900s, 2);
  alert(Severity::high, from + 50h, std::nullopt, std::nullopt);
  alert(Severity::low, from - 1s, 10s, std::nullopt);  // before the period
  alert(Severity::info, to, 10s, std::nullopt);        // the end is not in it
  repo->flush();

  auto report = alertResponseReport(*db, from, to);
  BOOST_TEST((report.from == from));
  BOOST_TEST((report.to == to));
  BOOST_REQUIRE_EQUAL(report.bySeverity.size(), 4u);

  const auto& critical = report.bySeverity.at(Severity::critical);
  BOOST_TEST(critical.raised == 3);
  BOOST_TEST(critical.acknowledged == 3);
  BOOST_TEST(critical.resolved == 2);
  BOOST_TEST(critical.escalated == 2);
  BOOST_TEST(critical.toAckSeconds == (std::vector<double>{60, 120, 300}),
             boost::test_tools::per_element());
  BOOST_TEST(critical.toResolveSeconds == (std::vector<double>{600, 900}),
             boost::test_tools::per_element());

  const auto& high = report.bySeverity.at(Severity::high);
  BOOST_TEST(high.raised == 1);
  BOOST_TEST(high.acknowledged == 0);
  BOOST_TEST(high.toAckSeconds.empty());
  for (auto s : {Severity::low, Severity::info}) {
    BOOST_TEST(report.bySeverity.at(s).raised == 0);
    BOOST_TEST(report.bySeverity.at(s).toAckSeconds.empty());
  }

  BOOST_REQUIRE_EQUAL(report.byDay.size(), 3u);
  BOOST_TEST(report.byDay[0].raised == 2);
  BOOST_TEST(report.byDay[0].acknowledged == 2);
  BOOST_TEST(report.byDay[0].resolved == 1);
  BOOST_TEST(report.byDay[0].escalated == 1);
  BOOST_TEST(report.byDay[0].toAckSeconds == (std::vector<double>{60, 120}),
             boost::test_tools::per_element());
  BOOST_TEST(report.byDay[1].raised == 1);
  BOOST_TEST(report.byDay[1].toResolveSeconds == (std::vector<double>{900}),
             boost::test_tools::per_element());
  BOOST_TEST(report.byDay[2].raised == 1);
  BOOST_TEST(report.byDay[2].acknowledged == 0);
}

BOOST_AUTO_TEST_CASE(a_period_without_alerts_has_empty_tallies_for_every_day) {
  alert(Severity::high, kT0 - 1h, 60s, 60s);
  repo->flush();
  auto report = alertResponseReport(*db, kT0, kT0 + 24h);
  BOOST_REQUIRE_EQUAL(report.byDay.size(), 1u);
  BOOST_TEST(report.byDay[0].raised == 0);
  BOOST_TEST(report.bySeverity.at(Severity::high).raised == 0);
  BOOST_TEST(alertResponseReport(*db, kT0, kT0 + 24h + 1ms).byDay.size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(AlertReportIn, ReportFixture)

// Two days; patients 7 and 8 in the scope, 9 not. Worked out by hand:
//   day 0: 7 bp.high critical +1h (ack 60 s, resolved 600 s, escalated), 8 bp.high critical +2h
//          (ack 180 s), 9 bp.high critical +3h (out of the scope);
//   day 1: 7 hr.low high +30h (ack 120 s, resolved 300 s), 8 weight.gain low +40h (open);
//   outside: 7 bp.high 1 s before the period, 8 hr.low at its end.
BOOST_AUTO_TEST_CASE(tallies_the_scope_by_severity_rule_and_day_with_patients) {
  const TimePoint from = kT0;
  const TimePoint to = kT0 + 48h;
  alertOf(7, "bp.high", RuleKind::threshold, Severity::critical, from - 1s, 10s, 20s);
  alertOf(7, "bp.high", RuleKind::threshold, Severity::critical, from + 1h, 60s, 600s, 1);
  alertOf(8, "bp.high", RuleKind::threshold, Severity::critical, from + 2h, 180s, std::nullopt);
  alertOf(9, "bp.high", RuleKind::threshold, Severity::critical, from + 3h, 10s, std::nullopt);
  alertOf(7, "hr.low", RuleKind::consecutive, Severity::high, from + 30h, 120s, 300s);
  alertOf(8, "weight.gain", RuleKind::rateOfChange, Severity::low, from + 40h, std::nullopt,
          std::nullopt);
  alertOf(8, "hr.low", RuleKind::consecutive, Severity::high, to, 5s, std::nullopt);
  repo->flush();
  vigil::ReportScope scope;
  scope.practice = false;
  scope.providers = {3};
  scope.patients = {7, 8};

  const auto r = db->read([&](Connection& c) { return alertReportIn(c, from, to, scope); });
  using P = std::vector<std::int64_t>;
  BOOST_TEST(r.total.raised.count == 4);
  BOOST_TEST(r.total.raised.patients == (P{7, 8}), boost::test_tools::per_element());
  BOOST_TEST(r.total.acknowledged.count == 3);
  BOOST_TEST(r.total.resolved.count == 2);
  BOOST_TEST(r.total.resolved.patients == (P{7}), boost::test_tools::per_element());
  BOOST_TEST(r.total.escalated.count == 1);
  BOOST_TEST(r.total.toAcknowledge.seconds == (std::vector<double>{60, 120, 180}),
             boost::test_tools::per_element());
  BOOST_TEST(r.total.toAcknowledge.patients == (P{7, 8}), boost::test_tools::per_element());
  BOOST_TEST(r.total.toResolve.seconds == (std::vector<double>{300, 600}),
             boost::test_tools::per_element());

  const auto& critical = r.bySeverity.at(Severity::critical);
  BOOST_TEST(critical.raised.count == 2);
  BOOST_TEST(critical.raised.patients == (P{7, 8}), boost::test_tools::per_element());
  BOOST_TEST(critical.acknowledged.count == 2);
  BOOST_TEST(critical.resolved.count == 1);
  BOOST_TEST(critical.escalated.patients == (P{7}), boost::test_tools::per_element());
  BOOST_TEST(r.bySeverity.at(Severity::high).raised.count == 1);
  BOOST_TEST(r.bySeverity.at(Severity::low).raised.patients == (P{8}),
             boost::test_tools::per_element());
  BOOST_TEST(r.bySeverity.at(Severity::low).acknowledged.count == 0);
  BOOST_TEST(r.bySeverity.at(Severity::info).raised.count == 0);

  BOOST_REQUIRE_EQUAL(r.byRule.size(), 3u);
  BOOST_TEST(r.byRule[0].key == "bp.high");
  BOOST_TEST(r.byRule[0].kind == "threshold");
  BOOST_TEST(r.byRule[0].code == "8480-6");
  BOOST_TEST(r.byRule[0].tally.raised.count == 2);
  BOOST_TEST(r.byRule[0].tally.escalated.count == 1);
  BOOST_TEST(r.byRule[0].tally.toAcknowledge.seconds == (std::vector<double>{60, 180}),
             boost::test_tools::per_element());
  BOOST_TEST(r.byRule[1].key == "hr.low");
  BOOST_TEST(r.byRule[1].kind == "consecutive");
  BOOST_TEST(r.byRule[1].tally.raised.patients == (P{7}), boost::test_tools::per_element());
  BOOST_TEST(r.byRule[1].tally.resolved.count == 1);
  BOOST_TEST(r.byRule[2].key == "weight.gain");
  BOOST_TEST(r.byRule[2].kind == "rate_of_change");
  BOOST_TEST(r.byRule[2].tally.acknowledged.count == 0);

  BOOST_REQUIRE_EQUAL(r.byDay.size(), 2u);
  BOOST_TEST(r.byDay[0].raised.count == 2);
  BOOST_TEST(r.byDay[0].raised.patients == (P{7, 8}), boost::test_tools::per_element());
  BOOST_TEST(*r.byDay[0].toAcknowledge.percentile(50) == 60.0);  // nearest rank of {60, 180}
  BOOST_TEST(r.byDay[1].raised.count == 2);
  BOOST_TEST(*r.byDay[1].toAcknowledge.percentile(50) == 120.0);

  // The practice's scope takes patient 9's alert too.
  const auto all =
      db->read([&](Connection& c) { return alertReportIn(c, from, to, vigil::ReportScope{}); });
  BOOST_TEST(all.total.raised.count == 5);
  BOOST_TEST(all.total.raised.patients == (P{7, 8, 9}), boost::test_tools::per_element());
  BOOST_TEST(all.byDay[0].toAcknowledge.seconds == (std::vector<double>{10, 60, 180}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_period_is_read_through_the_raised_at_index) {
  constexpr const char* kQuery =
      "SELECT patient_id FROM alerts WHERE raised_at >= 1 AND raised_at < 2 ORDER BY raised_at, id";
  const auto plan = db->read([&](Connection& c) {
    std::string out;
    if (c.backend() == vigil::store::Backend::postgres) {
      // A handful of rows: without this the planner rightly prefers reading the whole table.
      c.exec("SET LOCAL enable_seqscan = off");
      auto st = c.prepare(std::string("EXPLAIN ") + kQuery);
      while (st.step()) out += st.get<std::string>(0) + ";";
      return out;
    }
    auto st = c.prepare(std::string("EXPLAIN QUERY PLAN ") + kQuery);
    while (st.step()) out += st.get<std::string>(3) + ";";
    return out;
  });
  const bool onPostgres = vigil::testsupport::testingOnPostgres();
  BOOST_TEST(plan.find(onPostgres ? "alerts_by_raised" : "USING INDEX alerts_by_raised") !=
                 std::string::npos,
             plan);
}

BOOST_AUTO_TEST_SUITE_END()
