#include "vigil/sync/outbox.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <limits>

#include "admin_action.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/time.hpp"
#include "vigil/crypto/random.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/sync/link_state.hpp"

namespace vigil::sync {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using store::Connection;

// The contract's limit on a request body (docs/cloud-api.md, "Transport").
constexpr std::size_t kMaxEnvelopeBytes = 1024 * 1024;

// The columns entryFrom() reads, in its order (prefixed by the table alias `o`).
#define VIGIL_SYNC_ENTRY_COLUMNS(envelope)                \
  "o.id, o.stream, o.seq, o.kind, o.recipient, " envelope \
  ", o.created_at, o.state, o.attempts, o.next_attempt_at, o.last_error, o.delivered_at"

// Each stream's head: its lowest entry neither delivered nor cancelled (the partial index
// sync_outbox_open holds exactly those), with the stream's backlog and oldest entry.
#define VIGIL_SYNC_HEADS                                                             \
  "(SELECT stream, min(seq) AS seq, count(*) AS backlog, min(created_at) AS oldest " \
  "FROM sync_outbox WHERE state IN ('pending', 'refused') GROUP BY stream) AS h "    \
  "JOIN sync_outbox AS o ON o.stream = h.stream AND o.seq = h.seq "                  \
  "AND o.state IN ('pending', 'refused')"

// The heads alone, read from the partial index only (no row of a waiting entry is read): what
// nextDue() scans on every round, so a backlog of 100 000 costs one index pass per round.
#define VIGIL_SYNC_HEADS_ONLY                                       \
  "(SELECT stream, min(seq) AS seq FROM sync_outbox "               \
  "WHERE state IN ('pending', 'refused') GROUP BY stream) AS h "    \
  "JOIN sync_outbox AS o ON o.stream = h.stream AND o.seq = h.seq " \
  "AND o.state IN ('pending', 'refused')"

// Reasons a service gives for refusing an entry (the contract's list): metric labels. Any
// other reason is counted as "other", so a service cannot grow the label set.
constexpr std::array<std::string_view, 7> kKnownRefusals = {
    "unknown_key",     "bad_signature",   "does_not_open", "not_for_me",
    "invalid_payload", "license_expired", "out_of_order"};

bool isLower(char ch) {
  return ch >= 'a' && ch <= 'z';
}
bool isDigit(char ch) {
  return ch >= '0' && ch <= '9';
}

// A name of lower-case letters, digits and `extra`, starting with a letter, 1..max long.
bool isWord(std::string_view s, std::size_t max, std::string_view extra) {
  if (s.empty() || s.size() > max || !isLower(s[0])) return false;
  return std::all_of(s.begin(), s.end(), [&](char ch) {
    return isLower(ch) || isDigit(ch) || extra.find(ch) != std::string_view::npos;
  });
}

// "<kind>[/<part>…]": a word, then parts of letters, digits and ._:- (ids, months).
bool isStreamName(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  auto slash = s.find('/');
  if (!isWord(s.substr(0, slash), 32, "_-")) return false;
  if (slash == std::string_view::npos) return true;
  auto rest = s.substr(slash + 1);
  if (rest.empty() || rest.front() == '/' || rest.back() == '/' ||
      rest.find("//") != std::string_view::npos)
    return false;
  return std::all_of(rest.begin(), rest.end(), [](char ch) {
    return isLower(ch) || isDigit(ch) || (ch >= 'A' && ch <= 'Z') ||
           std::string_view("._:-/").find(ch) != std::string_view::npos;
  });
}

OutboxEntry entryFrom(const store::Statement& st, int first) {
  OutboxEntry e;
  e.id = st.getText(first);
  e.stream = st.getText(first + 1);
  e.seq = st.getInt64(first + 2);
  e.kind = st.getText(first + 3);
  e.recipient = st.getText(first + 4);
  e.envelopeJson = st.getText(first + 5);
  e.createdAt = core::fromMillis(st.getInt64(first + 6));
  e.state = parseEntryState(st.getText(first + 7)).value_or(EntryState::pending);
  e.attempts = st.getInt64(first + 8);
  e.nextAttemptAt = core::fromMillis(st.getInt64(first + 9));
  e.lastError = st.getText(first + 10);
  e.deliveredAt = core::fromMillis(st.get<std::optional<std::int64_t>>(first + 11));
  return e;
}

std::optional<TimePoint> millisState(Connection& c, std::string_view key) {
  auto text = linkStateIn(c, key);
  if (!text) return std::nullopt;
  std::int64_t ms = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), ms);
  if (ec != std::errc{} || end != text->data() + text->size()) return std::nullopt;
  return core::fromMillis(ms);
}

