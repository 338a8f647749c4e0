#pragma once
// What one audit entry holds and how the chain is computed, without storage.
// Canonical encoding: a label, then every field in a fixed order, integers as 8-byte
// big-endian, strings as 4-byte length + bytes, the optional patient id as a presence byte +
// integer, then the previous entry's hash (32 zero bytes for the first entry).
//   version 1 (logs written before issue 18): label "vigil.audit.v1",
//     hash = SHA-256(canonical).
//   version 2 (keyed): label "vigil.audit.v2", hash = HMAC-SHA256(chain key, canonical), the
//     chain key derived from the master key, so no entry can be rewritten, even after the last
//     checkpoint, without it.
// A checkpoint (version 2) signs with the box's Ed25519 key: its own number (1, 2, 3 ...), the
// entry count it covers (= the entry's seq: seqs run 1, 2, 3 ... without gaps), the entry's
// hash, the time, the first keyed entry, and the digest of the previous checkpoint, so the
// checkpoints form a chain of their own: none can be dropped or reordered unnoticed, and one
// checkpoint kept off the box (an anchor) vouches for every checkpoint and entry before it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "vigil/core/clock.hpp"
#include "vigil/core/time.hpp"
#include "vigil/crypto/bytes.hpp"
#include "vigil/crypto/ed25519.hpp"
#include "vigil/crypto/hash.hpp"

namespace vigil::security {

/// Result of the audited action.
enum class AuditOutcome { success, denied, failure };
std::string_view toString(AuditOutcome outcome);
std::optional<AuditOutcome> parseAuditOutcome(std::string_view name);

/// One audited event as a service reports it. No PHI: ids, stable words and reasons only.
struct AuditEvent {
  std::int64_t actorId = 0;  // user or device id; 0 = system or unauthenticated
  std::string actorRole;     // "patient", "provider", ..., "system", "anonymous"
  std::string action;        // operation name ("patient.get") or event ("signin.failed")
  std::string objectType;    // "patient", "user", "session", "key", ...
  std::string objectId;      // the object's id ("" if none)
  std::optional<std::int64_t> patientId;
  AuditOutcome outcome = AuditOutcome::success;
  std::string reason;  // "care_team", "bad_password", "locked", "break_glass: <why>"...
  bool breakGlass = false;
  /// Free text that may hold PHI (a break-glass justification): never hashed into the chain or
  /// logged; AuditLog stores it encrypted in audit_justifications.
  std::string justification;
};

/// A stored entry: the event, its sequence number, time and chain hashes.
struct AuditEntry {
  std::int64_t seq = 0;
  TimePoint time;
  AuditEvent event;
  crypto::Digest256 prevHash{};
  crypto::Digest256 hash{};
};

/// Canonical bytes of the entry (everything except `hash`), version 1 or 2.
crypto::Bytes canonicalEncoding(const AuditEntry& entry, int version = 1);
/// Version 1: SHA-256 of the canonical encoding (which includes prevHash).
crypto::Digest256 computeEntryHash(const AuditEntry& entry);
/// Version 2: HMAC-SHA256 of the version-2 encoding under the chain key.
crypto::Digest256 computeKeyedEntryHash(const AuditEntry& entry, const crypto::Key256& chainKey);
/// Time in the audit log: microseconds since the Unix epoch (the stored and hashed form), printed
/// as RFC 3339 UTC with microseconds ("2026-11-29T05:30:00.000000Z"): core's helpers.
using core::formatUtc;
using core::fromMicros;
using core::toMicros;

/// A signed statement "checkpoint `index` covers the first `seq` entries, the last of which
/// has hash H", made at `time` (see the file comment).
struct AuditCheckpoint {
  int version = 2;  // 1: (seq, hash, time) only, made before issue 18
  std::int64_t seq = 0;
  crypto::Digest256 hash{};
  TimePoint time;
  std::int64_t index = 0;          // v2: 1 for the log's first checkpoint, then 2, 3 ...
  std::int64_t keyedFrom = 0;      // v2: the first entry hashed with the chain key
  crypto::Digest256 prevDigest{};  // v2: checkpointDigest() of the previous checkpoint
  crypto::Bytes publicKey;
  crypto::Bytes signature;
};

/// The bytes a checkpoint signs (by its version).
crypto::Bytes checkpointMessage(const AuditCheckpoint& checkpoint);
/// SHA-256 of checkpointMessage(): what the next checkpoint links to.
crypto::Digest256 checkpointDigest(const AuditCheckpoint& checkpoint);
/// Makes and signs a version-1 checkpoint (the form of logs written before issue 18).
AuditCheckpoint signCheckpoint(const crypto::Ed25519Signer& signer, std::int64_t seq,
                               const crypto::Digest256& hash, TimePoint time);
/// Signs `checkpoint` (its fields set by the caller): fills publicKey and signature.
AuditCheckpoint signCheckpoint(const crypto::Ed25519Signer& signer, AuditCheckpoint checkpoint);
/// True if the checkpoint's signature verifies under `trustedPublicKey`.
bool verifyCheckpoint(const AuditCheckpoint& checkpoint, crypto::ByteView trustedPublicKey);

}  // namespace vigil::security
