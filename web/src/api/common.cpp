#include "common.hpp"

#include <Poco/JSON/Parser.h>

#include <charconv>
#include <ctime>
#include <sstream>

#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/time.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/store/database.hpp"

namespace vigil::web::api {

Response jsonResponse(int status, const JsonObject& body) {
  std::ostringstream out;
  body->stringify(out);
  return Response::json(status, out.str());
}

Response noContent() {
  Response r;
  r.status = 204;
  r.contentType = "application/json";
  return r;
}

JsonObject parseBody(const Request& req) {
  if (req.body.empty()) return object();
  // Only JSON: a cross-site HTML form cannot send this type without a CORS preflight, which
  // the box never grants (this also stops login CSRF on the public sign-in routes).
  if (req.header("content-type").rfind("application/json", 0) != 0)
    throw ApiFailure(415, "unsupported_media_type", "send the body as application/json");
  try {
    Poco::JSON::Parser parser;
    auto v = parser.parse(req.body);
    if (v.type() != typeid(Poco::JSON::Object::Ptr)) throw BadRequest("body must be a JSON object");
    return v.extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
    throw BadRequest("body is not valid JSON");
  }
}

std::string optionalString(const JsonObject& o, const std::string& key, std::size_t maxLen) {
  if (!o->has(key) || o->isNull(key)) return {};
  auto v = o->get(key);
  if (!v.isString()) throw BadRequest(key + " must be a string");
  auto s = v.toString();
  if (s.size() > maxLen) throw BadRequest(key + " is too long");
  return s;
}

std::string requireString(const JsonObject& o, const std::string& key, std::size_t maxLen) {
  if (!o->has(key) || o->isNull(key)) throw BadRequest(key + " is required");
  return optionalString(o, key, maxLen);
}

std::optional<std::int64_t> optionalInt(const JsonObject& o, const std::string& key) {
  if (!o->has(key) || o->isNull(key)) return std::nullopt;
  auto v = o->get(key);
  if (!v.isNumeric()) throw BadRequest(key + " must be a number");
  try {
    double d = v.convert<double>();
    auto i = static_cast<std::int64_t>(d);
    if (static_cast<double>(i) != d) throw BadRequest(key + " must be an integer");
    return i;
  } catch (const Poco::Exception&) {
    throw BadRequest(key + " must be a number");
  }
}

std::int64_t requireInt(const JsonObject& o, const std::string& key) {
  auto v = optionalInt(o, key);
  if (!v) throw BadRequest(key + " is required");
  return *v;
}

std::string iso(TimePoint t) {
  return core::formatUtc(t, core::Fraction::millis);
}

Poco::Dynamic::Var isoOrNull(const std::optional<TimePoint>& t) {
  if (!t) return Poco::Dynamic::Var();
  return iso(*t);
}

std::optional<TimePoint> parseTime(const std::string& text) {
  if (text.empty()) return std::nullopt;
  if (text.find_first_not_of("0123456789") == std::string::npos) {
    std::int64_t ms = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
    if (ec != std::errc{} || p != text.data() + text.size()) return std::nullopt;
    return core::fromMillis(ms);
  }
  return core::parseRfc3339(text);
}

std::int64_t pathId(const Request& req, const std::string& name, BadPathId bad) {
  auto refuse = [&]() -> std::int64_t {
    if (bad == BadPathId::badRequest) throw BadRequest(name + " must be a positive integer");
    throw ApiFailure(404, "not_found", "no such resource");
  };
  auto it = req.params.find(name);
  if (it == req.params.end()) return refuse();
  std::int64_t v = 0;
  const auto& s = it->second;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v <= 0) return refuse();
  return v;
}

std::int64_t queryInt(const Request& req, const std::string& name, std::int64_t def,
                      std::int64_t lo, std::int64_t hi) {
  auto it = req.query.find(name);
  if (it == req.query.end() || it->second.empty()) return def;
  std::int64_t v = 0;
  const auto& s = it->second;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v < lo || v > hi)
    throw BadRequest(name + " must be an integer in " + std::to_string(lo) + ".." +
                     std::to_string(hi));
  return v;
}

std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, ','))
    if (!part.empty()) out.push_back(part);
  return out;
}

Handler guarded(Handler h) {
  return [h = std::move(h)](Request& req) -> Response {
    try {
      return h(req);
    } catch (const ApiFailure& e) {
      return Response::error(e.status, e.code, e.what());
    } catch (const BadRequest& e) {
      return Response::error(400, "bad_request", e.what());
    } catch (const ValidationError& e) {
      return Response::error(422, "validation", e.what());
    } catch (const NotFound&) {
      return Response::error(404, "not_found", "no such resource");
    } catch (const AccessDenied&) {
      return Response::error(403, "forbidden", "not allowed");
    } catch (const AuthError&) {
      return Response::error(401, "unauthenticated", "sign-in required");
    }
  };
}

void authorizePatient(const ApiServices& s, const Request& req, std::string_view operationName,
                      std::int64_t patientId, const std::string& objectType,
                      const std::string& objectId, bool escalationAssignee) {
  const auto& op = security::operation(operationName);
  const auto& actor = *req.actor;
  std::string breakGlass;
  auto decision = s.db->read([&](store::Connection& c) {
    breakGlass = security::AccessGuard::breakGlassReasonIn(
        c, actor, patientId, req.header("x-break-glass-reason").substr(0, 200), s.clock->now());
    return security::AccessGuard::decideIn(c, actor, op, patientId, breakGlass);
  });
  // The clinician an escalation routed the alert to (on call, covering) works it even outside
  // the care team; the rest of the record still needs the care team or emergency access.
  if (escalationAssignee && decision.reason == "not_on_care_team" &&
      (actor.role == security::Role::provider || actor.role == security::Role::nurse))
    decision = security::AccessDecision{true, false, "escalation_assignee"};
  try {
    security::AccessGuard(*s.db, *s.audit)
        .enforce(security::AccessGuard::pending(actor, op, patientId, {objectType, objectId},
                                                decision, breakGlass));
  } catch (const AccessDenied&) {
    throw ApiFailure(403, "forbidden", "you do not have access to this record");
  }
}

std::optional<std::vector<std::int64_t>> visiblePatients(const ApiServices& s,
                                                         const security::Actor& actor) {
  switch (actor.role) {
    case security::Role::admin:
    case security::Role::front_desk:  // registers and schedules for the whole clinic
      return std::nullopt;
    case security::Role::patient:
    case security::Role::device:
      if (actor.patientId) return std::vector<std::int64_t>{*actor.patientId};
      return std::vector<std::int64_t>{};
    case security::Role::provider:
    case security::Role::nurse:
      // Read at most AccountConfig::decisionCacheTtl ago (a change through the account
      // service shows at once).
      return s.accounts->careTeamOf(actor.id);
  }
  return std::vector<std::int64_t>{};
}

}  // namespace vigil::web::api
