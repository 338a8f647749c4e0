#pragma once
// The device side of Vigil's store-then-ack protocol (docs/device-protocol.md), as a hub
// implements it: publish each message with QoS 1, keep it until the box's application-level ack
// names its sequence number, resend it after a timeout. Used by the fleet simulator, the load
// benchmarks and the fault tests, which count on its books: a message is "acknowledged" only
// when the box said it is stored.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "vigil/gateway/mqtt_client.hpp"

namespace vigil::fleet {

/// How one device connects and behaves.
struct PublisherOptions {
  gateway::MqttOptions mqtt;  // clientId = the device uid; TLS files of its bundle
  std::string deviceUid;
  std::string leaf = "readings";  // or "gatt" for a hub relaying GATT notifications
  std::chrono::milliseconds resendAfter{3000};
  std::size_t maxInFlight = 1000;  // send() blocks beyond this many unacknowledged messages
  /// The network thread to run on (shared by a fleet); a private one when null.
  std::shared_ptr<gateway::MqttReactor> reactor;
  /// false: no resend thread of its own; the owner calls resendDue() about every 100 ms (a
  /// fleet of a thousand devices then needs one timer thread, not a thousand).
  bool ownResendThread = true;
  /// The raw broker baseline of the benchmarks: a message counts as acknowledged when the
  /// broker's PUBACK arrives (nothing stored it); the box's acks are not subscribed to.
  bool completeOnPuback = false;
};

/// Counts kept by a publisher.
struct PublisherStats {
  std::uint64_t sent = 0;                // first transmissions
  std::uint64_t resent = 0;              // retransmissions after a timeout or a reconnect
  std::uint64_t acked = 0;               // messages acknowledged as stored
  std::uint64_t rejected = 0;            // acknowledged as rejected (not stored, not resent)
  std::uint64_t duplicateAcks = 0;       // acks for messages already acknowledged
  std::uint64_t duplicatesReported = 0;  // readings the box found already stored ("duplicates")
  std::uint64_t publishErrors = 0;
  std::map<std::string, std::uint64_t> rejectedByReason;
  std::vector<double> ackLatencyMs;  // first send → ack, one entry per acked message
};

/// One simulated device or hub.
class DevicePublisher {
 public:
  explicit DevicePublisher(PublisherOptions options);
  ~DevicePublisher();
  DevicePublisher(const DevicePublisher&) = delete;
  DevicePublisher& operator=(const DevicePublisher&) = delete;

  /// Connects (and keeps reconnecting); returns once connected or after `timeout`.
  bool start(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void stop();
  bool connected() const { return client_->connected(); }
  /// Publishes a message whose payload carries sequence number `seq`; it stays pending until
  /// acknowledged. Blocks while maxInFlight messages are pending.
  void send(std::uint64_t seq, std::string payload);
  /// Resends what has waited longer than resendAfter, and what was pending at a reconnect.
  void resendDue();
  /// Waits until nothing is pending (every message acknowledged or rejected).
  bool waitAllAcknowledged(std::chrono::milliseconds timeout);
  std::size_t pending() const;
  /// The counts; without latencies when `withLatencies` is false (cheap, for progress displays).
  PublisherStats stats(bool withLatencies = true) const;
  /// Sequence numbers acknowledged as stored so far.
  std::vector<std::uint64_t> acknowledged() const;

  /// One acknowledged message.
  struct Ack {
    std::uint64_t seq = 0;
    std::string status;  // "stored" | "rejected"
    std::string reason;
    std::uint64_t duplicates = 0;
  };
  /// Parses an ack payload: {"v":1,"seq":N,"status":"stored"|"rejected",...} or the coalesced
  /// {"v":1,"acks":[{"seq":N,"status":…},…]}. Empty when malformed (a malformed entry spoils the
  /// whole message: nothing in it is trusted).
  static std::vector<Ack> parseAcks(const std::string& payload);
  /// The single form only; false if malformed or if the payload has an "acks" member. `duplicates`
  /// (when given) receives the ack's "duplicates" count (0 when absent).
  static bool parseAck(const std::string& payload, std::uint64_t& seq, std::string& status,
                       std::string& reason, std::uint64_t* duplicates = nullptr);

 private:
  struct Pending {
    std::string payload;
    std::chrono::steady_clock::time_point firstSent;
    std::chrono::steady_clock::time_point lastSent;
  };
  void onAck(gateway::MqttMessage&& m);
  void onPuback(int mid);
  /// Publishes a pending message once (first send or resend); counts a failure.
  void transmit(std::uint64_t seq, const std::string& payload);
  /// Books `it` as stored (under mutex_) and removes it from pending_.
  void markStored(std::map<std::uint64_t, Pending>::iterator it,
                  std::chrono::steady_clock::time_point now, std::uint64_t duplicates);
  void resendLoop();
  std::string topic() const;

  PublisherOptions options_;
  std::unique_ptr<gateway::MqttClient> client_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::uint64_t, Pending> pending_;
  std::map<std::uint64_t, bool> done_;  // seq → stored (true) / rejected (false)
  // completeOnPuback: message id → seq, and PUBACKs that came before publish() returned the id.
  std::map<int, std::uint64_t> inFlightMids_;
  std::vector<int> earlyPubacks_;
  PublisherStats stats_;
  bool running_ = false;
  std::thread resender_;
};

/// p in [0, 100] of the values (nearest rank); 0 when empty.
double percentile(std::vector<double> values, double p);

}  // namespace vigil::fleet
