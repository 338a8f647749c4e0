#pragma once
// The audit log on the store (tables audit_log, audit_checkpoints, audit_chain; migrations 0003
// and 0015).
//
// append() runs INSIDE the caller's write job: the entry commits together with the PHI write
// or admin action it records, or neither does. The previous hash is read inside that same
// transaction; the single writer thread serialises appends, so the chain has no forks and seq
// has no gaps. Entries are hashed with the chain key (audit_entry.hpp, version 2) from
// audit_chain.keyed_from on. Every `checkpointEvery` entries, or when the last checkpoint is
// older than `checkpointInterval`, the same job also stores a checkpoint signed with the box's
// Ed25519 key and linked to the previous checkpoint.
//
// verify() walks the whole chain in one read snapshot: seq must run 1, 2, 3 ..., each
// prev_hash must equal the previous entry's hash, each hash must match the recomputed one
// (keyed from keyed_from on), each checkpoint must match its entry, carry a valid signature by
// the trusted key, have the next number and link to the previous checkpoint, and no checkpoint
// may point past the last entry. It names the first entry or checkpoint that fails. Cutting
// the newest checkpoints together with every entry after an older one leaves a shorter log that
// is consistent in itself: verify(…, anchor) finds it against a checkpoint written off the box
// by anchor() (`vigild audit anchor FILE`, `vigild audit verify --anchor FILE`).

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/crypto/ed25519.hpp"
#include "vigil/crypto/field_cipher.hpp"
#include "vigil/security/access.hpp"
#include "vigil/security/audit_entry.hpp"
#include "vigil/security/keys.hpp"

namespace vigil::store {
class Connection;
class Database;
}  // namespace vigil::store

namespace vigil::security {

/// When checkpoints are made (config audit.checkpoint_every, audit.checkpoint_minutes).
struct AuditConfig {
  std::int64_t checkpointEvery = 1000;
  std::chrono::minutes checkpointInterval{60};
};

/// What verify() found.
struct AuditVerifyResult {
  bool ok = true;
  std::int64_t entries = 0;
  std::int64_t checkpoints = 0;
  std::optional<std::int64_t> firstBadSeq;  // the first entry that does not verify
  std::string problem;                      // PHI-free description
};

/// Which entries a review lists (audit.read); each field left empty matches every entry.
struct AuditFilter {
  std::optional<TimePoint> from;  // at or after
  std::optional<TimePoint> to;    // at or before
  std::optional<std::int64_t> actorId;
  std::optional<std::int64_t> patientId;
  std::string action;  // the exact action; empty: any
  std::optional<AuditOutcome> outcome;
  bool breakGlassOnly = false;  // emergency accesses only, for their review (issue 17)
};

/// An entry as a reviewer sees it: for a break-glass entry, the clinician's justification,
/// decrypted (nullopt when none was stored).
struct AuditReviewEntry {
  AuditEntry entry;
  std::optional<std::string> justification;
};

/// One page of a review (AuditLog::search()).
struct AuditPage {
  std::vector<AuditReviewEntry> entries;  // newest first
  std::int64_t total = 0;                 // entries matching the filter, over every page
};

/// Progress of verify/export: entries done, entries in total.
using AuditProgress = std::function<void(std::uint64_t done, std::uint64_t total)>;

/// An audit event for an actor doing an operation (fills actor id/role and action).
AuditEvent auditEventFor(const Actor& actor, std::string_view action, std::string_view objectType,
                         std::string_view objectId, std::optional<std::int64_t> patientId,
                         AuditOutcome outcome, std::string_view reason);

/// Appends, verifies and exports the hash-chained audit log.
class AuditLog {
 public:
  /// Signs with keys.auditSigner(), keys the chain with keys.auditChainKey() and encrypts
  /// justifications (break-glass reasons) with keys.cipher().
  AuditLog(const Keys& keys, Clock& clock, AuditConfig config = {});

  /// Appends inside the caller's transaction; returns the entry's seq. Asserts a transaction.
  std::int64_t append(store::Connection& c, const AuditEvent& event);
  /// Appends in its own write job; returns after the commit.
  std::int64_t record(store::Database& db, const AuditEvent& event);

