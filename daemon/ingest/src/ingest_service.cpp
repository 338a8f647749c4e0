#include "vigil/ingest/ingest_service.hpp"

#include <cmath>
#include <cstdio>

#include "vigil/core/error.hpp"
#include "vigil/core/json_text.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/core/thread_name.hpp"
#include "vigil/core/time.hpp"
#include "vigil/crypto/field_cipher.hpp"
#include "vigil/ingest/reading_writer.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::ingest {
namespace {

using core::jsonString;
using core::toMillis;
using store::Connection;

Counter& messagesCounter(const char* result) {
  return Metrics::global().counter("vigil_ingest_messages_total",
                                   "Device messages handled, by result", {{"result", result}});
}

/// The identity that makes a reading unique per device; empty when there is none.
std::string dedupKey(const DecodedReading& r, std::optional<std::uint64_t> messageSeq,
                     std::size_t index) {
  if (r.seq) return "seq:" + std::to_string(*r.seq) + ":" + r.kind;
  if (r.deviceTime) return "time:" + std::to_string(toMillis(*r.deviceTime)) + ":" + r.kind;
  if (messageSeq)
    return "msg:" + std::to_string(*messageSeq) + ":" + std::to_string(index) + ":" + r.kind;
  return {};
}

/// The members of one message's ack, without braces and version.
std::string ackMembers(std::uint64_t seq, const char* status, std::size_t stored,
                       std::size_t duplicates, const std::string& reason) {
  std::string out = "\"seq\":" + std::to_string(seq) + ",\"status\":\"" + status + "\"";
  if (std::string_view(status) == "stored") {
    out +=
        ",\"stored\":" + std::to_string(stored) + ",\"duplicates\":" + std::to_string(duplicates);
  } else {
    out += ",\"reason\":" + jsonString(reason);
  }
  return out;
}

std::string singleAck(const std::string& members) {
  return "{\"v\":1," + members + "}";
}

constexpr std::size_t kAcksPerMessage = 100;  // a coalesced ack stays a few KiB

/// What the field cipher adds to a payload (version, key id, nonce, tag): a payload that fits a
/// limit only without it is not kept.
constexpr std::int64_t kCipherOverhead = 64;

Counter& quarantineDroppedCounter(const std::string& cause) {
  return Metrics::global().counter(
      "vigil_ingest_quarantine_dropped_total",
      "Quarantined payloads and rows dropped to keep the quarantine within its limits, by cause",
      {{"cause", cause}});
}

/// Writer thread, at start and hourly: drops quarantined rows received before cutoffMillis.
void expireQuarantineBefore(Connection& c, std::int64_t cutoffMillis) {
  auto& del = c.cached("DELETE FROM quarantine WHERE received_at < ?");
  del.bind(1, cutoffMillis);
  auto n = static_cast<std::uint64_t>(del.run());
  del.reset();
  if (n > 0) quarantineDroppedCounter("retention").inc(n);
}

}  // namespace

/// One message on its way through the writer.
struct IngestService::Pending {
  IncomingMessage message;
  std::optional<DeviceTopic> topic;
  DecodeOutcome decoded;
  std::string rejectReason;  // found before the store (topic, size, payload)
  // Filled by the write job (writer thread), read by finish() after the commit.
  std::string storeReason;  // found in the store (unknown or retired device)
  std::size_t stored = 0;
  std::size_t duplicates = 0;
  std::vector<StoredReading> storedReadings;
  std::optional<std::int64_t> touchedDevice;  // the job moved this device's last_seen_at
  // Quarantine payloads and rows this job dropped to stay within the limits, by cause.
  std::map<std::string, std::uint64_t> quarantineDropped;
};

IngestService::IngestService(store::Database& db, Clock& clock, IngestOptions options,
                             PayloadDecoder decoder, AckSink ack, FlowControl flow,
                             const crypto::FieldCipher* quarantineCipher)
    : db_(db),
      clock_(clock),
      options_(options),
      decoder_(std::move(decoder)),
      ack_(std::move(ack)),
      flow_(std::move(flow)),
      cipher_(quarantineCipher) {
  auto& m = Metrics::global();
  m.callbackGauge("vigil_ingest_queue_depth", "Device messages waiting for the ingest worker",
                  [this] { return static_cast<double>(queueDepth()); });
  m.callbackGauge("vigil_ingest_paused", "1 while ingest has paused the broker connection",
                  [this] { return paused_.load() ? 1.0 : 0.0; });
  m.callbackGauge("vigil_ingest_store_healthy", "0 while the store refuses ingest writes",
                  [this] { return storeHealthy_.load() ? 1.0 : 0.0; });
}

