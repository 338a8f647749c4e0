// The video-visit routes (/api/v1/visits, see vigil/web/visit_routes.hpp), in groups: the visit
// list, archive and scheduling; who is in the room; chat and shared documents; recording
// consent, control and playback; the media WebSocket. The router takes the first pattern that
// matches, so the groups are registered in this order.

#include "vigil/web/visit_routes.hpp"

#include <Poco/Base64Decoder.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>

#include "common.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/core/time.hpp"
#include "vigil/licensing/licenses.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/audit_entry.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/security/cli.hpp"
#include "vigil/video/recording.hpp"
#include "vigil/video/video_rooms.hpp"
#include "vigil/video/visit.hpp"
#include "vigil/web/api.hpp"
#include "vigil/web/attempt_limiter.hpp"
#include "vigil/web/http.hpp"

namespace vigil::web {
namespace {

using namespace std::chrono_literals;
using JsonObject = Poco::JSON::Object::Ptr;
using video::ChatMessage;
using video::findRecording;
using video::listRecordings;
using video::NewVisit;
using video::recordingMediaType;
using video::RecordingReader;
using video::recordingTotals;
using video::Visit;
using video::VisitArchiveQuery;
using video::VisitDocument;

using api::BadRequest;
using api::requireInt;

std::int64_t visitIdOf(const Request& req) {
  return api::pathId(req, "id", api::BadPathId::badRequest);
}

std::int64_t documentIdOf(const Request& req) {
  return api::pathId(req, "doc", api::BadPathId::badRequest);
}

std::string stringify(const JsonObject& o) {
  std::ostringstream out;
  o->stringify(out);
  return out.str();
}

/// True for the licensing check's refusal words (the join check wired by the app).
bool isLicensingReason(std::string_view reason) {
  for (auto word :
       {licensing::kNoLicenseForState, licensing::kLicenseExpired, licensing::kLicenseNotYetValid,
        licensing::kLicenseSuspended, licensing::kLicenseRevoked, licensing::kPatientStateUnknown})
    if (reason == word) return true;
  return false;
}

/// api::guarded (malformed input 400, validation 422, ...) plus what visits answer differently:
/// "no such visit", the refusal's reason word for the portal, the store unavailable, and any other
/// failure logged (ids and reasons only) and answered 500.
Handler guarded(Handler h) {
  return api::guarded([h = std::move(h)](Request& req) -> Response {
    try {
      return h(req);
    } catch (const BadRequest&) {
      throw;  // api::guarded answers these
    } catch (const api::ApiFailure&) {
      throw;
    } catch (const ValidationError&) {
      throw;
    } catch (const NotFound&) {
      return Response::error(404, "not_found", "no such visit");
    } catch (const AccessDenied& e) {
      // The reason word (not_participant, too_early, ...) helps the portal explain; no PHI.
      std::string what = e.what();
      auto colon = what.rfind(": ");
      auto reason = colon == std::string::npos ? "not allowed" : what.substr(colon + 2);
      if (reason == video::kConsentRequired) {
        // The patient has no active telehealth consent: the page shows it to sign (issue 21).
        return Response::json(403, R"({"error":"consent_required","kind":"telehealth",)"
                                   R"("message":"sign the telehealth consent to join"})");
      }
      if (isLicensingReason(reason)) {
        // Issue 22: the visit's provider holds no active license where the patient is.
        return Response::json(403, R"({"error":"not_licensed","reason":")" + reason +
                                       R"(","message":"the provider is not licensed for the )"
                                       R"(state the patient is in on the date of service"})");
      }
      return Response::error(403, "forbidden", reason);
    } catch (const StoreError&) {
      log::warn("video.store_unavailable", {{"route", req.path}});
      return Response::storeUnavailable();
    } catch (const std::exception& e) {
      // Vigil's error messages carry no PHI (ids and reasons), so the log may name it.
      log::error("video.api_failed", {{"route", req.path}, {"error", e.what()}});
      return Response::error(500, "internal", "the request failed; it is logged");
    }
  });
}

using core::fromMillis;

