#pragma once
// The box's outbox for the cloud link (docs/cloud-api.md, "Sending: the outbox"): tables
// sync_outbox and sync_streams (migration 0016).
//
// Design:
// - An entry is written by enqueueIn() INSIDE the write job of the domain change that causes it
//   (a claim, a prescription, a license check): both commit or neither does, so a crash can
//   neither lose an entry nor invent one. The entry gets the next seq of its stream (1, 2, 3 …,
//   never reused) and a fresh UUID, its idempotency key, sent unchanged on every retry.
// - The envelope (sealed and signed by vigil::sync's envelope code, HPKE) is stored as the JSON
//   text that will be sent: it is encrypted to the service already, so it needs no further
//   encryption here, and it is never logged. Logs, errors and metrics name entry ids, streams,
//   kinds and reason words only.
// - Order: a stream's entries go one at a time in seq order. Only a stream's head (its lowest
//   entry neither delivered nor cancelled) is ever due, and not while it waits for its back-off;
//   a refused head blocks its stream (sync_streams.blocked_by) until an admin retries or cancels
//   it. Other streams go on.
// - Back-off after a failed attempt: exponential with full jitter and a cap (AWS "full jitter":
//   wait uniform in [0, min(cap, base * 2^n)] after the n+1-th failure). With base 2 s and cap
//   15 min, the ceiling reaches the cap after 9 failures (2 s * 2^9 = 1024 s > 900 s): a link
//   down for days is tried about every 7.5 minutes on average per stream, and a backlog drains
//   within one cap of the link's return.
// - One sender: nextDue() takes no lease on the entries it returns; the caller (one sender
//   thread) reports each attempt with markDelivered / markRetry / markRefused.

#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/security/access.hpp"

namespace vigil::store {
class Connection;
class Database;
}  // namespace vigil::store

namespace vigil::security {
class AuditLog;
}