IngestService::~IngestService() {
  stop();
  auto& m = Metrics::global();
  m.callbackGauge("vigil_ingest_queue_depth", "", [] { return 0.0; });
  m.callbackGauge("vigil_ingest_paused", "", [] { return 0.0; });
  m.callbackGauge("vigil_ingest_store_healthy", "", [] { return 1.0; });
}

void IngestService::flushAcks() {
  std::vector<std::pair<std::string, std::string>> held;
  {
    std::lock_guard lock(ackMutex_);
    held.swap(heldAcks_);
  }
  if (held.empty()) return;
  // Group by device, keeping each device's acks in commit order.
  std::stable_sort(held.begin(), held.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 0; i < held.size();) {
    std::size_t end = i;
    while (end < held.size() && end - i < kAcksPerMessage && held[end].first == held[i].first)
      ++end;
    if (end - i == 1) {
      ack_(held[i].first, singleAck(held[i].second));
    } else {
      std::string out = "{\"v\":1,\"acks\":[";
      for (std::size_t k = i; k < end; ++k) {
        if (k > i) out += ',';
        out += '{';
        out += held[k].second;
        out += '}';
      }
      out += "]}";
      ack_(held[i].first, out);
    }
    i = end;
  }
}

void IngestService::setStoredListener(StoredListener listener) {
  std::lock_guard lock(mutex_);
  listener_ = std::move(listener);
}

void IngestService::start() {
  std::lock_guard lock(mutex_);
  if (running_) return;
  running_ = true;
  if (options_.coalesceAcks && !batchObserver_)
    batchObserver_ = db_.addBatchObserver([this] { flushAcks(); });
  worker_ = std::thread([this] {
    nameThisThread("vigil-ingest");
    run();
  });
}

void IngestService::stop() {
  {
    std::lock_guard lock(mutex_);
    if (!running_) return;
    running_ = false;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  // Wait for jobs already posted to the writer so their acks go out before the broker closes.
  waitIdle(std::chrono::seconds(10));
  if (batchObserver_) {
    db_.removeBatchObserver(*batchObserver_);
    batchObserver_.reset();
    flushAcks();  // what the last batch held, if its observer had not run yet
  }
}

bool IngestService::submit(IncomingMessage message) {
  {
    std::lock_guard lock(mutex_);
    if (!running_ || queue_.size() >= options_.queueCapacity) {
      messagesCounter("refused_queue_full").inc();
      return false;
    }
    queue_.push_back(std::move(message));
  }
  cv_.notify_all();
  updateFlow();
  return true;
}

std::size_t IngestService::queueDepth() const {
  std::lock_guard lock(mutex_);
  return queue_.size() + retry_.size() + refused_.size();
}

IngestStats IngestService::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

bool IngestService::waitIdle(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [this] {
    return queue_.empty() && retry_.empty() && refused_.empty() && inFlight_ == 0;
  });
}

void IngestService::updateFlow() {
  bool wantPause;
  {
    std::lock_guard lock(mutex_);
    auto depth = queue_.size() + retry_.size();
    if (!storeHealthy_.load() || depth > options_.pauseAbove) {
      wantPause = true;
    } else if (depth < options_.resumeBelow) {
      wantPause = false;
    } else {
      wantPause = paused_.load();
    }
  }
  if (paused_.exchange(wantPause) != wantPause) {
    log::warn(wantPause ? "ingest.paused" : "ingest.resumed",
              {{"store_healthy", storeHealthy_.load()}});
    if (flow_) flow_(wantPause);
  }
}

void IngestService::countRejected(const std::string& reason) {
  Metrics::global()
      .counter("vigil_ingest_rejected_total", "Device messages refused, by reason",
               {{"reason", reason}})
      .inc();
  messagesCounter("rejected").inc();
}