// An id as an admin typed it: at most a UUID's length, or it names no entry.
void checkEntryId(std::string_view id) {
  if (id.empty() || id.size() > 64) throw NotFound("sync entry");
}

struct EntryRow {
  std::string state;
  std::string stream;
  std::string lastError;
};

EntryRow loadEntryIn(Connection& c, std::string_view id) {
  auto& st = c.cached("SELECT state, stream, last_error FROM sync_outbox WHERE id = ?1");
  st.bind(1, id);
  if (!st.step()) {
    st.reset();
    throw NotFound("sync entry " + std::string(id));
  }
  EntryRow row{st.getText(0), st.getText(1), st.getText(2)};
  st.reset();
  return row;
}

}  // namespace

std::chrono::milliseconds backoffCeiling(const BackoffPolicy& policy, std::uint32_t attempts) {
  const std::int64_t cap = std::max<std::int64_t>(policy.cap.count(), 0);
  std::int64_t ceiling =
      std::min<std::int64_t>(std::max<std::int64_t>(policy.base.count(), 0), cap);
  for (std::uint32_t i = 0; i < attempts && ceiling < cap; ++i) {
    if (ceiling == 0) break;
    ceiling = ceiling > cap / 2 ? cap : ceiling * 2;
  }
  return milliseconds{ceiling};
}

std::string_view toString(EntryState state) {
  switch (state) {
    case EntryState::pending:
      return "pending";
    case EntryState::delivered:
      return "delivered";
    case EntryState::refused:
      return "refused";
    case EntryState::cancelled:
      return "cancelled";
  }
  return "pending";
}

std::string_view toString(EnqueueFailure failure) {
  switch (failure) {
    case EnqueueFailure::notEnrolled:
      return "not_enrolled";
    case EnqueueFailure::unknownService:
      return "unknown_service";
    case EnqueueFailure::rejected:
      return "rejected";
  }
  return "rejected";
}

std::optional<EntryState> parseEntryState(std::string_view name) {
  for (auto s :
       {EntryState::pending, EntryState::delivered, EntryState::refused, EntryState::cancelled})
    if (toString(s) == name) return s;
  return std::nullopt;
}

std::string newUuid() {
  std::array<std::uint8_t, 16> b{};
  crypto::randomFill(b);
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);  // variant 10
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0x0f]);
  }
  return out;
}

std::string_view streamKindOf(std::string_view stream) {
  return stream.substr(0, stream.find('/'));
}

OutboxStatus outboxStatusIn(Connection& c) {
  OutboxStatus s;
  auto& st = c.cached("SELECT h.stream, h.backlog, h.oldest, " VIGIL_SYNC_ENTRY_COLUMNS(
      "''") " FROM " VIGIL_SYNC_HEADS " ORDER BY h.stream");
  while (st.step()) {
    StreamStatus ss;
    ss.stream = st.getText(0);
    ss.streamKind = std::string(streamKindOf(ss.stream));
    ss.backlog = st.getInt64(1);
    ss.oldestCreatedAt = core::fromMillis(st.getInt64(2));
    ss.head = entryFrom(st, 3);
    s.backlog += ss.backlog;
    if (!s.oldestCreatedAt || ss.oldestCreatedAt < *s.oldestCreatedAt)
      s.oldestCreatedAt = ss.oldestCreatedAt;
    s.streams.push_back(std::move(ss));
  }
  st.reset();
  s.lastSuccessAt = millisState(c, kLastSuccessKey);
  s.lastError = linkStateIn(c, kLastErrorKey).value_or("");
  s.lastErrorAt = millisState(c, kLastErrorAtKey);
  return s;
}

