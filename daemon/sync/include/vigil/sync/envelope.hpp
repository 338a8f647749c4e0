#pragma once
// The cloud link's envelope (docs/cloud-api.md, "The envelope"): every message between a box and
// a cloud service travels as one JSON object whose header is in clear, whose payload is sealed
// with HPKE to the receiver's X25519 key (info "vigil.cloud.v1", the header bytes as additional
// data) and whose header, enc and ct are signed with the sender's Ed25519 key.
//
// Order of the receiver's checks, as the contract gives it: the sender's key id must be known
// (unknown_key), the signature must verify (bad_signature), the envelope must be addressed to
// the receiver (not_for_me), and only then is the payload opened (does_not_open). Nothing is
// decrypted for a sender we cannot authenticate.
//
// Header texts are joined with "\n" for the additional data and the signature, so no header
// text may contain a control character: otherwise ("a\nb", "c") and ("a", "b\nc") would sign
// the same. Every text field is therefore validated on the way in and on the way out.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "vigil/core/clock.hpp"
#include "vigil/core/error.hpp"
#include "vigil/crypto/bytes.hpp"
#include "vigil/crypto/ed25519.hpp"
#include "vigil/crypto/hpke.hpp"

namespace vigil::sync {

/// The envelope version this code reads and writes.
inline constexpr int kEnvelopeVersion = 1;
/// HPKE's info for every envelope.
inline constexpr std::string_view kHpkeInfo = "vigil.cloud.v1";
/// The largest envelope text accepted (the contract's request body limit).
inline constexpr std::size_t kMaxEnvelopeBytes = 1024 * 1024;
/// The largest payload sealed: its ciphertext in base64 plus the header stays under
/// kMaxEnvelopeBytes.
inline constexpr std::size_t kMaxPayloadBytes = 512 * 1024;

/// The clear part of an envelope: who sends what to whom, in which order, with which keys.
/// Limits (checked by validate, seal and fromJson): id a UUID in its 36-character text form;
/// stream 1-128 visible ASCII characters; seq >= 1; kind, from, to 1-64 characters
/// [A-Za-z0-9._-]; createdAt RFC 3339 in UTC ("...Z"), kept as the text the sender wrote;
/// recipientKid, senderKid 1-64 characters [A-Za-z0-9._-] (the contract's key ids).
struct Header {
  int v = kEnvelopeVersion;
  std::string id;
  std::string stream;
  std::int64_t seq = 0;
  std::string kind;
  std::string from;
  std::string to;
  std::string createdAt;
  std::string recipientKid;
  std::string senderKid;

  bool operator==(const Header&) const = default;
};

/// A header's createdAt for an instant: RFC 3339 UTC with milliseconds.
std::string createdAtText(vigil::TimePoint t);

/// Throws vigil::ValidationError naming the first field outside the limits of Header (the
/// message names the field, never its content).
void validate(const Header& header);

/// The header bytes: v, id, stream, seq, kind, from, to, createdAt, recipientKid, senderKid in
/// that order, numbers in decimal, joined by "\n" (the HPKE additional data).
std::string headerBytes(const Header& header);

/// An envelope as it travels: the header, then the sealed payload and the signature as base64.
struct Envelope {
  Header header;
  std::string enc;  // base64 of the 32-byte HPKE encapsulated key
  std::string ct;   // base64 of the HPKE ciphertext (payload and 16-byte tag)
  std::string sig;  // base64 of the 64-byte Ed25519 signature

  bool operator==(const Envelope&) const = default;

  /// The envelope as one JSON object, fields in the contract's order.
  std::string toJson() const;
  /// Parses and checks an envelope: a JSON object with exactly the contract's fields, of the
  /// right types and within Header's limits, version 1, enc/ct/sig canonical base64 of the
  /// right sizes, the text at most kMaxEnvelopeBytes. Throws vigil::ValidationError naming the
  /// field (never its content) otherwise. Checks no signature: that is open's work.
  static Envelope fromJson(std::string_view json);
};

/// The bytes the sender signs: header "\n" enc "\n" ct, with enc and ct as their base64 text.
std::string signedBytes(const Envelope& envelope);

/// Why a receiver refuses an envelope; the contract's `reason` words.
enum class RefusalReason { unknownKey, badSignature, notForMe, doesNotOpen };

/// "unknown_key", "bad_signature", "not_for_me", "does_not_open".
std::string_view reasonText(RefusalReason reason);

/// An envelope the receiver will not accept. The message names the entry id and the reason only.
class EnvelopeRefused : public vigil::CryptoError {
 public:
  EnvelopeRefused(RefusalReason reason, const std::string& entryId);
  RefusalReason reason() const { return reason_; }

 private:
  RefusalReason reason_;
};

/// Seals `payload` (the resource's UTF-8 JSON) to the recipient's X25519 public key and signs it
/// with the sender's key. Throws vigil::ValidationError if the header is outside its limits or
/// the payload is larger than kMaxPayloadBytes, vigil::CryptoError if the recipient key is not
/// a usable X25519 public key.
Envelope seal(const Header& header, std::string_view payload, crypto::ByteView recipientPublicKey,
              const crypto::Ed25519Signer& senderSigningKey);

/// The sender's Ed25519 public key for a key id, or nothing if the id is not (or no longer) one
/// the receiver accepts. A lookup that should accept only keys of the sender the header names
/// captures envelope.header.from: [&](auto kid) { return keys.signingKey(env.header.from, kid); }.
using VerifyKeyLookup = std::function<std::optional<crypto::Bytes>(std::string_view kid)>;

/// Checks and opens an envelope addressed to `expectedTo` (this box's id or the service's name)
/// with the recipient's X25519 key (the one named by header.recipientKid): the sender's key id
/// must be known, then the signature must verify, then `to` must be `expectedTo`, then the
/// payload must open. Returns the payload; throws EnvelopeRefused with the first reason that
/// applies, or vigil::ValidationError for a header outside its limits (which fromJson refuses
/// already; checked again because a newline in a field would let two headers sign the same).
std::string open(const Envelope& envelope, const crypto::hpke::X25519KeyPair& recipientKey,
                 const VerifyKeyLookup& senderVerifyKey, std::string_view expectedTo);

}  // namespace vigil::sync
