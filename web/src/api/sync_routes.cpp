// The cloud link for admins (issue 20, docs/cloud-api.md): the outbox's status, one entry's
// metadata, and retrying or cancelling an entry a service refused.
//
// Nothing here carries an envelope: entries are shown by id, stream, seq, kind, recipient, state
// and the service's reason word, never their (sealed) content. Retry and cancel are audited by
// the outbox itself in the transaction that changes the entry (Route::auditedByHandler), so the
// gate writes no second entry for them; the status and entry reads are audited by the gate.
//
// The status lists at most `limit` streams (blocked ones first: they are the ones an admin acts
// on), while the totals and the per-kind backlog cover every stream: a box with thousands of
// open prescription streams answers the page's 10-second poll with a bounded body.

#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <vector>

#include "common.hpp"
#include "vigil/core/error.hpp"
#include "vigil/sync/link.hpp"
#include "vigil/sync/outbox.hpp"
#include "vigil/sync/transport.hpp"

namespace vigil::web::api {
namespace {

using std::chrono::duration_cast;
using std::chrono::seconds;

std::int64_t ageSeconds(TimePoint now, TimePoint then) {
  return std::max<std::int64_t>(0, duration_cast<seconds>(now - then).count());
}

Poco::Dynamic::Var reasonOrNull(const std::string& reason) {
  if (reason.empty()) return Poco::Dynamic::Var();
  return reason;
}

/// An entry id as the outbox makes them (a UUID in its 36-character text form); anything else
/// names no entry.
bool entryIdShape(const std::string& id) {
  if (id.size() != 36) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const char ch = id[i];
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? ch != '-' : !std::isxdigit(static_cast<unsigned char>(ch))) return false;
  }
  return true;
}

std::string entryIdParam(const Request& req) {
  auto it = req.params.find("id");
  if (it == req.params.end() || !entryIdShape(it->second))
    throw ApiFailure(404, "not_found", "no such sync entry");
  return it->second;
}

/// An entry without its envelope.
JsonObject entryJson(const sync::OutboxEntry& e) {
  auto o = object();
  o->set("id", e.id);
  o->set("stream", e.stream);
  o->set("streamKind", std::string(sync::streamKindOf(e.stream)));
  o->set("seq", e.seq);
  o->set("kind", e.kind);
  o->set("recipient", e.recipient);
  o->set("state", std::string(sync::toString(e.state)));
  o->set("attempts", e.attempts);
  o->set("lastError", reasonOrNull(e.lastError));
  o->set("createdAt", iso(e.createdAt));
  o->set("nextAttemptAt", e.state == sync::EntryState::pending
                              ? Poco::Dynamic::Var(iso(e.nextAttemptAt))
                              : Poco::Dynamic::Var());
  o->set("deliveredAt", isoOrNull(e.deliveredAt));
  return o;
}

JsonObject headJson(const sync::OutboxEntry& h) {
  auto o = object();
  o->set("id", h.id);
  o->set("seq", h.seq);
  o->set("kind", h.kind);
  o->set("recipient", h.recipient);
  o->set("state", std::string(sync::toString(h.state)));
  o->set("attempts", h.attempts);
  o->set("lastError", reasonOrNull(h.lastError));
  o->set("createdAt", iso(h.createdAt));
  o->set("nextAttemptAt", h.state == sync::EntryState::pending
                              ? Poco::Dynamic::Var(iso(h.nextAttemptAt))
                              : Poco::Dynamic::Var());
  return o;
}

JsonObject streamJson(const sync::StreamStatus& s, TimePoint now) {
  auto o = object();
  o->set("stream", s.stream);
  o->set("streamKind", s.streamKind);
  o->set("backlog", s.backlog);
  o->set("oldestEntryAgeSeconds", ageSeconds(now, s.oldestCreatedAt));
  o->set("blocked", s.blocked());
  o->set("head", headJson(s.head));
  return o;
}