OutboxStatus outboxStatus(store::Database& db) {
  return db.read([](Connection& c) { return outboxStatusIn(c); });
}

Outbox::Outbox(store::Database& db, security::AuditLog& audit, Clock& clock, BackoffPolicy policy,
               Metrics* metrics)
    : db_(db),
      audit_(audit),
      clock_(clock),
      policy_(policy),
      rng_(std::random_device{}()),
      metrics_(metrics != nullptr ? *metrics : Metrics::global()),
      delivered_(metrics_.counter("vigil_sync_entries_delivered_total",
                                  "Outbox entries the cloud services accepted")),
      failedAttempts_(metrics_.counter("vigil_sync_attempts_failed_total",
                                       "Outbox deliveries that failed for now and wait to retry")) {
}

std::chrono::milliseconds Outbox::jitteredDelay(std::uint32_t attempts) {
  std::lock_guard lock(rngMutex_);
  return backoffDelay(policy_, attempts, rng_);
}

std::string Outbox::enqueueIn(Connection& c, std::string_view stream, std::string_view kind,
                              std::string_view recipient, const MakeEnvelope& makeEnvelope) {
  if (!isStreamName(stream))
    throw EnqueueError(EnqueueFailure::rejected, "stream: not a stream name");
  if (!isWord(kind, 64, "_.")) throw EnqueueError(EnqueueFailure::rejected, "kind: not a kind");
  if (!isWord(recipient, 64, "_-"))
    throw EnqueueError(EnqueueFailure::rejected, "recipient: not a service name");
  store::Transaction tx(c);  // a savepoint inside the caller's job: all of it or nothing
  c.execute(
      "INSERT INTO sync_streams (stream, next_seq) VALUES (?1, 1) ON CONFLICT (stream) DO NOTHING",
      stream);
  const auto seq =
      c.queryValue<std::int64_t>("SELECT next_seq FROM sync_streams WHERE stream = ?1", stream)
          .value_or(1);
  c.execute("UPDATE sync_streams SET next_seq = next_seq + 1 WHERE stream = ?1", stream);
  std::string id = newUuid();
  const std::string envelope = makeEnvelope(id, seq);
  if (envelope.empty()) throw EnqueueError(EnqueueFailure::rejected, "envelope: empty");
  if (envelope.size() > kMaxEnvelopeBytes)
    throw EnqueueError(EnqueueFailure::rejected, "envelope: over 1 MiB");
  const auto now = core::toMillis(clock_.now());
  c.execute(
      "INSERT INTO sync_outbox (id, stream, seq, kind, recipient, envelope, created_at, "
      "next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
      id, stream, seq, kind, recipient, envelope, now);
  tx.commit();
  return id;
}

std::vector<OutboxEntry> Outbox::nextDue(TimePoint now, std::size_t limit) {
  return db_.read([&](Connection& c) {
    std::vector<OutboxEntry> due;
    auto& st = c.cached("SELECT " VIGIL_SYNC_ENTRY_COLUMNS(
        "o.envelope") " FROM " VIGIL_SYNC_HEADS_ONLY
                      " WHERE o.state = 'pending' AND o.next_attempt_at <= ?1"
                      " ORDER BY o.next_attempt_at, o.created_at, o.stream LIMIT ?2");
    st.bindAll(core::toMillis(now),
               static_cast<std::int64_t>(std::min<std::size_t>(limit, 1'000'000)));
    while (st.step()) due.push_back(entryFrom(st, 0));
    st.reset();
    return due;
  });
}

bool Outbox::markDelivered(std::string_view id, TimePoint now) {
  bool done = db_.writeSync([&](Connection& c) {
    if (c.execute("UPDATE sync_outbox SET state = 'delivered', delivered_at = ?2, last_error = '' "
                  "WHERE id = ?1 AND state = 'pending'",
                  id, core::toMillis(now)) == 0)
      return false;
    recordLinkSuccessIn(c, now);
    return true;
  });
  if (done) delivered_.inc();
  return done;
}

