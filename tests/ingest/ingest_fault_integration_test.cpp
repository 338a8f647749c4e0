// Durable ingest end to end with real processes: a real Mosquitto (TLS, client certificates,
// ACL), a real vigild, real SQLite files, and hubs that keep every message until the box acks
// it (vigil::fleet::DevicePublisher). vigild is SIGKILLed mid-stream, the broker is restarted
// mid-stream; in each case every acknowledged reading is stored exactly once and, after the
// hubs' resends, every reading is.
#define BOOST_TEST_MODULE ingest_faults
#include <signal.h>

#include <boost/test/unit_test.hpp>
#include <set>
#include <thread>

#include "vigil/fleet/device_publisher.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/testsupport/mosquitto_fixture.hpp"

namespace fs = std::filesystem;
using namespace vigil;
using namespace std::chrono_literals;

namespace {

constexpr int kDevices = 10;

std::string uidOf(int i) {
  return "hub-" + std::to_string(i);
}

/// A broker, the box's data directory with devices registered, and vigild (restartable).
struct Box {
  testsupport::MosquittoFixture broker;
  fs::path data;
  std::unique_ptr<testsupport::Process> vigild;
  int starts = 0;

  Box() : data(broker.layout().dataDir) {
    // Register patients and devices before the first start (as an admin would).
    store::Options o;
    o.path = data / "vigil.db";
    auto db = store::Database::open(o);
    ManualClock clock(std::chrono::system_clock::now() - 24h);
    registry::DeviceRegistry reg(*db, clock);
    for (int i = 0; i < kDevices; ++i) {
      broker.provisioner().provisionCertificate(uidOf(i), broker.dir() / ("bundle-" + uidOf(i)));
      auto patient = db->writeSync([](store::Connection& c) {
        auto s = c.prepare("INSERT INTO patients (created_at) VALUES (0)");
        s.run();
        return c.lastInsertRowid();
      });
      auto d = reg.add({uidOf(i), registry::DeviceKind::hub});
      reg.assign(d.id, patient);
    }
    db->close();
    start();
  }
  ~Box() {
    if (vigild) vigild->stop(5s);
  }
  void start() {
    fs::remove(data / "web.port");
    vigild = std::make_unique<testsupport::Process>(
        VIGILD_PATH, testsupport::Process::Options{
                         {"--set", "data.dir=" + data.string(), "--set", "web.port=0", "--set",
                          "web.port_file=" + (data / "web.port").string(), "--set",
                          "mqtt.port=" + std::to_string(broker.certificatePort()), "--set",
                          "ingest.device_rate=0", "--set", "log.level=warn"},
                         {},
                         {},
                         data / ("vigild-" + std::to_string(++starts) + ".log")});
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (testsupport::readText(data / "web.port").empty() &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(20ms);
    BOOST_REQUIRE_MESSAGE(
        !testsupport::readText(data / "web.port").empty(),
        "vigild did not start: " +
            testsupport::readText(data / ("vigild-" + std::to_string(starts) + ".log")));
  }
  void kill9() {
    vigild->signal(SIGKILL);
    vigild->wait(10s);
  }
  std::unique_ptr<fleet::DevicePublisher> hub(int i) {
    auto bundle = broker.dir() / ("bundle-" + uidOf(i));
    fleet::PublisherOptions o;
    o.deviceUid = uidOf(i);
    o.mqtt.port = broker.certificatePort();
    o.mqtt.clientId = uidOf(i);
    o.mqtt.caFile = (bundle / "ca.pem").string();
    o.mqtt.certFile = (bundle / "device.pem").string();
    o.mqtt.keyFile = (bundle / "device.key").string();
    o.mqtt.cleanStart = false;
    o.mqtt.reconnectMin = 100ms;
    o.mqtt.reconnectMax = 1s;
    o.resendAfter = 2s;
    o.maxInFlight = 500;
    return std::make_unique<fleet::DevicePublisher>(o);
  }
};

std::string payload(std::uint64_t seq) {
  // One heart-rate reading per message, numbered by the hub; a value that varies with seq.
  return "{\"v\":1,\"seq\":" + std::to_string(seq) +
         ",\"readings\":[{\"kind\":\"heart_rate\",\"unit\":\"/min\",\"value\":" +
         std::to_string(50 + seq % 60) + "}]}";
}

struct Counts {
  std::int64_t rows = 0;
  std::int64_t distinctKeys = 0;
};

Counts countRows(const fs::path& dbPath) {
  store::Connection c(dbPath, store::Connection::Mode::readOnly);
  auto s =
      c.prepare("SELECT count(*), count(DISTINCT device_id || '/' || dedup_key) FROM readings");
  s.step();
  return {s.get<std::int64_t>(0), s.get<std::int64_t>(1)};
}

/// Sends `total` messages spread over the hubs, calling `fault` when `faultAt` contains the
/// number sent so far; then waits until every hub has every message acknowledged.
void stream(Box& box, int total, const std::set<int>& faultAt, const std::function<void()>& fault) {
  std::vector<std::unique_ptr<fleet::DevicePublisher>> hubs;
  for (int i = 0; i < kDevices; ++i) {
    hubs.push_back(box.hub(i));
    BOOST_REQUIRE(hubs.back()->start(10s));
  }
  for (int n = 0; n < total; ++n) {
    if (faultAt.count(n)) fault();
    auto& h = *hubs[static_cast<std::size_t>(n % kDevices)];
    h.send(static_cast<std::uint64_t>(n / kDevices),
           payload(static_cast<std::uint64_t>(n / kDevices)));
  }
  std::uint64_t acked = 0, resent = 0, rejected = 0;
  for (auto& h : hubs) {
    BOOST_TEST(h->waitAllAcknowledged(120s), "hub still has " << h->pending() << " pending");
    auto st = h->stats();
    acked += st.acked;
    resent += st.resent;
    rejected += st.rejected;
  }
  BOOST_TEST(acked == static_cast<std::uint64_t>(total));
  BOOST_TEST(rejected == 0u);
  BOOST_TEST_MESSAGE("acked " << acked << ", resent " << resent);
  for (auto& h : hubs) h->stop();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(IngestFaults)

BOOST_AUTO_TEST_CASE(sigkill_three_times_mid_stream_loses_nothing_and_stores_nothing_twice) {
  Box box;
  constexpr int kTotal = 10'000;
  int kills = 0;
  stream(box, kTotal, {2'000, 5'000, 8'000}, [&] {
    // Everything acknowledged so far must already be on disk when vigild dies.
    box.kill9();
    ++kills;
    std::this_thread::sleep_for(300ms);
    box.start();
  });
  BOOST_TEST(kills == 3);
  box.vigild->stop(5s);
  auto counts = countRows(box.data / "vigil.db");
  BOOST_TEST(counts.rows == kTotal);
  BOOST_TEST(counts.distinctKeys == kTotal);
  BOOST_TEST(store::checkIntegrity(box.data / "vigil.db").empty());
}

BOOST_AUTO_TEST_CASE(broker_restart_mid_stream_loses_nothing_and_stores_nothing_twice) {
  Box box;
  constexpr int kTotal = 4'000;
  stream(box, kTotal, {1'500}, [&] { box.broker.restart(); });
  box.vigild->stop(5s);
  auto counts = countRows(box.data / "vigil.db");
  BOOST_TEST(counts.rows == kTotal);
  BOOST_TEST(counts.distinctKeys == kTotal);
  BOOST_TEST(store::checkIntegrity(box.data / "vigil.db").empty());
}

BOOST_AUTO_TEST_SUITE_END()
