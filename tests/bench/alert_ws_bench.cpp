// Time from a device's publish to the alert arriving on a provider's WebSocket, against the raw
// broker's publish → subscribe, measured on the same publishes, in the same run, under load:
//   load:   LOAD_DEVICES simulated devices (the fleet simulator: one MQTT/TLS connection per
//           device with its own certificate, QoS 1, store-then-ack) sending normal heart-rate
//           readings at READINGS_PER_S in total to a real Mosquitto and a real vigild
//           (decode, SQLite commit with synchronous=FULL, alert engine, event bus, web server);
//   probes: PROBES more devices, each publishing one out-of-range blood pressure (systolic 195:
//           a new critical alert for its own patient) at evenly spaced times while the load runs;
//   vigil:  publish → the `alert.raised` frame of that patient read from /api/v1/events by a
//           provider signed in with TOTP and on the care team of every patient (so every
//           reading of the load is also pushed to that socket as `reading.stored`);
//   raw:    publish → the same message delivered to a plain MQTT subscriber (QoS 1, TLS) of the
//           probe topics on the same broker: the floor any broker-based path has.
// Both latencies are taken on one steady clock in this process from the moment each probe is
// handed to its MQTT client. Target (issue #7): vigil p99 under 50 ms.
//
// ENGINE: sqlite (the box), postgres (one vigild on a PostgreSQL 15 server started here), or
// postgres-2 (two vigild nodes on that server and the broker, docs/scale-out.md: node b is the
// alert node and the provider is signed in on node a, so each alert travels b → PostgreSQL
// NOTIFY → a's event bus → the WebSocket).
// Usage: bench_alert_ws [LOAD_DEVICES=1000] [READINGS_PER_S=1000] [SECONDS=30] [PROBES=100]
//                       [ENGINE=sqlite]
// Prints Markdown tables (scripts/bench.sh puts them into docs/benchmarks.md).
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "vigil/core/log.hpp"
#include "vigil/fleet/device_publisher.hpp"
#include "vigil/fleet/simulation.hpp"
#include "vigil/gateway/mqtt_client.hpp"
#include "vigil/testsupport/box_fixture.hpp"
#include "vigil/testsupport/portal_client.hpp"
#include "vigil/testsupport/postgres_server.hpp"

using namespace vigil;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

