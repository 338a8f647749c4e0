#include "vigil/fleet/simulation.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <mutex>
#include <queue>
#include <random>
#include <sstream>
#include <thread>

#include "vigil/core/error.hpp"
#include "vigil/fleet/device_payload.hpp"

namespace vigil::fleet {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;
using std::chrono::milliseconds;

DeviceClockTime wallNow() {
  return std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now());
}

std::string fixed(double v, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string jsonKey(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) >= 0x20) out.push_back(c);
  }
  return out + "\"";
}

}  // namespace

// ---- bundles ----------------------------------------------------------------------------------

SimulatedDevice deviceFromBundle(const std::filesystem::path& dir) {
  auto file = dir / "device.json";
  std::ifstream in(file);
  if (!in) throw ConfigError(file.string() + ": cannot read the device bundle");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  SimulatedDevice d;
  try {
    Poco::JSON::Parser parser;
    auto root = parser.parse(text).extract<Poco::JSON::Object::Ptr>();
    d.uid = root->getValue<std::string>("deviceId");
    auto broker = root->getObject("broker");
    if (!broker) throw ConfigError(file.string() + ": no broker");
    d.mqtt.host = broker->getValue<std::string>("host");
    d.mqtt.port = broker->getValue<int>("port");
    d.mqtt.caFile = (dir / broker->optValue<std::string>("caFile", "ca.pem")).string();
    auto creds = root->getObject("credentials");
    if (creds && creds->has("certFile")) {
      d.mqtt.certFile = (dir / creds->getValue<std::string>("certFile")).string();
      d.mqtt.keyFile = (dir / creds->getValue<std::string>("keyFile")).string();
    } else if (creds && creds->has("passwordFile")) {
      d.mqtt.username = creds->getValue<std::string>("username");
      std::ifstream pw(dir / creds->getValue<std::string>("passwordFile"));
      std::getline(pw, d.mqtt.password);
    }
  } catch (const ConfigError&) {
    throw;
  } catch (const std::exception& e) {
    throw ConfigError(file.string() + ": not a device bundle (" + e.what() + ")");
  }
  d.mqtt.clientId = d.uid;
  d.mqtt.cleanStart = false;
  d.mqtt.reconnectMin = milliseconds(100);
  d.mqtt.reconnectMax = milliseconds(2000);
  return d;
}

std::vector<SimulatedDevice> fleetFromFile(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw ConfigError(file.string() + ": cannot read the fleet file");
  std::vector<SimulatedDevice> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::istringstream fields(line);
    std::string uid, persona, kind, bundle;
    if (!(fields >> uid)) continue;
    if (!(fields >> persona >> kind >> bundle))
      throw ConfigError(file.string() + ":" + std::to_string(n) +
                        ": expected <uid> <persona> <device kind> <bundle dir> [<utc offset>]");
    std::optional<int> utcOffset;
    if (std::string offset; fields >> offset) {
      int minutes = 0;
      auto [end, ec] = std::from_chars(offset.data(), offset.data() + offset.size(), minutes);
      if (ec != std::errc{} || end != offset.data() + offset.size() || minutes < -14 * 60 ||
          minutes > 14 * 60)
        throw ConfigError(file.string() + ":" + std::to_string(n) +
                          ": the UTC offset is minutes between -840 and 840");
      utcOffset = minutes;
    }
    auto p = personaFromName(persona);
    auto k = vitalDeviceFromName(kind);
    if (!p) throw ConfigError(file.string() + ":" + std::to_string(n) + ": unknown persona");
    if (!k) throw ConfigError(file.string() + ":" + std::to_string(n) + ": unknown device kind");
    std::filesystem::path dir(bundle);
    if (dir.is_relative()) dir = file.parent_path() / dir;
    auto d = deviceFromBundle(dir);
    if (d.uid != uid)
      throw ConfigError(file.string() + ":" + std::to_string(n) + ": bundle is for another device");
    d.persona = *p;
    d.device = *k;
    d.utcOffsetMinutes = utcOffset;
    out.push_back(std::move(d));
  }
  if (out.empty()) throw ConfigError(file.string() + ": no devices");
  return out;
}

// ---- report -----------------------------------------------------------------------------------

void SimulationReport::add(const PublisherStats& s) {
  sent += s.sent;
  acknowledged += s.acked;
  rejected += s.rejected;
  resent += s.resent;
  duplicates += s.duplicatesReported + s.duplicateAcks;
  if (s.publishErrors) errors["publish_failed"] += s.publishErrors;
  for (const auto& [reason, n] : s.rejectedByReason)
    errors["rejected:" + (reason.empty() ? std::string("unspecified") : reason)] += n;
  latencies_.insert(latencies_.end(), s.ackLatencyMs.begin(), s.ackLatencyMs.end());
}

