// Two vigild nodes on one broker and one PostgreSQL (issue 29, docs/scale-out.md; labels
// postgres, integration): 1,000 simulated devices publish; the broker spreads their messages
// over both nodes, so each patient's readings arrive through both. Every acknowledged reading is
// stored exactly once; the alert node (b, started first) judges every reading whichever node
// stored it: for each threshold rule below, a patient with breaching readings has exactly one
// alert for the rule that counts at least all of them, and one without has none. A provider
// signed in on node a sees, on a's live stream, an alert the alert node b raised. Then b is
// killed -9 mid-stream: nothing acknowledged is lost, a carries on, takes the alert node's lease
// and judges the rest.
#define BOOST_TEST_MODULE cluster_integration
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "vigil/fleet/device_payload.hpp"
#include "vigil/fleet/simulation.hpp"
#include "vigil/testsupport/box_fixture.hpp"
#include "vigil/testsupport/box_fleet.hpp"
#include "vigil/testsupport/deadline.hpp"
#include "vigil/testsupport/portal_client.hpp"
#include "vigil/testsupport/postgres_server.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

constexpr int kDevices = 1000;

/// The default threshold rules on single-value vitals, as the clinic's rule list states them
/// (docs/alerts.md): the rule's key, the vital's LOINC code and unit, and the SQL condition
/// that makes a reading breach it.
struct ThresholdRule {
  const char* key;
  const char* loinc;
  const char* unit;
  const char* breach;
};
constexpr ThresholdRule kRules[] = {
    {"hr.high", "8867-4", "/min", "value >= 120"},
    {"hr.low", "8867-4", "/min", "value < 50"},
    {"spo2.low", "59408-5", "%", "value < 85"},
    {"glucose.low", "2339-0", "mg/dL", "value < 70"},
    {"glucose.high", "2339-0", "mg/dL", "value >= 250"},
};

std::int64_t scalar(store::Connection& c, const std::string& sql) {
  auto st = c.prepare(sql);
  return st.step() ? st.get<std::int64_t>(0) : -1;
}

}  // namespace

