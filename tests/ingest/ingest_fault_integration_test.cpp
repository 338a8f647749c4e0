// Durable ingest end to end with real processes: a real Mosquitto (TLS, client certificates,
// ACL), a real vigild, real SQLite files, and hubs that keep every message until the box acks
// it (vigil::fleet::DevicePublisher). vigild is SIGKILLed mid-stream, the broker is restarted
// mid-stream; in each case every acknowledged reading is stored exactly once and, after the
// hubs' resends, every reading is.
#define BOOST_TEST_MODULE ingest_faults
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <signal.h>
#include <sys/mount.h>

#include <boost/test/unit_test.hpp>
#include <cstring>
#include <fstream>
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
  fs::path dbPath;

  std::vector<std::string> extra;  // more --set options for vigild

  explicit Box(std::vector<std::string> extraSettings = {}, fs::path databasePath = {})
      : data(broker.layout().dataDir), extra(std::move(extraSettings)) {
    if (databasePath.empty()) databasePath = data / "vigil.db";
    dbPath = databasePath;
    // Register patients and devices before the first start (as an admin would).
    store::Options o;
    o.path = dbPath;
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
    std::vector<std::string> args{"--set", "data.dir=" + data.string(),
                                  "--set", "web.port=0",
                                  "--set", "web.port_file=" + (data / "web.port").string(),
                                  "--set", "mqtt.port=" + std::to_string(broker.certificatePort()),
                                  "--set", "store.path=" + dbPath.string(),
                                  "--set", "ingest.device_rate=0",
                                  "--set", "log.level=warn"};
    for (const auto& e : extra) {
      args.push_back("--set");
      args.push_back(e);
    }
    vigild = std::make_unique<testsupport::Process>(
        VIGILD_PATH, testsupport::Process::Options{
                         args, {}, {}, data / ("vigild-" + std::to_string(++starts) + ".log")});
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (testsupport::readText(data / "web.port").empty() &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(20ms);
    BOOST_REQUIRE_MESSAGE(
        !testsupport::readText(data / "web.port").empty(),
        "vigild did not start: " +
            testsupport::readText(data / ("vigild-" + std::to_string(starts) + ".log")));
  }
  int webPort() { return std::stoi(testsupport::readText(data / "web.port")); }
  std::pair<int, std::string> get(const std::string& path) {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(webPort()));
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, path);
    session.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::string body(std::istreambuf_iterator<char>(session.receiveResponse(resp)), {});
    return {static_cast<int>(resp.getStatus()), body};
  }
  void kill9() {
    vigild->signal(SIGKILL);
    vigild->wait(10s);
  }
  /// Runs `vigild <args>` against this box's data as a child process; its exit code.
  int command(const std::vector<std::string>& what) {
    std::vector<std::string> args{"--set", "data.dir=" + data.string(), "--set",
                                  "store.path=" + dbPath.string()};
    args.insert(args.end(), what.begin(), what.end());
    auto out = data / "command.out";
    testsupport::Process p(VIGILD_PATH, testsupport::Process::Options{args, {}, out, out});
    auto rc = p.wait(60s);
    BOOST_TEST_MESSAGE("vigild " << what[0] << " " << what[1] << ": "
                                 << testsupport::readText(out));
    return rc ? *rc : -1;
  }
  /// After a fault: the database and the audit chain pass vigild's own checks.
  void checkClean() {
    BOOST_TEST(command({"store", "check"}) == 0);
    BOOST_TEST(command({"audit", "verify"}) == 0);
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
  auto counts = countRows(box.dbPath);
  BOOST_TEST(counts.rows == kTotal);
  BOOST_TEST(counts.distinctKeys == kTotal);
  BOOST_TEST(store::checkIntegrity(box.dbPath).empty());
  box.checkClean();
}