void SimulationReport::finish() {
  p50Ms = percentile(latencies_, 50);
  p95Ms = percentile(latencies_, 95);
  p99Ms = percentile(latencies_, 99);
  maxMs = latencies_.empty() ? 0 : *std::max_element(latencies_.begin(), latencies_.end());
  unacknowledged = sent > acknowledged + rejected ? sent - acknowledged - rejected : 0;
  if (unacknowledged) errors["unacknowledged"] = unacknowledged;
  if (connected < devices) errors["not_connected"] = devices - connected;
}

std::string SimulationReport::text() const {
  std::string out;
  out += "devices        " + std::to_string(connected) + "/" + std::to_string(devices) +
         " connected\n";
  out += "sent           " + std::to_string(sent) + "\n";
  out += "acknowledged   " + std::to_string(acknowledged) + " (" +
         fixed(acknowledgedPerSecond(), 1) + "/s over " + fixed(seconds, 2) + " s)\n";
  out += "rejected       " + std::to_string(rejected) + "\n";
  out += "resent         " + std::to_string(resent) + "\n";
  out += "duplicates     " + std::to_string(duplicates) + "\n";
  out += "offline        " + std::to_string(bufferedOffline) + " held back, " +
         std::to_string(catchUpBursts) + " catch-up bursts\n";
  out += "latency (ms)   p50 " + fixed(p50Ms, 1) + "  p95 " + fixed(p95Ms, 1) + "  p99 " +
         fixed(p99Ms, 1) + "  max " + fixed(maxMs, 1) + "   (publish -> stored ack)\n";
  out += "errors        ";
  if (errors.empty()) out += " none";
  for (const auto& [kind, n] : errors) out += " " + kind + "=" + std::to_string(n);
  return out + "\n";
}

std::string SimulationReport::json() const {
  std::string e = "{";
  for (const auto& [kind, n] : errors)
    e += (e.size() > 1 ? "," : "") + jsonKey(kind) + ":" + std::to_string(n);
  e += "}";
  return "{\"devices\":" + std::to_string(devices) + ",\"connected\":" + std::to_string(connected) +
         ",\"seconds\":" + fixed(seconds, 3) + ",\"sent\":" + std::to_string(sent) +
         ",\"acknowledged\":" + std::to_string(acknowledged) +
         ",\"acknowledged_per_second\":" + fixed(acknowledgedPerSecond(), 1) +
         ",\"rejected\":" + std::to_string(rejected) + ",\"resent\":" + std::to_string(resent) +
         ",\"duplicates\":" + std::to_string(duplicates) +
         ",\"unacknowledged\":" + std::to_string(unacknowledged) +
         ",\"offline_held\":" + std::to_string(bufferedOffline) +
         ",\"catch_up_bursts\":" + std::to_string(catchUpBursts) +
         ",\"latency_ms\":{\"p50\":" + fixed(p50Ms, 3) + ",\"p95\":" + fixed(p95Ms, 3) +
         ",\"p99\":" + fixed(p99Ms, 3) + ",\"max\":" + fixed(maxMs, 3) + "},\"errors\":" + e + "}";
}

// ---- devices ------------------------------------------------------------------------------------

struct Simulation::Device {
  struct Held {
    std::uint64_t seq;
    Measurement measurement;
    DeviceClockTime stamp;
    std::uint16_t glucoseSeq;
  };

  SimulatedDevice spec;
  std::unique_ptr<DevicePublisher> publisher;
  Persona persona;
  std::mt19937_64 rng;
  milliseconds skew{0};
  std::string address;
  std::uint64_t nextSeq = 0;
  std::uint16_t glucoseSeq = 0;
  DeviceClockTime lastStamp{};
  SteadyTime offlineUntil{};
  std::vector<Held> held;

  Device(SimulatedDevice s, const SimulationOptions& o, std::uint64_t seed, std::uint64_t seq0,
         std::shared_ptr<gateway::MqttReactor> reactor)
      : spec(std::move(s)),
        persona(spec.persona, seed, wallNow(), spec.utcOffsetMinutes.value_or(o.utcOffsetMinutes)),
        rng(seed ^ 0x5DEECE66DULL),
        address(bleAddressFor(spec.uid)),
        nextSeq(seq0) {
    if (o.maxSkew.count() > 0) {
      std::uniform_int_distribution<std::int64_t> d(-o.maxSkew.count() * 1000,
                                                    o.maxSkew.count() * 1000);
      skew = milliseconds(d(rng));
    }
    PublisherOptions po;
    po.mqtt = spec.mqtt;
    if (po.mqtt.clientId.empty()) po.mqtt.clientId = spec.uid;
    po.deviceUid = spec.uid;
    po.leaf = o.mode == WireMode::gatt ? "gatt" : "readings";
    po.resendAfter = o.resendAfter;
    po.maxInFlight = o.maxInFlightPerDevice;
    po.completeOnPuback = o.completeOnPuback;
    po.reactor = std::move(reactor);
    po.ownResendThread = false;  // Simulation::run resends for the whole fleet
    publisher = std::make_unique<DevicePublisher>(po);
  }