/// The visit as JSON; `accounts` (for a participant's own view of the visit) adds each
/// participant's display name, for the tiles and the waiting room.
JsonObject visitJson(const Visit& v, std::int64_t caller,
                     security::AccountService* accounts = nullptr) {
  JsonObject o = new Poco::JSON::Object;
  o->set("id", v.id);
  o->set("patientId", v.patientId);
  o->set("providerUserId", v.providerUserId);
  o->set("startsAt", core::formatUtc(v.startsAt));
  o->set("endsAt", core::formatUtc(v.endsAt));
  o->set("state", std::string(toString(v.state)));
  if (v.patientState) o->set("patientState", *v.patientState);
  Poco::JSON::Array::Ptr people = new Poco::JSON::Array;
  for (const auto& p : v.participants) {
    JsonObject j = new Poco::JSON::Object;
    j->set("userId", p.userId);
    j->set("role", std::string(toString(p.role)));
    j->set("admitted", p.admittedAt.has_value());
    j->set("waiting", p.waitingSince.has_value());
    j->set("recordingConsent", p.recordingConsentAt.has_value());
    if (accounts != nullptr) {
      auto user = accounts->findUser(p.userId);
      j->set("displayName", user ? user->displayName : std::string());
    }
    people->add(j);
    if (p.userId == caller) {
      o->set("yourRole", std::string(toString(p.role)));
      o->set("youAreAdmitted", p.admittedAt.has_value());
    }
  }
  o->set("participants", people);
  return o;
}

JsonObject messageJson(const ChatMessage& m) {
  JsonObject o = new Poco::JSON::Object;
  o->set("type", "chat");
  o->set("id", m.id);
  o->set("visitId", m.visitId);
  o->set("senderUserId", m.senderUserId);
  o->set("sentAt", core::formatUtc(m.sentAt));
  o->set("text", m.text);
  return o;
}

JsonObject documentJson(const VisitDocument& d) {
  JsonObject o = new Poco::JSON::Object;
  o->set("type", "document");
  o->set("id", d.id);
  o->set("visitId", d.visitId);
  o->set("uploaderUserId", d.uploaderUserId);
  o->set("uploadedAt", core::formatUtc(d.uploadedAt));
  o->set("mediaType", d.mediaType);
  o->set("fileName", d.fileName);
  o->set("sizeBytes", d.sizeBytes);
  return o;
}

std::string decodeBase64(const std::string& text) {
  std::istringstream in(text);
  Poco::Base64Decoder decoder(in);
  std::string out;
  try {
    out.assign(std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>());
  } catch (const Poco::Exception&) {
    throw BadRequest("contentBase64 is not base64");
  }
  return out;
}

/// A time from a query parameter: milliseconds since the epoch, "YYYY-MM-DD" (midnight UTC;
/// as an upper bound `endOfDay` takes the whole day) or "YYYY-MM-DDTHH:MM:SSZ".
std::optional<TimePoint> queryTime(const Request& req, const std::string& name, bool endOfDay) {
  auto it = req.query.find(name);
  if (it == req.query.end() || it->second.empty()) return std::nullopt;
  const std::string& text = it->second;
  if (text.size() <= 15 && text.find_first_not_of("0123456789") == std::string::npos)
    return fromMillis(std::stoll(text));
  try {
    auto t = security::parseUtc(text);
    if (endOfDay && text.size() == 10) t += 24h;
    return t;
  } catch (const ValidationError&) {
    throw BadRequest(name + " must be a date (YYYY-MM-DD), a UTC time or milliseconds");
  }
}

/// Stops the visit's running recording for `reason`, audits it (visit.recording_stop) and tells
/// everyone connected ({"type":"recording","recording":false,"reason"}). False when none ran.
bool stopRunningRecording(const VisitApi& api, const security::Actor& actor, std::int64_t visitId,
                          const std::string& reason) {
  if (!api.rooms->isRecording(visitId)) return false;
  api.rooms->stopRecording(visitId);
  api.visits->recordingStopped(actor, visitId, reason);
  JsonObject note = new Poco::JSON::Object;
  note->set("type", "recording");
  note->set("recording", false);
  note->set("reason", reason);
  api.rooms->broadcast(visitId, stringify(note));
  return true;
}