namespace vigil::sync {

/// How long a failed delivery waits before the next attempt.
struct BackoffPolicy {
  std::chrono::milliseconds base{2'000};
  std::chrono::milliseconds cap{15 * 60 * 1'000};
};

/// The longest wait after a failure when `attempts` attempts had failed before it:
/// min(cap, base * 2^attempts), without overflow for any `attempts`.
std::chrono::milliseconds backoffCeiling(const BackoffPolicy& policy, std::uint32_t attempts);

/// The wait after a failure when `attempts` attempts had failed before it: uniform in
/// [0, backoffCeiling(policy, attempts)] ("full jitter": retries of many streams spread out).
template <std::uniform_random_bit_generator G>
std::chrono::milliseconds backoffDelay(const BackoffPolicy& policy, std::uint32_t attempts,
                                       G& rng) {
  std::uniform_int_distribution<std::int64_t> wait(0, backoffCeiling(policy, attempts).count());
  return std::chrono::milliseconds{wait(rng)};
}

/// Where an entry stands.
enum class EntryState { pending, delivered, refused, cancelled };
std::string_view toString(EntryState state);
std::optional<EntryState> parseEntryState(std::string_view name);

/// An outbox entry as the sender sends it and admins see it.
struct OutboxEntry {
  std::string id;  // UUID, the idempotency key
  std::string stream;
  std::int64_t seq = 0;
  std::string kind;
  std::string recipient;
  std::string envelopeJson;
  TimePoint createdAt;
  EntryState state = EntryState::pending;
  std::int64_t attempts = 0;
  TimePoint nextAttemptAt;
  std::string lastError;  // a reason word; empty when none
  std::optional<TimePoint> deliveredAt;
};

/// One stream with entries waiting (or refused).
struct StreamStatus {
  std::string stream;
  std::string streamKind;    // the stream's first segment ("claims" of "claims/2026-12")
  std::int64_t backlog = 0;  // entries neither delivered nor cancelled
  TimePoint oldestCreatedAt;
  OutboxEntry head;  // the next to go (without its envelope); refused: the stream is blocked
  bool blocked() const { return head.state == EntryState::refused; }
};

/// The outbox at one moment (`vigild sync status`, /metrics, the admin page).
struct OutboxStatus {
  std::vector<StreamStatus> streams;  // by stream name
  std::int64_t backlog = 0;
  std::optional<TimePoint> oldestCreatedAt;
  std::optional<TimePoint> lastSuccessAt;  // the last delivery or inbox fetch
  std::string lastError;                   // the last failure's reason word
  std::optional<TimePoint> lastErrorAt;
};

/// Why an entry was not queued, as a fixed word for logs and records (no free text, no PHI).
/// These are all the refusals of Outbox::enqueueIn and Link::enqueueIn; a failure of the
/// caller's write job itself (StoreError) is not one of them and passes through unchanged.
enum class EnqueueFailure {
  notEnrolled,     // "not_enrolled": the box has no enrolment with the cloud
  unknownService,  // "unknown_service": the enrolment names no such cloud service
  rejected,        // "rejected": a bad stream, kind or recipient name, or an envelope empty or
                   // over 1 MiB
};
std::string_view toString(EnqueueFailure failure);

/// The outbox refused an entry: reason() says why. A ValidationError, so callers that catch
/// that (the domain change fails, nothing is half-done) still do.
class EnqueueError : public ValidationError {
 public:
  EnqueueError(EnqueueFailure reason, const std::string& message)
      : ValidationError(message), reason_(reason) {}
  EnqueueFailure reason() const noexcept { return reason_; }

 private:
  EnqueueFailure reason_;
};

/// Makes the sealed envelope (JSON text) of a new entry from its id and seq.
using MakeEnvelope = std::function<std::string(std::string_view id, std::int64_t seq)>;

/// A fresh random (version 4) UUID in lower-case hex, "8-4-4-4-12".
std::string newUuid();

/// The first segment of a stream name: what metrics label streams by.
std::string_view streamKindOf(std::string_view stream);

/// The outbox in one read snapshot (no Outbox needed: the console and /metrics read it too).
OutboxStatus outboxStatusIn(store::Connection& c);
OutboxStatus outboxStatus(store::Database& db);

/// Writes, hands out and settles outbox entries; the admins' retry and cancel.
class Outbox {
 public:
  /// `metrics` nullptr: Metrics::global().
  Outbox(store::Database& db, security::AuditLog& audit, Clock& clock, BackoffPolicy policy = {},
         Metrics* metrics = nullptr);

  /// Inside the caller's write job: adds an entry to `stream` (next seq, new UUID) whose
  /// envelope is makeEnvelope(id, seq); returns the id. Nothing is written if makeEnvelope
  /// throws. Throws EnqueueError (rejected) for a bad stream, kind or recipient name, or an
  /// envelope that is empty or over 1 MiB.
  std::string enqueueIn(store::Connection& c, std::string_view stream, std::string_view kind,
                        std::string_view recipient, const MakeEnvelope& makeEnvelope);

  /// The entries to send now: of each stream only its head, when it is pending and its
  /// back-off has passed; at most `limit`, longest waiting first.
  std::vector<OutboxEntry> nextDue(TimePoint now, std::size_t limit);

  /// The service accepted the entry (202, or 200 duplicate). False when the entry is no longer
  /// pending (an admin cancelled it meanwhile): nothing changes then.
  bool markDelivered(std::string_view id, TimePoint now);
  /// The same for several entries in one write job (one commit for a sending round: a crash
  /// before it only sends them again, and the service answers "duplicate"). Returns how many
  /// were still pending.
  int markDelivered(const std::vector<std::string>& ids, TimePoint now);
  /// The attempt failed for now (408, 429, 5xx, no answer): the entry waits its back-off, or
  /// `retryAfter` when the service asked for longer. Returns when it is due again (nullopt:
  /// the entry is no longer pending). A Retry-After beyond the policy's cap counts as the cap.
  std::optional<TimePoint> markRetry(std::string_view id, TimePoint now, std::string_view reason,
                                     std::optional<std::chrono::seconds> retryAfter = {});
  /// The service refused the entry for good (another 4xx): it blocks its stream until an admin
  /// retries or cancels it. False when the entry is no longer pending.
  bool markRefused(std::string_view id, TimePoint now, std::string_view reason);
  /// 409 out_of_order: the service expects `expectedSeq` of the stream next, so every entry
  /// from there that was marked delivered goes again. Returns how many.
  int resendFrom(std::string_view stream, std::int64_t expectedSeq, TimePoint now);

  /// An admin sends a refused (or waiting) entry again now; unblocks its stream. Audited
  /// (sync.retry). Throws AccessDenied (audited), NotFound, ValidationError (delivered or
  /// cancelled).
  void retry(const security::Actor& actor, std::string_view id);
  /// An admin gives up on an entry: it is never sent; a `stream.skip` envelope (setSkipSealer)
  /// takes its seq, so the service moves on to the stream's next entry. Audited (sync.cancel).
  /// Throws as retry(), and ValidationError without a skip sealer.
  void cancel(const security::Actor& actor, std::string_view id);

  /// One entry (with its envelope), if it exists.
  std::optional<OutboxEntry> entry(std::string_view id);
  static std::optional<OutboxEntry> entryIn(store::Connection& c, std::string_view id);

  /// Makes the `stream.skip` envelope that replaces a cancelled entry (same stream and seq, the
  /// new id `newId`); cancel() refuses without one. The link sets it once the box has keys.
  using SealSkip = std::function<std::string(const OutboxEntry& cancelled, std::string_view newId)>;
  void setSkipSealer(SealSkip sealSkip);

  /// Forgets delivered entries delivered before `before` and cancelled ones written before it
  /// (the stream's seq counter stays). Returns how many.
  int prune(TimePoint before);
  OutboxStatus status();

 private:
  template <class F>
  void adminWrite(const security::Actor& actor, std::string_view operation, std::string_view id,
                  F&& change);
  std::chrono::milliseconds jitteredDelay(std::uint32_t attempts);

  store::Database& db_;
  security::AuditLog& audit_;
  Clock& clock_;
  BackoffPolicy policy_;
  std::mutex rngMutex_;
  std::mt19937_64 rng_;
  Metrics& metrics_;
  Counter& delivered_;
  Counter& failedAttempts_;
  SealSkip sealSkip_;
};

}  // namespace vigil::sync
