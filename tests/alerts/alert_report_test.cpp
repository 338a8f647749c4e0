#include "vigil/alerts/alert_report.hpp"

#include <boost/test/unit_test.hpp>

#include "../store/temp_dir.hpp"
#include "alerts_fixture.hpp"
#include "vigil/alerts/alert_repository.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"

using namespace vigil::alerts;
using namespace vigil::alerts::test;
using vigil::TimePoint;
using vigil::store::Connection;
using vigil::store::Database;

namespace {

/// A real store with patient 7; alerts are written through the repository's journal.
struct ReportFixture {
  TestCipher keys;
  vigil::store::test::TempDir dir;
  vigil::Metrics metrics;
  std::unique_ptr<Database> db;
  std::unique_ptr<AlertRepository> repo;
  std::int64_t nextId = 1;

  ReportFixture() {
    vigil::store::Options o;
    o.path = dir / "vigil.db";
    o.metrics = &metrics;
    o.synchronousFull = false;
    db = Database::open(o);
    db->writeSync(
        [](Connection& c) { c.execute("INSERT INTO patients (id, created_at) VALUES (7, 0)"); });
    repo = std::make_unique<AlertRepository>(*db, keys.cipher, metrics);
  }

  /// Stores an alert raised at `raised`, acknowledged / resolved that long after it.
  void alert(Severity severity, TimePoint raised, std::optional<std::chrono::seconds> ack,
             std::optional<std::chrono::seconds> resolve, int escalationLevel = 0) {
    Alert a;
    a.id = nextId++;
    a.patientId = 7;
    a.ruleKey = "rule." + std::to_string(a.id);  // one unresolved alert per rule
    a.ruleVersion = 1;
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