struct KindTotals {
  std::int64_t backlog = 0;
  std::int64_t streams = 0;
  std::int64_t blocked = 0;
};

JsonObject statusJson(const sync::OutboxStatus& status, TimePoint now, std::size_t limit) {
  auto o = object();
  o->set("generatedAt", iso(now));
  o->set("backlog", status.backlog);
  o->set("oldestEntryAgeSeconds", status.oldestCreatedAt
                                      ? Poco::Dynamic::Var(ageSeconds(now, *status.oldestCreatedAt))
                                      : Poco::Dynamic::Var());
  o->set("lastSuccessAt", isoOrNull(status.lastSuccessAt));
  o->set("lastError", reasonOrNull(status.lastError));
  o->set("lastErrorAt", isoOrNull(status.lastErrorAt));

  std::map<std::string, KindTotals> byKind;
  std::int64_t blocked = 0;
  for (const auto& s : status.streams) {
    auto& k = byKind[s.streamKind];
    k.backlog += s.backlog;
    k.streams += 1;
    if (s.blocked()) {
      k.blocked += 1;
      ++blocked;
    }
  }
  o->set("streamCount", static_cast<std::int64_t>(status.streams.size()));
  o->set("blockedStreams", blocked);
  auto kinds = array();
  for (const auto& [kind, k] : byKind) {
    auto ko = object();
    ko->set("streamKind", kind);
    ko->set("backlog", k.backlog);
    ko->set("streams", k.streams);
    ko->set("blocked", k.blocked);
    kinds->add(ko);
  }
  o->set("byStreamKind", kinds);

  // Blocked streams first (an admin acts on them), each group by stream name as the outbox
  // lists them; then cut at `limit`.
  std::vector<const sync::StreamStatus*> order;
  order.reserve(status.streams.size());
  for (const auto& s : status.streams) order.push_back(&s);
  std::stable_partition(order.begin(), order.end(),
                        [](const sync::StreamStatus* s) { return s->blocked(); });
  auto streams = array();
  for (std::size_t i = 0; i < order.size() && i < limit; ++i)
    streams->add(streamJson(*order[i], now));
  o->set("streams", streams);
  o->set("streamsTruncated", order.size() > limit);
  return o;
}

bool settled(const std::optional<sync::OutboxEntry>& e) {
  return e && (e->state == sync::EntryState::delivered || e->state == sync::EntryState::cancelled);
}

/// Runs an admin action on an entry: 404 for an unknown id, 409 `wrong_state` when it was
/// delivered or cancelled already (also when that happened between the look and the action),
/// 422 for another refusal of the outbox (a cancel before the box has its cloud keys: the
/// message says to enrol first); answers the entry as it is afterwards.
template <class Action>
Response entryAction(const ApiServices& s, Request& req, Action&& action) {
  const auto id = entryIdParam(req);
  auto before = s.outbox->entry(id);
  if (!before) throw ApiFailure(404, "not_found", "no such sync entry");
  if (settled(before))
    throw ApiFailure(409, "wrong_state", "the entry was delivered or cancelled already");
  try {
    action(*req.actor, id);
  } catch (const ValidationError&) {
    if (settled(s.outbox->entry(id)))
      throw ApiFailure(409, "wrong_state", "the entry was delivered or cancelled already");
    throw;  // 422 with the outbox's message (ids and reason words only)
  }
  auto e = s.outbox->entry(id);
  if (!e) throw ApiFailure(404, "not_found", "no such sync entry");
  return jsonResponse(200, entryJson(*e));
}

