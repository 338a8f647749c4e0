// Several vigild nodes on one broker (issue 29, docs/scale-out.md): the product's cluster session
// (ingest::brokerSession: client id vigild-<node>, `$share/vigil/…` filters, a session that ends
// with the connection) on the product's gateway::MqttClient, against a real Mosquitto 2.0.11
// configured as the appliance's (TLS, client certificates, use_username_as_clientid, the ACL),
// with node certificates issued as `vigil-devtool provision broker --node ID` does. One node runs
// as a process of its own (ingest_node_probe) so that it can be killed -9 mid-stream.
#define BOOST_TEST_MODULE ingest_cluster
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "vigil/gateway/mqtt_client.hpp"
#include "vigil/ingest/broker_session.hpp"
#include "vigil/testsupport/mosquitto_fixture.hpp"
#include "vigil/testsupport/process.hpp"

using namespace vigil;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr const char* kTopic = "vigil/v1/devices/cuff-01/readings";

/// Waits up to `limit` for `done`; false when it never held.
template <typename F>
bool waitUntil(F done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return done();
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

/// Payloads received by one node, in order.
class Received {
 public:
  void add(std::string payload) {
    std::lock_guard lock(m_);
    payloads_.push_back(std::move(payload));
  }
  std::vector<std::string> all() const {
    std::lock_guard lock(m_);
    return payloads_;
  }

 private:
  mutable std::mutex m_;
  std::vector<std::string> payloads_;
};

std::vector<std::string> named(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

/// How often each payload starting with `prefix` occurs in `lists`.
std::map<std::string, int> tally(const std::vector<std::vector<std::string>>& lists,
                                 const std::string& prefix) {
  std::map<std::string, int> out;
  for (const auto& l : lists)
    for (const auto& p : l)
      if (p.rfind(prefix, 0) == 0) ++out[p];
  return out;
}

std::size_t countPrefix(const std::vector<std::string>& l, const std::string& prefix) {
  return static_cast<std::size_t>(
      std::count_if(l.begin(), l.end(), [&](const auto& p) { return p.rfind(prefix, 0) == 0; }));
}

struct Cluster {
  testsupport::MosquittoFixture broker;
  fs::path deviceDir;
  std::map<std::string, testsupport::MosquittoFixture::Observer> identity;
  std::atomic<int> pubacks{0};
  std::unique_ptr<gateway::MqttClient> device;

  Cluster() {
    for (const char* node : {"a", "b"}) identity[node] = broker.addClusterNode(node);
    deviceDir = broker.dir() / "bundle-cuff-01";
    broker.provisioner().provisionCertificate("cuff-01", deviceDir);
    gateway::MqttOptions o;
    o.port = broker.certificatePort();
    o.clientId = "cuff-01";
    o.caFile = (deviceDir / "ca.pem").string();
    o.certFile = (deviceDir / "device.pem").string();
    o.keyFile = (deviceDir / "device.key").string();
    o.cleanStart = true;
    device = std::make_unique<gateway::MqttClient>(o, [](gateway::MqttMessage&&) {});
    device->onPublished([this](int) { ++pubacks; });
    device->start();
    BOOST_REQUIRE_MESSAGE(device->waitConnected(10s), broker.log());
  }

  /// A node in this process: the product's session for `node` on an MqttClient.
  std::unique_ptr<gateway::MqttClient> node(const std::string& id, Received& into) {
    const auto session = ingest::brokerSession("vigild", id);
    gateway::MqttOptions o;
    o.port = broker.certificatePort();
    o.caFile = broker.caFile().string();
    o.certFile = identity.at(id).certFile.string();
    o.keyFile = identity.at(id).keyFile.string();
    o.clientId = session.clientId;
    o.cleanStart = session.cleanStart;
    o.sessionExpirySeconds = session.sessionExpirySeconds;
    o.reconnectMin = 100ms;
    auto c = std::make_unique<gateway::MqttClient>(
        o, [&into](gateway::MqttMessage&& m) { into.add(std::move(m.payload)); });
    for (const auto& f : session.filters) c->addSubscription(f, 1);
    c->start();
    BOOST_REQUIRE_MESSAGE(c->waitConnected(10s), broker.log());
    return c;
  }

  /// A node as a process of its own (ingest_node_probe), its stdout in `out`.
  std::unique_ptr<testsupport::Process> probe(const std::string& id, const fs::path& out,
                                              std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--port", std::to_string(broker.certificatePort()),
                                  "--ca",   broker.caFile().string(),
                                  "--cert", identity.at(id).certFile.string(),
                                  "--key",  identity.at(id).keyFile.string(),
                                  "--node", id};
    args.insert(args.end(), extra.begin(), extra.end());
    auto p = std::make_unique<testsupport::Process>(
        fs::path(VIGIL_BINARY_DIR) / "tests" / "ingest" / "ingest_node_probe",
        testsupport::Process::Options{args, {}, out, {}});
    BOOST_REQUIRE_MESSAGE(
        waitUntil([&] { return testsupport::readText(out).find("connected\n") == 0; }, 10s),
        "the probe node did not connect; broker log:\n" + broker.log());
    return p;
  }

  /// Publishes each payload at QoS 1 and waits until the broker has PUBACKed them all (it then
  /// holds them for the share group).
  void publish(const std::vector<std::string>& payloads) {
    const int before = pubacks.load();
    for (const auto& p : payloads)
      BOOST_REQUIRE((device->publish(kTopic, p, 1) == gateway::MqttStatus::ok));
    const int want = before + static_cast<int>(payloads.size());
    BOOST_REQUIRE_MESSAGE(waitUntil([&] { return pubacks.load() >= want; }, 10s),
                          "the broker did not take every message");
  }

  /// Publishes "w0", "w1" … one at a time until each of the two nodes has received one: both
  /// subscriptions are then in place (a subscription is made after the CONNACK, asynchronously).
  void warmUp(const std::function<std::size_t()>& first,
              const std::function<std::size_t()>& second) {
    for (int i = 0; i < 40 && (first() == 0 || second() == 0); ++i) {
      const auto seen = first() + second();
      publish({"w" + std::to_string(i)});
      BOOST_REQUIRE_MESSAGE(waitUntil([&] { return first() + second() > seen; }, 10s),
                            "warm-up message w" << i << " reached no node; broker log:\n"
                                                << broker.log());
    }
    BOOST_REQUIRE_MESSAGE(first() > 0 && second() > 0, "a node never got a warm-up message");
  }
};

std::vector<std::string> linesOf(const fs::path& out) {
  std::vector<std::string> lines;
  std::istringstream in(testsupport::readText(out));
  for (std::string line; std::getline(in, line);)
    if (line != "connected") lines.push_back(line);
  return lines;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(SharedSubscriptions, Cluster)

BOOST_AUTO_TEST_CASE(each_device_message_reaches_exactly_one_node_and_both_nodes_get_some) {
  Received a, b;
  auto nodeA = node("a", a);
  auto nodeB = node("b", b);
  warmUp([&] { return a.all().size(); }, [&] { return b.all().size(); });

  publish(named("m", 100));
  BOOST_REQUIRE(
      waitUntil([&] { return countPrefix(a.all(), "m") + countPrefix(b.all(), "m") >= 100; }, 10s));
  std::this_thread::sleep_for(300ms);  // room for a duplicate, if the broker sent any
  auto got = tally({a.all(), b.all()}, "m");
  BOOST_TEST(got.size() == 100u);  // m0 … m99, each …
  for (const auto& name : named("m", 100)) BOOST_TEST(got[name] == 1, name);  // … exactly once
  BOOST_TEST(countPrefix(a.all(), "m") > 0u);
  BOOST_TEST(countPrefix(b.all(), "m") > 0u);
}

BOOST_AUTO_TEST_CASE(a_killed_node_leaves_the_group_and_a_device_resend_reaches_the_other) {
  Received a;
  auto nodeA = node("a", a);
  const fs::path bOut = broker.dir() / "node-b.out";
  // Node b takes three messages (PUBACKed by libmosquitto), then hangs with the rest unread.
  auto nodeB = probe("b", bOut, {"--hold-after", "3"});
  warmUp([&] { return a.all().size(); }, [&] { return linesOf(bOut).size(); });

  publish(named("m", 40));
  BOOST_REQUIRE(waitUntil([&] { return linesOf(bOut).size() >= 3; }, 10s));
  nodeB->signal(SIGKILL);
  BOOST_REQUIRE(nodeB->wait(10s));

  // Every later message goes to node a: its session is the only one left in the group.
  publish(named("n", 10));
  BOOST_REQUIRE_MESSAGE(waitUntil([&] { return countPrefix(a.all(), "n") == 10; }, 10s),
                        "node a got " << countPrefix(a.all(), "n") << " of 10 after b died");
  std::this_thread::sleep_for(500ms);  // room for a redelivery of b's messages, if any came

  // What b had: the messages it took (PUBACKed, never stored) and those in flight to it (no
  // PUBACK). Mosquitto 2.0.11 gives none of them to node a: they ended with b's session.
  const auto bTook = linesOf(bOut);
  std::vector<std::string> unacked;  // to be resent by the device: no application ack came
  std::set<std::string> atA;
  for (const auto& p : a.all()) atA.insert(p);
  for (const auto& name : named("m", 40))
    if (!atA.count(name)) unacked.push_back(name);
  BOOST_TEST_MESSAGE("node a took " << countPrefix(a.all(), "m") << " of m0..m39, node b took "
                                    << countPrefix(bTook, "m") << " before it hung; "
                                    << unacked.size() << " went with node b");
  // b's turn of the round robin (by hand: 40 messages over two members) never reached a.
  BOOST_TEST(unacked.size() == 20u);
  for (const auto& p : bTook) BOOST_TEST(!atA.count(p), p << " reached both nodes");
  auto first = tally({a.all()}, "m");
  for (const auto& [name, n] : first) BOOST_TEST(n == 1, name);

  // The device resends what it has no ack for; now all of it reaches node a.
  publish(unacked);
  BOOST_REQUIRE(waitUntil([&] { return countPrefix(a.all(), "m") == 40; }, 10s));
  auto all = tally({a.all()}, "m");
  BOOST_TEST(all.size() == 40u);
  for (const auto& name : named("m", 40)) BOOST_TEST(all[name] == 1, name);
}

BOOST_AUTO_TEST_CASE(a_dead_member_with_a_persistent_session_keeps_its_turn) {
  // Why a cluster node's session ends with its connection (ingest/broker_session.hpp): with the
  // single box's persistent session, Mosquitto 2.0.11 keeps queueing a dead member's turn.
  Received a;
  auto nodeA = node("a", a);
  const fs::path bOut = broker.dir() / "node-b.out";
  auto nodeB = probe("b", bOut, {"--hold-after", "1", "--persistent"});
  warmUp([&] { return a.all().size(); }, [&] { return linesOf(bOut).size(); });
  nodeB->signal(SIGKILL);
  BOOST_REQUIRE(nodeB->wait(10s));

  publish(named("n", 10));
  BOOST_REQUIRE(waitUntil([&] { return countPrefix(a.all(), "n") >= 5; }, 10s));
  std::this_thread::sleep_for(500ms);
  BOOST_TEST(countPrefix(a.all(), "n") == 5u);  // every other one, by hand: 10 / 2 members

  // Back with the same session, node b gets the five queued for it while it was dead.
  const fs::path bOut2 = broker.dir() / "node-b-again.out";
  auto again = probe("b", bOut2, {"--persistent"});
  BOOST_REQUIRE(waitUntil([&] { return countPrefix(linesOf(bOut2), "n") >= 5; }, 10s));
  auto got = tally({a.all(), linesOf(bOut2)}, "n");
  BOOST_TEST(got.size() == 10u);
  for (const auto& name : named("n", 10)) BOOST_TEST(got[name] == 1, name);
}

BOOST_AUTO_TEST_SUITE_END()