int Outbox::markDelivered(const std::vector<std::string>& ids, TimePoint now) {
  if (ids.empty()) return 0;
  int done = db_.writeSync([&](Connection& c) {
    int n = 0;
    for (const auto& id : ids)
      n += c.execute(
          "UPDATE sync_outbox SET state = 'delivered', delivered_at = ?2, last_error = '' "
          "WHERE id = ?1 AND state = 'pending'",
          id, core::toMillis(now));
    if (n > 0) recordLinkSuccessIn(c, now);
    return n;
  });
  delivered_.inc(static_cast<std::uint64_t>(done));
  return done;
}

std::optional<TimePoint> Outbox::markRetry(std::string_view id, TimePoint now,
                                           std::string_view reason,
                                           std::optional<std::chrono::seconds> retryAfter) {
  const std::string word = reasonWord(reason);
  auto due = db_.writeSync([&](Connection& c) -> std::optional<TimePoint> {
    auto attempts = c.queryValue<std::int64_t>(
        "SELECT attempts FROM sync_outbox WHERE id = ?1 AND state = 'pending'", id);
    if (!attempts) return std::nullopt;
    auto delay = jitteredDelay(static_cast<std::uint32_t>(
        std::clamp<std::int64_t>(*attempts, 0, std::numeric_limits<std::int32_t>::max())));
    if (retryAfter) delay = std::max(delay, std::min(milliseconds{*retryAfter}, policy_.cap));
    const TimePoint next = now + delay;
    c.execute(
        "UPDATE sync_outbox SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3 "
        "WHERE id = ?1",
        id, core::toMillis(next), word);
    recordLinkErrorIn(c, now, word);
    return next;
  });
  if (due) failedAttempts_.inc();
  return due;
}

bool Outbox::markRefused(std::string_view id, TimePoint now, std::string_view reason) {
  const std::string word = reasonWord(reason);
  auto stream = db_.writeSync([&](Connection& c) -> std::optional<std::string> {
    auto s = c.queryValue<std::string>(
        "SELECT stream FROM sync_outbox WHERE id = ?1 AND state = 'pending'", id);
    if (!s) return std::nullopt;
    c.execute(
        "UPDATE sync_outbox SET state = 'refused', attempts = attempts + 1, last_error = ?2 "
        "WHERE id = ?1",
        id, word);
    c.execute("UPDATE sync_streams SET blocked_by = ?2 WHERE stream = ?1", *s, id);
    recordLinkErrorIn(c, now, word);
    return s;
  });
  if (!stream) return false;
  const bool known =
      std::find(kKnownRefusals.begin(), kKnownRefusals.end(), word) != kKnownRefusals.end();
  metrics_
      .counter("vigil_sync_entries_refused_total",
               "Outbox entries a cloud service refused for good, by reason",
               {{"reason", known ? word : std::string("other")}})
      .inc();
  log::warn("sync.entry_refused", {{"id", id}, {"stream", *stream}, {"reason", word}});
  return true;
}

int Outbox::resendFrom(std::string_view stream, std::int64_t expectedSeq, TimePoint now) {
  int n = db_.writeSync([&](Connection& c) {
    return c.execute(
        "UPDATE sync_outbox SET state = 'pending', delivered_at = NULL, next_attempt_at = ?3 "
        "WHERE stream = ?1 AND seq >= ?2 AND state = 'delivered'",
        stream, expectedSeq, core::toMillis(now));
  });
  if (n > 0)
    log::warn("sync.stream_resent",
              {{"stream", stream}, {"from_seq", expectedSeq}, {"entries", n}});
  return n;
}

template <class F>
void Outbox::adminWrite(const security::Actor& actor, std::string_view operationName,
                        std::string_view id, F&& change) {
  const auto& op = requireAllowed(db_, audit_, actor, operationName,
                                  {"sync_entry", std::string(id.substr(0, 64))});
  const security::AuditObject object{"sync_entry", std::string(id.substr(0, 64))};
  checkEntryId(id);
  db_.writeSync([&](Connection& c) {
    const std::string detail = change(c);
    audit_.append(c, security::auditEventFor(actor, op.name, object.type, object.id, std::nullopt,
                                             security::AuditOutcome::success, detail));
  });
}

