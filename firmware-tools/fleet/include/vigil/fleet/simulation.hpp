#pragma once
// The fleet simulator behind `vigil-devtool simulate`, the demo clinic and the ingest benchmark:
// N devices, each a DevicePublisher (its own MQTT/TLS connection with its own credentials) and a
// Persona, sending measurements at a rate, as JSON readings or as relayed GATT notifications,
// keeping each message until the box acknowledges it as stored.
//
// Design: one scheduler thread owns every device's state and hands messages to the publishers
// (publish is a non-blocking enqueue in libmosquitto). The network side of all devices runs on a
// few shared MqttReactors (epoll, no descriptor limit) and one timer thread does every device's
// resends, so a thousand devices cost a handful of threads, not two thousand. With a rate the
// scheduler sleeps until the next device is due; with rate 0 (load generation) it sends round-robin
// as fast as the in-flight windows allow. Offline periods are simulated at the device: it keeps
// measuring into a local buffer and, when back, sends the backlog at once (a catch-up burst), each
// reading with its original measurement time.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vigil/fleet/device_publisher.hpp"
#include "vigil/fleet/persona.hpp"
#include "vigil/gateway/mqtt_client.hpp"

namespace vigil::fleet {

/// One simulated device: its identity, what it measures, whose vitals, and how it connects.
struct SimulatedDevice {
  std::string uid;
  VitalDevice device = VitalDevice::bloodPressure;
  PersonaKind persona = PersonaKind::normal;
  /// The patient's offset from UTC in minutes: places the persona's day rhythm (morning blood
  /// pressure, fasting glucose) in their local day. Unset: SimulationOptions::utcOffsetMinutes.
  std::optional<int> utcOffsetMinutes;
  gateway::MqttOptions mqtt;  // TLS files of the device's bundle; clientId defaults to uid
};

/// Reads a device bundle as `vigil-devtool provision` writes it (device.json naming the broker,
/// ca.pem, device.pem + device.key or a password file): the uid and how to connect. The device
/// kind and persona are left to the caller. Throws vigil::ConfigError when the bundle is unusable.
SimulatedDevice deviceFromBundle(const std::filesystem::path& dir);
/// Reads a fleet file, one device a line: `<uid> <persona> <device kind> <bundle dir>
/// [<utc offset minutes>]` (as `vigild demo seed` writes bundles/fleet.txt); '#' starts a comment.
/// Throws ConfigError.
std::vector<SimulatedDevice> fleetFromFile(const std::filesystem::path& file);

enum class WireMode { json, gatt };

/// How the fleet behaves.
struct SimulationOptions {
  WireMode mode = WireMode::json;
  double ratePerDevice = 0.2;             // messages per second per device; 0 = as fast as possible
  std::chrono::milliseconds duration{0};  // stop sending after this long (0: only `count`)
  std::uint64_t count = 0;                // stop after this many messages in all (0: only duration)
  double offlineProbability = 0;          // per message: the device then goes offline
  std::chrono::milliseconds offlineMin{5'000};
  std::chrono::milliseconds offlineMax{30'000};
  std::chrono::seconds maxSkew{0};  // each device's clock is off by up to ± this
  std::uint64_t seed = 1;
  std::uint64_t seqStart = 0;  // first message seq; 0 = Unix milliseconds at start
  std::chrono::milliseconds resendAfter{5'000};
  std::chrono::milliseconds connectTimeout{30'000};
  std::chrono::milliseconds drainTimeout{30'000};  // wait this long for the last acks
  std::size_t maxInFlightPerDevice = 1'000;
  std::size_t networkThreads = 0;  // MQTT reactors shared by the devices; 0: one per 250, 1–4
  int utcOffsetMinutes = 0;  // the patients' local time, for devices that do not name their own
  /// Raw broker baseline: done at the broker's PUBACK, not the box's ack (PublisherOptions).
  bool completeOnPuback = false;
};

/// The final report: sums over the fleet, latency percentiles, errors by kind.
struct SimulationReport {
  std::size_t devices = 0;
  std::size_t connected = 0;
  double seconds = 0;  // first message sent → last ack (or the end of the drain)
  std::uint64_t sent = 0;
  std::uint64_t acknowledged = 0;
  std::uint64_t rejected = 0;
  std::uint64_t resent = 0;
  std::uint64_t duplicates = 0;  // readings the box already had + acks for acked messages
  std::uint64_t unacknowledged = 0;
  std::uint64_t catchUpBursts = 0;
  std::uint64_t bufferedOffline = 0;  // messages held back while a device was offline
  double p50Ms = 0, p95Ms = 0, p99Ms = 0, maxMs = 0;
  std::map<std::string, std::uint64_t> errors;  // "rejected:<reason>", "publish_failed" …

  /// Adds one publisher's books (call finish() after the last).
  void add(const PublisherStats& stats);
  /// Computes the percentiles from the latencies added and counts unacknowledged messages.
  void finish();
  double acknowledgedPerSecond() const { return seconds > 0 ? double(acknowledged) / seconds : 0; }
  std::string text() const;
  std::string json() const;

 private:
  std::vector<double> latencies_;
};

/// A running count for progress displays.
struct SimulationProgress {
  std::uint64_t sent = 0;
  std::uint64_t acknowledged = 0;
  std::uint64_t pending = 0;
  std::uint64_t target = 0;  // count, or an estimate from rate × duration
  bool draining = false;
};

/// Runs a fleet until its count or duration is reached and the acks are in.
class Simulation {
 public:
  Simulation(std::vector<SimulatedDevice> devices, SimulationOptions options);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  using ProgressFn = std::function<void(const SimulationProgress&)>;
  /// Connects every device, sends, drains, disconnects; calls `progress` about 5 times a second.
  /// Stops early (still draining) when `stop` becomes true.
  SimulationReport run(const ProgressFn& progress = {}, const std::atomic<bool>* stop = nullptr);

 private:
  struct Device;
  void schedule(const std::atomic<bool>* stop);
  SimulationProgress snapshot() const;

  SimulationOptions options_;
  std::vector<std::shared_ptr<gateway::MqttReactor>> reactors_;  // outlive the devices
  std::vector<std::unique_ptr<Device>> devices_;
  std::atomic<std::uint64_t> sent_{0};
  std::atomic<std::uint64_t> catchUps_{0};
  std::atomic<std::uint64_t> buffered_{0};
  std::atomic<bool> draining_{false};
  std::chrono::steady_clock::time_point firstSend_{};
  std::atomic<bool> started_{false};
};

}  // namespace vigil::fleet