/// Longest e-mail address an invitation looks up (RFC 5321's path limit).
constexpr std::size_t kMaxEmailLength = 254;

/// The user an invitation names: {"userId":N} or {"email":"..."}, exactly one of them. An
/// e-mail is looked up through its blind index; an unknown one becomes user id 0, which no user
/// has, so VisitService::invite decides and audits it exactly as an existing user who may not be
/// invited (403 "no_such_user"): the answer does not tell whether the address has an account.
/// The address is contact data: it is never put into an error, a log line or the audit log.
std::int64_t inviteeOf(const VisitApi& api, const JsonObject& b) {
  const bool byId = b->has("userId");
  const bool byEmail = b->has("email");
  if (byId == byEmail) throw BadRequest("give exactly one of userId and email");
  if (byId) return requireInt(b, "userId");
  if (!b->get("email").isString()) throw BadRequest("email must be a string");
  const auto email = b->getValue<std::string>("email");
  if (email.empty() || email.size() > kMaxEmailLength || email.find('@') == std::string::npos)
    throw BadRequest("email must be an e-mail address");
  const auto user = api.accounts->findUserByEmail(email);
  return user ? user->id : 0;
}

/// Largest part of a recording one request gets (a player asks for the rest in further ranges).
constexpr std::uint64_t kMaxRangeBytes = 4 * 1024 * 1024;
/// Largest recording served whole to a request without a range (the answer is held in memory).
constexpr std::uint64_t kMaxWholeBytes = 64 * 1024 * 1024;

/// A byte range [first, last] of a resource of `size` bytes (HTTP's inclusive form).

/// Serves a decrypted recording (WebM, or Matroska for H.264): whole, or the requested range
/// (206).
Response serveRecording(const RecordingReader& reader, const std::string& rangeHeader,
                        std::int64_t visitId) {
  Response r;
  r.contentType = recordingMediaType(reader.read(0, 64));
  r.headers.emplace_back("Accept-Ranges", "bytes");
  // A generic name (ids only).
  const char* ext = r.contentType == "video/webm" ? ".webm" : ".mkv";
  r.headers.emplace_back(
      "Content-Disposition",
      "inline; filename=\"visit-" + std::to_string(visitId) + "-recording" + ext + "\"");
  const auto size = reader.size();
  if (rangeHeader.empty()) {
    if (size > kMaxWholeBytes)
      return Response::error(413, "too_large",
                             "the recording is large: ask for byte ranges (Range: bytes=...)");
    r.status = 200;
    r.body = reader.read(0, size);
    return r;
  }
  auto range = parseByteRange(rangeHeader, size, kMaxRangeBytes);
  if (!range) {
    Response bad = Response::error(416, "range_not_satisfiable", "bad or unsatisfiable range");
    bad.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
    return bad;
  }
  r.status = 206;
  r.body = reader.read(range->first, range->last - range->first + 1);
  r.headers.emplace_back("Content-Range", "bytes " + std::to_string(range->first) + "-" +
                                              std::to_string(range->last) + "/" +
                                              std::to_string(size));
  return r;
}

Route route(std::string method, std::string pattern, std::string permission, Handler handler) {
  Route r{std::move(method), std::move(pattern), Access::authenticated, std::move(permission),
          guarded(std::move(handler))};
  return r;
}

bool sessionStillActive(security::AccountService& accounts, std::int64_t userId,
                        std::int64_t sessionId) {
  for (const auto& info : accounts.listSessions(userId))
    if (info.sessionId == sessionId) return true;
  return false;
}

/// Messages from the relay (GStreamer threads) waiting for the socket's own thread.
struct Outbox {
  std::mutex mu;
  std::deque<std::string> messages;
  void push(const std::string& m) {
    std::lock_guard lock(mu);
    messages.push_back(m);
  }
  std::deque<std::string> take() {
    std::lock_guard lock(mu);
    std::deque<std::string> out;
    out.swap(messages);
    return out;
  }
};