  std::string payload(WireMode mode, const Held& h, DeviceClockTime sentAt) const {
    if (mode == WireMode::gatt)
      return gattPayload(h.seq, encodeGatt(h.measurement, h.stamp, h.glucoseSeq), address, sentAt);
    return readingsPayload(h.seq, h.measurement, h.stamp, sentAt);
  }
};

Simulation::Simulation(std::vector<SimulatedDevice> devices, SimulationOptions options)
    : options_(options) {
  std::uint64_t seq0 =
      options_.seqStart
          ? options_.seqStart
          : static_cast<std::uint64_t>(wallNow().time_since_epoch().count());  // fits 2^53
  std::size_t threads = options_.networkThreads
                            ? options_.networkThreads
                            : std::clamp<std::size_t>(devices.size() / 250, 1, 4);
  for (std::size_t i = 0; i < threads; ++i)
    reactors_.push_back(std::make_shared<gateway::MqttReactor>());
  std::mt19937_64 seeds(options_.seed);
  for (std::size_t i = 0; i < devices.size(); ++i)
    devices_.push_back(std::make_unique<Device>(std::move(devices[i]), options_, seeds(), seq0,
                                                reactors_[i % reactors_.size()]));
}

Simulation::~Simulation() = default;

SimulationProgress Simulation::snapshot() const {
  SimulationProgress p;
  p.sent = sent_.load();
  for (const auto& d : devices_) {
    auto s = d->publisher->stats(false);
    p.acknowledged += s.acked;
    p.pending += d->publisher->pending();
  }
  if (options_.count) {
    p.target = options_.count;
  } else if (options_.ratePerDevice > 0 && options_.duration.count() > 0) {
    p.target = static_cast<std::uint64_t>(options_.ratePerDevice * double(devices_.size()) *
                                          double(options_.duration.count()) / 1000.0);
  }
  p.target = std::max(p.target, p.sent);
  p.draining = draining_.load();
  return p;
}

void Simulation::schedule(const std::atomic<bool>* stop) {
  const auto start = std::chrono::steady_clock::now();
  const bool paced = options_.ratePerDevice > 0;
  const auto interval = paced ? std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                    std::chrono::duration<double>(1.0 / options_.ratePerDevice))
                              : std::chrono::steady_clock::duration::zero();
  std::mt19937_64 rng(options_.seed * 7919 + 1);
  using Due = std::pair<SteadyTime, std::size_t>;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> queue;
  for (std::size_t i = 0; i < devices_.size(); ++i) {
    // A random phase so the devices do not all measure at the same instant.
    std::uniform_real_distribution<double> phase(0, 1);
    queue.push({start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval *
                                                                                        phase(rng)),
                i});
  }
  std::uniform_real_distribution<double> unit(0, 1);
  auto flush = [&](Device& d, DeviceClockTime wall) {
    if (d.held.empty()) return;
    catchUps_.fetch_add(1);
    for (const auto& h : d.held)
      d.publisher->send(h.seq, d.payload(options_.mode, h, wall + d.skew));
    d.held.clear();
  };
  std::size_t rr = 0;
  for (;;) {
    if (stop && stop->load()) break;
    if (options_.count && sent_.load() >= options_.count) break;
    auto now = std::chrono::steady_clock::now();
    if (options_.duration.count() > 0 && now - start >= options_.duration) break;
    std::size_t index;
    if (paced) {
      auto [due, i] = queue.top();
      if (due > now) {
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
            due - now, std::chrono::milliseconds(100)));
        continue;
      }
      queue.pop();
      // Poisson-like spacing: ±50 % jitter around the interval.
      queue.push({due + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            interval * (0.5 + unit(rng))),
                  i});
      index = i;
    } else {
      index = rr++ % devices_.size();
    }
    Device& d = *devices_[index];
    auto wall = wallNow();
    if (d.offlineUntil != SteadyTime{} && now >= d.offlineUntil) {
      d.offlineUntil = {};
      flush(d, wall);
    }
    Device::Held h{d.nextSeq++, d.persona.measure(d.spec.device, wall), wall + d.skew, 0};
    if (options_.mode == WireMode::gatt) {
      // A device stamps whole seconds and cannot measure twice in one second.
      DeviceClockTime stamp = std::chrono::floor<std::chrono::seconds>(h.stamp);
      if (stamp <= d.lastStamp) stamp = d.lastStamp + std::chrono::seconds(1);
      d.lastStamp = stamp;
      h.stamp = stamp;
      h.glucoseSeq = d.glucoseSeq++;
    } else if (h.stamp <= d.lastStamp) {
      // The box tells readings apart by device time (ms) when they carry no sequence number: a
      // device never stamps two measurements with the same millisecond.
      h.stamp = d.lastStamp + milliseconds(1);
    }
    if (options_.mode != WireMode::gatt) d.lastStamp = h.stamp;
    if (!started_.exchange(true)) firstSend_ = std::chrono::steady_clock::now();
    sent_.fetch_add(1);
    if (d.offlineUntil != SteadyTime{}) {
      d.held.push_back(h);
      buffered_.fetch_add(1);
    } else {
      d.publisher->send(h.seq, d.payload(options_.mode, h, wall + d.skew));
      if (options_.offlineProbability > 0 && unit(d.rng) < options_.offlineProbability) {
        std::uniform_int_distribution<std::int64_t> len(
            options_.offlineMin.count(),
            std::max(options_.offlineMin, options_.offlineMax).count());
        d.offlineUntil = now + milliseconds(len(d.rng));
      }
    }
  }
  // Every device comes back online at the end and sends what it kept.
  for (auto& d : devices_) flush(*d, wallNow());
}

