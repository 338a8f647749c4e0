#include "vigil/cloudsim/cloud.hpp"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <filesystem>
#include <typeinfo>

#include "cloud_impl.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/json_text.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/time.hpp"
#include "vigil/crypto/random.hpp"
#include "vigil/sync/envelope.hpp"

namespace vigil::cloudsim {
namespace fs = std::filesystem;
using Poco::JSON::Object;

namespace {

constexpr std::string_view kCodeAlphabet = "ACDEFGHJKLMNPQRSTUVWXYZ23456789";  // no 0/O, 1/I/B/8
constexpr int kDefaultLimit = 100;
constexpr int kMaxLimit = 500;

Answer json(int status, std::string body) {
  return Answer{status, std::move(body), false};
}

Answer refusal(int status, std::string_view reason) {
  return json(status, "{\"reason\":" + core::jsonString(reason) + "}");
}

Answer malformed(std::string_view field) {
  return json(400, "{\"reason\":\"malformed\",\"field\":" + core::jsonString(field) + "}");
}

// The field a vigil::ValidationError from the envelope parser names: "envelope.seq: ..." -> "seq";
// "envelope: not a JSON object" -> "envelope".
std::string fieldOf(const std::string& message) {
  const std::string prefix = "envelope.";
  if (message.rfind(prefix, 0) == 0) {
    auto colon = message.find(':');
    return message.substr(prefix.size(), colon - prefix.size());
  }
  return "envelope";
}

std::string randomCode() {
  auto bytes = crypto::randomBytes(12);
  std::string code;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 8) code += '-';
    code += kCodeAlphabet[bytes[i] % kCodeAlphabet.size()];
  }
  return code;
}

// A field of the enrolment request; malformed names it.
struct BadField {
  std::string field;
};

std::string textField(const Object& obj, const std::string& field, std::size_t max) {
  if (!obj.has(field) || !obj.get(field).isString()) throw BadField{field};
  std::string value = obj.getValue<std::string>(field);
  if (value.empty() || value.size() > max) throw BadField{field};
  return value;
}

struct PublicKey {
  std::string kid;
  crypto::Bytes key;
};

PublicKey keyField(const Object& obj, const std::string& field) {
  Object::Ptr inner = obj.has(field) ? obj.getObject(field) : nullptr;
  if (inner.isNull()) throw BadField{field};
  PublicKey out;
  try {
    out.kid = textField(*inner, "kid", 64);
    out.key = crypto::fromBase64(textField(*inner, "key", 64));
  } catch (const BadField&) {
    throw BadField{field};
  } catch (const vigil::CryptoError&) {
    throw BadField{field + ".key"};
  }
  bool kidOk = std::all_of(out.kid.begin(), out.kid.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
  });
  if (!kidOk) throw BadField{field + ".kid"};
  if (out.key.size() != 32) throw BadField{field + ".key"};
  return out;
}

std::string newBoxId() {
  return "box-" + crypto::toHex(crypto::randomBytes(4));
}

}  // namespace

std::int64_t Cloud::Impl::nowMs() const {
  return core::toMillis(clock->now());
}

