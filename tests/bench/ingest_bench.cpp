// Durable ingest throughput against the raw broker, in the same run, on the same broker:
//   baseline: `mosquitto_pub -q 1 -l` (one process per device connection, TLS with the device's
//             own certificate) → `mosquitto_sub -q 1 -C N` (TLS, a reader's certificate): the
//             time from handing the lines to the connected publishers until the subscriber has
//             every message. Each publisher reads its lines from a FIFO it holds open itself, so
//             it connects first and waits; the clock starts when the broker has logged every
//             connection (process start-up and TLS handshakes are not counted, as they are not
//             for the simulator's devices, which connect before sending);
//   vigil:    the fleet simulator (one MQTT/TLS connection per device, QoS 1) → Mosquitto →
//             vigild (decode, SQLite commit with synchronous=FULL, application ack back to the
//             device): the time until every message is acknowledged as stored.
// Both send the same JSON readings payloads, the same number of messages, over 1, 100 and
// 1,000 concurrent device connections. Baselines run first, before vigild ever subscribes, so
// the broker queues nothing for it.
// Small windows (issue 28): real devices keep a handful of messages in flight, where the box is
// latency-bound. Each device keeps at most N messages unacknowledged (N = 1, stop-and-wait, with
// 1 and 100 devices; N = 20 with 1, 12 and 100), the same simulator both times:
//   raw:      done at the broker's PUBACK (QoS 1 over TLS), with a subscriber attached
//             (`mosquitto_sub -q 1`, which must receive every message), before vigild subscribes;
//   vigil:    done at the box's ack after the fsync'd commit.
// Usage: bench_ingest [MESSAGES] [MAX_CONNECTIONS] [TRIALS]   (defaults 20000, 1000, 3)
// Every figure is the median of TRIALS runs: all raw trials first (before vigild subscribes),
// then the vigil trials. Prints a Markdown table (scripts/bench.sh puts it into
// docs/benchmarks.md).
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "vigil/core/log.hpp"
#include "vigil/fleet/device_payload.hpp"
#include "vigil/fleet/simulation.hpp"
#include "vigil/testsupport/box_fixture.hpp"

namespace fs = std::filesystem;
using namespace vigil;
using namespace std::chrono_literals;

