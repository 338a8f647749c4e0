#pragma once
// Durable ingest: device messages from the broker to the store, exactly once, acknowledged only
// after they are on disk.
//
// Flow: the MQTT thread calls submit() (never blocks) → a bounded queue → one worker thread
// decodes (devices/ through a PayloadDecoder) and posts one write job per run of queued messages
// (up to kRunMax; one when the queue holds one) to the store's single writer, which commits jobs
// in batches with synchronous=FULL → after the commit the done-callback publishes the
// application-level acks naming the messages' sequence numbers (store-then-ack; libmosquitto
// has already PUBACKed, so this ack is what a hub waits for). When the store fails (disk full,
// I/O) a run's messages wait and are retried; when it refuses what one message carries (a
// constraint, a value too big), the run's messages go again one per job, and the one refused
// alone is quarantined ("store_refused") and acked as rejected, so it cannot stop ingest.
//
// Exactly once: every reading has a dedup key unique per device ("seq:<n>:<kind>", else
// "time:<device ms>:<kind>", else "msg:<message seq>:<index>:<kind>"); a redelivered or resent
// message finds its rows (storeReading: the integer key looked up with the device, the full key
// compared, migration 0037) and is acked again.
//
// Bad input never stops ingest: unknown/retired devices, bad topics, oversized or malformed
// payloads, impossible values and readings timed outside the device's current assignment (or
// more than futureSlack ahead) go to the quarantine table (payload encrypted) with a reason, are
// counted per reason in /metrics and are acked as rejected when their sequence is known. Every
// message is charged to its device's rate first; the quarantine is bounded (quarantine* options).
//
// Back-pressure: above pauseAbove queued messages, or while the store fails (disk full), the
// FlowControl callback pauses the broker connection (the broker keeps the persistent session's
// messages); the failed message is retried every retryDelay and ingest resumes by itself.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/ingest/decoded.hpp"
#include "vigil/registry/registry.hpp"

namespace vigil::store {
class Connection;
class Database;
}  // namespace vigil::store
namespace vigil::crypto {
class FieldCipher;
}

namespace vigil::ingest {

struct IngestOptions {
  std::size_t queueCapacity = 20'000;  // hard limit; submit() refuses beyond it
  std::size_t pauseAbove = 10'000;     // pause the broker connection above this depth
  std::size_t resumeBelow = 2'000;
  std::size_t maxPayloadBytes = 64 * 1024;
  std::chrono::milliseconds retryDelay{1000};
  double deviceRatePerSecond = 20;  // sustained messages per device; 0 = unlimited
  double deviceBurst = 200;         // messages a device may send at once
  /// One ack message per device per store batch ({"v":1,"acks":[…]}, docs/device-protocol.md)
  /// instead of one per device message: a hub sending fast gets its acks in a few messages.
  bool coalesceAcks = false;
  /// The quarantine keeps refused input for review, bounded so that a flood cannot fill the
  /// disk: when a limit is passed the oldest payloads are dropped first (the rows stay, saying
  /// what arrived), then the oldest rows; rows older than the retention go. 0: no limit.
  std::int64_t quarantineRowsPerDevice = 1'000;
  std::int64_t quarantineBytesPerDevice = 256 * 1024;  // kept (encrypted) payload bytes
  std::int64_t quarantineRows = 100'000;
  std::int64_t quarantineBytes = 64 * 1024 * 1024;
  std::chrono::hours quarantineRetention{24 * 90};
  /// A reading timed further ahead of the box than this is kept for review (future_time).
  std::chrono::minutes futureSlack{10};
  /// Several nodes (cluster.node_id on PostgreSQL): each stored reading of an assigned patient
  /// is also queued for the alert node in its own transaction (readings_to_judge, migration
  /// 0044), because another node judges it (docs/scale-out.md "Alert evaluation").
  bool queueForAlertNode = false;
};

/// What became of one message, for a submitter that waits for it (IncomingMessage::onDone).
struct MessageOutcome {
  enum class Kind { stored, duplicate, rejected, rateLimited } kind = Kind::rejected;
  std::string reason;                    // rejected: the quarantine reason
  std::vector<std::int64_t> readingIds;  // stored: the new readings
};

/// A message as received from the broker.
struct IncomingMessage {
  std::string topic;
  std::string payload;
  TimePoint receivedAt;
  std::string source = {};  // stored with the readings when set ("ble"); else the decoder's
  // false for input whose pace the box itself sets (its own BLE radio, a glucose meter's whole
  // memory at once): the per-device rate limit is for devices on the network.
  bool rateLimited = true;
  /// When set, called once with the message's outcome (on the store's writer thread after the
  /// commit, or on the worker when over the device's rate) instead of an MQTT ack: the FHIR
  /// API's Observation create (issue 26) answers its request from it.
  std::function<void(const MessageOutcome&)> onDone = {};
};

/// A reading that was stored (sent to listeners after the commit).
struct StoredReading {
  std::int64_t readingId = 0;
  std::int64_t deviceId = 0;
  std::optional<std::int64_t> patientId;
  DecodedReading reading;
  TimePoint receivedAt;
};

/// Counters for tests and the fleet simulator's report (also exported to /metrics).
struct IngestStats {
  std::uint64_t messages = 0;
  std::uint64_t readingsStored = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t rejected = 0;
  std::uint64_t acks = 0;
  std::uint64_t storeFailures = 0;
  std::map<std::string, std::uint64_t> rejectedByReason;
};

/// The ingest pipeline between the broker connection and the store.
class IngestService {
 public:
  /// Publishes `payload` to the device's ack topic (QoS 1). Called on the store's writer thread.
  using AckSink = std::function<void(const std::string& uid, const std::string& payload)>;
  /// pause == true: stop taking messages from the broker; false: take them again.
  using FlowControl = std::function<void(bool pause)>;
  /// Called after the commit of each run of messages with the readings it stored (not the
  /// duplicates).
  using StoredListener = std::function<void(const std::vector<StoredReading>&)>;