std::string Cloud::Impl::queueReply(const BoxRecord& box, const Reply& reply,
                                    const SendOptions& options) {
  const ServiceKeys* service = dir.findService(reply.service);
  if (service == nullptr) throw vigil::Error("cloud: no service " + reply.service);
  sync::Header h;
  h.id = crypto::randomUuid();
  h.stream = reply.service + "/" + box.boxId;
  h.seq = store.nextInboxSeq(h.stream);
  h.kind = reply.kind;
  h.from = reply.service;
  h.to = box.boxId;
  h.createdAt = sync::createdAtText(clock->now());
  h.recipientKid = box.encKid;
  h.senderKid = options.wrongKey ? reply.service + "-sig-rogue" : service->sigKid;
  crypto::Ed25519Signer rogue = crypto::Ed25519Signer::generate();
  const crypto::Ed25519Signer& signer = options.wrongKey ? rogue : service->sig;
  sync::Envelope env = sync::seal(h, reply.payload, box.encKey, signer);
  auto resign = [&] {
    env.sig = crypto::toBase64(signer.sign(crypto::asBytes(sync::signedBytes(env))));
  };
  if (options.tamper == Tamper::ct) {
    crypto::Bytes ct = crypto::fromBase64(env.ct);
    ct[0] ^= 0x01;
    env.ct = crypto::toBase64(ct);
    resign();
  } else if (options.tamper == Tamper::sig) {
    crypto::Bytes sig = crypto::fromBase64(env.sig);
    sig[0] ^= 0x01;
    env.sig = crypto::toBase64(sig);
  } else if (options.tamper == Tamper::header) {
    env.header.createdAt = "2000-01-01T00:00:00.000Z";
  }
  InboxMessage m;
  m.boxId = box.boxId;
  m.id = h.id;
  m.stream = h.stream;
  m.seq = h.seq;
  m.kind = h.kind;
  m.envelope = env.toJson();
  store.queueMessage(m, nowMs());
  return h.id;
}

Cloud::Cloud(const fs::path& dir, const fs::path& recordFile, const Clock& clock)
    : impl_(std::make_unique<Impl>(dir, clock)) {
  if (!recordFile.empty()) {
    impl_->record = std::fopen(recordFile.c_str(), "a");
    if (impl_->record == nullptr) throw vigil::Error("cloud: cannot open " + recordFile.string());
  }
}

Cloud::~Cloud() {
  if (impl_->record != nullptr) std::fclose(impl_->record);
}

const CloudDir& Cloud::dir() const {
  return impl_->dir;
}

std::string Cloud::newCode() {
  std::lock_guard lock(impl_->mu);
  std::string code = randomCode();
  std::int64_t now = impl_->nowMs();
  impl_->store.insertCode(code, now, now + kCodeValidityMs);
  writeFileAtomic(impl_->dir.codePath(), code + "\n", 0600);
  return code;
}

std::string Cloud::ensureCode() {
  {
    std::lock_guard lock(impl_->mu);
    if (fs::exists(impl_->dir.codePath())) {
      std::string code = readFile(impl_->dir.codePath());
      while (!code.empty() && (code.back() == '\n' || code.back() == ' ')) code.pop_back();
      if (impl_->store.codeUsable(code, impl_->nowMs())) return code;
    }
  }
  return newCode();
}

Answer Cloud::enrol(std::string_view body) {
  Object::Ptr req;
  try {
    Poco::JSON::Parser parser;
    auto parsed = parser.parse(std::string(body));
    if (parsed.type() == typeid(Object::Ptr)) req = parsed.extract<Object::Ptr>();
  } catch (const Poco::Exception&) {
    // not JSON: answered below
  }
  if (req.isNull()) return malformed("body");
  std::string code, boxName, csr;
  PublicKey signing, encryption;
  try {
    code = textField(*req, "code", 64);
    boxName = textField(*req, "boxName", 200);
    signing = keyField(*req, "signingKey");
    encryption = keyField(*req, "encryptionKey");
    csr = textField(*req, "csr", 64 * 1024);
  } catch (const BadField& bad) {
    return malformed(bad.field);
  }

  std::lock_guard lock(impl_->mu);
  std::int64_t now = impl_->nowMs();
  BoxRecord box;
  do {
    box.boxId = newBoxId();
  } while (impl_->store.findBox(box.boxId));
  store::Transaction tx(impl_->store.connection());
  if (!impl_->store.useCode(code, now, box.boxId)) return refusal(403, "bad_code");
  pki::IssuedCertificate cert;
  try {
    cert = impl_->dir.ca().signClientRequest(csr, box.boxId, pki::CertKind::device);
  } catch (const vigil::ValidationError&) {
    return malformed("csr");  // the transaction rolls back: the code stays unused
  }
  box.name = boxName;
  box.sigKid = signing.kid;
  box.sigKey = signing.key;
  box.encKid = encryption.kid;
  box.encKey = encryption.key;
  box.certSerial = cert.record.serial;
  box.enrolledAt = now;
  impl_->store.insertBox(box);
  tx.commit();
  log::info("cloud.enrolled", {{"box", box.boxId}});

  std::string current;
  if (fs::exists(impl_->dir.codePath())) current = readFile(impl_->dir.codePath());
  if (current == code + "\n") {
    std::string fresh = randomCode();
    impl_->store.insertCode(fresh, now, now + kCodeValidityMs);
    writeFileAtomic(impl_->dir.codePath(), fresh + "\n", 0600);
  }
  std::string out = "{\"boxId\":" + core::jsonString(box.boxId) +
                    ",\"certificate\":" + core::jsonString(cert.certPem) +
                    ",\"caCertificate\":" + core::jsonString(impl_->dir.caCertPem()) +
                    ",\"services\":" + impl_->dir.servicesJson() + "}";
  return json(201, std::move(out));
}