bool IngestService::allowDevice(const std::string& uid, TimePoint now) {
  if (options_.deviceRatePerSecond <= 0) return true;
  auto [it, inserted] = buckets_.try_emplace(uid, Bucket{options_.deviceBurst, now});
  auto& b = it->second;
  double elapsed = std::chrono::duration<double>(now - b.last).count();
  if (elapsed > 0) {
    b.tokens = std::min(options_.deviceBurst, b.tokens + elapsed * options_.deviceRatePerSecond);
    b.last = now;
  } else if (elapsed < 0) {
    // The wall clock went back: refill from the new "now", or the device would stay limited
    // until the clock caught up again (tests/fleet/fleet_fault_integration_test.cpp).
    b.last = now;
  }
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  if (buckets_.size() > 100'000) buckets_.clear();  // bounded memory under a flood of uids
  return true;
}

bool IngestService::shouldTouch(std::int64_t deviceId, TimePoint seen, bool hasBattery) {
  constexpr auto kTouchEvery = std::chrono::seconds(1);
  if (touched_.size() > 100'000) touched_.clear();  // bounded memory
  auto [it, fresh] = touched_.try_emplace(deviceId, seen);
  if (fresh || hasBattery || seen - it->second >= kTouchEvery || seen < it->second) {
    it->second = seen;
    return true;
  }
  return false;
}

void IngestService::run() {
  constexpr auto kExpireEvery = std::chrono::hours(1);
  for (;;) {
    if (auto now = std::chrono::steady_clock::now(); now - lastExpiry_ >= kExpireEvery) {
      // Quarantine retention: at start and hourly; a failure is retried an hour later.
      lastExpiry_ = now;
      if (options_.quarantineRetention.count() > 0) {
        // The job holds what it needs by value: it may run after this service has stopped
        // (stop() waits for messages, not for this).
        const auto cutoff = toMillis(clock_.now() - options_.quarantineRetention);
        db_.tryPost([cutoff](Connection& c) { expireQuarantineBefore(c, cutoff); },
                    [](std::exception_ptr) {});
      }
    }
    std::vector<IncomingMessage> taken;
    bool refused = false;
    {
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, std::chrono::milliseconds(200), [this] {
        return !running_ || !refused_.empty() || !retry_.empty() ||
               (!queue_.empty() && storeHealthy_.load());
      });
      if (!refused_.empty()) {
        // The store refused this message alone: it goes to the quarantine instead.
        taken.push_back(std::move(refused_.front()));
        refused_.pop_front();
        refused = true;
      } else if (!retry_.empty()) {
        // The store failed: probe with the oldest failed message, at most every retryDelay.
        auto since = std::chrono::steady_clock::now() - lastFailure_;
        if (since < options_.retryDelay) {
          if (!running_ && queue_.empty()) break;
          lock.unlock();
          std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
              options_.retryDelay - since, std::chrono::milliseconds(200)));
          continue;
        }
        if (inFlight_ > 0) {  // one probe at a time: wait for what is in flight to finish
          cv_.wait_for(lock, std::chrono::milliseconds(200), [this] { return inFlight_ == 0; });
          continue;
        }
        taken.push_back(std::move(retry_.front()));
        retry_.pop_front();
      } else if (!queue_.empty() && storeHealthy_.load()) {
        // A run of what is queued goes to the writer as one job: under load that saves the
        // writer a savepoint, a completion and an alert hand-off per message. Messages that
        // failed before go alone, so one that fails again holds up no other.
        std::size_t n = 1;
        if (soloAhead_ > 0) {
          --soloAhead_;
        } else {
          n = std::min(queue_.size(), kRunMax);
        }
        taken.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
          taken.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      } else if (!running_) {
        break;
      } else {
        continue;
      }
      inFlight_ += taken.size();
    }
    process(std::move(taken), refused);
    updateFlow();
  }
}

