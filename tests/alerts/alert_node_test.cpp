#define BOOST_TEST_MODULE vigil_alert_node
// The alert node among several vigild (issue 29, alert_node.hpp), on a real PostgreSQL
// (label postgres): two nodes in one process, each with its own store connections, rules,
// lifecycle, engine and lease, on one database. Readings of one patient are stored through
// both nodes (as the broker spreads them) and queued as ingest queues them; the expected
// alerts come from the rule written here: weight above 100 kg is a high alert.
#include "vigil/alerts/alert_node.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "alerts_fixture.hpp"
#include "vigil/alerts/alert_repository.hpp"
#include "vigil/alerts/escalation_service.hpp"
#include "vigil/alerts/observation.hpp"
#include "vigil/store/database.hpp"
#include "vigil/testsupport/deadline.hpp"
#include "vigil/testsupport/test_store.hpp"

using namespace std::chrono_literals;
using namespace vigil;
using namespace vigil::alerts;
using namespace vigil::alerts::test;
using store::Connection;

namespace {

std::int64_t ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

AlertRule heavy() {
  return makeRule("weight.high", RuleKind::threshold, loinc::kBodyWeight, Comparison::above,
                  {{Severity::high, 100}}, 0s, 0, "kg");
}

/// One vigild's alert parts on the shared database.
struct Node {
  Metrics metrics;
  TestCipher keys;
  events::EventBus bus{metrics};
  std::unique_ptr<store::Database> db;
  RuleSet rules{SystemClock::instance(), {heavy()}};
  AlertLifecycle lifecycle{SystemClock::instance(), EscalationPolicy{}, &bus, metrics};
  AlertEngine engine{rules, lifecycle, SystemClock::instance(), {}, metrics};
  std::unique_ptr<AlertRepository> repo;
  std::unique_ptr<EscalationService> escalation;
  std::unique_ptr<AlertNode> node;

  explicit Node(const store::Options& options) {
    auto o = options;
    o.metrics = &metrics;
    db = store::Database::open(o);
    repo = std::make_unique<AlertRepository>(*db, keys.cipher, metrics);
    escalation = std::make_unique<EscalationService>(
        *db, keys.cipher, lifecycle, SystemClock::instance(), [](std::int64_t) { return true; });
    node = std::make_unique<AlertNode>(
        AlertNode::Parts{*repo, rules, lifecycle, engine, *escalation, bus},
        AlertNode::Options{.conninfo = o.conninfo, .poll = 50ms, .followerRefresh = 1s},
        SystemClock::instance(), metrics);
    node->start();
  }
  ~Node() {
    node->stop();
    repo->flush();
    db->close();
  }
  /// Stores a weight reading of `patient` through this node, queued for the alert node in
  /// the same transaction (as ingest does with several nodes).
  void store(std::int64_t id, std::int64_t patient, double kg) {
    const auto now = ms(SystemClock::instance().now());
    db->writeSync([&](Connection& c) {
      c.execute(
          "INSERT INTO readings (id, device_id, patient_id, dedup_key, kind, loinc, unit, value, "
          "device_time, received_at, source) VALUES (?, 1, ?, ?, 'body_weight', ?, 'kg', ?, ?, ?, "
          "'test')",
          id, patient, "seq:" + std::to_string(id), std::string(loinc::kBodyWeight), kg, now, now);
      c.execute("INSERT INTO readings_to_judge (reading_id) VALUES (?)", id);
    });
  }
};

store::Options sharedDatabase() {
  auto o = testsupport::testStoreOptions("unused.db");  // a fresh product-schema database
  BOOST_REQUIRE(o.backend == store::Backend::postgres);
  auto db = store::Database::open(o);
  db->writeSync([](Connection& c) {
    c.execute("INSERT INTO patients (id, created_at) VALUES (7, 0), (8, 0)");
    c.execute(
        "INSERT INTO devices (id, uid, kind, created_at) VALUES (1, 'scale-1', "
        "'weight_scale', 0)");
  });
  db->close();
  return o;
}

/// What the database holds: unresolved alerts of the patient for the rule, and their count.
struct Stored {
  std::int64_t open = 0;
  std::int64_t count = 0;
  std::int64_t queued = 0;
};
Stored stored(store::Database& db, std::int64_t patient) {
  return db.read([&](Connection& c) {
    Stored s;
    s.open = c.queryValue<std::int64_t>(
                  "SELECT COUNT(*) FROM alerts WHERE patient_id = ? AND rule_key = 'weight.high' "
                  "AND state <> 'resolved'",
                  patient)
                 .value_or(-1);
    s.count = c.queryValue<std::int64_t>(
                   "SELECT COALESCE(SUM(count), 0) FROM alerts WHERE patient_id = ? AND rule_key "
                   "= 'weight.high'",
                   patient)
                  .value_or(-1);
    s.queued = c.queryValue<std::int64_t>("SELECT COUNT(*) FROM readings_to_judge").value_or(-1);
    return s;
  });
}

Node& alertNodeOf(Node& a, Node& b) {
  return a.node->isAlertNode() ? a : b;
}

}  // namespace