void serveMedia(const VisitApi& api, Request& req, WebSocketChannel& ws) {
  const security::Actor actor = *req.actor;
  std::int64_t visitId = 0;
  try {
    visitId = visitIdOf(req);
  } catch (const BadRequest&) {
    ws.close(4400, "bad_visit_id");
    return;
  }
  if (!api.visits->mayBeInRoom(actor, visitId)) {
    ws.close(4003, "not_admitted");
    return;
  }
  const auto session = api.accounts->authenticate(req.sessionToken);
  auto outbox = std::make_shared<Outbox>();
  std::uint64_t token = 0;
  try {
    token = api.rooms->connect(visitId, actor.id,
                               [outbox](const std::string& json) { outbox->push(json); });
  } catch (const AccessDenied&) {
    ws.close(4009, "room_full");
    return;
  }
  log::info("video.media_socket_open", {{"visit", visitId}, {"user_id", actor.id}});
  std::string endReason = "websocket_closed";
  auto lastPing = std::chrono::steady_clock::now();
  auto lastCheck = lastPing;
  for (;;) {
    bool sent = true;
    for (auto& m : outbox->take()) sent = sent && ws.sendText(m);
    if (!sent) break;
    auto incoming = ws.receive(20ms);
    if (!incoming) break;
    if (!incoming->empty()) {
      try {
        api.rooms->signal(visitId, actor.id, token, *incoming);
      } catch (const ValidationError& e) {
        JsonObject err = new Poco::JSON::Object;
        err->set("type", "error");
        err->set("reason", std::string(e.what()));
        if (!ws.sendText(stringify(err))) break;
      }
    }
    auto now = std::chrono::steady_clock::now();
    if (now - lastPing >= 25s) {
      lastPing = now;
      if (!ws.sendText("{\"type\":\"ping\"}")) break;
    }
    if (now - lastCheck >= 5s) {
      lastCheck = now;
      if (!sessionStillActive(*api.accounts, actor.id, session.sessionId)) {
        endReason = "session_ended";
        ws.close(4001, "session_ended");
        break;
      }
      if (!api.visits->mayBeInRoom(actor, visitId)) {
        endReason = "visit_ended";
        ws.close(4004, "visit_ended");
        break;
      }
    }
  }
  if (api.rooms->disconnect(visitId, actor.id, token, endReason)) {
    try {
      api.visits->leave(actor, visitId);
    } catch (const Error& e) {
      log::warn("video.leave_failed", {{"visit", visitId}, {"error", e.what()}});
    }
  }
  log::info("video.media_socket_closed",
            {{"visit", visitId}, {"user_id", actor.id}, {"reason", endReason}});
}

/// One visit in the archive: ids, times and counts, the provider's name (staff information) and
/// the patient's display name (issue 21: the admins' list names patients, never only an id; the
/// listing is audited as visit.archive), no MRN or birth date.
JsonObject archiveItemJson(const VisitApi& api, const Visit& v,
                           const std::map<std::int64_t, video::RecordingTotals>& totals,
                           const std::map<std::int64_t, std::string>& patientNames) {
  JsonObject o = new Poco::JSON::Object;
  o->set("id", v.id);
  o->set("patientId", v.patientId);
  const auto name = patientNames.find(v.patientId);
  o->set("patientName",
         name == patientNames.end() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(name->second));
  o->set("providerUserId", v.providerUserId);
  auto provider = api.accounts->findUser(v.providerUserId);
  o->set("providerName", provider ? provider->displayName : std::string());
  o->set("startsAt", core::formatUtc(v.startsAt));
  o->set("endsAt", core::formatUtc(v.endsAt));
  if (v.endedAt) o->set("endedAt", core::formatUtc(*v.endedAt));
  o->set("state", std::string(toString(v.state)));
  o->set("participants", static_cast<int>(v.participants.size()));
  const auto t = totals.find(v.id);
  o->set("recordings", t == totals.end() ? 0 : t->second.count);
  o->set("recordingBytes", t == totals.end() ? std::uint64_t{0} : t->second.fileBytes);
  return o;
}