void IngestService::prepare(Pending& p) {
  if (!p.topic) {
    p.rejectReason = "bad_topic";
    return;
  }
  if (p.message.payload.size() > options_.maxPayloadBytes) {
    p.rejectReason = "oversized";
    p.decoded.detail = "payload: larger than " + std::to_string(options_.maxPayloadBytes);
    return;
  }
  p.decoded = decoder_(p.topic->kind, p.message.payload);
  if (!p.decoded.message) {
    p.rejectReason = p.decoded.reason.empty() ? "malformed" : p.decoded.reason;
    return;
  }
  std::size_t index = 0;
  for (const auto& r : p.decoded.message->readings) {
    if (dedupKey(r, p.decoded.message->messageSeq, index++).empty()) {
      p.rejectReason = "no_identity";
      p.decoded.detail = "seq: a reading needs a sequence number or a device time";
      return;
    }
  }
}

void IngestService::process(std::vector<IncomingMessage>&& messages, bool refused) {
  auto run = std::make_shared<std::vector<Pending>>();
  run->reserve(messages.size());
  std::size_t limited = 0;
  for (auto& m : messages) {
    auto topic = parseDeviceTopic(m.topic);
    if (topic && m.rateLimited && !allowDevice(topic->uid, m.receivedAt)) {
      // Over its rate, whatever the message would have become (stored, oversized, malformed):
      // not stored, not quarantined, not acknowledged. The device keeps the message and resends
      // it later (docs/device-protocol.md), so nothing is lost, and a flood costs the writer
      // nothing: no quarantine row per refused message to fill the disk.
      countRejected("rate_limited");
      ++limited;
      if (m.onDone) m.onDone({MessageOutcome::Kind::rateLimited, "rate_limited", {}});
      continue;
    }
    auto& p = run->emplace_back();
    p.message = std::move(m);
    p.topic = std::move(topic);
    prepare(p);
    if (refused) {
      p.rejectReason = kStoreRefused;
      p.decoded.detail = "store: the database refused the message";
    }
  }
  if (limited > 0) {
    std::lock_guard lock(mutex_);
    stats_.messages += limited;
    stats_.rejected += limited;
    stats_.rejectedByReason["rate_limited"] += limited;
    inFlight_ -= limited;
  }
  if (run->empty()) {
    cv_.notify_all();
    return;
  }
  db_.post(
      [this, run](Connection& c) {
        for (auto& p : *run) write(c, p);
      },
      [this, run](std::exception_ptr e) { finish(*run, e); });
}

void IngestService::write(Connection& c, Pending& p) {
  // A job may run again after a rolled-back batch: start from nothing.
  p.stored = 0;
  p.duplicates = 0;
  p.storedReadings.clear();
  p.touchedDevice.reset();
  p.storeReason.clear();
  p.quarantineDropped.clear();
  std::optional<registry::DeviceRegistry::IngestView> device;
  if (p.topic) device = registry::DeviceRegistry::ingestViewIn(c, p.topic->uid);
  if (p.rejectReason.empty()) {
    if (!device) {
      p.storeReason = "unknown_device";
    } else if (device->retired) {
      p.storeReason = "retired_device";
    }
  }
  std::optional<registry::Assignment> current;
  if (p.rejectReason.empty() && p.storeReason.empty()) {
    current = registry::DeviceRegistry::assignmentAtIn(c, device->id, p.message.receivedAt);
    timesAttributable(c, p, device->id, current);
  }
  if (p.rejectReason.empty() && p.storeReason.empty()) {
    const auto& msg = *p.decoded.message;
    std::optional<std::int64_t> patient;
    if (current) patient = current->patientId;
    const std::string source = !p.message.source.empty() ? p.message.source
                               : msg.source.empty()      ? std::string("mqtt-json")
                                                         : msg.source;
    std::size_t index = 0;
    for (const auto& r : msg.readings) {
      auto key = dedupKey(r, msg.messageSeq, index++);
      if (auto id = storeReading(c, device->id, patient, r, key, source, p.message.receivedAt)) {
        if (options_.queueForAlertNode && patient) queueForJudgement(c, *id);
        ++p.stored;
        p.storedReadings.push_back({*id, device->id, patient, r, p.message.receivedAt});
      } else {
        ++p.duplicates;
      }
    }
    if (shouldTouch(device->id, p.message.receivedAt, msg.batteryPct.has_value())) {
      registry::DeviceRegistry::touchIn(c, device->id, p.message.receivedAt, msg.batteryPct);
      p.touchedDevice = device->id;
    }
    if (msg.firmware) registry::DeviceRegistry::setFirmwareIn(c, device->id, *msg.firmware);
    return;
  }
  // Quarantine: reason and detail name no values; the payload is kept only encrypted.
  const auto& reason = p.rejectReason.empty() ? p.storeReason : p.rejectReason;
  auto& q = c.cached(
      "INSERT INTO quarantine (received_at, device_uid, topic_kind, reason, detail, "
      "payload_size) VALUES (?, ?, ?, ?, ?, ?)");
  std::optional<std::string> uid;
  std::optional<std::string> kind;
  if (p.topic) {
    uid = p.topic->uid;
    kind = p.topic->kind == TopicKind::gatt ? "gatt" : "readings";
  }
  q.bindAll(toMillis(p.message.receivedAt), uid, kind, reason, p.decoded.detail,
            static_cast<std::int64_t>(p.message.payload.size()));
  q.run();
  q.reset();
  auto id = c.lastInsertRowid();
  // The payload is kept (encrypted) for review when it could fit within the limits at all.
  auto fits = [](std::size_t bytes, std::int64_t limit) {
    return limit <= 0 || static_cast<std::int64_t>(bytes) + kCipherOverhead <= limit;
  };
  if (cipher_ && p.message.payload.size() <= 4 * options_.maxPayloadBytes &&
      fits(p.message.payload.size(), options_.quarantineBytesPerDevice) &&
      fits(p.message.payload.size(), options_.quarantineBytes)) {
    auto enc = cipher_->encrypt({"quarantine", "payload", std::to_string(id)}, p.message.payload);
    auto& u = c.cached("UPDATE quarantine SET payload_enc = ? WHERE id = ?");
    u.bindAll(store::Blob(enc.begin(), enc.end()), id);
    u.run();
    u.reset();
  } else {
    ++p.quarantineDropped["payload_too_large"];
  }
  trimQuarantine(c, uid, p);
  if (device) registry::DeviceRegistry::touchIn(c, device->id, p.message.receivedAt, {});
}

