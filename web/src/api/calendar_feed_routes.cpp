// Providers' calendar feeds (issue 22, docs/scheduling.md#calendar-feed):
//   GET    /api/v1/providers/{id}/calendar-feed           the feed's state (never the token)
//   POST   /api/v1/providers/{id}/calendar-feed           a new secret URL (rotates; shown once)
//   DELETE /api/v1/providers/{id}/calendar-feed           revokes it
//   PUT    /api/v1/providers/{id}/calendar-feed/settings  {"includeNames": bool}
//   GET    /ical/{token}.ics                              the feed: public, the token is the
//                                                         credential, rate-limited per address
// A revoked, rotated-away or unknown token answers 404 (the same for all, so a guess learns
// nothing; not 410: telling "was valid once" apart would confirm a leaked URL's format). The
// service (scheduling::CalendarFeedService) authorises, audits and writes the iCalendar text;
// it is made here from the API's services (it needs nothing the wiring does not already give).

#include <memory>

#include "common.hpp"
#include "vigil/scheduling/calendar_feed.hpp"
#include "vigil/web/attempt_limiter.hpp"

namespace vigil::web::api {
namespace {

/// The portal's origin in the URL shown once (web.public_url, else the request's Host).
std::string portalOrigin(const ApiServices& s, const Request& req) {
  if (!s.publicUrl.empty()) return s.publicUrl;
  auto host = req.header("host");
  if (host.empty()) throw ApiFailure(422, "validation", "set web.public_url: no Host header");
  return std::string(s.secureCookies ? "https://" : "http://") + host;
}

JsonObject stateJson(const scheduling::CalendarFeedState& st) {
  auto o = object();
  o->set("providerUserId", st.providerUserId);
  o->set("active", st.active);
  o->set("includeNames", st.includeNames);
  o->set("issuedAt", isoOrNull(st.issuedAt));
  return o;
}

}  // namespace

void addCalendarFeedRoutes(Router& r, const ApiServices& s) {
  auto feeds =
      std::make_shared<scheduling::CalendarFeedService>(*s.db, *s.audit, *s.clock, s.patients);
  r.add({"GET", "/api/v1/providers/{id}/calendar-feed", Access::authenticated, "calendar_feed.read",
         guarded([feeds](Request& req) {
           return jsonResponse(200, stateJson(feeds->state(*req.actor, pathId(req, "id"))));
         })});
  r.add({"POST", "/api/v1/providers/{id}/calendar-feed", Access::authenticated,
         "calendar_feed.manage", guarded([feeds, &s](Request& req) {
           const auto id = pathId(req, "id");
           const auto token = feeds->rotate(*req.actor, id);
           auto o = stateJson(feeds->state(*req.actor, id));
           // The only time the token is ever shown: the portal shows the URL once.
           o->set("url", portalOrigin(s, req) + "/ical/" + token + ".ics");
           auto resp = jsonResponse(201, o);
           resp.headers.emplace_back("Cache-Control", "no-store");
           return resp;
         })});
  r.add({"DELETE", "/api/v1/providers/{id}/calendar-feed", Access::authenticated,
         "calendar_feed.manage", guarded([feeds](Request& req) {
           feeds->revoke(*req.actor, pathId(req, "id"));
           return noContent();
         })});
  r.add({"PUT", "/api/v1/providers/{id}/calendar-feed/settings", Access::authenticated,
         "calendar_feed.manage", guarded([feeds](Request& req) {
           auto body = parseBody(req);
           if (!body->has("includeNames") || !body->get("includeNames").isBoolean())
             throw BadRequest("includeNames: true or false");
           auto st = feeds->setIncludeNames(*req.actor, pathId(req, "id"),
                                            body->getValue<bool>("includeNames"));
           return jsonResponse(200, stateJson(st));
         })});

  // Calendar clients poll every 15 minutes to a few hours; 30 a minute per address is plenty
  // and keeps guessing (2^256 tokens) and audit-log spam bounded.
  auto limiter = std::make_shared<AttemptLimiter>(30, std::chrono::seconds(60));
  r.add({"GET", "/ical/{feed}", Access::public_endpoint, "",
         guarded([feeds, limiter, &s](Request& req) {
           if (!limiter->allow(clientKey(req.remoteAddress), s.clock->now()))
             throw ApiFailure(429, "rate_limited", "Too many requests. Wait a minute.");
           const auto& feed = req.params.at("feed");
           constexpr std::string_view kSuffix = ".ics";
           std::optional<scheduling::CalendarFeedDocument> doc;
           if (feed.size() > kSuffix.size() && feed.ends_with(kSuffix))
             doc = feeds->fetch(std::string_view(feed).substr(0, feed.size() - kSuffix.size()));
           if (!doc) return Response::error(404, "not_found", "no such calendar feed");
           Response resp;
           resp.status = 200;
           resp.contentType = "text/calendar; charset=utf-8";
           resp.body = std::move(doc->text);
           resp.headers.emplace_back("Cache-Control", "no-store, private");
           resp.headers.emplace_back("Referrer-Policy", "no-referrer");
           resp.headers.emplace_back("X-Robots-Tag", "noindex");
           return resp;
         })});
}

}  // namespace vigil::web::api