  IngestService(store::Database& db, Clock& clock, IngestOptions options, PayloadDecoder decoder,
                AckSink ack, FlowControl flow, const crypto::FieldCipher* quarantineCipher);
  ~IngestService();
  IngestService(const IngestService&) = delete;
  IngestService& operator=(const IngestService&) = delete;

  void setStoredListener(StoredListener listener);
  void start();
  /// Processes what is queued, then stops.
  void stop();
  /// From the MQTT thread: queues the message. false when stopped or the hard limit is hit (the
  /// message is then not acked, so the device resends it).
  bool submit(IncomingMessage message);

  /// false while the store refuses writes (disk full) or ingest is paused.
  bool ready() const { return storeHealthy_.load() && !paused_.load(); }
  bool paused() const { return paused_.load(); }
  std::size_t queueDepth() const;
  IngestStats stats() const;
  /// Waits until the queue is empty and every posted job finished (tests).
  bool waitIdle(std::chrono::milliseconds timeout) const;

 private:
  struct Pending;
  /// At most this many queued messages go to the writer as one job.
  static constexpr std::size_t kRunMax = 64;
  void run();
  /// Worker thread: rate limit, topic, size and decode, then one write job for the run;
  /// `refused`: a message the store refused alone, to be quarantined.
  void process(std::vector<IncomingMessage>&& messages, bool refused);
  static constexpr const char* kStoreRefused = "store_refused";
  void prepare(Pending& p);
  /// Writer thread, inside the job: stores one message's readings or quarantines it.
  void write(store::Connection& c, Pending& p);
  /// Writer thread, after the commit (or the failure) of the run's job.
  void finish(std::vector<Pending>& run, std::exception_ptr error);
  /// finish() of a run the store did not commit: retried, split or quarantined.
  void finishFailed(std::vector<Pending>& run, std::exception_ptr error);
  /// Sends the acks collected during a store batch (writer thread; coalesceAcks).
  void flushAcks();
  void updateFlow();
  bool allowDevice(const std::string& uid, TimePoint now);
  /// Whether a stored message should move its device's last_seen_at / battery (writer thread):
  /// always with a battery level, else at most once per kTouchEvery per device, so a device
  /// sending fast does not cost a devices-row update per message.
  bool shouldTouch(std::int64_t deviceId, TimePoint seen, bool hasBattery);
  void countRejected(const std::string& reason);
  /// Writer thread: whether the message's device times may attribute it (see write()); sets
  /// storeReason and the detail when not. `current`: the device's assignment now.
  bool timesAttributable(store::Connection& c, Pending& p, std::int64_t deviceId,
                         const std::optional<registry::Assignment>& current) const;
  /// Writer thread: keeps the quarantine within its limits after a row for `uid` was added.
  void trimQuarantine(store::Connection& c, const std::optional<std::string>& uid, Pending& p);

  store::Database& db_;
  Clock& clock_;
  IngestOptions options_;
  PayloadDecoder decoder_;
  AckSink ack_;
  std::optional<std::uint64_t> batchObserver_;
  std::unordered_map<std::int64_t, TimePoint> touched_;  // device id → last touch (writer thread)
  std::mutex ackMutex_;
  std::vector<std::pair<std::string, std::string>> heldAcks_;  // uid, ack members (coalesceAcks)
  FlowControl flow_;
  const crypto::FieldCipher* cipher_;
  StoredListener listener_;

  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  std::deque<IncomingMessage> queue_;
  std::deque<IncomingMessage> retry_;
  std::size_t soloAhead_ = 0;  // messages at the queue's head that failed once: one per job
  std::deque<IncomingMessage> refused_;  // refused by the store alone: quarantined next
  std::size_t inFlight_ = 0;             // messages taken from the queues and not yet finished
  bool running_ = false;
  std::thread worker_;
  std::atomic<bool> storeHealthy_{true};
  std::atomic<bool> paused_{false};
  std::chrono::steady_clock::time_point lastFailure_{};
  IngestStats stats_;
  struct Bucket {
    double tokens;
    TimePoint last;
  };
  std::map<std::string, Bucket> buckets_;               // worker thread only
  std::chrono::steady_clock::time_point lastExpiry_{};  // worker thread only
};

}  // namespace vigil::ingest
