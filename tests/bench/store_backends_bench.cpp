// Ingest on each store engine, same machine, same run (issue 29): the fleet simulator → Mosquitto
// → vigild → store → ack, with vigild on SQLite (the appliance's store: the baseline) and on a
// PostgreSQL 15 server started here (testsupport::PostgresServer, fsync on, synchronous_commit
// on), with one vigild and with two vigild nodes sharing the broker (MQTT v5 shared
// subscriptions) and the database (cluster.node_id, docs/scale-out.md). Two shapes for each:
// throughput (100 devices, 20 messages in flight each) and the round trip of one stop-and-wait
// device (publish → durable commit → ack).
// Usage: bench_store_backends [MESSAGES] [TRIALS]   (defaults 20000, 3)
// Prints a Markdown table (scripts/bench.sh puts it into docs/benchmarks.md); each figure is
// the median of TRIALS runs.
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "vigil/core/log.hpp"
#include "vigil/fleet/device_payload.hpp"
#include "vigil/fleet/simulation.hpp"
#include "vigil/testsupport/box_fixture.hpp"
#include "vigil/testsupport/postgres_server.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

struct Shape {
  const char* name;
  std::size_t devices;
  std::size_t window;
  std::size_t messages;
};

struct Result {
  double rate = 0;
  double p50 = 0;
  double p99 = 0;
};

Result runShape(testsupport::BoxFixture& box, std::size_t first, const Shape& s) {
  std::vector<fleet::SimulatedDevice> devices;
  for (std::size_t d = 0; d < s.devices; ++d) {
    auto dev = fleet::deviceFromBundle(box.bundle("bench-" + std::to_string(first + d)));
    dev.device = fleet::VitalDevice::heartRate;
    devices.push_back(dev);
  }
  fleet::SimulationOptions o;
  o.ratePerDevice = 0;
  o.count = (s.messages / s.devices) * s.devices;
  o.maxInFlightPerDevice = s.window;
  o.resendAfter = 30s;
  o.drainTimeout = 120s;
  o.connectTimeout = 60s;
  fleet::Simulation sim(std::move(devices), o);
  auto r = sim.run();
  if (r.acknowledged != r.sent) std::fprintf(stderr, "%s", r.text().c_str());
  return {r.acknowledgedPerSecond(), r.p50Ms, r.p99Ms};
}

Result median(std::vector<Result> v) {
  auto mid = [&](auto field) {
    std::vector<double> xs;
    for (const auto& r : v) xs.push_back(r.*field);
    std::sort(xs.begin(), xs.end());
    return xs[xs.size() / 2];
  };
  return {mid(&Result::rate), mid(&Result::p50), mid(&Result::p99)};
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t messages = argc > 1 ? std::stoul(argv[1]) : 20000;
  const int trials = argc > 2 ? std::stoi(argv[2]) : 3;
  rlimit r{};
  getrlimit(RLIMIT_NOFILE, &r);
  r.rlim_cur = r.rlim_max;
  setrlimit(RLIMIT_NOFILE, &r);
  log::setLevel(log::Level::warn);

  const std::vector<Shape> shapes = {{"100 devices × 20 in flight", 100, 20, messages},
                                     {"1 device, stop-and-wait", 1, 1, messages / 10}};
  // Each trial uses devices of its own: nothing a trial sends is a duplicate of another's.
  std::size_t perTrial = 0;
  for (const auto& s : shapes) perTrial += s.devices;

  testsupport::PostgresServer pg;
  struct Engine {
    const char* name;
    std::string conninfo;
    std::vector<std::string> nodes;
  };
  const std::vector<Engine> engines = {
      {"SQLite (one file)", "", {}},
      {"PostgreSQL 15 (local server), one node", pg.createDatabase("bench"), {}},
      {"PostgreSQL 15 (local server), two nodes", pg.createDatabase("bench2"), {"a", "b"}}};

  std::printf(
      "| engine | shape | acked msg/s | p50 ms | p99 ms |\n| --- | --- | --- | --- | --- |\n");
  for (const auto& e : engines) {
    testsupport::BoxFixture::Options o;
    for (std::size_t i = 0; i < perTrial * static_cast<std::size_t>(trials); ++i)
      o.deviceUids.push_back("bench-" + std::to_string(i));
    o.settings = {"ingest.device_rate=0"};
    o.postgresConninfo = e.conninfo;
    o.nodes = e.nodes;
    testsupport::BoxFixture box(o);
    std::vector<std::vector<Result>> results(shapes.size());
    for (int t = 0; t < trials; ++t) {
      std::size_t first = perTrial * static_cast<std::size_t>(t);
      for (std::size_t s = 0; s < shapes.size(); ++s) {
        results[s].push_back(runShape(box, first, shapes[s]));
        first += shapes[s].devices;
      }
    }
    for (std::size_t s = 0; s < shapes.size(); ++s) {
      auto m = median(results[s]);
      std::printf("| %s | %s | %.0f | %.2f | %.2f |\n", e.name, shapes[s].name, m.rate, m.p50,
                  m.p99);
      std::fflush(stdout);
    }
    box.stop();
  }
  return 0;
}