bool IngestService::timesAttributable(Connection& c, Pending& p, std::int64_t deviceId,
                                      const std::optional<registry::Assignment>& current) const {
  // A reading is attributed to the patient the device is assigned to now, never by its own
  // clock to someone else: a device whose clock is set back (or a meter's memory from its
  // previous patient) must not put readings into another patient's chart, and a clock far
  // ahead must not make a reading the patient's "latest" for days. Such messages are kept for
  // review instead (quarantine, payload encrypted) and acked as rejected.
  std::size_t index = 0;
  for (const auto& r : p.decoded.message->readings) {
    ++index;
    if (!r.deviceTime || r.deviceTimeLocal) continue;  // timed by the box on receipt
    const auto t = *r.deviceTime;
    if (t > p.message.receivedAt + options_.futureSlack) {
      p.storeReason = "future_time";
      p.decoded.detail = "time: reading " + std::to_string(index) + " is more than " +
                         std::to_string(options_.futureSlack.count()) +
                         " minutes ahead of the box's clock";
      return false;
    }
    const bool beforeCurrent =
        current ? t < current->validFrom
                : registry::DeviceRegistry::assignmentAtIn(c, deviceId, t).has_value();
    if (beforeCurrent) {
      p.storeReason = "outside_assignment";
      p.decoded.detail = "time: reading " + std::to_string(index) +
                         " is from before the device's current assignment";
      return false;
    }
  }
  return true;
}