namespace {

void raiseFileLimit() {
  rlimit r{};
  getrlimit(RLIMIT_NOFILE, &r);
  r.rlim_cur = r.rlim_max;
  setrlimit(RLIMIT_NOFILE, &r);
}

std::string loadUid(std::size_t i) {
  return "load-" + std::to_string(i);
}
std::string probeUid(std::size_t i) {
  return "probe-" + std::to_string(i);
}

double ms(Steady::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

struct Latencies {
  std::vector<double> values;
  std::size_t expected = 0;
  void row(const char* path) const {
    std::printf("| %s | %zu | %zu | %.1f | %.1f | %.1f |\n", path, expected, values.size(),
                fleet::percentile(values, 50), fleet::percentile(values, 99),
                fleet::percentile(values, 100));
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::size_t loadDevices = argc > 1 ? std::stoul(argv[1]) : 1'000;
  double rate = argc > 2 ? std::stod(argv[2]) : 1'000.0;
  auto seconds = std::chrono::seconds(argc > 3 ? std::stol(argv[3]) : 30);
  std::size_t probeCount = argc > 4 ? std::stoul(argv[4]) : 100;
  const std::string engine = argc > 5 ? argv[5] : "sqlite";
  if (loadDevices == 0 || probeCount == 0 || seconds < 5s ||
      (engine != "sqlite" && engine != "postgres" && engine != "postgres-2")) {
    std::fprintf(stderr,
                 "usage: bench_alert_ws [LOAD_DEVICES>0] [READINGS_PER_S] [SECONDS>=5] "
                 "[PROBES>0] [sqlite|postgres|postgres-2]\n");
    return 64;
  }
  raiseFileLimit();
  log::setLevel(log::Level::error);

  std::fprintf(stderr, "provisioning %zu + %zu devices...\n", loadDevices, probeCount);
  testsupport::BoxFixture::Options o;
  for (std::size_t i = 0; i < loadDevices; ++i) o.deviceUids.push_back(loadUid(i));
  for (std::size_t i = 0; i < probeCount; ++i) o.deviceUids.push_back(probeUid(i));
  o.settings = {"ingest.device_rate=0", "web.max_websockets=4"};
  o.start = false;
  std::unique_ptr<testsupport::PostgresServer> pg;
  if (engine != "sqlite") {
    pg = std::make_unique<testsupport::PostgresServer>();
    o.postgresConninfo = pg->createDatabase("bench");
  }
  if (engine == "postgres-2") o.nodes = {"a", "b"};
  testsupport::BoxFixture box(o);
  std::vector<std::int64_t> everyone;
  for (const auto& uid : o.deviceUids) everyone.push_back(box.patientOf(uid));
  testsupport::seedPortalUsers(
      box.dataDir(), box.storeOptions(),
      {{security::Role::provider, "dr.bench@clinic.test", "Dr Bench", {}, everyone}});
  std::string providerNode;  // the node the provider uses ("" for one box)
  if (engine == "postgres-2") {
    box.startNode("b");  // first: the alert node
    for (auto until = Steady::now() + 60s;
         box.getFrom("b", "/healthz/alert-node").first != 200 && Steady::now() < until;)
      std::this_thread::sleep_for(100ms);
    box.startNode("a");
    providerNode = "a";
  } else {
    box.start();
  }

  testsupport::PortalClient provider(providerNode.empty() ? box.webPort()
                                                          : box.webPortOf(providerNode));
  provider.signIn("dr.bench@clinic.test");

  // The provider's live stream, read on its own thread; arrival times of alert.raised by patient.
  std::mutex mutex;
  std::map<std::int64_t, Steady::time_point> alertAt;
  std::map<std::string, Steady::time_point> rawAt;
  std::atomic<bool> stopReading{false};
  std::atomic<std::uint64_t> frames{0};
  std::atomic<int> resyncs{0};
  auto stream = provider.openEvents();
  std::thread reader([&] {
    while (!stopReading) {
      auto e = stream->next(200ms);
      auto now = Steady::now();
      if (!e) {
        if (stream->closed() && !stopReading) {
          ++resyncs;  // dropped as too slow (4000): reconnect as the portal does
          stream = provider.openEvents();
        }
        continue;
      }
      ++frames;
      if (testsupport::jsonString(*e, "type") != "alert.raised") continue;
      if (auto p = testsupport::jsonInt(*e, "patientId")) {
        std::lock_guard lock(mutex);
        alertAt.emplace(*p, now);
      }
    }
  });

  // The baseline's subscriber: the probe topics on the same broker, with a certificate of its
  // own (with the box's, it would take over vigild's session).
  auto& broker = box.broker();
  auto observer = broker.addObserver("bench-observer");
  gateway::MqttOptions so;
  so.port = broker.certificatePort();
  so.clientId = "bench-observer";
  so.caFile = broker.caFile().string();
  so.certFile = observer.certFile.string();
  so.keyFile = observer.keyFile.string();
  so.cleanStart = true;
  so.sessionExpirySeconds = 0;
  gateway::MqttClient raw(so, [&](gateway::MqttMessage&& m) {
    auto now = Steady::now();
    auto from = std::string("vigil/v1/devices/").size();
    auto uid = m.topic.substr(from, m.topic.find('/', from) - from);
    std::lock_guard lock(mutex);
    rawAt.emplace(uid, now);
  });
  for (std::size_t i = 0; i < probeCount; ++i)
    raw.addSubscription("vigil/v1/devices/" + probeUid(i) + "/readings", 1);
  raw.start();
  if (!raw.waitConnected(30s)) {
    std::fprintf(stderr, "the raw subscriber did not connect\n");
    return 1;
  }

  std::vector<std::unique_ptr<fleet::DevicePublisher>> probes;
  for (std::size_t i = 0; i < probeCount; ++i) {
    auto bundle = box.bundle(probeUid(i));
    fleet::PublisherOptions po;
    po.deviceUid = probeUid(i);
    po.mqtt.port = broker.certificatePort();
    po.mqtt.clientId = probeUid(i);
    po.mqtt.caFile = (bundle / "ca.pem").string();
    po.mqtt.certFile = (bundle / "device.pem").string();
    po.mqtt.keyFile = (bundle / "device.key").string();
    po.resendAfter = 30s;  // a resend would blur the measurement
    probes.push_back(std::make_unique<fleet::DevicePublisher>(po));
    if (!probes.back()->start(60s)) {
      std::fprintf(stderr, "probe %zu did not connect\n", i);
      return 1;
    }
  }

  // The load, on its own thread; probes start once it is sending and has run a moment.
  std::vector<fleet::SimulatedDevice> fleetDevices;
  for (std::size_t i = 0; i < loadDevices; ++i) {
    auto d = fleet::deviceFromBundle(box.bundle(loadUid(i)));
    d.device = fleet::VitalDevice::heartRate;
    d.persona = fleet::PersonaKind::normal;
    fleetDevices.push_back(d);
  }
  fleet::SimulationOptions lo;
  lo.ratePerDevice = rate / static_cast<double>(loadDevices);
  lo.duration = seconds;
  lo.connectTimeout = 180s;
  lo.drainTimeout = 30s;
  lo.resendAfter = 10s;
  std::fprintf(stderr, "connecting %zu load devices...\n", loadDevices);
  fleet::Simulation sim(std::move(fleetDevices), lo);
  std::atomic<bool> sending{false};
  fleet::SimulationReport load;
  std::thread loadThread([&] {
    load = sim.run([&](const fleet::SimulationProgress& p) {
      if (p.sent > 0) sending = true;
    });
  });
  auto until = Steady::now() + 300s;
  while (!sending && Steady::now() < until) std::this_thread::sleep_for(50ms);
  auto warmUp = std::min<Steady::duration>(3s, seconds / 5);
  std::this_thread::sleep_for(warmUp);
  auto window = seconds - warmUp - 1s;
  auto step = window / static_cast<long>(probeCount);
  std::fprintf(stderr, "load running; %zu probes, one every %.0f ms...\n", probeCount, ms(step));
  std::vector<Steady::time_point> sentAt(probeCount);
  for (std::size_t i = 0; i < probeCount; ++i) {
    auto next = Steady::now() + step;
    sentAt[i] = Steady::now();
    probes[i]->send(1,
                    "{\"v\":1,\"seq\":1,\"readings\":[{\"kind\":\"blood_pressure\",\"unit\":"
                    "\"mm[Hg]\",\"components\":{\"systolic\":195,\"diastolic\":95}}]}");
    std::this_thread::sleep_until(next);
  }
  loadThread.join();
  auto deadline = Steady::now() + 15s;  // the last alerts
  for (;;) {
    {
      std::lock_guard lock(mutex);
      std::size_t got = 0;
      for (std::size_t i = 0; i < probeCount; ++i) got += alertAt.count(box.patientOf(probeUid(i)));
      if (got == probeCount || Steady::now() > deadline) break;
    }
    std::this_thread::sleep_for(50ms);
  }
  stopReading = true;
  reader.join();
  raw.stop();
  for (auto& p : probes) p->stop();
  box.stop();

  Latencies vigil, baseline;
  vigil.expected = baseline.expected = probeCount;
  for (std::size_t i = 0; i < probeCount; ++i) {
    if (auto it = alertAt.find(box.patientOf(probeUid(i))); it != alertAt.end())
      vigil.values.push_back(ms(it->second - sentAt[i]));
    if (auto it = rawAt.find(probeUid(i)); it != rawAt.end())
      baseline.values.push_back(ms(it->second - sentAt[i]));
  }

  std::printf("Engine: %s\n\n", engine.c_str());
  std::printf(
      "| load devices | readings/s asked | readings sent | acknowledged/s | unacked | "
      "ack p99 (ms) | WebSocket frames | stream resyncs |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
  std::printf("| %zu | %.0f | %llu | %.0f | %llu | %.1f | %llu | %d |\n\n", loadDevices, rate,
              static_cast<unsigned long long>(load.sent), load.acknowledgedPerSecond(),
              static_cast<unsigned long long>(load.unacknowledged), load.p99Ms,
              static_cast<unsigned long long>(frames.load()), resyncs.load());
  std::printf(
      "| path (same probe publishes) | probes | received | p50 (ms) | p99 (ms) | "
      "max (ms) |\n");
  std::printf("| --- | --- | --- | --- | --- | --- |\n");
  baseline.row("raw: publish → MQTT subscriber (same broker)");
  vigil.row("vigil: publish → `alert.raised` on the provider's WebSocket");
  return vigil.values.size() == probeCount ? 0 : 1;
}