namespace {

std::string uidOf(std::size_t i) {
  return "bench-" + std::to_string(i);
}

void raiseFileLimit() {
  rlimit r{};
  getrlimit(RLIMIT_NOFILE, &r);
  r.rlim_cur = r.rlim_max;
  setrlimit(RLIMIT_NOFILE, &r);
}

std::string quote(const std::string& s) {
  return "'" + s + "'";
}

/// mosquitto_pub → mosquitto_sub over `connections` publishers; returns messages per second.
double rawBroker(testsupport::BoxFixture& box,
                 const testsupport::MosquittoFixture::Observer& reader, std::size_t first,
                 std::size_t connections, std::size_t messages, const fs::path& work) {
  auto& broker = box.broker();
  auto perDevice = messages / connections;
  auto total = perDevice * connections;
  testsupport::Process sub(
      "/usr/bin/mosquitto_sub",
      {{"-h", "127.0.0.1", "-p", std::to_string(broker.certificatePort()), "--cafile",
        broker.caFile().string(), "--cert", reader.certFile.string(), "--key",
        reader.keyFile.string(), "-i", "bench-sub", "-q", "1", "-t", "vigil/v1/devices/+/readings",
        "-C", std::to_string(total)},
       {},
       {},
       work / "sub.err"});
  std::this_thread::sleep_for(500ms);  // subscribed
  fleet::Persona persona(fleet::PersonaKind::normal, 1, fleet::DeviceClockTime{});
  std::vector<std::unique_ptr<testsupport::Process>> pubs;
  std::vector<std::string> lines(connections);
  auto now =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  for (std::size_t c = 0; c < connections; ++c) {
    for (std::size_t i = 0; i < perDevice; ++i) {
      auto at = now + std::chrono::milliseconds(i);
      lines[c] +=
          fleet::readingsPayload(i, persona.measure(fleet::VitalDevice::heartRate, at), at, at) +
          "\n";
    }
  }
  auto connectedSoFar = [&] { return broker.logCount("New client connected"); };
  const auto before = connectedSoFar();
  std::vector<fs::path> fifos;
  for (std::size_t c = 0; c < connections; ++c) {
    auto uid = uidOf(first + c);
    auto fifo = work / ("lines-" + std::to_string(c));
    fs::remove(fifo);
    if (::mkfifo(fifo.c_str(), 0600) != 0) {
      std::perror("mkfifo");
      return 0;
    }
    fifos.push_back(fifo);
    auto bundle = box.bundle(uid);
    // `0<>`: the publisher opens its FIFO read-write, so it neither blocks opening it nor sees
    // end-of-file; it is stopped once the subscriber has every message.
    std::string cmd =
        "exec /usr/bin/mosquitto_pub -h 127.0.0.1 -p " + std::to_string(broker.certificatePort()) +
        " --cafile " + quote((bundle / "ca.pem").string()) + " --cert " +
        quote((bundle / "device.pem").string()) + " --key " +
        quote((bundle / "device.key").string()) + " -i " + uid + " -q 1 -t vigil/v1/devices/" +
        uid + "/readings -l 0<> " + quote(fifo.string());
    pubs.push_back(std::make_unique<testsupport::Process>(
        "/bin/sh", testsupport::Process::Options{{"-c", cmd}, {}, {}, work / "pub.err"}));
  }
  auto deadline = std::chrono::steady_clock::now() + 120s;
  while (connectedSoFar() < before + connections && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  if (connectedSoFar() < before + connections) {
    std::fprintf(stderr, "raw publishers did not all connect\n");
    return 0;
  }
  auto start = std::chrono::steady_clock::now();
  std::thread feeder([&] {
    for (std::size_t c = 0; c < connections; ++c) {
      int fd = ::open(fifos[c].c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0) continue;
      const char* p = lines[c].data();
      std::size_t left = lines[c].size();
      while (left > 0) {
        auto n = ::write(fd, p, left);
        if (n <= 0) break;
        p += n;
        left -= static_cast<std::size_t>(n);
      }
      ::close(fd);
    }
  });
  auto rc = sub.wait(120s);
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  feeder.join();
  for (auto& p : pubs) p->stop(2s);
  if (!rc || *rc != 0) {
    std::fprintf(stderr, "mosquitto_sub did not get every message: %s\n",
                 testsupport::readText(work / "sub.err").c_str());
    return 0;
  }
  return static_cast<double>(total) / seconds;
}

fleet::SimulationReport vigilIngest(testsupport::BoxFixture& box, std::size_t first,
                                    std::size_t connections, std::size_t messages) {
  std::vector<fleet::SimulatedDevice> devices;
  for (std::size_t c = 0; c < connections; ++c) {
    auto d = fleet::deviceFromBundle(box.bundle(uidOf(first + c)));
    d.device = fleet::VitalDevice::heartRate;
    devices.push_back(d);
  }
  fleet::SimulationOptions o;
  o.ratePerDevice = 0;  // as fast as the acks allow
  o.count = (messages / connections) * connections;
  o.maxInFlightPerDevice = std::max<std::size_t>(20, 2000 / connections);
  o.resendAfter = 30s;
  o.drainTimeout = 120s;
  o.connectTimeout = 60s;
  fleet::Simulation sim(std::move(devices), o);
  auto report = sim.run();
  std::fprintf(stderr, "%s", report.text().c_str());
  return report;
}

/// One small-window case: `devices` devices, each with at most `window` messages in flight.
struct WindowCase {
  std::size_t devices;
  std::size_t window;
  std::size_t messages;
};

std::vector<WindowCase> windowCases(std::size_t messages, std::size_t maxConnections) {
  std::vector<WindowCase> out;
  for (auto [devices, window] :
       {std::pair<std::size_t, std::size_t>{1, 1}, {100, 1}, {1, 20}, {12, 20}, {100, 20}}) {
    if (devices > maxConnections) continue;
    // Stop-and-wait on one device runs at a round trip per message: fewer of them.
    auto n = std::min(messages / 3, std::size_t{5000} * devices * window);
    out.push_back({devices, window, std::max(n / devices, std::size_t{1}) * devices});
  }
  return out;
}

fleet::SimulationReport windowRun(testsupport::BoxFixture& box, std::size_t first,
                                  const WindowCase& c, bool puback) {
  std::vector<fleet::SimulatedDevice> devices;
  for (std::size_t d = 0; d < c.devices; ++d) {
    auto dev = fleet::deviceFromBundle(box.bundle(uidOf(first + d)));
    dev.device = fleet::VitalDevice::heartRate;
    devices.push_back(dev);
  }
  fleet::SimulationOptions o;
  o.ratePerDevice = 0;
  o.count = c.messages;
  o.maxInFlightPerDevice = c.window;
  o.completeOnPuback = puback;
  o.resendAfter = 30s;
  o.drainTimeout = 120s;
  o.connectTimeout = 60s;
  fleet::Simulation sim(std::move(devices), o);
  return sim.run();
}

/// The raw case: the simulator done at PUBACK while `mosquitto_sub` receives every message.
fleet::SimulationReport rawWindow(testsupport::BoxFixture& box,
                                  const testsupport::MosquittoFixture::Observer& reader,
                                  std::size_t first, const WindowCase& c, const fs::path& work) {
  auto& broker = box.broker();
  testsupport::Process sub(
      "/usr/bin/mosquitto_sub",
      {{"-h", "127.0.0.1", "-p", std::to_string(broker.certificatePort()), "--cafile",
        broker.caFile().string(), "--cert", reader.certFile.string(), "--key",
        reader.keyFile.string(), "-i", "bench-window-sub", "-q", "1", "-t",
        "vigil/v1/devices/+/readings", "-C", std::to_string(c.messages)},
       {},
       {},
       work / "window-sub.err"});
  auto subscribed = broker.logCount("bench-window-sub");
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (broker.logCount("bench-window-sub") == subscribed &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  std::this_thread::sleep_for(200ms);  // its SUBSCRIBE follows the CONNECT
  auto report = windowRun(box, first, c, true);
  auto rc = sub.wait(60s);
  if (!rc || *rc != 0) {
    std::fprintf(stderr, "mosquitto_sub did not get every message of the raw window run\n");
    report.acknowledged = 0;
  }
  return report;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

/// Median rate of `reports` and the report of the trial at the median (its latencies).
const fleet::SimulationReport& medianTrial(const std::vector<fleet::SimulationReport>& reports,
                                           double& rate) {
  std::vector<double> rates;
  for (const auto& r : reports) rates.push_back(r.acknowledgedPerSecond());
  rate = median(rates);
  return *std::find_if(reports.begin(), reports.end(),
                       [&](const auto& r) { return r.acknowledgedPerSecond() == rate; });
}

std::string range(const std::vector<double>& v) {
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f–%.0f", *lo, *hi);
  return buf;
}

std::vector<double> ratesOf(const std::vector<fleet::SimulationReport>& reports) {
  std::vector<double> out;
  for (const auto& r : reports) out.push_back(r.acknowledgedPerSecond());
  return out;
}

std::uint64_t unackedOf(const std::vector<fleet::SimulationReport>& reports) {
  std::uint64_t n = 0;
  for (const auto& r : reports) n += r.unacknowledged;
  return n;
}

void printThroughput(const std::vector<std::size_t>& counts, std::size_t trials,
                     const std::vector<std::vector<double>>& raw,
                     const std::vector<std::vector<fleet::SimulationReport>>& ingest) {
  std::printf(
      "| connections | messages | raw mosquitto_pub → mosquitto_sub (msg/s) | vigil stored + "
      "acked (msg/s) | ratio | ack p50 / p99 (ms) | unacked |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- |\n");
  for (std::size_t i = 0; i < counts.size(); ++i) {
    double rawMedian = median(raw[i]);
    double vigilMedian = 0;
    const auto& mid = medianTrial(ingest[i], vigilMedian);
    std::printf("| %zu | %zu × %zu | %.0f (%s) | %.0f (%s) | %.0f %% | %.1f / %.1f | %llu |\n",
                counts[i], trials, static_cast<std::size_t>(mid.sent), rawMedian,
                range(raw[i]).c_str(), vigilMedian, range(ratesOf(ingest[i])).c_str(),
                rawMedian > 0 ? 100.0 * vigilMedian / rawMedian : 0.0, mid.p50Ms, mid.p99Ms,
                static_cast<unsigned long long>(unackedOf(ingest[i])));
  }
}

void printWindows(const std::vector<WindowCase>& cases, std::size_t trials,
                  const std::vector<std::vector<fleet::SimulationReport>>& raw,
                  const std::vector<std::vector<fleet::SimulationReport>>& vigil) {
  std::printf(
      "\nSmall windows: each device keeps at most N messages unacknowledged (median of %zu "
      "trials, range in brackets; latency = first send → done, of the median trial).\n\n",
      trials);
  std::printf(
      "| devices | N in flight | messages | raw QoS 1, done at PUBACK (msg/s) | raw p50 / p99 "
      "(ms) | vigil stored + acked (msg/s) | vigil p50 / p99 (ms) | ratio | unacked |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  for (std::size_t i = 0; i < cases.size(); ++i) {
    double rawRate = 0, vigilRate = 0;
    const auto& r = medianTrial(raw[i], rawRate);
    const auto& v = medianTrial(vigil[i], vigilRate);
    std::printf(
        "| %zu | %zu | %zu × %zu | %.0f (%s) | %.2f / %.2f | %.0f (%s) | %.2f / %.2f | %.2f | "
        "%llu |\n",
        cases[i].devices, cases[i].window, trials, cases[i].messages, rawRate,
        range(ratesOf(raw[i])).c_str(), r.p50Ms, r.p99Ms, vigilRate,
        range(ratesOf(vigil[i])).c_str(), v.p50Ms, v.p99Ms, rawRate > 0 ? vigilRate / rawRate : 0,
        static_cast<unsigned long long>(unackedOf(vigil[i])));
  }
}

/// Device numbering: [trial][case] → the first device of that run, each run its own devices.
using Firsts = std::vector<std::vector<std::size_t>>;

template <class Sizes>
Firsts allot(std::size_t trials, const Sizes& sizes, std::size_t& next) {
  Firsts firsts(trials);
  for (std::size_t t = 0; t < trials; ++t) {
    for (std::size_t n : sizes) {
      firsts[t].push_back(next);
      next += n;
    }
  }
  return firsts;
}

int main(int argc, char** argv) {
  std::size_t messages = argc > 1 ? std::stoul(argv[1]) : 20'000;
  std::size_t maxConnections = argc > 2 ? std::stoul(argv[2]) : 1'000;
  std::size_t trials = argc > 3 ? std::max<std::size_t>(1, std::stoul(argv[3])) : 3;
  raiseFileLimit();
  log::setLevel(log::Level::error);
  std::vector<std::size_t> counts;
  for (std::size_t c : {std::size_t{1}, std::size_t{100}, std::size_t{1000}})
    if (c <= maxConnections) counts.push_back(c);
  if (maxConnections > 100 && counts.back() != maxConnections) counts.push_back(maxConnections);
  const auto windows = windowCases(messages, maxConnections);
  std::vector<std::size_t> windowDevices;
  for (const auto& c : windows) windowDevices.push_back(c.devices);

  // Each vigil trial has devices of its own: a device sending flat out stamps its readings 1 ms
  // apart, ahead of the wall clock, and the next trial's readings from the same device would
  // then carry the same device times and be recognised as duplicates (dedup by device + kind +
  // time). The raw trials reuse the first trial's devices: vigild is not running then.
  std::size_t devices = 0;
  const Firsts firsts = allot(trials, counts, devices);
  const Firsts windowFirsts = allot(trials, windowDevices, devices);
  std::fprintf(stderr, "provisioning %zu devices...\n", devices);
  testsupport::BoxFixture::Options o;
  for (std::size_t i = 0; i < devices; ++i) o.deviceUids.push_back(uidOf(i));
  o.settings = {"ingest.device_rate=0"};
  // Experiments: VIGIL_BENCH_SETTINGS="store.batch_max=1000 ..." adds vigild settings.
  if (const char* extra = std::getenv("VIGIL_BENCH_SETTINGS")) {
    std::istringstream in(extra);
    for (std::string kv; in >> kv;) o.settings.push_back(kv);
  }
  o.start = false;
  auto t0 = std::chrono::steady_clock::now();
  testsupport::BoxFixture box(o);
  std::fprintf(stderr, "provisioned in %.1f s\n",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  testsupport::TempDir work("vigil-bench");
  const auto reader = box.broker().addObserver("bench-sub");

  // Every figure is the median of `trials` runs (the machine's own noise moved single runs of
  // the raw broker by ±15 %); the table gives the range too. Raw runs first, before vigild
  // subscribes.
  std::vector<std::vector<double>> raw(counts.size());
  std::vector<std::vector<fleet::SimulationReport>> rawWindows(windows.size());
  for (std::size_t t = 0; t < trials; ++t) {
    for (std::size_t i = 0; i < counts.size(); ++i) {
      std::fprintf(stderr, "raw broker, %zu connections, trial %zu/%zu...\n", counts[i], t + 1,
                   trials);
      raw[i].push_back(rawBroker(box, reader, firsts[0][i], counts[i], messages, work.path()));
    }
    for (std::size_t i = 0; i < windows.size(); ++i) {
      std::fprintf(stderr, "raw broker, %zu devices, %zu in flight, trial %zu/%zu...\n",
                   windows[i].devices, windows[i].window, t + 1, trials);
      rawWindows[i].push_back(rawWindow(box, reader, windowFirsts[0][i], windows[i], work.path()));
    }
  }
  box.start();
  std::vector<std::vector<fleet::SimulationReport>> ingest(counts.size());
  std::vector<std::vector<fleet::SimulationReport>> vigilWindows(windows.size());
  for (std::size_t t = 0; t < trials; ++t) {
    for (std::size_t i = 0; i < counts.size(); ++i) {
      std::fprintf(stderr, "vigil ingest, %zu connections, trial %zu/%zu...\n", counts[i], t + 1,
                   trials);
      ingest[i].push_back(vigilIngest(box, firsts[t][i], counts[i], messages));
    }
    for (std::size_t i = 0; i < windows.size(); ++i) {
      std::fprintf(stderr, "vigil ingest, %zu devices, %zu in flight, trial %zu/%zu...\n",
                   windows[i].devices, windows[i].window, t + 1, trials);
      auto r = windowRun(box, windowFirsts[t][i], windows[i], false);
      std::fprintf(stderr, "%s", r.text().c_str());
      vigilWindows[i].push_back(std::move(r));
    }
  }
  box.stop();
  printThroughput(counts, trials, raw, ingest);
  printWindows(windows, trials, rawWindows, vigilWindows);
  return 0;
}