/// The caller's visits, the archive, scheduling and one visit's view.
void addVisitListRoutes(Router& router, const VisitApi& api) {
  router.add(route("GET", "/api/v1/visits", kOwnSession, [api](Request& req) {
    const auto visits = api.visits->forUser(req.actor->id, api.clock->now() - 24h);
    // Staff see whom each visit is with: the patient's name (PHI: one audit entry per patient
    // named, as the caller's own participation is what lets them see it) and the provider's.
    std::map<std::int64_t, std::string> names;
    const bool staff = !req.actor->patientId.has_value();
    if (staff && api.patients && api.audit && api.db) {
      std::vector<std::int64_t> ids;
      for (const auto& v : visits) ids.push_back(v.patientId);
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
      if (!ids.empty()) names = api.patients->displayNames(ids);
      for (auto id : ids)
        api.audit->record(*api.db,
                          security::auditEventFor(*req.actor, "visit.list", "patient_name", "", id,
                                                  security::AuditOutcome::success, ""));
    }
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& v : visits) {
      auto o = visitJson(v, req.actor->id);
      if (auto n = names.find(v.patientId); n != names.end()) o->set("patientName", n->second);
      auto provider = api.accounts->findUser(v.providerUserId);
      o->set("providerName", provider ? provider->displayName : std::string());
      list->add(o);
    }
    JsonObject o = new Poco::JSON::Object;
    o->set("visits", list);
    return api::jsonResponse(200, o);
  }));
  // Before /api/v1/visits/{id}: the router takes the first pattern that matches.
  router.add(route("GET", "/api/v1/visits/archive", "visit.archive", [api](Request& req) {
    VisitArchiveQuery q;
    q.from = queryTime(req, "from", false);
    q.to = queryTime(req, "to", true);
    q.page = static_cast<int>(api::queryInt(req, "page", 1, 1, 100000));
    q.pageSize = static_cast<int>(api::queryInt(req, "pageSize", 50, 1, 200));
    const auto totals = recordingTotals(api.recordingsDir);
    const auto recorded = req.query.find("recorded");
    if (recorded != req.query.end() && !recorded->second.empty()) {
      if (recorded->second != "true" && recorded->second != "false")
        throw BadRequest("recorded must be true or false");
      const bool want = recorded->second == "true";
      q.keep = [&totals, want](std::int64_t id) { return (totals.count(id) != 0) == want; };
    }
    auto page = api.visits->archive(*req.actor, q);
    std::vector<std::int64_t> patientIds;
    for (const auto& v : page.items) patientIds.push_back(v.patientId);
    std::sort(patientIds.begin(), patientIds.end());
    patientIds.erase(std::unique(patientIds.begin(), patientIds.end()), patientIds.end());
    const auto names = api.patients && !patientIds.empty() ? api.patients->displayNames(patientIds)
                                                           : std::map<std::int64_t, std::string>{};
    Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
    for (const auto& v : page.items) items->add(archiveItemJson(api, v, totals, names));
    JsonObject o = new Poco::JSON::Object;
    o->set("items", items);
    o->set("total", page.total);
    o->set("page", q.page);
    o->set("pageSize", q.pageSize);
    return api::jsonResponse(200, o);
  }));
  router.add(route("POST", "/api/v1/visits", "visit.schedule", [api](Request& req) {
    auto b = api::parseBody(req);
    NewVisit nv;
    nv.patientId = requireInt(b, "patientId");
    nv.providerUserId = requireInt(b, "providerUserId");
    nv.patientUserId = b->has("patientUserId") ? requireInt(b, "patientUserId") : 0;
    nv.startsAt = fromMillis(requireInt(b, "startsAtMs"));
    nv.endsAt = fromMillis(requireInt(b, "endsAtMs"));
    auto id = api.visits->schedule(*req.actor, nv);
    return api::jsonResponse(201, visitJson(*api.visits->find(id), req.actor->id));
  }));
  router.add(route("GET", "/api/v1/visits/{id}", "visit.join", [api](Request& req) {
    auto v = api.visits->get(*req.actor, visitIdOf(req));
    auto o = visitJson(v, req.actor->id, api.accounts);
    Poco::JSON::Array::Ptr quality = new Poco::JSON::Array;
    for (const auto& q : api.visits->quality(v.id)) {
      JsonObject j = new Poco::JSON::Object;
      j->set("userId", q.userId);
      j->set("samples", q.samples);
      if (q.rttMsAvg) j->set("rttMsAvg", *q.rttMsAvg);
      j->set("jitterMsAvg", q.jitterMsAvg);
      j->set("lossPctMax", q.lossPctMax);
      j->set("kbpsAvg", q.kbpsAvg);
      quality->add(j);
    }
    o->set("quality", quality);
    o->set("recording", api.rooms->isRecording(v.id));
    if (!api.nodeId.empty()) o->set("node", api.nodeId);  // the room's node (several nodes)
    return api::jsonResponse(200, o);
  }));
}