  /// Signs a checkpoint at the latest entry now, unless it has one (after a batch of admin
  /// work such as the demo seed, so the chain is sealed without waiting for the interval).
  /// Inside the caller's write transaction; returns the entry's seq, 0 for an empty log.
  std::int64_t checkpointIn(store::Connection& c);
  /// Same, in its own write job.
  std::int64_t checkpoint(store::Database& db);
  /// A log written before the chain was keyed (migration 0015) and not yet sealed by a
  /// version-2 checkpoint: records `audit.chain_keyed` and checkpoints it, so the point where
  /// keyed hashing starts is signed. Does nothing otherwise. Run at start-up.
  void sealKeyedChain(store::Database& db);
  /// Checkpoints the latest entry (if it has no checkpoint yet) and returns that checkpoint:
  /// what an operator keeps off the box (`vigild audit anchor`). Throws NotFound for an
  /// empty log.
  AuditCheckpoint anchor(store::Database& db);

  /// Checks the whole chain (see the file comment); with an anchor, also that the log still
  /// holds that very checkpoint.
  AuditVerifyResult verify(store::Connection& c, const AuditProgress& progress = {},
                           const AuditCheckpoint* anchor = nullptr) const;
  AuditVerifyResult verify(store::Database& db, const AuditProgress& progress = {},
                           const AuditCheckpoint* anchor = nullptr) const;
  /// Same, against any trusted public key (e.g. one kept off the box) and the chain key.
  static AuditVerifyResult verifyIn(store::Connection& c, crypto::ByteView trustedPublicKey,
                                    const crypto::Key256& chainKey,
                                    const AuditProgress& progress = {},
                                    const AuditCheckpoint* anchor = nullptr);

  /// An anchor file's text (one "name value" per line, no secrets) and back; parseAnchor
  /// throws ValidationError for anything that is not a complete version-2 checkpoint.
  static std::string anchorText(const AuditCheckpoint& checkpoint);
  static AuditCheckpoint parseAnchor(std::string_view text);

  /// Writes entries with from <= time < to as JSON Lines (one entry per line, with hashes),
  /// then the checkpoints in that range; returns the number of entries written.
  static std::uint64_t exportRange(store::Connection& c, TimePoint from, TimePoint to,
                                   std::ostream& out, const AuditProgress& progress = {});

  /// Reads one entry (for tests and review tools).
  static std::optional<AuditEntry> entryIn(store::Connection& c, std::int64_t seq);
  /// The decrypted justification of an entry (for review by an authorised admin), if any.
  std::optional<std::string> justificationIn(store::Connection& c, std::int64_t seq) const;
  /// Until when `userId` holds emergency access to the patient: the latest successful
  /// break-glass `patient.emergency_access` entry of the user for the patient, plus
  /// kEmergencyAccessWindow, if that is after `now`. The grant is the audit entry itself.
  static std::optional<TimePoint> emergencyAccessUntil(store::Connection& c, std::int64_t userId,
                                                       std::int64_t patientId, TimePoint now);
  /// Until when a grant recorded as an audit entry holds: the latest successful `action` entry
  /// of `userId` on (`objectType`, `objectId`), plus `window`, if that is after `now` (an
  /// admin's request to read a past visit's chat, issue 18).
  static std::optional<TimePoint> grantUntil(store::Connection& c, std::int64_t userId,
                                             std::string_view action, std::string_view objectType,
                                             std::string_view objectId, std::chrono::minutes window,
                                             TimePoint now);
  /// The entries matching `filter`, newest first: at most `limit` after the first `offset`, with
  /// the number of all that match, in one read snapshot. Break-glass entries come with their
  /// justification decrypted: for an authorised reviewer only (audit.read).
  AuditPage search(store::Database& db, const AuditFilter& filter, std::int64_t offset,
                   std::int64_t limit) const;
  /// The newest checkpoint as stored (verify() judges whether it is sound), if any.
  static std::optional<AuditCheckpoint> latestCheckpoint(store::Database& db);
  /// The latest entry's seq (0 when empty).
  static std::int64_t lastSeqIn(store::Connection& c);

  const crypto::Bytes& publicKey() const { return publicKey_; }

 private:
  /// Signs and stores a checkpoint at (seq, hash), the next in the checkpoints' chain.
  void addCheckpointIn(store::Connection& c, std::int64_t seq, const crypto::Digest256& hash,
                       TimePoint time);

  const crypto::Ed25519Signer& signer_;
  crypto::Key256 chainKey_;
  Clock& clock_;
  AuditConfig config_;
  const crypto::FieldCipher& cipher_;
  crypto::Bytes publicKey_;
};

}  // namespace vigil::security