Answer Cloud::keys() {
  return json(200, "{\"services\":" + impl_->dir.servicesJson() + "}");
}

bool Cloud::knownBox(const std::string& boxId) {
  std::lock_guard lock(impl_->mu);
  return impl_->store.findBox(boxId).has_value();
}

Answer Cloud::outbox(const std::string& boxId, std::string_view body) {
  sync::Envelope env;
  try {
    env = sync::Envelope::fromJson(body);
  } catch (const vigil::ValidationError& e) {
    return malformed(fieldOf(e.what()));
  }
  const sync::Header& h = env.header;
  std::lock_guard lock(impl_->mu);
  std::optional<BoxRecord> box = impl_->store.findBox(boxId);
  if (!box) return refusal(401, "unknown_box");
  if (h.from != boxId) return refusal(422, "wrong_sender");

  const ServiceKeys* service = impl_->dir.findService(h.to);
  const ServiceKeys& opener = service != nullptr ? *service : impl_->dir.services().front();
  std::string payload;
  try {
    payload = sync::open(
        env, opener.enc,
        [&box](std::string_view kid) -> std::optional<crypto::Bytes> {
          if (kid == box->sigKid) return box->sigKey;
          return std::nullopt;
        },
        opener.name);
    if (h.recipientKid != opener.encKid)
      throw sync::EnvelopeRefused(sync::RefusalReason::doesNotOpen, h.id);
  } catch (const sync::EnvelopeRefused& e) {
    return refusal(422, sync::reasonText(e.reason()));
  }

  // Accepted before (a resend after a lost answer): the first answer again, nothing applied.
  if (impl_->store.findAccepted(boxId, h.id).has_value())
    return json(200, "{\"id\":" + core::jsonString(h.id) + ",\"duplicate\":true}");
  std::int64_t expected = impl_->store.expectedSeq(boxId, h.stream);
  if (h.seq > expected) {
    return json(409,
                "{\"reason\":\"out_of_order\",\"expectedSeq\":" + std::to_string(expected) + "}");
  }
  if (h.seq < expected) return refusal(422, "seq_taken");

  std::int64_t now = impl_->nowMs();
  Effects effects;
  std::string answer = "{\"id\":" + core::jsonString(h.id) + ",\"duplicate\":false}";
  {
    store::Transaction tx(impl_->store.connection());
    try {
      effects = applyEntry(impl_->store, opener.name, boxId, h, payload, now);
    } catch (const PayloadRefused& e) {
      return refusal(422, e.reason());
    }
    for (const auto& reply : effects.replies) impl_->queueReply(*box, reply, {});
    impl_->store.insertAccepted({boxId, h.id, h.stream, h.seq, h.kind, opener.name, answer, now});
    impl_->store.setExpectedSeq(boxId, h.stream, h.seq + 1);
    tx.commit();
  }
  crypto::secureWipe(payload.data(), payload.size());
  if (!effects.notificationLines.empty()) {
    std::string lines;
    for (const auto& line : effects.notificationLines) lines += line + "\n";
    if (std::FILE* f = std::fopen(impl_->dir.notificationsLogPath().c_str(), "a")) {
      std::fwrite(lines.data(), 1, lines.size(), f);
      std::fclose(f);
    }
  }
  if (!effects.scripts.empty()) {
    const auto rxDir = impl_->dir.notificationsLogPath().parent_path() / "rx";
    std::error_code ec;
    std::filesystem::create_directories(rxDir, ec);
    for (const auto& [name, xml] : effects.scripts)
      if (std::FILE* f = std::fopen((rxDir / name).c_str(), "w")) {
        std::fwrite(xml.data(), 1, xml.size(), f);
        std::fclose(f);
      }
  }
  if (impl_->record != nullptr) {
    std::string line = h.id + " " + h.stream + " " + std::to_string(h.seq) + " " + h.kind + "\n";
    std::fwrite(line.data(), 1, line.size(), impl_->record);
    std::fflush(impl_->record);
  }
  Answer out = json(202, std::move(answer));
  out.firstAcceptance = true;
  return out;
}