SimulationReport Simulation::run(const ProgressFn& progress, const std::atomic<bool>* stop) {
  SimulationReport report;
  report.devices = devices_.size();
  for (auto& d : devices_) d->publisher->start(milliseconds(0));
  auto connectDeadline = std::chrono::steady_clock::now() + options_.connectTimeout;
  auto connectedCount = [&] {
    return static_cast<std::size_t>(std::count_if(
        devices_.begin(), devices_.end(), [](auto& d) { return d->publisher->connected(); }));
  };
  while (connectedCount() < devices_.size() && std::chrono::steady_clock::now() < connectDeadline &&
         !(stop && stop->load()))
    std::this_thread::sleep_for(milliseconds(20));
  report.connected = connectedCount();

  std::atomic<bool> resending{true};
  std::thread resender([&] {
    while (resending.load()) {
      std::this_thread::sleep_for(milliseconds(100));
      for (auto& d : devices_) d->publisher->resendDue();
    }
  });
  // The scheduler wakes this thread as soon as it has sent everything: polling for that every
  // 200 ms would count up to 200 ms of waiting into the run (a tenth of a 2 s benchmark).
  std::mutex doneMutex;
  std::condition_variable doneCv;
  bool done = false;
  std::thread scheduler([&] {
    schedule(stop);
    {
      std::lock_guard lock(doneMutex);
      done = true;
    }
    doneCv.notify_all();
  });
  for (;;) {
    if (progress) progress(snapshot());
    std::unique_lock lock(doneMutex);
    if (doneCv.wait_for(lock, milliseconds(200), [&] { return done; })) break;
  }
  scheduler.join();
  draining_.store(true);
  auto drainDeadline = std::chrono::steady_clock::now() + options_.drainTimeout;
  auto lastProgress = std::chrono::steady_clock::time_point{};
  for (;;) {
    auto s = snapshot();
    auto now = std::chrono::steady_clock::now();
    if (progress && (s.pending == 0 || now - lastProgress >= milliseconds(200))) {
      progress(s);
      lastProgress = now;
    }
    if (s.pending == 0) break;
    if (now >= drainDeadline) break;
    std::this_thread::sleep_for(milliseconds(2));  // the run ends at most 2 ms after its last ack
  }
  auto end = std::chrono::steady_clock::now();
  resending.store(false);
  resender.join();
  report.seconds = started_.load() ? std::chrono::duration<double>(end - firstSend_).count() : 0;

  // Stop the publishers in parallel: each takes up to one network-loop tick to wind down.
  std::vector<std::thread> stoppers;
  std::size_t workers = std::min<std::size_t>(32, std::max<std::size_t>(1, devices_.size()));
  for (std::size_t w = 0; w < workers; ++w)
    stoppers.emplace_back([&, w] {
      for (std::size_t i = w; i < devices_.size(); i += workers) devices_[i]->publisher->stop();
    });
  for (auto& t : stoppers) t.join();
  for (auto& d : devices_) report.add(d->publisher->stats());
  report.bufferedOffline = buffered_.load();
  report.catchUpBursts = catchUps_.load();
  report.finish();
  return report;
}

}  // namespace vigil::fleet
