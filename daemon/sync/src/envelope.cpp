#include "vigil/sync/envelope.hpp"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <array>
#include <string>
#include <typeinfo>

#include "vigil/core/json_text.hpp"
#include "vigil/core/time.hpp"
#include "vigil/crypto/aead.hpp"

namespace vigil::sync {
namespace {

constexpr std::size_t kTokenMax = 64;
constexpr std::size_t kStreamMax = 128;
constexpr std::size_t kCreatedAtMax = 64;
constexpr std::size_t kUuidSize = 36;

// The envelope's fields in the contract's order.
constexpr std::array<std::string_view, 13> kFields{
    "v",         "id",           "stream",    "seq", "kind", "from", "to",
    "createdAt", "recipientKid", "senderKid", "enc", "ct",   "sig"};

[[noreturn]] void invalid(std::string_view field, std::string_view problem) {
  throw vigil::ValidationError("envelope." + std::string(field) + ": " + std::string(problem));
}

bool isTokenChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

bool isHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// 1-64 characters [A-Za-z0-9._-]: key ids, kinds, box ids and service names.
void checkToken(std::string_view field, const std::string& value) {
  if (value.empty() || value.size() > kTokenMax) invalid(field, "must be 1-64 characters");
  for (char c : value)
    if (!isTokenChar(c)) invalid(field, "may hold only A-Z a-z 0-9 . _ -");
}

void checkUuid(const std::string& value) {
  bool ok = value.size() == kUuidSize;
  for (std::size_t i = 0; ok && i < value.size(); ++i)
    ok = (i == 8 || i == 13 || i == 18 || i == 23) ? value[i] == '-' : isHex(value[i]);
  if (!ok) invalid("id", "must be a UUID (8-4-4-4-12 hex digits)");
}

void checkStream(const std::string& value) {
  if (value.empty() || value.size() > kStreamMax) invalid("stream", "must be 1-128 characters");
  for (char c : value)
    if (c < 0x21 || c > 0x7e) invalid("stream", "may hold only visible ASCII characters");
}

void checkCreatedAt(const std::string& value) {
  if (value.empty() || value.size() > kCreatedAtMax || value.back() != 'Z' ||
      !core::parseRfc3339(value))
    invalid("createdAt", "must be an RFC 3339 time in UTC (ending in Z)");
}

Poco::Dynamic::Var member(const Poco::JSON::Object& obj, std::string_view field) {
  std::string name{field};
  if (!obj.has(name)) invalid(field, "missing");
  return obj.get(name);
}

std::string stringMember(const Poco::JSON::Object& obj, std::string_view field) {
  Poco::Dynamic::Var value = member(obj, field);
  if (!value.isString()) invalid(field, "must be a string");
  return value.extract<std::string>();
}

// An integer member; Poco reports a boolean as an integer too, so that is refused first.
std::int64_t integerMember(const Poco::JSON::Object& obj, std::string_view field) {
  Poco::Dynamic::Var value = member(obj, field);
  if (value.isBoolean() || !value.isInteger()) invalid(field, "must be an integer");
  try {
    return value.convert<std::int64_t>();
  } catch (const Poco::Exception&) {
    invalid(field, "out of range");
  }
}

crypto::Bytes base64Member(const Poco::JSON::Object& obj, std::string_view field) {
  std::string text = stringMember(obj, field);
  try {
    return crypto::fromBase64(text);
  } catch (const vigil::CryptoError&) {
    invalid(field, "must be base64 (RFC 4648, padded)");
  }
}

}  // namespace

std::string createdAtText(vigil::TimePoint t) {
  return core::formatUtc(t, core::Fraction::millis);
}

void validate(const Header& header) {
  if (header.v != kEnvelopeVersion) invalid("v", "unsupported version");
  checkUuid(header.id);
  checkStream(header.stream);
  if (header.seq < 1) invalid("seq", "must be at least 1");
  checkToken("kind", header.kind);
  checkToken("from", header.from);
  checkToken("to", header.to);
  checkCreatedAt(header.createdAt);
  checkToken("recipientKid", header.recipientKid);
  checkToken("senderKid", header.senderKid);
}

std::string headerBytes(const Header& h) {
  std::string out;
  out.reserve(256);
  out += std::to_string(h.v);
  for (const std::string* part : {&h.id, &h.stream}) {
    out += '\n';
    out += *part;
  }
  out += '\n';
  out += std::to_string(h.seq);
  for (const std::string* part :
       {&h.kind, &h.from, &h.to, &h.createdAt, &h.recipientKid, &h.senderKid}) {
    out += '\n';
    out += *part;
  }
  return out;
}

std::string signedBytes(const Envelope& envelope) {
  return headerBytes(envelope.header) + '\n' + envelope.enc + '\n' + envelope.ct;
}

std::string Envelope::toJson() const {
  const Header& h = header;
  std::string out;
  out.reserve(ct.size() + enc.size() + sig.size() + 512);
  out += "{\"v\":" + std::to_string(h.v);
  auto text = [&out](std::string_view name, std::string_view value) {
    out += ",\"";
    out += name;
    out += "\":";
    core::appendJsonString(out, value);
  };
  text("id", h.id);
  text("stream", h.stream);
  out += ",\"seq\":" + std::to_string(h.seq);
  text("kind", h.kind);
  text("from", h.from);
  text("to", h.to);
  text("createdAt", h.createdAt);
  text("recipientKid", h.recipientKid);
  text("senderKid", h.senderKid);
  text("enc", enc);
  text("ct", ct);
  text("sig", sig);
  out += '}';
  return out;
}

Envelope Envelope::fromJson(std::string_view json) {
  if (json.size() > kMaxEnvelopeBytes)
    throw vigil::ValidationError("envelope: larger than " + std::to_string(kMaxEnvelopeBytes) +
                                 " bytes");
  Poco::JSON::Object::Ptr obj;
  try {
    Poco::JSON::Parser parser;
    auto parsed = parser.parse(std::string(json));
    if (parsed.type() == typeid(Poco::JSON::Object::Ptr))
      obj = parsed.extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
    // The parser's message may quote the text; say only that it is not JSON.
  }
  if (obj.isNull()) throw vigil::ValidationError("envelope: not a JSON object");

  // The version first: another version may have other fields.
  Envelope env;
  Header& h = env.header;
  std::int64_t v = integerMember(*obj, "v");
  if (v != kEnvelopeVersion) invalid("v", "unsupported version");
  h.v = kEnvelopeVersion;
  for (const auto& entry : *obj) {
    bool known = false;
    for (std::string_view field : kFields) known = known || entry.first == field;
    if (!known) throw vigil::ValidationError("envelope: unexpected field");
  }

  h.id = stringMember(*obj, "id");
  h.stream = stringMember(*obj, "stream");
  h.seq = integerMember(*obj, "seq");
  h.kind = stringMember(*obj, "kind");
  h.from = stringMember(*obj, "from");
  h.to = stringMember(*obj, "to");
  h.createdAt = stringMember(*obj, "createdAt");
  h.recipientKid = stringMember(*obj, "recipientKid");
  h.senderKid = stringMember(*obj, "senderKid");
  validate(h);

  if (base64Member(*obj, "enc").size() != crypto::hpke::kEncSize)
    invalid("enc", "must hold 32 bytes");
  std::size_t ctSize = base64Member(*obj, "ct").size();
  if (ctSize < crypto::hpke::kTagSize || ctSize > kMaxPayloadBytes + crypto::hpke::kTagSize)
    invalid("ct", "size out of range");
  if (base64Member(*obj, "sig").size() != crypto::Ed25519Signer::kSignatureSize)
    invalid("sig", "must hold 64 bytes");
  env.enc = stringMember(*obj, "enc");
  env.ct = stringMember(*obj, "ct");
  env.sig = stringMember(*obj, "sig");
  return env;
}

std::string_view reasonText(RefusalReason reason) {
  switch (reason) {
    case RefusalReason::unknownKey:
      return "unknown_key";
    case RefusalReason::badSignature:
      return "bad_signature";
    case RefusalReason::notForMe:
      return "not_for_me";
    case RefusalReason::doesNotOpen:
      return "does_not_open";
  }
  return "unknown";
}

EnvelopeRefused::EnvelopeRefused(RefusalReason reason, const std::string& entryId)
    : vigil::CryptoError("envelope " + entryId + ": refused (" + std::string(reasonText(reason)) +
                         ")"),
      reason_(reason) {}

Envelope seal(const Header& header, std::string_view payload, crypto::ByteView recipientPublicKey,
              const crypto::Ed25519Signer& senderSigningKey) {
  validate(header);
  if (payload.size() > kMaxPayloadBytes)
    throw vigil::ValidationError("payload: larger than " + std::to_string(kMaxPayloadBytes) +
                                 " bytes");
  Envelope env;
  env.header = header;
  std::string aad = headerBytes(header);
  auto sealed = crypto::hpke::sealBase(recipientPublicKey, crypto::asBytes(kHpkeInfo),
                                       crypto::asBytes(aad), crypto::asBytes(payload));
  env.enc = crypto::toBase64(sealed.enc);
  env.ct = crypto::toBase64(sealed.ct);
  env.sig = crypto::toBase64(senderSigningKey.sign(crypto::asBytes(signedBytes(env))));
  return env;
}

std::string open(const Envelope& envelope, const crypto::hpke::X25519KeyPair& recipientKey,
                 const VerifyKeyLookup& senderVerifyKey, std::string_view expectedTo) {
  const Header& h = envelope.header;
  validate(h);
  auto refuse = [&h](RefusalReason reason) { return EnvelopeRefused(reason, h.id); };

  std::optional<crypto::Bytes> verifyKey = senderVerifyKey(h.senderKid);
  if (!verifyKey) throw refuse(RefusalReason::unknownKey);

  crypto::Bytes sig;
  try {
    sig = crypto::fromBase64(envelope.sig);
  } catch (const vigil::CryptoError&) {
    throw refuse(RefusalReason::badSignature);
  }
  if (!crypto::ed25519Verify(*verifyKey, crypto::asBytes(signedBytes(envelope)), sig))
    throw refuse(RefusalReason::badSignature);

  if (h.to != expectedTo) throw refuse(RefusalReason::notForMe);

  try {
    crypto::Bytes enc = crypto::fromBase64(envelope.enc);
    crypto::Bytes ct = crypto::fromBase64(envelope.ct);
    std::string aad = headerBytes(h);
    crypto::Bytes payload = crypto::hpke::openBase(recipientKey, enc, crypto::asBytes(kHpkeInfo),
                                                   crypto::asBytes(aad), ct);
    std::string text = crypto::toString(payload);
    crypto::secureWipe(payload.data(), payload.size());
    return text;
  } catch (const vigil::CryptoError&) {
    throw refuse(RefusalReason::doesNotOpen);
  }
}

}  // namespace vigil::sync