void IngestService::trimQuarantine(Connection& c, const std::optional<std::string>& uid,
                                   Pending& p) {
  const std::string scope = "device:" + uid.value_or("");
  auto usage = [&](const std::string& which) {
    auto& s = c.cached("SELECT rows, bytes FROM quarantine_usage WHERE scope = ?");
    s.bind(1, which);
    std::pair<std::int64_t, std::int64_t> out{0, 0};
    if (s.step()) out = {s.get<std::int64_t>(0), s.get<std::int64_t>(1)};
    s.reset();
    return out;
  };
  // Payload bytes over a limit: the oldest payloads go first (their rows stay).
  auto dropPayloads = [&](bool device, std::int64_t excess, const char* cause) {
    auto& sel = device ? c.cached(
                             "SELECT id, length(payload_enc) FROM quarantine WHERE device_uid IS "
                             "NOT DISTINCT FROM ? "
                             "AND payload_enc IS NOT NULL ORDER BY id LIMIT 64")
                       : c.cached(
                             "SELECT id, length(payload_enc) FROM quarantine "
                             "WHERE payload_enc IS NOT NULL ORDER BY id LIMIT 64");
    auto& clear = c.cached("UPDATE quarantine SET payload_enc = NULL WHERE id = ?");
    while (excess > 0) {
      if (device) sel.bind(1, uid);
      std::vector<std::pair<std::int64_t, std::int64_t>> rows;
      while (sel.step()) rows.emplace_back(sel.get<std::int64_t>(0), sel.get<std::int64_t>(1));
      sel.reset();
      if (rows.empty()) return;
      for (auto [id, bytes] : rows) {
        if (excess <= 0) break;
        clear.bind(1, id);
        clear.run();
        clear.reset();
        excess -= bytes;
        ++p.quarantineDropped[cause];
      }
    }
  };
  auto dropRows = [&](bool device, std::int64_t excess, const char* cause) {
    if (excess <= 0) return;
    auto& del = device ? c.cached(
                             "DELETE FROM quarantine WHERE id IN (SELECT id FROM quarantine "
                             "WHERE device_uid IS NOT DISTINCT FROM ? ORDER BY id LIMIT ?)")
                       : c.cached(
                             "DELETE FROM quarantine WHERE id IN (SELECT id FROM quarantine "
                             "ORDER BY id LIMIT ?)");
    if (device)
      del.bindAll(uid, excess);
    else
      del.bind(1, excess);
    p.quarantineDropped[cause] += static_cast<std::uint64_t>(del.run());
    del.reset();
  };
  auto [deviceRows, deviceBytes] = usage(scope);
  if (options_.quarantineBytesPerDevice > 0)
    dropPayloads(true, deviceBytes - options_.quarantineBytesPerDevice, "device_bytes");
  if (options_.quarantineRowsPerDevice > 0)
    dropRows(true, deviceRows - options_.quarantineRowsPerDevice, "device_rows");
  auto [totalRows, totalBytes] = usage("total");
  if (options_.quarantineBytes > 0)
    dropPayloads(false, totalBytes - options_.quarantineBytes, "total_bytes");
  if (options_.quarantineRows > 0)
    dropRows(false, totalRows - options_.quarantineRows, "total_rows");
}

void IngestService::finishFailed(std::vector<Pending>& run, std::exception_ptr error) {
  // The touches were rolled back with the batch: the devices' next messages touch again.
  for (const auto& p : run)
    if (p.touchedDevice) touched_.erase(*p.touchedDevice);
  // The store itself failing (disk full, I/O, a lock): every message waits for it. The store
  // refusing what a message carries (a constraint, a value too big, an exception of ours):
  // only that message is at fault, and waiting would stop ingest for good.
  bool messageAtFault = false;
  bool diskFull = false;
  std::string_view kind = "ours";  // a word for the log: never the error's text
  try {
    std::rethrow_exception(error);
  } catch (const store::DbError& e) {
    messageAtFault = e.isConstraint() || e.isBadValue();
    diskFull = e.isDiskFull();
    kind = e.isConstraint() ? "constraint"
           : e.isBadValue() ? "bad_value"
           : diskFull       ? "disk_full"
           : e.isBusy()     ? "busy"
                            : "store";
  } catch (const std::exception&) {
    messageAtFault = true;
  }
  // These messages were admitted by the per-device rate limit already: taken again (retried,
  // one per job, or to the quarantine) they are not charged a second time.
  for (auto& p : run) p.message.rateLimited = false;
  // A message already being quarantined for this reason has nowhere further to go.
  if (messageAtFault && !(run.size() == 1 && run[0].rejectReason == kStoreRefused)) {
    log::warn("ingest.store_refused",
              {{"messages", static_cast<std::uint64_t>(run.size())}, {"kind", kind}});
    {
      std::lock_guard lock(mutex_);
      if (run.size() > 1) {
        // Which one? Each goes to the writer alone.
        soloAhead_ += run.size();
        for (auto it = run.rbegin(); it != run.rend(); ++it)
          queue_.push_front(std::move(it->message));
      } else {
        refused_.push_back(std::move(run[0].message));
      }
      inFlight_ -= run.size();
    }
    cv_.notify_all();
    return;
  }
  if (storeHealthy_.load())  // once per outage, not once per message
    log::error("ingest.store_failed", {{"disk_full", diskFull}, {"kind", kind}});
  {
    std::lock_guard lock(mutex_);
    stats_.storeFailures += run.size();
    // Back to the head, in arrival order; retried one at a time until the store takes one.
    for (auto it = run.rbegin(); it != run.rend(); ++it) retry_.push_front(std::move(it->message));
    lastFailure_ = std::chrono::steady_clock::now();
    inFlight_ -= run.size();
  }
  storeHealthy_.store(false);
  messagesCounter("store_failed").inc(run.size());
  updateFlow();
  cv_.notify_all();
}