/// Who is in the room: joining, admitting, inviting, leaving and ending the visit.
void addVisitRoomRoutes(Router& router, const VisitApi& api) {
  router.add(route("POST", "/api/v1/visits/{id}/join", "visit.join", [api](Request& req) {
    auto status = api.visits->join(*req.actor, visitIdOf(req));
    JsonObject o = new Poco::JSON::Object;
    o->set("status", std::string(toString(status)));
    // Several nodes: the media socket goes to this node (…/media?node=<id>): the balancer routes
    // on it, as it did for this request (docs/scale-out.md "Video rooms").
    if (!api.nodeId.empty()) o->set("node", api.nodeId);
    return api::jsonResponse(200, o);
  }));
  // The patient confirms where they are (issue 22); the provider's license is checked again.
  router.add(route("POST", "/api/v1/visits/{id}/check-in", "visit.join", [api](Request& req) {
    auto state = api::parseBody(req)->optValue<std::string>("state", "");
    api.visits->checkIn(*req.actor, visitIdOf(req), state);
    JsonObject o = new Poco::JSON::Object;
    o->set("state", state);
    o->set("eligible", true);
    return api::jsonResponse(200, o);
  }));
  router.add(route("POST", "/api/v1/visits/{id}/admit", "visit.schedule", [api](Request& req) {
    api.visits->admit(*req.actor, visitIdOf(req), requireInt(api::parseBody(req), "userId"));
    return Response::json(200, "{}");
  }));
  // Invitations by e-mail answer whether an address is an account that may join: at most 30 per
  // staff user in 10 minutes, so the route is no tool for sweeping the clinic's address book.
  auto invitations = std::make_shared<AttemptLimiter>(30, std::chrono::minutes(10));
  router.add(route(
      "POST", "/api/v1/visits/{id}/participants", "visit.schedule",
      [api, invitations](Request& req) {
        if (!invitations->allow(std::to_string(req.actor->id), api.clock->now())) {
          Metrics::global()
              .counter("vigil_video_invitations_rate_limited_total",
                       "Invitations refused by rate (per staff user)")
              .inc();
          return Response::error(429, "rate_limited", "Too many invitations. Wait a few minutes.");
        }
        const auto id = visitIdOf(req);
        auto b = api::parseBody(req);
        const auto role = video::parseParticipantRole(b->optValue<std::string>("role", ""));
        if (!role) throw BadRequest("role must be caregiver or interpreter");
        const auto userId = inviteeOf(api, b);
        const auto decision = api.visits->recordingDecision();
        api.visits->invite(*req.actor, id, userId, *role);
        // The invitee has not consented to recording: a running recording stops (the
        // provider starts it again once everyone, the invitee included, has
        // consented).
        JsonObject o = new Poco::JSON::Object;
        o->set("userId", userId);
        o->set("role", std::string(toString(*role)));
        o->set("recordingStopped",
               stopRunningRecording(api, *req.actor, id, "participant_invited"));
        return api::jsonResponse(201, o);
      }));
  router.add(route("POST", "/api/v1/visits/{id}/leave", "visit.join", [api](Request& req) {
    api.visits->leave(*req.actor, visitIdOf(req));
    return Response::json(200, "{}");
  }));
  router.add(route("POST", "/api/v1/visits/{id}/end", "visit.schedule", [api](Request& req) {
    const auto id = visitIdOf(req);
    api.visits->end(*req.actor, id);
    api.rooms->endVisit(id);
    return Response::json(200, "{}");
  }));
}