BOOST_AUTO_TEST_CASE(exactly_one_node_judges_and_readings_through_both_make_one_alert) {
  auto options = sharedDatabase();
  Node a(options), b(options);
  BOOST_REQUIRE(
      testsupport::within(10s, [&] { return a.node->isAlertNode() || b.node->isAlertNode(); }));
  BOOST_TEST(a.node->isAlertNode() != b.node->isAlertNode());
  // Patient 7's readings through both nodes, alternately: 10 above 100 kg, 10 below.
  for (int i = 1; i <= 20; ++i) (i % 2 ? a : b).store(i, 7, i <= 10 ? 101.0 + i : 90.0);
  BOOST_REQUIRE(testsupport::within(20s, [&] { return stored(*a.db, 7).queued == 0; }));
  auto& judge = alertNodeOf(a, b);
  judge.repo->flush();
  auto s = stored(*a.db, 7);
  BOOST_TEST(s.open == 1);    // one open alert for the patient and rule
  BOOST_TEST(s.count == 10);  // every breach folded into it, whichever node stored it
  BOOST_TEST(stored(*a.db, 8).open == 0);
  BOOST_TEST(a.node->judgedCount() + b.node->judgedCount() == 20u);
  // The other node's copy follows the store (for the pages it serves).
  auto& follower = &judge == &a ? b : a;
  BOOST_TEST(testsupport::within(10s, [&] {
    auto open = follower.lifecycle.openAlert(7, "weight.high");
    return open && open->count == 10;
  }));
}

BOOST_AUTO_TEST_CASE(when_the_alert_node_stops_the_other_takes_over_and_folds_into_the_same_alert) {
  auto options = sharedDatabase();
  auto a = std::make_unique<Node>(options);
  BOOST_REQUIRE(testsupport::within(10s, [&] { return a->node->isAlertNode(); }));
  Node b(options);
  a->store(1, 7, 120);
  b.store(2, 7, 121);
  BOOST_REQUIRE(testsupport::within(20s, [&] { return stored(*b.db, 7).queued == 0; }));
  a->repo->flush();
  BOOST_TEST(stored(*b.db, 7).open == 1);
  BOOST_TEST(!b.node->isAlertNode());
  a.reset();  // node a goes away: its lease ends with its session
  BOOST_REQUIRE(testsupport::within(20s, [&] { return b.node->isAlertNode(); }));
  b.store(3, 7, 122);
  b.store(4, 8, 130);
  BOOST_REQUIRE(testsupport::within(20s, [&] { return stored(*b.db, 7).queued == 0; }));
  b.repo->flush();
  auto seven = stored(*b.db, 7);
  BOOST_TEST(seven.open == 1);  // the new alert node restored the open alert and folded into it
  BOOST_TEST(seven.count == 3);
  BOOST_TEST(stored(*b.db, 8).open == 1);
}

BOOST_AUTO_TEST_CASE(readings_stored_while_no_node_judged_wait_in_the_queue_and_are_judged_once) {
  auto options = sharedDatabase();
  {
    // No alert node yet: a node that stores but has not started judging (as a node's ingest
    // committing while the alert node is between lives).
    auto db = store::Database::open(options);
    db->writeSync([](Connection& c) {
      const auto now = ms(SystemClock::instance().now());
      for (int i = 1; i <= 5; ++i) {
        c.execute(
            "INSERT INTO readings (id, device_id, patient_id, dedup_key, kind, loinc, unit, "
            "value, device_time, received_at, source) VALUES (?, 1, 7, ?, 'body_weight', ?, "
            "'kg', 110, ?, ?, 'test')",
            i, "seq:" + std::to_string(i), std::string(loinc::kBodyWeight), now, now);
        c.execute("INSERT INTO readings_to_judge (reading_id) VALUES (?)", i);
      }
    });
    db->close();
  }
  Node a(options);
  BOOST_REQUIRE(testsupport::within(20s, [&] { return stored(*a.db, 7).queued == 0; }));
  a.repo->flush();
  auto s = stored(*a.db, 7);
  BOOST_TEST(s.open == 1);
  BOOST_TEST(s.count == 5);
}

BOOST_AUTO_TEST_CASE(a_journal_write_that_failed_leaves_the_reading_queued_and_is_judged_again) {
  auto options = sharedDatabase();
  Node a(options);
  BOOST_REQUIRE(testsupport::within(10s, [&] { return a.node->isAlertNode(); }));
  // The store refuses the alert's row (as a full disk or a connection cut during the commit
  // would): the alert node's memory has the alert, the store has not.
  refuseAlertRows(*a.db);
  a.store(1, 7, 120);
  BOOST_REQUIRE(testsupport::within(10s, [&] { return a.repo->journalFailures() > 0; }));
  // Judged, but not taken off the queue: its judging did not reach the store.
  std::this_thread::sleep_for(300ms);  // several of the node's turns
  BOOST_TEST(stored(*a.db, 7).queued == 1);
  BOOST_TEST(stored(*a.db, 7).open == 0);

  acceptAlertRows(*a.db);
  // The node reloads from the store and judges the reading again: one alert, counted once.
  BOOST_REQUIRE(testsupport::within(20s, [&] { return stored(*a.db, 7).queued == 0; }));
  a.repo->flush();
  auto s = stored(*a.db, 7);
  BOOST_TEST(s.open == 1);
  BOOST_TEST(s.count == 1);
  BOOST_TEST(!a.repo->diverged());
}