Answer Cloud::inbox(const std::string& boxId, const std::string& after, const std::string& limit,
                    bool duplicate, bool reorder) {
  auto number = [](const std::string& text, std::int64_t fallback) -> std::optional<std::int64_t> {
    if (text.empty()) return fallback;
    if (text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    return std::stoll(text);
  };
  std::optional<std::int64_t> from = number(after, 0);
  if (!from) return malformed("after");
  std::optional<std::int64_t> count = number(limit, kDefaultLimit);
  if (!count || *count < 1 || *count > kMaxLimit) return malformed("limit");

  std::lock_guard lock(impl_->mu);
  std::optional<BoxRecord> box = impl_->store.findBox(boxId);
  if (!box) return refusal(401, "unknown_box");
  std::int64_t now = impl_->nowMs();
  store::Transaction tx(impl_->store.connection());
  for (const auto& reply : dueReplies(impl_->store, boxId, now)) impl_->queueReply(*box, reply, {});
  std::vector<InboxMessage> page =
      impl_->store.messagesAfter(boxId, *from, static_cast<int>(*count));
  std::int64_t cursor = page.empty() ? *from : page.back().n;
  for (const auto& m : page) impl_->store.markDelivered(m.n, now);
  if (duplicate && *from > 0) {
    if (auto again = impl_->store.messageAtOrBefore(boxId, *from))
      page.insert(page.begin(), std::move(*again));
  }
  tx.commit();
  if (reorder) std::reverse(page.begin(), page.end());
  std::string out = "{\"messages\":[";
  for (std::size_t i = 0; i < page.size(); ++i) {
    if (i > 0) out += ',';
    out += page[i].envelope;
  }
  out += "],\"cursor\":" + core::jsonString(std::to_string(cursor)) + "}";
  return json(200, std::move(out));
}

std::string Cloud::send(const std::string& boxId, const std::string& kind,
                        const std::string& payload, const SendOptions& options) {
  std::string_view service = senderOfKind(kind);
  if (service.empty()) throw vigil::ValidationError("kind: no service of the stand-in sends it");
  std::lock_guard lock(impl_->mu);
  std::optional<BoxRecord> box = impl_->store.findBox(boxId);
  if (!box) throw vigil::NotFound("box: not enrolled here");
  store::Transaction tx(impl_->store.connection());
  std::string id = impl_->queueReply(*box, Reply{std::string(service), kind, payload}, options);
  tx.commit();
  return id;
}

}  // namespace vigil::cloudsim