/// The visit's chat and shared documents, and an admin's audited request to read them later.
void addVisitChatRoutes(Router& router, const VisitApi& api) {
  router.add(route("GET", "/api/v1/visits/{id}/messages", "visit.list", [api](Request& req) {
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& m : api.visits->messages(*req.actor, visitIdOf(req)))
      list->add(messageJson(m));
    JsonObject o = new Poco::JSON::Object;
    o->set("messages", list);
    return api::jsonResponse(200, o);
  }));
  router.add(route("POST", "/api/v1/visits/{id}/messages", "visit.join", [api](Request& req) {
    const auto id = visitIdOf(req);
    auto b = api::parseBody(req);
    if (!b->has("text") || !b->get("text").isString()) throw BadRequest("text must be a string");
    auto m = api.visits->postMessage(*req.actor, id, b->getValue<std::string>("text"));
    auto json = messageJson(m);
    api.rooms->broadcast(id, stringify(json));
    return api::jsonResponse(201, json);
  }));
  router.add(route("GET", "/api/v1/visits/{id}/documents", "visit.list", [api](Request& req) {
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& d : api.visits->documents(*req.actor, visitIdOf(req)))
      list->add(documentJson(d));
    JsonObject o = new Poco::JSON::Object;
    o->set("documents", list);
    return api::jsonResponse(200, o);
  }));
  router.add(route("POST", "/api/v1/visits/{id}/documents", "visit.join", [api](Request& req) {
    const auto id = visitIdOf(req);
    auto b = api::parseBody(req);
    if (!b->has("fileName") || !b->get("fileName").isString() || !b->has("contentBase64") ||
        !b->get("contentBase64").isString())
      throw BadRequest("fileName and contentBase64 must be strings");
    auto d = api.visits->shareDocument(*req.actor, id, b->getValue<std::string>("fileName"),
                                       decodeBase64(b->getValue<std::string>("contentBase64")));
    auto json = documentJson(d);
    api.rooms->broadcast(id, stringify(json));
    return api::jsonResponse(201, json);
  }));
  router.add(route("GET", "/api/v1/visits/{id}/documents/{doc}", "visit.list", [api](Request& req) {
    const auto id = visitIdOf(req);
    auto d = api.visits->document(*req.actor, id, documentIdOf(req));
    Response r;
    r.status = 200;
    r.contentType = d.mediaType;
    r.body = std::move(d.content);
    const char* ext = d.mediaType == "application/pdf" ? "pdf"
                      : d.mediaType == "image/png"     ? "png"
                                                       : "jpg";
    // A generic name: the uploaded one is PHI and must not shape a header.
    r.headers.emplace_back("Content-Disposition", "attachment; filename=\"visit-" +
                                                      std::to_string(id) + "-document-" +
                                                      std::to_string(d.id) + "." + ext + "\"");
    return r;
  }));
  // An admin's audited request to read a past visit's chat and documents (issue 18): the
  // reason is stored encrypted with the audit entry, which grants the reads for 30 minutes.
  router.add(route("POST", "/api/v1/visits/{id}/record-access", "visit.record_access",
                   [api](Request& req) {
                     auto b = api::parseBody(req);
                     if (!b->has("reason") || !b->get("reason").isString())
                       throw BadRequest("reason must be a string");
                     const auto until = api.visits->requestRecordAccess(
                         *req.actor, visitIdOf(req), b->getValue<std::string>("reason"));
                     JsonObject o = new Poco::JSON::Object;
                     o->set("until", core::formatUtc(until));
                     return api::jsonResponse(200, o);
                   }));
}

/// The visit's recordings as listed: each one's id, owner, start, size and whether it is
/// complete.
JsonObject recordingsJson(const VisitApi& api, std::int64_t id) {
  Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
  for (const auto& rec : listRecordings(api.recordingsDir, id)) {
    JsonObject j = new Poco::JSON::Object;
    j->set("id", rec.id);
    j->set("userId", rec.userId);
    j->set("startedAt", core::formatUtc(fromMillis(rec.startedAtMs)));
    j->set("encryptedBytes", rec.fileBytes);
    // False for a recording still running or cut short (the box stopped mid-visit, or
    // its end was removed): it plays as far as it goes.
    bool complete = false;
    if (api.cipher != nullptr) {
      if (auto file = findRecording(api.recordingsDir, id, rec.id)) {
        try {
          complete = RecordingReader(file->path, file->recordingId, *api.cipher).complete();
        } catch (const Error&) {
          complete = false;  // unreadable or altered: playing it says so
        }
      }
    }
    j->set("complete", complete);
    list->add(j);
  }
  JsonObject o = new Poco::JSON::Object;
  o->set("recordings", list);
  return o;
}