void Outbox::retry(const security::Actor& actor, std::string_view id) {
  std::string stream;
  adminWrite(actor, "sync.retry", id, [&](Connection& c) {
    EntryRow row = loadEntryIn(c, id);
    if (row.state != "pending" && row.state != "refused")
      throw ValidationError("sync entry " + std::string(id) + ": already " + row.state);
    // A refused entry starts its back-off afresh; a waiting one just goes now.
    c.execute(
        "UPDATE sync_outbox SET next_attempt_at = ?2, "
        "attempts = CASE WHEN state = 'refused' THEN 0 ELSE attempts END, state = 'pending' "
        "WHERE id = ?1",
        id, core::toMillis(clock_.now()));
    c.execute("UPDATE sync_streams SET blocked_by = NULL WHERE stream = ?1 AND blocked_by = ?2",
              row.stream, id);
    stream = row.stream;
    return "was=" + row.state + (row.lastError.empty() ? "" : " last_error=" + row.lastError);
  });
  log::info("sync.entry_retried", {{"id", id}, {"stream", stream}, {"by", actor.id}});
}

void Outbox::cancel(const security::Actor& actor, std::string_view id) {
  std::string stream;
  adminWrite(actor, "sync.cancel", id, [&](Connection& c) {
    EntryRow row = loadEntryIn(c, id);
    if (row.state != "pending" && row.state != "refused")
      throw ValidationError("sync entry " + std::string(id) + ": already " + row.state);
    if (!sealSkip_)
      throw ValidationError("sync entry " + std::string(id) +
                            ": cancel needs the box's cloud keys (enrol the box first)");
    auto cancelled = entryIn(c, id);
    c.execute("UPDATE sync_outbox SET state = 'cancelled' WHERE id = ?1", id);
    c.execute("UPDATE sync_streams SET blocked_by = NULL WHERE stream = ?1 AND blocked_by = ?2",
              row.stream, id);
    // The service waits for this seq: a stream.skip takes the cancelled entry's place.
    const std::string skipId = newUuid();
    const std::string envelope = sealSkip_(*cancelled, skipId);
    const auto now = core::toMillis(clock_.now());
    c.execute(
        "INSERT INTO sync_outbox (id, stream, seq, kind, recipient, envelope, created_at, "
        "next_attempt_at) VALUES (?1, ?2, ?3, 'stream.skip', ?4, ?5, ?6, ?6)",
        skipId, cancelled->stream, cancelled->seq, cancelled->recipient, envelope, now);
    stream = row.stream;
    return "was=" + row.state + (row.lastError.empty() ? "" : " last_error=" + row.lastError) +
           " skip=" + skipId;
  });
  log::info("sync.entry_cancelled", {{"id", id}, {"stream", stream}, {"by", actor.id}});
}

std::optional<OutboxEntry> Outbox::entryIn(Connection& c, std::string_view id) {
  auto& st = c.cached(
      "SELECT " VIGIL_SYNC_ENTRY_COLUMNS("o.envelope") " FROM sync_outbox AS o WHERE o.id = ?1");
  st.bind(1, id);
  std::optional<OutboxEntry> e;
  if (st.step()) e = entryFrom(st, 0);
  st.reset();
  return e;
}

std::optional<OutboxEntry> Outbox::entry(std::string_view id) {
  return db_.read([&](Connection& c) { return entryIn(c, id); });
}

void Outbox::setSkipSealer(SealSkip sealSkip) {
  sealSkip_ = std::move(sealSkip);
}

int Outbox::prune(TimePoint before) {
  const auto cutoff = core::toMillis(before);
  int n = db_.writeSync([&](Connection& c) {
    return c.execute("DELETE FROM sync_outbox WHERE state = 'delivered' AND delivered_at < ?1",
                     cutoff) +
           c.execute("DELETE FROM sync_outbox WHERE state = 'cancelled' AND created_at < ?1",
                     cutoff);
  });
  if (n > 0) log::info("sync.outbox_pruned", {{"entries", n}});
  return n;
}

OutboxStatus Outbox::status() {
  return outboxStatus(db_);
}

}  // namespace vigil::sync