BOOST_AUTO_TEST_CASE(broker_restart_mid_stream_loses_nothing_and_stores_nothing_twice) {
  Box box;
  constexpr int kTotal = 4'000;
  stream(box, kTotal, {1'500}, [&] { box.broker.restart(); });
  box.vigild->stop(5s);
  auto counts = countRows(box.dbPath);
  BOOST_TEST(counts.rows == kTotal);
  BOOST_TEST(counts.distinctKeys == kTotal);
  BOOST_TEST(store::checkIntegrity(box.dbPath).empty());
  box.checkClean();
}

BOOST_AUTO_TEST_CASE(out_of_range_blood_pressure_over_mqtt_raises_one_alert) {
  Box box;
  auto hub = box.hub(0);
  BOOST_REQUIRE(hub->start(10s));
  // Three critical readings milliseconds apart: one alert, counted three times.
  for (std::uint64_t seq = 1; seq <= 3; ++seq) {
    hub->send(seq, "{\"v\":1,\"seq\":" + std::to_string(seq) +
                       ",\"readings\":[{\"kind\":\"blood_pressure\",\"unit\":\"mm[Hg]\","
                       "\"components\":{\"systolic\":" +
                       std::to_string(190 + seq) + ",\"diastolic\":100}}]}");
  }
  BOOST_REQUIRE(hub->waitAllAcknowledged(30s));
  std::int64_t alerts = 0, count = 0;
  double worst = 0;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    store::Connection c(box.dbPath, store::Connection::Mode::readOnly);
    auto s = c.prepare(
        "SELECT count(*), coalesce(max(count), 0), coalesce(max(worst_value), 0) FROM alerts "
        "WHERE rule_key = 'bp.systolic.high' AND state = 'open'");
    s.step();
    alerts = s.get<std::int64_t>(0);
    count = s.get<std::int64_t>(1);
    worst = s.get<double>(2);
    if (alerts == 1 && count == 3) break;
    std::this_thread::sleep_for(100ms);
  }
  BOOST_TEST(alerts == 1);
  BOOST_TEST(count == 3);
  BOOST_TEST(worst == 193.0);
  hub->stop();
}

BOOST_AUTO_TEST_CASE(disk_full_pauses_ingest_without_damage_and_it_resumes_when_space_returns) {
  // The database lives on a 4 MiB tmpfs; a filler file takes most of it.
  testsupport::TempDir mnt("vigil-diskfull");
  if (::mount("tmpfs", mnt.path().c_str(), "tmpfs", 0, "size=4m,mode=0700") != 0) {
    BOOST_FAIL("mounting a tmpfs needs root (CI runs as root): " << std::strerror(errno));
  }
  struct Unmount {
    fs::path p;
    ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } unmount{mnt.path()};
  Box box({}, mnt.path() / "vigil.db");
  auto filler = mnt.path() / "filler";
  {
    // Fill all but ~64 KiB.
    std::ofstream f(filler, std::ios::binary);
    std::string block(64 * 1024, '\0');
    for (int i = 0; i < 64; ++i) f.write(block.data(), static_cast<std::streamsize>(block.size()));
  }
  auto free = fs::space(mnt.path()).available;
  if (free > 64 * 1024) {
    std::ofstream f(filler, std::ios::binary | std::ios::app);
    std::string rest(static_cast<std::size_t>(free - 64 * 1024), '\0');
    f.write(rest.data(), static_cast<std::streamsize>(rest.size()));
  }
  constexpr int kTotal = 3'000;
  std::vector<std::unique_ptr<fleet::DevicePublisher>> hubs;
  for (int i = 0; i < kDevices; ++i) {
    hubs.push_back(box.hub(i));
    BOOST_REQUIRE(hubs.back()->start(10s));
  }
  for (int n = 0; n < kTotal; ++n)
    hubs[static_cast<std::size_t>(n % kDevices)]->send(
        static_cast<std::uint64_t>(n / kDevices),
        payload(static_cast<std::uint64_t>(n / kDevices)));
  // The store fills up: ingest pauses and says so.
  auto deadline = std::chrono::steady_clock::now() + 60s;
  bool paused = false;
  while (!paused && std::chrono::steady_clock::now() < deadline) {
    auto ready = box.get("/readyz");
    paused = ready.first == 503 && ready.second.find("\"ingest\":false") != std::string::npos;
    if (!paused) std::this_thread::sleep_for(50ms);
  }
  BOOST_REQUIRE_MESSAGE(paused, "ingest never reported the full disk: "
                                    << box.get("/readyz").second << " free "
                                    << fs::space(mnt.path()).available << " log "
                                    << testsupport::readText(box.data / "vigild-1.log"));
  BOOST_TEST(box.get("/metrics").second.find("vigil_ingest_store_healthy 0") != std::string::npos);
  std::uint64_t pending = 0;
  for (auto& h : hubs) pending += h->pending();
  BOOST_TEST(pending > 0u);
  // Space returns: ingest resumes by itself and every reading arrives exactly once.
  fs::remove(filler);
  for (auto& h : hubs) BOOST_TEST(h->waitAllAcknowledged(120s));
  BOOST_TEST(box.get("/readyz").first == 200);
  box.vigild->stop(5s);
  auto counts = countRows(box.dbPath);
  BOOST_TEST(counts.rows == kTotal);
  BOOST_TEST(counts.distinctKeys == kTotal);
  BOOST_TEST(store::checkIntegrity(box.dbPath).empty());
  box.checkClean();
  for (auto& h : hubs) h->stop();
}

BOOST_AUTO_TEST_SUITE_END()