/// Recording: each participant's consent, the provider's start and stop, and playback.
void addVisitRecordingRoutes(Router& router, const VisitApi& api) {
  router.add(route("POST", "/api/v1/visits/{id}/consent", "visit.join", [api](Request& req) {
    const auto id = visitIdOf(req);
    auto b = api::parseBody(req);
    if (!b->has("recording") || !b->get("recording").isBoolean())
      throw BadRequest("recording must be true or false");
    const bool consent = b->getValue<bool>("recording");
    const auto decision = api.visits->recordingDecision();
    api.visits->setRecordingConsent(*req.actor, id, consent);
    if (!consent) stopRunningRecording(api, *req.actor, id, "consent_withdrawn");
    return Response::json(200, "{}");
  }));
  router.add(route("POST", "/api/v1/visits/{id}/recording", "visit.schedule", [api](Request& req) {
    const auto id = visitIdOf(req);
    auto b = api::parseBody(req);
    const auto action = b->optValue<std::string>("action", "");
    JsonObject o = new Poco::JSON::Object;
    if (action == "start") {
      if (api.cipher == nullptr || api.recordingsDir.empty())
        throw ValidationError("recording: not configured on this box");
      // The check and the start are one step: a withdrawal waits until the recording runs,
      // then stops it.
      const auto decision = api.visits->recordingDecision();
      api.visits->requireRecordingAllowed(*req.actor, id);
      o->set("recordedParticipants", api.rooms->startRecording(id, api.recordingsDir, *api.cipher));
    } else if (action == "stop") {
      const auto decision = api.visits->recordingDecision();
      api.visits->requireRecordingStop(*req.actor, id);
      stopRunningRecording(api, *req.actor, id, "provider");
    } else {
      throw BadRequest("action must be start or stop");
    }
    o->set("recording", api.rooms->isRecording(id));
    return api::jsonResponse(200, o);
  }));
  router.add(
      route("GET", "/api/v1/visits/{id}/recordings", "visit.recording_play", [api](Request& req) {
        const auto id = visitIdOf(req);
        api.visits->authorizeRecordingAccess(*req.actor, id, "");
        return api::jsonResponse(200, recordingsJson(api, id));
      }));
  router.add(route("GET", "/api/v1/visits/{id}/recordings/{rec}", "visit.recording_play",
                   [api](Request& req) {
                     const auto id = visitIdOf(req);
                     const auto rec = req.params.count("rec") ? req.params.at("rec") : "";
                     if (rec.empty()) throw BadRequest("recording id missing");
                     // Authorised and audited before anything about the file is revealed.
                     api.visits->authorizeRecordingAccess(*req.actor, id, rec);
                     if (api.cipher == nullptr) throw NotFound("recording");
                     auto file = findRecording(api.recordingsDir, id, rec);
                     if (!file) return Response::error(404, "not_found", "no such recording");
                     RecordingReader reader(file->path, file->recordingId, *api.cipher);
                     return serveRecording(reader, req.header("range"), id);
                   }));
}

/// The media WebSocket of an admitted participant (see serveMedia).
void addVisitMediaRoute(Router& router, const VisitApi& api) {
  Route media = route("GET", "/api/v1/visits/{id}/media", "visit.join", [](Request&) {
    return Response::error(426, "upgrade_required", "WebSocket only");
  });
  media.upgrade = [api](Request& req, WebSocketChannel& ws) { serveMedia(api, req, ws); };
  media.pool = Route::Pool::media;  // live-update sockets cannot crowd out a visit
  router.add(std::move(media));
}

}  // namespace

void addVisitRoutes(Router& router, const VisitApi& api) {
  addVisitListRoutes(router, api);
  addVisitRoomRoutes(router, api);
  addVisitChatRoutes(router, api);
  addVisitRecordingRoutes(router, api);
  addVisitMediaRoute(router, api);
}

}  // namespace vigil::web
