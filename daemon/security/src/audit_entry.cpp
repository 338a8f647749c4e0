#include "vigil/security/audit_entry.hpp"

#include <ctime>

namespace vigil::security {
namespace {

void putU64(crypto::Bytes& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<std::uint8_t>((v >> shift) & 0xff));
}

void putI64(crypto::Bytes& out, std::int64_t v) {
  putU64(out, static_cast<std::uint64_t>(v));
}

void putString(crypto::Bytes& out, std::string_view s) {
  std::uint32_t n = static_cast<std::uint32_t>(s.size());
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<std::uint8_t>((n >> shift) & 0xff));
  out.insert(out.end(), s.begin(), s.end());
}

}  // namespace

std::string_view toString(AuditOutcome outcome) {
  switch (outcome) {
    case AuditOutcome::success:
      return "success";
    case AuditOutcome::denied:
      return "denied";
    case AuditOutcome::failure:
      return "failure";
  }
  return "failure";
}

std::optional<AuditOutcome> parseAuditOutcome(std::string_view name) {
  for (auto o : {AuditOutcome::success, AuditOutcome::denied, AuditOutcome::failure})
    if (toString(o) == name) return o;
  return std::nullopt;
}

crypto::Bytes canonicalEncoding(const AuditEntry& e, int version) {
  crypto::Bytes out;
  out.reserve(160 + e.event.action.size() + e.event.reason.size());
  putString(out, version == 1 ? "vigil.audit.v1" : "vigil.audit.v2");
  putI64(out, e.seq);
  putI64(out, toMicros(e.time));
  putI64(out, e.event.actorId);
  putString(out, e.event.actorRole);
  putString(out, e.event.action);
  putString(out, e.event.objectType);
  putString(out, e.event.objectId);
  out.push_back(e.event.patientId ? 1 : 0);
  putI64(out, e.event.patientId.value_or(0));
  putString(out, toString(e.event.outcome));
  putString(out, e.event.reason);
  out.push_back(e.event.breakGlass ? 1 : 0);
  out.insert(out.end(), e.prevHash.begin(), e.prevHash.end());
  return out;
}

crypto::Digest256 computeEntryHash(const AuditEntry& entry) {
  return crypto::sha256(canonicalEncoding(entry, 1));
}

crypto::Digest256 computeKeyedEntryHash(const AuditEntry& entry, const crypto::Key256& chainKey) {
  return crypto::hmacSha256(chainKey.view(), canonicalEncoding(entry, 2));
}

crypto::Bytes checkpointMessage(const AuditCheckpoint& cp) {
  crypto::Bytes out;
  if (cp.version == 1) {
    putString(out, "vigil.audit.checkpoint.v1");
    putI64(out, cp.seq);
    out.insert(out.end(), cp.hash.begin(), cp.hash.end());
    putI64(out, toMicros(cp.time));
    return out;
  }
  putString(out, "vigil.audit.checkpoint.v2");
  putI64(out, cp.index);
  putI64(out, cp.seq);  // the number of entries covered
  out.insert(out.end(), cp.hash.begin(), cp.hash.end());
  putI64(out, toMicros(cp.time));
  putI64(out, cp.keyedFrom);
  out.insert(out.end(), cp.prevDigest.begin(), cp.prevDigest.end());
  return out;
}

crypto::Digest256 checkpointDigest(const AuditCheckpoint& cp) {
  return crypto::sha256(checkpointMessage(cp));
}

AuditCheckpoint signCheckpoint(const crypto::Ed25519Signer& signer, std::int64_t seq,
                               const crypto::Digest256& hash, TimePoint time) {
  AuditCheckpoint cp;
  cp.version = 1;
  cp.seq = seq;
  cp.hash = hash;
  cp.time = time;
  return signCheckpoint(signer, std::move(cp));
}

AuditCheckpoint signCheckpoint(const crypto::Ed25519Signer& signer, AuditCheckpoint cp) {
  cp.time = fromMicros(toMicros(cp.time));  // the stored precision
  cp.publicKey = signer.publicKey();
  cp.signature = signer.sign(checkpointMessage(cp));
  return cp;
}

bool verifyCheckpoint(const AuditCheckpoint& cp, crypto::ByteView trustedPublicKey) {
  return crypto::ed25519Verify(trustedPublicKey, checkpointMessage(cp), cp.signature);
}

}  // namespace vigil::security
