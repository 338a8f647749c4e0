#pragma once
// What one audit entry holds and how the chain is computed, without storage.
// Canonical encoding (version 1): the label "vigil.audit.v1", then every field in a fixed
// order, integers as 8-byte big-endian, strings as 4-byte length + bytes, the optional patient
// id as a presence byte + integer. entry.hash = SHA-256(canonical(entry) || previous hash).
// The first entry's previous hash is 32 zero bytes. A checkpoint signs (seq, hash, time) with
// the box's Ed25519 key, so rewriting the chain from some point on also needs that key.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "vigil/core/clock.hpp"
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

/// Canonical bytes of the entry (everything except `hash`).
crypto::Bytes canonicalEncoding(const AuditEntry& entry);
/// SHA-256 of the canonical encoding (which includes prevHash).
crypto::Digest256 computeEntryHash(const AuditEntry& entry);
/// Time as microseconds since the Unix epoch (the stored and hashed form).
std::int64_t toMicros(TimePoint t);
TimePoint fromMicros(std::int64_t micros);
/// RFC 3339 UTC with microseconds ("2026-11-29T05:30:00.000000Z").
std::string formatUtc(TimePoint t);

/// A signed statement "entry seq has hash H", made at `time`.
struct AuditCheckpoint {
  std::int64_t seq = 0;
  crypto::Digest256 hash{};
  TimePoint time;
  crypto::Bytes publicKey;
  crypto::Bytes signature;
};

/// The bytes a checkpoint signs.
crypto::Bytes checkpointMessage(std::int64_t seq, const crypto::Digest256& hash, TimePoint time);
/// Makes and signs a checkpoint.
AuditCheckpoint signCheckpoint(const crypto::Ed25519Signer& signer, std::int64_t seq,
                               const crypto::Digest256& hash, TimePoint time);
/// True if the checkpoint's signature verifies under `trustedPublicKey`.
bool verifyCheckpoint(const AuditCheckpoint& checkpoint, crypto::ByteView trustedPublicKey);

}  // namespace vigil::security