BOOST_AUTO_TEST_CASE(two_nodes_store_every_reading_once_judge_on_one_node_and_survive_a_kill) {
  testsupport::PostgresServer pg;
  testsupport::BoxFixture::Options o;
  o.deviceUids = testsupport::deviceUids("node-dev-", kDevices);
  o.postgresConninfo = pg.createDatabase("vigil");
  o.nodes = {"a", "b"};
  o.start = false;
  testsupport::BoxFixture box(o);

  // A provider caring for every patient, signed in on node a.
  testsupport::PortalUser provider{security::Role::provider, "dr.node@box.test", "Dr. Node"};
  for (const auto& uid : o.deviceUids) provider.careTeam.push_back(box.patientOf(uid));
  testsupport::PortalUser patientUser{security::Role::patient, "pat.node@box.test", "Pat Node",
                                      box.patientOf(o.deviceUids[0])};
  const auto ids =
      testsupport::seedPortalUsers(box.dataDir(), box.storeOptions(), {provider, patientUser});
  const auto providerId = ids.at(0);
  const auto patientUserId = ids.at(1);

  // b first, so that b is the alert node; then a.
  box.startNode("b");
  BOOST_REQUIRE_MESSAGE(
      testsupport::within(30s,
                          [&] { return box.getFrom("b", "/healthz/alert-node").first == 200; }),
      box.logOf("b"));
  box.startNode("a");
  BOOST_TEST(box.getFrom("a", "/healthz/alert-node").first == 503);
  testsupport::PortalClient portal(box.webPortOf("a"));
  portal.signIn(provider.email);
  BOOST_TEST(portal.request("GET", "/api/v1/alerts").status == 421);  // b serves the queue
  auto events = portal.openEvents();

  // A video visit's room: pinned to the first node its routes reach (b here); node a sends the
  // visit's requests there (307 …?node=b). The provider's session is the same on both nodes.
  auto onB = portal.onPort(box.webPortOf("b"));
  const auto nowMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  auto scheduled = onB.request("POST", "/api/v1/visits",
                               "{\"patientId\":" + std::to_string(box.patientOf(o.deviceUids[0])) +
                                   ",\"providerUserId\":" + std::to_string(providerId) +
                                   ",\"patientUserId\":" + std::to_string(patientUserId) +
                                   ",\"startsAtMs\":" + std::to_string(nowMs) +
                                   ",\"endsAtMs\":" + std::to_string(nowMs + 1'800'000) + "}");
  BOOST_REQUIRE_MESSAGE(scheduled.status == 201, scheduled.body);
  const auto visitPath =
      "/api/v1/visits/" + std::to_string(*testsupport::jsonInt(scheduled.body, "id"));
  BOOST_TEST(onB.request("GET", visitPath).status == 200);  // pinned to b
  auto sent = portal.request("GET", visitPath);
  BOOST_TEST(sent.status == 307, sent.body);
  BOOST_TEST(testsupport::jsonString(sent.body, "error") == "visit_room_elsewhere");

  fleet::SimulationOptions so;
  so.ratePerDevice = 0.4;
  so.duration = 24s;
  so.seed = 29;
  so.resendAfter = 3s;
  so.drainTimeout = 60s;
  fleet::Simulation sim(testsupport::fleetOf(box, o.deviceUids), so);

  // Node a's stream: an alert raised on b, relayed. Then b dies mid-stream.
  std::atomic<bool> relayedAlertSeen{false};
  std::atomic<bool> bKilled{false};
  std::thread watcher([&] {
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (!relayedAlertSeen && std::chrono::steady_clock::now() < until) {
      auto e = events->next(500ms);
      if (e && e->find("\"alert.raised\"") != std::string::npos) relayedAlertSeen = true;
      // A stream that fell behind 1,000 patients' readings is dropped: reconnect, as the
      // portal does.
      if (!e && events->closed()) events = portal.openEvents();
    }
    box.kill9Node("b");  // at most 20 s into the 24 s of sending
    bKilled = true;
  });
  auto report = sim.run();
  testsupport::joinWithin(watcher, 60s, "joining the thread that watches a's events and kills b");
  BOOST_TEST(relayedAlertSeen.load());  // raised by b (a was not the alert node before the kill)
  BOOST_TEST(bKilled.load());

  BOOST_TEST(report.connected == static_cast<std::size_t>(kDevices), report.text());
  BOOST_TEST(report.sent > 5000u, report.text());
  BOOST_TEST(report.acknowledged == report.sent, report.text());

  // a took the lease and judges what b left in the queue.
  BOOST_TEST(testsupport::within(
                 60s, [&] { return box.getFrom("a", "/healthz/alert-node").first == 200; }),
             box.logOf("a"));
  // b is gone: a takes the visit's room over and serves it.
  BOOST_TEST(
      testsupport::within(30s, [&] { return portal.request("GET", visitPath).status == 200; }));
  auto conn = box.openStore();
  BOOST_TEST(
      testsupport::within(
          120s, [&] { return scalar(*conn, "SELECT count(*) FROM readings_to_judge") == 0; }),
      "readings still waiting for the alert node");

  auto counts = box.countReadings();
  BOOST_TEST(counts.rows == counts.distinct);  // each reading once
  BOOST_TEST(counts.rows >= static_cast<std::int64_t>(report.sent), report.text());

  // The alerts, from the readings and the rules above.
  std::int64_t breachingPairs = 0;
  for (const auto& rule : kRules) {
    std::map<std::int64_t, std::int64_t> breaches;  // patient -> breaching readings
    auto st =
        conn->prepare(std::string("SELECT patient_id, count(*) FROM readings WHERE loinc = '") +
                      rule.loinc + "' AND unit = '" + rule.unit + "' AND " + rule.breach +
                      " AND patient_id IS NOT NULL GROUP BY patient_id");
    while (st.step()) breaches[st.get<std::int64_t>(0)] = st.get<std::int64_t>(1);
    std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> alerts;  // patient -> rows, count
    auto at = conn->prepare(std::string("SELECT patient_id, count(*), sum(count) FROM alerts WHERE "
                                        "rule_key = '") +
                            rule.key + "' GROUP BY patient_id");
    while (at.step())
      alerts[at.get<std::int64_t>(0)] = {at.get<std::int64_t>(1), at.get<std::int64_t>(2)};
    for (const auto& [patient, n] : breaches) {
      ++breachingPairs;
      auto it = alerts.find(patient);
      BOOST_TEST_REQUIRE((it != alerts.end()), rule.key << ": patient " << patient << " has " << n
                                                        << " breaching readings and no alert");
      BOOST_TEST(it->second.first == 1,
                 rule.key << ": patient " << patient << " has " << it->second.first << " alerts");
      BOOST_TEST(it->second.second >= n, rule.key << ": the alert counts " << it->second.second
                                                  << " of " << n << " breaches");
    }
    for (const auto& [patient, a] : alerts)
      BOOST_TEST(breaches.count(patient) == 1u,
                 rule.key << ": patient " << patient << " has an alert without a breach");
  }
  BOOST_TEST_MESSAGE("simulation: " << report.text() << "; readings stored " << counts.rows
                                    << "; patient-rule pairs with breaches " << breachingPairs);
  BOOST_TEST(breachingPairs > 0);  // the personas breach: the check above is not empty
  BOOST_TEST(scalar(*conn,
                    "SELECT count(*) FROM (SELECT patient_id, rule_key FROM alerts WHERE "
                    "state <> 'resolved' GROUP BY patient_id, rule_key HAVING count(*) > 1) d") ==
             0);
  conn.reset();
  auto metrics = box.getFrom("a", "/metrics").second;
  BOOST_TEST(metrics.find("vigil_alert_node 1") != std::string::npos, metrics);
  BOOST_TEST(metrics.find("vigil_alert_node_takeovers_total 1") != std::string::npos);
  BOOST_TEST(box.stopNode("a") == 0);
}
