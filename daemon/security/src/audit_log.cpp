#include "vigil/security/audit_log.hpp"

#include <cassert>
#include <cstdio>
#include <map>
#include <ostream>
#include <sstream>

#include "vigil/core/error.hpp"
#include "vigil/core/json_text.hpp"
#include "vigil/core/log.hpp"
#include "vigil/store/database.hpp"

namespace vigil::security {
namespace {

using store::Connection;

constexpr std::string_view kSelectEntry =
    "SELECT seq, at_us, actor_id, actor_role, action, object_type, object_id, patient_id, "
    "outcome, reason, break_glass, prev_hash, hash FROM audit_log";

crypto::Digest256 toDigest(const store::Blob& b, bool& ok) {
  crypto::Digest256 d{};
  ok = b.size() == d.size();
  if (ok) std::copy(b.begin(), b.end(), d.begin());
  return d;
}

// Reads the current row of a kSelectEntry statement. `wellFormed` is false when a stored value
// cannot be a valid entry (bad outcome word, wrong hash length).
AuditEntry readEntry(const store::Statement& st, bool& wellFormed) {
  AuditEntry e;
  wellFormed = true;
  e.seq = st.getInt64(0);
  e.time = fromMicros(st.getInt64(1));
  e.event.actorId = st.getInt64(2);
  e.event.actorRole = st.getText(3);
  e.event.action = st.getText(4);
  e.event.objectType = st.getText(5);
  e.event.objectId = st.getText(6);
  e.event.patientId = st.get<std::optional<std::int64_t>>(7);
  auto outcome = parseAuditOutcome(st.getText(8));
  if (!outcome) wellFormed = false;
  e.event.outcome = outcome.value_or(AuditOutcome::failure);
  e.event.reason = st.getText(9);
  e.event.breakGlass = st.getInt64(10) != 0;
  bool ok1 = false, ok2 = false;
  e.prevHash = toDigest(st.getBlob(11), ok1);
  e.hash = toDigest(st.getBlob(12), ok2);
  if (!ok1 || !ok2) wellFormed = false;
  return e;
}

store::Blob blob(const crypto::Digest256& d) {
  return store::Blob(d.begin(), d.end());
}

void insertCheckpoint(Connection& c, const AuditCheckpoint& cp) {
  c.execute(
      "INSERT INTO audit_checkpoints (seq, hash, at_us, public_key, signature, version, idx, "
      "keyed_from, prev_digest) VALUES (?1, ?2, ?3, ?4, ?5, 2, ?6, ?7, ?8)",
      cp.seq, blob(cp.hash), toMicros(cp.time),
      store::Blob(cp.publicKey.begin(), cp.publicKey.end()),
      store::Blob(cp.signature.begin(), cp.signature.end()), cp.index, cp.keyedFrom,
      blob(cp.prevDigest));
}

constexpr std::string_view kSelectCheckpoint =
    "SELECT seq, hash, at_us, public_key, signature, version, idx, keyed_from, prev_digest "
    "FROM audit_checkpoints";

// Reads the current row of a kSelectCheckpoint statement; false when a stored value cannot be
// a valid checkpoint (wrong hash length, a version-2 row without its fields).
bool readCheckpoint(const store::Statement& st, AuditCheckpoint& cp) {
  bool ok = false;
  cp.seq = st.getInt64(0);
  cp.hash = toDigest(st.getBlob(1), ok);
  cp.time = fromMicros(st.getInt64(2));
  store::Blob pk = st.getBlob(3);
  store::Blob sig = st.getBlob(4);
  cp.publicKey.assign(pk.begin(), pk.end());
  cp.signature.assign(sig.begin(), sig.end());
  cp.version = static_cast<int>(st.getInt64(5));
  if (cp.version == 1) return ok;
  if (cp.version != 2 || st.isNull(6) || st.isNull(7) || st.isNull(8)) return false;
  cp.index = st.getInt64(6);
  cp.keyedFrom = st.getInt64(7);
  bool linkOk = false;
  cp.prevDigest = toDigest(st.getBlob(8), linkOk);
  return ok && linkOk;
}

std::int64_t keyedFromIn(Connection& c) {
  auto v = c.queryValue<std::int64_t>("SELECT keyed_from FROM audit_chain WHERE id = 1");
  if (!v) throw StoreError("audit_chain: the first keyed entry is not recorded");
  return *v;
}

crypto::Digest256 hashFor(const AuditEntry& e, std::int64_t keyedFrom,
                          const crypto::Key256& chainKey) {
  return e.seq >= keyedFrom ? computeKeyedEntryHash(e, chainKey) : computeEntryHash(e);
}

void jsonString(std::ostream& out, std::string_view s) {
  out << core::jsonString(s);
}

}  // namespace

AuditEvent auditEventFor(const Actor& actor, std::string_view action, std::string_view objectType,
                         std::string_view objectId, std::optional<std::int64_t> patientId,
                         AuditOutcome outcome, std::string_view reason) {
  AuditEvent e;
  e.actorId = actor.id;
  e.actorRole = std::string(toString(actor.role));
  e.action = std::string(action);
  e.objectType = std::string(objectType);
  e.objectId = std::string(objectId);
  e.patientId = patientId;
  e.outcome = outcome;
  e.reason = std::string(reason);
  return e;
}

AuditLog::AuditLog(const Keys& keys, Clock& clock, AuditConfig config)
    : signer_(keys.auditSigner()),
      chainKey_(keys.auditChainKey()),
      clock_(clock),
      config_(config),
      cipher_(keys.cipher()),
      publicKey_(signer_.publicKey()) {
  if (config_.checkpointEvery < 1) throw ConfigError("audit.checkpoint_every must be >= 1");
  if (config_.checkpointInterval < std::chrono::minutes{1})
    throw ConfigError("audit.checkpoint_minutes must be >= 1");
}

void AuditLog::addCheckpointIn(Connection& c, std::int64_t seq, const crypto::Digest256& hash,
                               TimePoint time) {
  AuditCheckpoint cp;
  cp.seq = seq;
  cp.hash = hash;
  cp.time = time;
  cp.keyedFrom = keyedFromIn(c);
  cp.index = c.queryValue<std::int64_t>("SELECT count(*) FROM audit_checkpoints").value_or(0) + 1;
  auto st = c.prepare(std::string(kSelectCheckpoint) + " ORDER BY seq DESC LIMIT 1");
  if (st.step()) {
    AuditCheckpoint prev;
    if (!readCheckpoint(st, prev)) throw StoreError("audit_checkpoints: the latest is malformed");
    cp.prevDigest = checkpointDigest(prev);
  }
  insertCheckpoint(c, signCheckpoint(signer_, std::move(cp)));
}

std::int64_t AuditLog::append(Connection& c, const AuditEvent& event) {
  assert(c.inTransaction() && "AuditLog::append must run inside the write's transaction");
  AuditEntry e;
  e.event = event;
  // Stored precision is microseconds; hash what is stored.
  e.time = fromMicros(toMicros(clock_.now()));
  {
    auto& last = c.cached("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1");
    if (last.step()) {
      e.seq = last.getInt64(0) + 1;
      bool ok = false;
      e.prevHash = toDigest(last.getBlob(1), ok);
      if (!ok) {
        last.reset();
        throw StoreError("audit_log: previous entry has a malformed hash");
      }
    } else {
      e.seq = 1;
    }
    last.reset();
  }
  {
    auto& chain = c.cached("SELECT keyed_from FROM audit_chain WHERE id = 1");
    if (!chain.step()) {
      chain.reset();
      throw StoreError("audit_chain: the first keyed entry is not recorded");
    }
    const std::int64_t keyedFrom = chain.getInt64(0);
    chain.reset();
    e.hash = hashFor(e, keyedFrom, chainKey_);
  }
  c.execute(
      "INSERT INTO audit_log (seq, at_us, actor_id, actor_role, action, object_type, object_id, "
      "patient_id, outcome, reason, break_glass, prev_hash, hash) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
      e.seq, toMicros(e.time), e.event.actorId, e.event.actorRole, e.event.action,
      e.event.objectType, e.event.objectId, e.event.patientId,
      std::string(toString(e.event.outcome)), e.event.reason, e.event.breakGlass ? 1 : 0,
      blob(e.prevHash), blob(e.hash));
  if (!event.justification.empty()) {
    auto ct = cipher_.encrypt({"audit_justifications", "text", std::to_string(e.seq)},
                              event.justification);
    c.execute("INSERT INTO audit_justifications (seq, text_enc) VALUES (?1, ?2)", e.seq,
              store::Blob(ct.begin(), ct.end()));
  }

  // Checkpoint every N entries or when the last one is older than the interval.
  std::int64_t lastCpSeq = 0;
  std::optional<std::int64_t> lastCpAt;
  {
    auto& cp = c.cached("SELECT seq, at_us FROM audit_checkpoints ORDER BY seq DESC LIMIT 1");
    if (cp.step()) {
      lastCpSeq = cp.getInt64(0);
      lastCpAt = cp.getInt64(1);
    }
    cp.reset();
  }
  bool due = e.seq - lastCpSeq >= config_.checkpointEvery;
  auto intervalUs =
      std::chrono::duration_cast<std::chrono::microseconds>(config_.checkpointInterval).count();
  if (!due && lastCpAt) due = toMicros(e.time) - *lastCpAt >= intervalUs;
  if (!due && !lastCpAt) {
    // No checkpoint yet: time the first one from the first entry.
    auto first = c.queryValue<std::int64_t>("SELECT at_us FROM audit_log WHERE seq = 1");
    due = first && toMicros(e.time) - *first >= intervalUs;
  }
  if (due) addCheckpointIn(c, e.seq, e.hash, e.time);
  return e.seq;
}

std::int64_t AuditLog::record(store::Database& db, const AuditEvent& event) {
  return db.writeSync([&](Connection& c) { return append(c, event); });
}

std::int64_t AuditLog::checkpointIn(Connection& c) {
  assert(c.inTransaction() && "AuditLog::checkpointIn must run inside a write transaction");
  auto& last = c.cached("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1");
  if (!last.step()) {
    last.reset();
    return 0;
  }
  const std::int64_t seq = last.getInt64(0);
  bool ok = false;
  const auto hash = toDigest(last.getBlob(1), ok);
  last.reset();
  if (!ok) throw StoreError("audit_log: latest entry has a malformed hash");
  if (!c.queryValue<std::int64_t>("SELECT 1 FROM audit_checkpoints WHERE seq = ?1", seq))
    addCheckpointIn(c, seq, hash, clock_.now());
  return seq;
}

std::int64_t AuditLog::checkpoint(store::Database& db) {
  return db.writeSync([&](Connection& c) { return checkpointIn(c); });
}

void AuditLog::sealKeyedChain(store::Database& db) {
  const std::int64_t sealedAt = db.writeSync([&](Connection& c) -> std::int64_t {
    const auto keyedFrom = keyedFromIn(c);
    if (keyedFrom <= 1) return 0;  // keyed from the first entry: nothing to seal
    if (c.queryValue<std::int64_t>("SELECT 1 FROM audit_checkpoints WHERE version = 2 LIMIT 1"))
      return 0;
    AuditEvent e;
    e.actorRole = "system";
    e.action = "audit.chain_keyed";
    e.objectType = "audit_log";
    e.reason = "keyed_from=" + std::to_string(keyedFrom);
    append(c, e);
    return checkpointIn(c);
  });
  if (sealedAt > 0) log::info("audit.chain_keyed", {{"checkpoint_seq", sealedAt}});
}

AuditCheckpoint AuditLog::anchor(store::Database& db) {
  return db.writeSync([&](Connection& c) {
    const auto seq = checkpointIn(c);
    if (seq == 0) throw NotFound("the audit log is empty: nothing to anchor");
    auto st = c.prepare(std::string(kSelectCheckpoint) + " WHERE seq = ?1");
    st.bind(1, seq);
    AuditCheckpoint cp;
    if (!st.step() || !readCheckpoint(st, cp) || cp.version != 2)
      throw StoreError("audit_checkpoints: the latest checkpoint cannot be anchored");
    return cp;
  });
}

AuditVerifyResult AuditLog::verify(Connection& c, const AuditProgress& progress,
                                   const AuditCheckpoint* anchor) const {
  return verifyIn(c, publicKey_, chainKey_, progress, anchor);
}

AuditVerifyResult AuditLog::verify(store::Database& db, const AuditProgress& progress,
                                   const AuditCheckpoint* anchor) const {
  return db.read(
      [&](Connection& c) { return verifyIn(c, publicKey_, chainKey_, progress, anchor); });
}

AuditVerifyResult AuditLog::verifyIn(Connection& c, crypto::ByteView trustedPublicKey,
                                     const crypto::Key256& chainKey, const AuditProgress& progress,
                                     const AuditCheckpoint* anchor) {
  AuditVerifyResult r;
  auto total = static_cast<std::uint64_t>(
      c.queryValue<std::int64_t>("SELECT count(*) FROM audit_log").value_or(0));
  auto fail = [&r](std::int64_t seq, std::string problem) {
    if (r.ok) {
      r.ok = false;
      r.firstBadSeq = seq;
      r.problem = std::move(problem);
    }
  };
  const auto keyedFrom =
      c.queryValue<std::int64_t>("SELECT keyed_from FROM audit_chain WHERE id = 1");
  if (!keyedFrom) {
    fail(0, "the first keyed entry is not recorded (audit_chain is empty)");
    return r;
  }

  // The anchor kept off the box must carry this box's signature to be evidence at all.
  if (anchor &&
      (anchor->version != 2 || !crypto::constantTimeEqual(anchor->publicKey, trustedPublicKey) ||
       !verifyCheckpoint(*anchor, trustedPublicKey))) {
    fail(anchor->seq, "the anchor is not a checkpoint signed by this box's audit key");
    return r;
  }

  // Checkpoints first (few): each must be signed, numbered in order and linked to the one
  // before it; then each entry is compared with its checkpoint as the walk reaches it.
  std::vector<AuditCheckpoint> checkpoints;
  bool anchorFound = false;
  {
    auto st = c.prepare(std::string(kSelectCheckpoint) + " ORDER BY seq");
    bool sawVersion2 = false;
    while (st.step()) {
      AuditCheckpoint cp;
      const bool wellFormed = readCheckpoint(st, cp);
      const auto name = "checkpoint at entry " + std::to_string(cp.seq);
      const auto position = static_cast<std::int64_t>(checkpoints.size()) + 1;
      if (!wellFormed) {
        fail(cp.seq, name + " has malformed fields");
      } else if (!crypto::constantTimeEqual(cp.publicKey, trustedPublicKey) ||
                 !verifyCheckpoint(cp, trustedPublicKey)) {
        fail(cp.seq, name + " is not signed by this box's audit key");
      } else if (cp.version == 1 && (sawVersion2 || cp.seq >= *keyedFrom)) {
        fail(cp.seq, name + " is of the old, unchained form after the chain was keyed");
      } else if (cp.version == 2 && cp.index != position) {
        fail(cp.seq, name + " is number " + std::to_string(cp.index) + " but the " +
                         std::to_string(position) + ". stored (a checkpoint before it is missing)");
      } else if (cp.version == 2 &&
                 cp.prevDigest != (checkpoints.empty() ? crypto::Digest256{}
                                                       : checkpointDigest(checkpoints.back()))) {
        fail(cp.seq, name + " does not link to the checkpoint before it");
      } else if (cp.version == 2 && cp.keyedFrom != *keyedFrom) {
        fail(cp.seq, name + " signs a different first keyed entry (" +
                         std::to_string(cp.keyedFrom) + ", stored " + std::to_string(*keyedFrom) +
                         ")");
      }
      sawVersion2 = sawVersion2 || cp.version == 2;
      if (anchor && cp.seq == anchor->seq && cp.index == anchor->index && cp.hash == anchor->hash &&
          cp.signature == anchor->signature)
        anchorFound = true;
      checkpoints.push_back(std::move(cp));
    }
  }
  r.checkpoints = static_cast<std::int64_t>(checkpoints.size());
  if (anchor && !anchorFound)
    fail(anchor->seq, "the log no longer holds the anchored checkpoint " +
                          std::to_string(anchor->index) + " at entry " +
                          std::to_string(anchor->seq) + " (checkpoints or entries were cut)");
  std::size_t nextCp = 0;

  crypto::Digest256 prev{};
  std::int64_t expectedSeq = 1;
  std::uint64_t done = 0;
  auto st = c.prepare(std::string(kSelectEntry) + " ORDER BY seq");
  while (r.ok && st.step()) {
    bool wellFormed = false;
    AuditEntry e = readEntry(st, wellFormed);
    if (e.seq != expectedSeq) {
      fail(expectedSeq < e.seq ? expectedSeq : e.seq, "entry " + std::to_string(expectedSeq) +
                                                          " is missing (next stored entry is " +
                                                          std::to_string(e.seq) + ")");
    } else if (!wellFormed) {
      fail(e.seq, "entry " + std::to_string(e.seq) + " has malformed fields");
    } else if (e.prevHash != prev) {
      fail(e.seq, "entry " + std::to_string(e.seq) + " does not link to the previous entry");
    } else if (hashFor(e, *keyedFrom, chainKey) != e.hash) {
      fail(e.seq, "entry " + std::to_string(e.seq) + " was changed (hash does not match)");
    }
    while (nextCp < checkpoints.size() && checkpoints[nextCp].seq < e.seq) ++nextCp;
    if (nextCp < checkpoints.size() && checkpoints[nextCp].seq == e.seq &&
        checkpoints[nextCp].hash != e.hash)
      fail(e.seq, "entry " + std::to_string(e.seq) + " differs from its signed checkpoint");
    prev = e.hash;
    expectedSeq = e.seq + 1;
    ++done;
    if (progress && (done % 1024 == 0 || done == total)) progress(done, total);
  }
  r.entries = static_cast<std::int64_t>(done);
  if (r.ok && !checkpoints.empty() && checkpoints.back().seq >= expectedSeq)
    fail(expectedSeq, "entries from " + std::to_string(expectedSeq) +
                          " on are missing (a signed checkpoint names entry " +
                          std::to_string(checkpoints.back().seq) + ")");
  if (progress) progress(done, total);
  return r;
}

std::string AuditLog::anchorText(const AuditCheckpoint& cp) {
  std::ostringstream out;
  out << "vigil-audit-anchor 2\n"
      << "index " << cp.index << "\n"
      << "entries " << cp.seq << "\n"
      << "hash " << crypto::toHex(cp.hash) << "\n"
      << "time_us " << toMicros(cp.time) << "\n"
      << "time " << formatUtc(cp.time) << "\n"
      << "keyed_from " << cp.keyedFrom << "\n"
      << "prev_digest " << crypto::toHex(cp.prevDigest) << "\n"
      << "public_key " << crypto::toHex(cp.publicKey) << "\n"
      << "signature " << crypto::toHex(cp.signature) << "\n";
  return out.str();
}

AuditCheckpoint AuditLog::parseAnchor(std::string_view text) {
  std::map<std::string, std::string> fields;
  std::istringstream in{std::string(text)};
  std::string line;
  bool header = false;
  while (std::getline(in, line)) {
    if (line == "vigil-audit-anchor 2") {
      header = true;
      continue;
    }
    auto space = line.find(' ');
    if (space == std::string::npos) continue;
    fields[line.substr(0, space)] = line.substr(space + 1);
  }
  auto bad = [](const std::string& what) -> AuditCheckpoint {
    throw ValidationError("audit anchor: " + what);
  };
  if (!header) return bad("not an anchor file (no \"vigil-audit-anchor 2\" line)");
  auto number = [&](const std::string& key) -> std::int64_t {
    auto it = fields.find(key);
    if (it == fields.end() || it->second.empty() ||
        it->second.find_first_not_of("0123456789") != std::string::npos || it->second.size() > 18)
      bad("missing or bad " + key);
    return std::stoll(it->second);
  };
  auto bytes = [&](const std::string& key, std::size_t size) {
    auto it = fields.find(key);
    if (it == fields.end()) bad("missing " + key);
    crypto::Bytes b;
    try {
      b = crypto::fromHex(it->second);
    } catch (const std::exception&) {
      bad("bad " + key);
    }
    if (size != 0 && b.size() != size) bad("bad " + key);
    return b;
  };
  AuditCheckpoint cp;
  cp.version = 2;
  cp.index = number("index");
  cp.seq = number("entries");
  cp.time = fromMicros(number("time_us"));
  cp.keyedFrom = number("keyed_from");
  auto hash = bytes("hash", 32);
  std::copy(hash.begin(), hash.end(), cp.hash.begin());
  auto link = bytes("prev_digest", 32);
  std::copy(link.begin(), link.end(), cp.prevDigest.begin());
  cp.publicKey = bytes("public_key", 32);
  cp.signature = bytes("signature", 64);
  return cp;
}

std::uint64_t AuditLog::exportRange(Connection& c, TimePoint from, TimePoint to, std::ostream& out,
                                    const AuditProgress& progress) {
  auto total = static_cast<std::uint64_t>(
      c.queryValue<std::int64_t>("SELECT count(*) FROM audit_log WHERE at_us >= ?1 AND at_us < ?2",
                                 toMicros(from), toMicros(to))
          .value_or(0));
  auto st = c.prepare(std::string(kSelectEntry) + " WHERE at_us >= ?1 AND at_us < ?2 ORDER BY seq");
  st.bindAll(toMicros(from), toMicros(to));
  std::uint64_t n = 0;
  std::int64_t firstSeq = 0, lastSeq = 0;
  while (st.step()) {
    bool wellFormed = false;
    AuditEntry e = readEntry(st, wellFormed);
    if (n == 0) firstSeq = e.seq;
    lastSeq = e.seq;
    out << "{\"seq\":" << e.seq << ",\"time\":";
    jsonString(out, formatUtc(e.time));
    out << ",\"actor_id\":" << e.event.actorId << ",\"actor_role\":";
    jsonString(out, e.event.actorRole);
    out << ",\"action\":";
    jsonString(out, e.event.action);
    out << ",\"object_type\":";
    jsonString(out, e.event.objectType);
    out << ",\"object_id\":";
    jsonString(out, e.event.objectId);
    out << ",\"patient_id\":";
    if (e.event.patientId)
      out << *e.event.patientId;
    else
      out << "null";
    out << ",\"outcome\":";
    jsonString(out, toString(e.event.outcome));
    out << ",\"reason\":";
    jsonString(out, e.event.reason);
    out << ",\"break_glass\":" << (e.event.breakGlass ? "true" : "false") << ",\"prev_hash\":\""
        << crypto::toHex(e.prevHash) << "\",\"hash\":\"" << crypto::toHex(e.hash) << "\"}\n";
    ++n;
    if (progress && (n % 1024 == 0 || n == total)) progress(n, total);
  }
  if (n > 0) {
    auto cps = c.prepare(
        "SELECT seq, hash, at_us, public_key, signature FROM audit_checkpoints "
        "WHERE seq >= ?1 AND seq <= ?2 ORDER BY seq");
    cps.bindAll(firstSeq, lastSeq);
    while (cps.step()) {
      out << "{\"checkpoint\":{\"seq\":" << cps.getInt64(0) << ",\"hash\":\""
          << crypto::toHex(cps.getBlob(1)) << "\",\"time\":";
      jsonString(out, formatUtc(fromMicros(cps.getInt64(2))));
      out << ",\"public_key\":\"" << crypto::toHex(cps.getBlob(3)) << "\",\"signature\":\""
          << crypto::toHex(cps.getBlob(4)) << "\"}}\n";
    }
  }
  if (progress) progress(n, total);
  return n;
}

std::optional<AuditEntry> AuditLog::entryIn(Connection& c, std::int64_t seq) {
  auto st = c.prepare(std::string(kSelectEntry) + " WHERE seq = ?1");
  st.bind(1, seq);
  if (!st.step()) return std::nullopt;
  bool wellFormed = false;
  return readEntry(st, wellFormed);
}

namespace {

// The end of a grant from a query for the time of its latest entry (`max(at_us)`): that time plus
// the window, when still ahead of `now`.
std::optional<TimePoint> grantEnd(store::Statement& st, std::chrono::minutes window,
                                  TimePoint now) {
  std::optional<TimePoint> out;
  if (st.step()) {
    if (auto at = st.get<std::optional<std::int64_t>>(0)) {
      auto until = fromMicros(*at) + window;
      if (until > now) out = until;
    }
  }
  st.reset();
  return out;
}

}  // namespace

std::optional<TimePoint> AuditLog::emergencyAccessUntil(Connection& c, std::int64_t userId,
                                                        std::int64_t patientId, TimePoint now) {
  // audit_log_by_patient (patient_id, at_us): only this patient's entries of the last window.
  auto& st = c.cached(
      "SELECT max(at_us) FROM audit_log WHERE patient_id = ?1 AND at_us > ?2 AND actor_id = ?3 "
      "AND action = 'patient.emergency_access' AND outcome = 'success' AND break_glass = 1");
  st.bindAll(patientId, toMicros(now - kEmergencyAccessWindow), userId);
  return grantEnd(st, kEmergencyAccessWindow, now);
}

std::optional<TimePoint> AuditLog::grantUntil(Connection& c, std::int64_t userId,
                                              std::string_view action, std::string_view objectType,
                                              std::string_view objectId,
                                              std::chrono::minutes window, TimePoint now) {
  // audit_log_by_time (at_us): only the entries of the last window.
  auto& st = c.cached(
      "SELECT max(at_us) FROM audit_log WHERE at_us > ?1 AND actor_id = ?2 AND action = ?3 "
      "AND object_type = ?4 AND object_id = ?5 AND outcome = 'success'");
  st.bindAll(toMicros(now - window), userId, std::string(action), std::string(objectType),
             std::string(objectId));
  return grantEnd(st, window, now);
}

std::optional<std::string> AuditLog::justificationIn(Connection& c, std::int64_t seq) const {
  auto ct =
      c.queryValue<store::Blob>("SELECT text_enc FROM audit_justifications WHERE seq = ?1", seq);
  if (!ct) return std::nullopt;
  return cipher_.decryptText({"audit_justifications", "text", std::to_string(seq)}, *ct);
}

AuditPage AuditLog::search(store::Database& db, const AuditFilter& filter, std::int64_t offset,
                           std::int64_t limit) const {
  constexpr std::string_view kWhere =
      " WHERE (?1 IS NULL OR at_us >= ?1) AND (?2 IS NULL OR at_us <= ?2) AND (?3 IS NULL OR "
      "actor_id = ?3) AND (?4 IS NULL OR patient_id = ?4) AND (?5 = '' OR action = ?5) AND "
      "(?6 = '' OR outcome = ?6) AND (?9 = 0 OR break_glass = 1)";
  std::optional<std::int64_t> from, to;
  if (filter.from) from = toMicros(*filter.from);
  if (filter.to) to = toMicros(*filter.to);
  const std::string outcome = filter.outcome ? std::string(toString(*filter.outcome)) : "";
  const std::int64_t breakGlassOnly = filter.breakGlassOnly ? 1 : 0;
  return db.read([&](Connection& c) {
    AuditPage page;
    auto count = c.prepare("SELECT count(*) FROM audit_log" + std::string(kWhere));
    count.bindAll(from, to, filter.actorId, filter.patientId, filter.action, outcome);
    count.bind(9, breakGlassOnly);
    count.step();
    page.total = count.getInt64(0);
    auto st = c.prepare(std::string(kSelectEntry) + std::string(kWhere) +
                        " ORDER BY seq DESC LIMIT ?7 OFFSET ?8");
    st.bindAll(from, to, filter.actorId, filter.patientId, filter.action, outcome, limit, offset,
               breakGlassOnly);
    while (st.step()) {
      bool wellFormed = false;
      AuditReviewEntry e{readEntry(st, wellFormed), std::nullopt};
      // The justification is stored encrypted beside the entry and shown only to a reviewer.
      if (e.entry.event.breakGlass) e.justification = justificationIn(c, e.entry.seq);
      page.entries.push_back(std::move(e));
    }
    return page;
  });
}

std::optional<AuditCheckpoint> AuditLog::latestCheckpoint(store::Database& db) {
  return db.read([](Connection& c) -> std::optional<AuditCheckpoint> {
    auto st = c.prepare(std::string(kSelectCheckpoint) + " ORDER BY seq DESC LIMIT 1");
    if (!st.step()) return std::nullopt;
    AuditCheckpoint cp;
    readCheckpoint(st, cp);  // as stored: verify() tells whether it is sound
    return cp;
  });
}

std::int64_t AuditLog::lastSeqIn(Connection& c) {
  return c.queryValue<std::int64_t>("SELECT coalesce(max(seq), 0) FROM audit_log").value_or(0);
}

}  // namespace vigil::security