void IngestService::finish(std::vector<Pending>& run, std::exception_ptr error) {
  if (error) {
    finishFailed(run, error);
    return;
  }

  bool recovered = !storeHealthy_.exchange(true);
  if (recovered) {
    log::info("ingest.store_recovered");
    // The store takes writes again: the failed messages go back to the head of the queue. Each
    // goes to the writer alone (soloAhead_), so a message that fails every time stops only
    // itself; the others are not probed one retryDelay at a time.
    std::lock_guard lock(mutex_);
    soloAhead_ += retry_.size();
    queue_.insert(queue_.begin(), std::make_move_iterator(retry_.begin()),
                  std::make_move_iterator(retry_.end()));
    retry_.clear();
  }
  std::size_t stored = 0;
  std::size_t duplicates = 0;
  std::size_t rejectedCount = 0;
  std::size_t acks = 0;
  std::vector<StoredReading> storedReadings;
  std::vector<const std::string*> reasons;
  for (auto& p : run) {
    std::optional<std::uint64_t> seq =
        p.decoded.message ? p.decoded.message->messageSeq : p.decoded.messageSeq;
    const auto& reason = p.rejectReason.empty() ? p.storeReason : p.rejectReason;
    bool rejected = !reason.empty();
    if (rejected) {
      countRejected(reason);
      ++rejectedCount;
      reasons.push_back(&reason);
    } else {
      messagesCounter(p.stored ? "stored" : "duplicate").inc();
      stored += p.stored;
      duplicates += p.duplicates;
    }
    if (p.message.onDone) {
      MessageOutcome outcome;
      if (rejected) {
        outcome = {MessageOutcome::Kind::rejected, reason, {}};
      } else {
        outcome.kind = p.stored ? MessageOutcome::Kind::stored : MessageOutcome::Kind::duplicate;
        for (const auto& r : p.storedReadings) outcome.readingIds.push_back(r.readingId);
      }
      p.message.onDone(outcome);
    } else if (seq && p.topic && ack_) {
      auto members = rejected ? ackMembers(*seq, "rejected", 0, 0, reason)
                              : ackMembers(*seq, "stored", p.stored, p.duplicates, {});
      if (options_.coalesceAcks) {
        std::lock_guard lock(ackMutex_);
        heldAcks_.emplace_back(p.topic->uid, std::move(members));
      } else {
        ack_(p.topic->uid, singleAck(members));
      }
      ++acks;
    }
    std::move(p.storedReadings.begin(), p.storedReadings.end(), std::back_inserter(storedReadings));
    for (const auto& [cause, n] : p.quarantineDropped) quarantineDroppedCounter(cause).inc(n);
  }
  if (stored > 0)
    Metrics::global()
        .counter("vigil_ingest_readings_stored_total", "Readings stored (not duplicates)")
        .inc(stored);
  StoredListener listener;
  {
    std::lock_guard lock(mutex_);
    stats_.messages += run.size();
    stats_.readingsStored += stored;
    stats_.duplicates += duplicates;
    stats_.rejected += rejectedCount;
    for (const auto* r : reasons) ++stats_.rejectedByReason[*r];
    stats_.acks += acks;
    listener = listener_;
  }
  if (listener && !storedReadings.empty()) listener(storedReadings);
  {
    std::lock_guard lock(mutex_);
    inFlight_ -= run.size();
  }
  cv_.notify_all();
  if (recovered) updateFlow();
}

}  // namespace vigil::ingest