/// Enrolment and what came back from the services: no key, no certificate, no payload but the
/// license status (which carries no PHI).
JsonObject linkJson(const ApiServices& s, TimePoint now) {
  auto o = object();
  if (s.link == nullptr) {
    o->set("configured", false);
    o->set("enrolled", false);
    o->set("refusedInbound", array());
    o->set("refusedInboundTotal", 0);
    return o;
  }
  const auto st = s.link->status();
  o->set("configured", st.configured);
  o->set("enrolled", st.enrolled);
  o->set("boxId", st.enrolled ? Poco::Dynamic::Var(st.boxId) : Poco::Dynamic::Var());
  o->set("boxName", st.enrolled ? Poco::Dynamic::Var(st.boxName) : Poco::Dynamic::Var());
  o->set("url", st.url.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(st.url));
  Poco::Dynamic::Var license;
  if (st.license) {
    try {
      license = Poco::JSON::Parser().parse(*st.license);
    } catch (const Poco::Exception&) {
    }
  }
  o->set("license", license);
  auto refused = array();
  for (const auto& r : st.refusedInbound) {
    auto ro = object();
    ro->set("messageId", r.messageId);
    ro->set("kind", r.kind);
    ro->set("sender", r.sender);
    ro->set("reason", r.reason);
    ro->set("receivedAt", iso(r.receivedAt));
    ro->set("ageSeconds", ageSeconds(now, r.receivedAt));
    refused->add(ro);
  }
  o->set("refusedInbound", refused);
  o->set("refusedInboundTotal", st.refusedInboundTotal);
  return o;
}

}  // namespace

void addSyncRoutes(Router& r, const ApiServices& s) {
  r.add({"GET", "/api/v1/sync/link", Access::authenticated, "sync.status",
         guarded([&s](Request&) { return jsonResponse(200, linkJson(s, s.clock->now())); })});
  Route enrol{
      "POST", "/api/v1/sync/enrol", Access::authenticated, "sync.enrol",
      guarded([&s](Request& req) {
        if (s.link == nullptr)
          throw ApiFailure(409, "not_configured",
                           "the cloud link is off: set sync.url and sync.ca_file");
        auto body = parseBody(req);
        const auto code = requireString(body, "code", 64);
        const auto name = requireString(body, "boxName", 128);
        try {
          s.link->enrol(*req.actor, code, name);
        } catch (const sync::SyncRefused& e) {
          throw ApiFailure(422, "refused", "the cloud refused the enrolment: " + e.reason());
        } catch (const sync::TransportError& e) {
          throw ApiFailure(502, "cloud_unreachable", "the cloud could not be reached: " + e.word());
        }
        return jsonResponse(200, linkJson(s, s.clock->now()));
      })};
  enrol.auditedByHandler = true;  // sync.enrol, by the link once enrolled
  r.add(std::move(enrol));
  r.add({"GET", "/api/v1/sync/status", Access::authenticated, "sync.status",
         guarded([&s](Request& req) {
           auto limit = queryInt(req, "limit", 200, 1, 1000);
           return jsonResponse(200, statusJson(s.outbox->status(), s.clock->now(),
                                               static_cast<std::size_t>(limit)));
         })});
  r.add({"GET", "/api/v1/sync/entries/{id}", Access::authenticated, "sync.status",
         guarded([&s](Request& req) {
           auto e = s.outbox->entry(entryIdParam(req));
           if (!e) throw ApiFailure(404, "not_found", "no such sync entry");
           return jsonResponse(200, entryJson(*e));
         })});
  Route retry{"POST", "/api/v1/sync/entries/{id}/retry", Access::authenticated, "sync.retry",
              guarded([&s](Request& req) {
                return entryAction(s, req, [&s](const security::Actor& a, const std::string& id) {
                  s.outbox->retry(a, id);
                });
              })};
  retry.auditedByHandler = true;  // sync.retry, in the outbox's transaction
  r.add(std::move(retry));
  Route cancel{"POST", "/api/v1/sync/entries/{id}/cancel", Access::authenticated, "sync.cancel",
               guarded([&s](Request& req) {
                 return entryAction(s, req, [&s](const security::Actor& a, const std::string& id) {
                   s.outbox->cancel(a, id);
                 });
               })};
  cancel.auditedByHandler = true;  // sync.cancel, in the outbox's transaction
  r.add(std::move(cancel));
}

}  // namespace vigil::web::api
