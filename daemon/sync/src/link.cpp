#include "vigil/sync/link.hpp"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/URI.h>

#include <sstream>
#include <typeinfo>

#include "admin_action.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/json_text.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/thread_name.hpp"
#include "vigil/core/time.hpp"
#include "vigil/pki/certificate_request.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/sync/link_state.hpp"
#include "vigil/sync/transport.hpp"

namespace vigil::sync {

namespace {

using Poco::JSON::Object;
using store::Connection;

constexpr std::string_view kLicenseStatusKey = "license.status";
constexpr std::string_view kLicenseCheckedKey = "license.checked_at";
constexpr auto kLicenseCheckEvery = std::chrono::hours{24};
constexpr int kInboxPageSize = 100;

Object::Ptr parseObject(std::string_view json) {
  try {
    Poco::JSON::Parser parser;
    Poco::Dynamic::Var parsed = parser.parse(std::string(json));
    if (parsed.type() == typeid(Object::Ptr)) return parsed.extract<Object::Ptr>();
  } catch (const Poco::Exception&) {
  }
  return nullptr;
}

// The service's reason word from a JSON answer body, or `fallback`.
std::string reasonOf(std::string_view body, std::string fallback) {
  auto obj = parseObject(body);
  if (obj && obj->has("reason") && obj->get("reason").isString())
    return reasonWord(obj->getValue<std::string>("reason"));
  return fallback;
}

std::optional<std::int64_t> expectedSeqOf(std::string_view body) {
  auto obj = parseObject(body);
  if (!obj || !obj->has("expectedSeq")) return std::nullopt;
  try {
    auto v = obj->get("expectedSeq");
    if (v.isBoolean() || !v.isInteger()) return std::nullopt;
    return v.convert<std::int64_t>();
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

bool isCode(std::string_view code) {
  if (code.empty() || code.size() > 64) return false;
  for (char ch : code)
    if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
          ch == '-'))
      return false;
  return true;
}

std::string keyJson(const std::string& kid, crypto::ByteView key) {
  std::string out = "{\"kid\":";
  core::appendJsonString(out, kid);
  out += ",\"key\":\"" + crypto::toBase64(key) + "\"}";
  return out;
}

std::string textMember(const Object& obj, const std::string& field) {
  if (!obj.has(field) || !obj.get(field).isString())
    throw ValidationError("enrolment answer: " + field + " missing");
  return obj.getValue<std::string>(field);
}

}  // namespace

Link::Link(store::Database& db, security::AuditLog& audit, Outbox& outbox, Clock& clock,
           LinkOptions options, Metrics* metrics)
    : db_(db),
      audit_(audit),
      outbox_(outbox),
      clock_(clock),
      options_(std::move(options)),
      metrics_(metrics != nullptr ? *metrics : Metrics::global()),
      inbox_(clock),
      identity_(BoxIdentity::loadOrCreate(options_.keysDir)) {
  outbox_.setSkipSealer([this](const OutboxEntry& cancelled, std::string_view newId) {
    return sealSkip(cancelled, newId);
  });
  onInbound(std::string(kLicenseStatusKey), [](Connection& c, const Header&, std::string_view p) {
    auto obj = parseObject(p);
    if (!obj || !obj->has("status") || !obj->get("status").isString())
      throw ValidationError("license.status: no status");
    setLinkStateIn(c, kLicenseStatusKey, p);
  });
}

Link::~Link() {
  stop();
  outbox_.setSkipSealer(nullptr);
}

void Link::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void Link::stop() {
  stopping_ = true;
  wake();
  if (thread_.joinable()) thread_.join();
}

void Link::wake() {
  {
    std::lock_guard lock(wakeMutex_);
    woken_ = true;
  }
  wakeCv_.notify_all();
}

void Link::onInbound(std::string kind, InboundHandler handler) {
  std::lock_guard lock(mutex_);
  handlers_[std::move(kind)] = std::move(handler);
}

bool Link::enrolled() {
  std::lock_guard lock(mutex_);
  return identity_.enrolment().has_value();
}

HttpsTransport* Link::transport() {
  std::lock_guard lock(mutex_);
  if (identity_.reloadIfChanged()) transport_.reset();
  if (!identity_.enrolment()) return nullptr;
  if (!transport_) {
    TransportOptions t;
    t.baseUrl = options_.url.empty() ? identity_.enrolment()->url : options_.url;
    t.caFile = identity_.cloudCaPath().string();
    t.clientCertFile = identity_.clientCertPath().string();
    t.clientKeyFile = identity_.clientKeyPath().string();
    t.timeout = options_.requestTimeout;
    transport_ = std::make_unique<HttpsTransport>(t);
  }
  return transport_.get();
}

Enrolment Link::enrol(const security::Actor& actor, std::string_view code,
                      std::string_view boxName) {
  const security::AuditObject object{"sync_box", "enrolment"};
  const auto& op = requireAllowed(db_, audit_, actor, "sync.enrol", object);
  if (!isCode(code)) throw ValidationError("enrolment code: 1-64 letters, digits or '-'");
  if (boxName.empty() || boxName.size() > 128) throw ValidationError("box name: 1-128 characters");
  if (options_.url.empty()) throw ValidationError("sync.url is not set: nothing to enrol with");
  auto request = pki::makeCertificateRequest("vigil-box");
  std::string body = "{\"code\":";
  core::appendJsonString(body, code);
  body += ",\"boxName\":";
  core::appendJsonString(body, boxName);
  {
    std::lock_guard lock(mutex_);
    body += ",\"signingKey\":" + keyJson(identity_.signingKid(), identity_.signer().publicKey());
    body += ",\"encryptionKey\":" +
            keyJson(identity_.encryptionKid(), identity_.encryptionKey().publicKey());
  }
  body += ",\"csr\":";
  core::appendJsonString(body, request.requestPem);
  body += "}";

  TransportOptions t;
  t.baseUrl = options_.url;
  t.caFile = options_.caFile;
  t.timeout = options_.requestTimeout;
  HttpsTransport plain(t);
  HttpAnswer answer = plain.post("/v1/boxes/enrol", body);
  if (answer.status >= 400 && answer.status < 500)
    throw SyncRefused(answer.status,
                      reasonOf(answer.body, "http_" + std::to_string(answer.status)));
  if (answer.status != 201)
    throw TransportError("unexpected_status",
                         "sync: enrolment answered " + std::to_string(answer.status));
  auto obj = parseObject(answer.body);
  if (!obj) throw ValidationError("enrolment answer: not a JSON object");
  Enrolment e;
  e.boxId = textMember(*obj, "boxId");
  e.boxName = std::string(boxName);
  e.url = options_.url;
  e.enrolledAt = core::formatUtc(clock_.now());
  std::ostringstream services;
  Poco::JSON::Stringifier::stringify(obj, services);
  e.services = servicesFromJson(services.str());
  {
    std::lock_guard lock(mutex_);
    identity_.saveEnrolment(e, request.keyPem, textMember(*obj, "certificate"),
                            textMember(*obj, "caCertificate"));
    transport_.reset();
  }
  db_.writeSync([&](Connection& c) {
    audit_.append(c, security::auditEventFor(actor, op.name, object.type, e.boxId, std::nullopt,
                                             security::AuditOutcome::success, "box=" + e.boxId));
  });
  log::info("sync.enrolled", {{"box", e.boxId}, {"services", e.services.size()}});
  wake();
  return e;
}

std::string Link::enqueueIn(Connection& c, std::string_view stream, std::string_view kind,
                            std::string_view service, std::string_view payloadJson) {
  std::lock_guard lock(mutex_);
  const auto& enrolment = identity_.enrolment();
  if (!enrolment)
    throw EnqueueError(EnqueueFailure::notEnrolled, "the box is not enrolled with the cloud");
  const ServiceKeys* keys = enrolment->service(service);
  if (keys == nullptr)
    throw EnqueueError(EnqueueFailure::unknownService,
                       "no cloud service named " + std::string(service));
  return outbox_.enqueueIn(c, stream, kind, service, [&](std::string_view id, std::int64_t seq) {
    Header h;
    h.id = std::string(id);
    h.stream = std::string(stream);
    h.seq = seq;
    h.kind = std::string(kind);
    h.from = enrolment->boxId;
    h.to = std::string(service);
    h.createdAt = createdAtText(clock_.now());
    h.recipientKid = keys->encryptionKey.kid;
    h.senderKid = identity_.signingKid();
    return seal(h, payloadJson, keys->encryptionKey.key, identity_.signer()).toJson();
  });
}

std::string Link::sealSkip(const OutboxEntry& cancelled, std::string_view newId) {
  // Called inside Outbox::cancel's write job, with mutex_ free.
  std::lock_guard lock(mutex_);
  const auto& enrolment = identity_.enrolment();
  if (!enrolment) throw ValidationError("the box is not enrolled with the cloud");
  const ServiceKeys* keys = enrolment->service(cancelled.recipient);
  if (keys == nullptr) throw ValidationError("no cloud service named " + cancelled.recipient);
  Header h;
  h.id = std::string(newId);
  h.stream = cancelled.stream;
  h.seq = cancelled.seq;
  h.kind = "stream.skip";
  h.from = enrolment->boxId;
  h.to = cancelled.recipient;
  h.createdAt = createdAtText(clock_.now());
  h.recipientKid = keys->encryptionKey.kid;
  h.senderKid = identity_.signingKid();
  return seal(h, "{\"cancelled\":\"" + cancelled.id + "\"}", keys->encryptionKey.key,
              identity_.signer())
      .toJson();
}

int Link::sendDue() {
  HttpsTransport* t = transport();
  if (t == nullptr) return 0;
  // Accepted entries are marked delivered together at the end of the round: one commit per
  // round instead of one per entry. Only stream heads are in a round, so no entry waits on
  // another's mark.
  std::vector<std::string> accepted;
  bool linkDown = false;
  for (const auto& entry : outbox_.nextDue(clock_.now(), options_.batch)) {
    if (stopping_ || linkDown) break;
    if (sendOne(*t, entry, linkDown)) accepted.push_back(entry.id);
  }
  return outbox_.markDelivered(accepted, clock_.now());
}

bool Link::sendOne(HttpsTransport& t, const OutboxEntry& entry, bool& linkDown) {
  HttpAnswer answer;
  try {
    answer = t.post("/v1/outbox", entry.envelopeJson);
  } catch (const TransportError& e) {
    outbox_.markRetry(entry.id, clock_.now(), e.word());
    if (e.linkDown()) {
      linkDown = true;
      if (!linkWasDown_.exchange(true)) log::warn("sync.link_down", {{"reason", e.word()}});
    }
    return false;
  }
  if (linkWasDown_.exchange(false)) log::info("sync.link_up");
  const int s = answer.status;
  if (s == 200 || s == 202) return true;  // marked delivered with the round
  if (s == 409) {
    auto expected = expectedSeqOf(answer.body);
    if (expected && *expected < entry.seq) {
      outbox_.resendFrom(entry.stream, *expected, clock_.now());
    } else if (expected && *expected > entry.seq) {
      // The service is past this seq already (it took an earlier copy under this seq).
      log::warn("sync.entry_superseded",
                {{"id", entry.id}, {"stream", entry.stream}, {"seq", entry.seq}});
      return true;
    } else {
      outbox_.markRetry(entry.id, clock_.now(), "out_of_order", answer.retryAfter);
    }
  } else if (s == 408 || s == 429 || s >= 500) {
    outbox_.markRetry(entry.id, clock_.now(), "http_" + std::to_string(s), answer.retryAfter);
  } else if (s == 422 && reasonOf(answer.body, "") == "seq_taken") {
    // The service holds this seq under another id (the entry went, its answer was lost, and an
    // admin cancelled it meanwhile): the stream is past it.
    log::warn("sync.entry_superseded",
              {{"id", entry.id}, {"stream", entry.stream}, {"seq", entry.seq}});
    return true;
  } else if (s >= 400) {
    outbox_.markRefused(entry.id, clock_.now(), reasonOf(answer.body, "http_" + std::to_string(s)));
  } else {
    outbox_.markRetry(entry.id, clock_.now(), "unexpected_status");
  }
  return false;
}

int Link::fetchInbox(int maxPages) {
  HttpsTransport* t = transport();
  if (t == nullptr) return 0;
  int applied = 0;
  for (int page = 0; page < maxPages && !stopping_; ++page) {
    const std::string cursor = Inbox::cursor(db_);
    HttpAnswer answer;
    try {
      answer = t->get("/v1/inbox?after=" +
                      [&] {
                        std::string encoded;
                        Poco::URI::encode(cursor, "&=?#+/", encoded);
                        return encoded;
                      }() +
                      "&limit=" + std::to_string(kInboxPageSize));
    } catch (const TransportError& e) {
      db_.writeSync([&](Connection& c) { recordLinkErrorIn(c, clock_.now(), e.word()); });
      return applied;
    }
    auto obj = answer.status == 200 ? parseObject(answer.body) : nullptr;
    auto list = obj ? obj->getArray("messages") : nullptr;
    if (!obj || !list || !obj->has("cursor") || !obj->get("cursor").isString()) {
      const std::string word =
          answer.status == 200 ? "malformed_inbox" : "http_" + std::to_string(answer.status);
      db_.writeSync([&](Connection& c) { recordLinkErrorIn(c, clock_.now(), word); });
      return applied;
    }
    std::vector<std::string> messages;
    for (std::size_t i = 0; i < list->size(); ++i) {
      std::ostringstream text;
      Poco::JSON::Stringifier::stringify(list->get(static_cast<unsigned>(i)), text);
      messages.push_back(text.str());
    }
    const std::string next = obj->getValue<std::string>("cursor");
    applyPage(messages, next, applied);
    if (messages.empty() || next == cursor) break;
  }
  return applied;
}

void Link::applyPage(const std::vector<std::string>& messages, const std::string& cursor,
                     int& applied) {
  std::string boxId;
  {
    std::lock_guard lock(mutex_);
    boxId = identity_.enrolment()->boxId;
  }
  const TimePoint now = clock_.now();
  const TimePoint oldest = now - (options_.retention - std::chrono::hours{24});
  for (const auto& text : messages) {
    std::optional<Envelope> envelope;
    std::string payload;
    std::string refusal;
    try {
      envelope = Envelope::fromJson(text);
      auto created = core::parseRfc3339(envelope->header.createdAt);
      if (!created || *created < oldest) {
        refusal = "stale";
      } else {
        std::lock_guard lock(mutex_);
        payload = open(
            *envelope, identity_.encryptionKey(),
            [&](std::string_view kid) {
              return identity_.serviceSigningKey(envelope->header.from, kid);
            },
            boxId);
      }
    } catch (const EnvelopeRefused& r) {
      refusal = std::string(reasonText(r.reason()));
    } catch (const ValidationError&) {
      refusal = "malformed";
    } catch (const CryptoError&) {
      refusal = "does_not_open";
    }
    if (!refusal.empty()) {
      db_.writeSync(
          [&](Connection& c) { refuseInbound(c, envelope ? &*envelope : nullptr, refusal); });
      continue;
    }
    InboundHandler handler;
    {
      std::lock_guard lock(mutex_);
      auto it = handlers_.find(envelope->header.kind);
      if (it != handlers_.end()) handler = it->second;
    }
    try {
      const bool fresh = db_.writeSync([&](Connection& c) {
        return inbox_.applyIn(
            c, envelope->header.id, envelope->header.kind, std::nullopt, [&](Connection& wc) {
              if (handler) {
                handler(wc, envelope->header, payload);
              } else {
                log::info("sync.inbound_unhandled",
                          {{"id", envelope->header.id}, {"kind", envelope->header.kind}});
              }
            });
      });
      if (fresh) {
        ++applied;
        metrics_.counter("vigil_sync_inbox_applied_total", "Inbound messages applied").inc();
      } else {
        metrics_
            .counter("vigil_sync_inbox_duplicates_total",
                     "Inbound messages seen again and not applied twice")
            .inc();
      }
    } catch (const Error&) {
      log::warn("sync.inbound_apply_failed",
                {{"id", envelope->header.id}, {"kind", envelope->header.kind}});
      db_.writeSync([&](Connection& c) { refuseInbound(c, &*envelope, "apply_failed"); });
    }
  }
  db_.writeSync([&](Connection& c) {
    Inbox::advanceCursorIn(c, cursor);
    recordLinkSuccessIn(c, clock_.now());
  });
}

void Link::refuseInbound(Connection& c, const Envelope* envelope, std::string_view reason) {
  const std::string id = envelope ? envelope->header.id : "";
  const std::string kind = envelope ? envelope->header.kind : "";
  const std::string from = envelope ? envelope->header.from : "";
  // A refused message delivered again (services retry) is listed once.
  const bool listed =
      !id.empty() &&
      c.queryValue<std::int64_t>(
           "SELECT 1 FROM sync_inbox_refused WHERE message_id = ?1 AND reason = ?2", id, reason)
          .has_value();
  if (!listed)
    c.execute(
        "INSERT INTO sync_inbox_refused (message_id, kind, sender, reason, received_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5)",
        id, kind, from, reason, core::toMillis(clock_.now()));
  metrics_
      .counter("vigil_sync_inbox_refused_total",
               "Inbound messages the box refused to apply, by reason",
               {{"reason", std::string(reason)}})
      .inc();
  log::warn("sync.inbound_refused",
            {{"id", id}, {"kind", kind}, {"from", from}, {"reason", reason}});
}

int Link::prune() {
  const TimePoint cutoff = clock_.now() - options_.retention;
  int n = outbox_.prune(cutoff);
  n += db_.writeSync([&](Connection& c) {
    return c.execute("DELETE FROM sync_inbox WHERE applied_at < ?1", core::toMillis(cutoff)) +
           c.execute("DELETE FROM sync_inbox_refused WHERE received_at < ?1",
                     core::toMillis(cutoff));
  });
  return n;
}

LinkStatus Link::status() {
  LinkStatus s;
  s.configured = !options_.url.empty();
  {
    std::lock_guard lock(mutex_);
    identity_.reloadIfChanged();
    if (const auto& e = identity_.enrolment()) {
      s.enrolled = true;
      s.boxId = e->boxId;
      s.boxName = e->boxName;
      s.url = e->url;
    }
  }
  db_.read([&](Connection& c) {
    s.outbox = outboxStatusIn(c);
    s.license = linkStateIn(c, kLicenseStatusKey);
    s.refusedInboundTotal =
        c.queryValue<std::int64_t>("SELECT count(*) FROM sync_inbox_refused").value_or(0);
    auto& st = c.cached(
        "SELECT seq, message_id, kind, sender, reason, received_at FROM sync_inbox_refused "
        "ORDER BY seq DESC LIMIT 50");
    while (st.step())
      s.refusedInbound.push_back({st.getInt64(0), st.getText(1), st.getText(2), st.getText(3),
                                  st.getText(4), core::fromMillis(st.getInt64(5))});
    st.reset();
    return 0;
  });
  return s;
}

void Link::setLicenseCheck(std::function<std::string()> payload) {
  std::lock_guard lock(mutex_);
  licenseCheck_ = std::move(payload);
}

void Link::checkLicenseIfDue() {
  std::function<std::string()> payload;
  {
    std::lock_guard lock(mutex_);
    payload = licenseCheck_;
  }
  if (!payload) return;
  const TimePoint now = clock_.now();
  db_.writeSync([&](Connection& c) {
    auto last = linkStateIn(c, kLicenseCheckedKey);
    if (last) {
      auto at = core::parseRfc3339(*last);
      if (at && now - *at < kLicenseCheckEvery) return;
    }
    enqueueIn(c, "license/" + core::formatUtc(now).substr(0, 10), "license.check", "licensing",
              payload());
    setLinkStateIn(c, kLicenseCheckedKey, core::formatUtc(now));
  });
}

void Link::run() {
  nameThisThread("sync");
  auto nextInbox = std::chrono::steady_clock::now();
  auto nextPrune = std::chrono::steady_clock::now() + std::chrono::minutes{1};
  while (!stopping_) {
    bool busy = false;
    try {
      if (enrolled()) {
        checkLicenseIfDue();
        busy = sendDue() > 0;
        if (std::chrono::steady_clock::now() >= nextInbox) {
          fetchInbox();
          nextInbox = std::chrono::steady_clock::now() + options_.inboxInterval;
        }
        if (std::chrono::steady_clock::now() >= nextPrune) {
          prune();
          nextPrune = std::chrono::steady_clock::now() + std::chrono::hours{1};
        }
      }
    } catch (const std::exception& e) {
      log::warn("sync.round_failed", {{"error", e.what()}});
    }
    if (busy) continue;
    std::unique_lock lock(wakeMutex_);
    wakeCv_.wait_for(lock, std::chrono::seconds{1}, [&] { return woken_ || stopping_.load(); });
    woken_ = false;
  }
}

}  // namespace vigil::sync
