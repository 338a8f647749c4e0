// The API gate and the route registry (see vigil/web/api.hpp for the order of checks).

#include <algorithm>
#include <future>
#include <memory>
#include <stdexcept>

#include "common.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/security/session_token.hpp"
#include "vigil/store/database.hpp"

namespace vigil::web {
namespace {

bool stateChanging(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

Counter& denials(const std::string& reason) {
  return Metrics::global().counter("vigil_api_denied_total",
                                   "API requests refused by the gate, by reason",
                                   {{"reason", reason}});
}

/// The Origin of a WebSocket upgrade must be this server's own origin (the Host it was asked
/// for): browsers send Origin on WebSockets and cookies would otherwise authenticate a
/// cross-site page.
/// The alert queue's routes: with several nodes only the alert node serves them (its memory
/// holds the open alerts, the engine's state and the rules in force; docs/scale-out.md).
bool servedByAlertNode(const std::string& pattern) {
  static const std::string_view kPrefixes[] = {"/api/v1/alerts", "/api/v1/alert-rules",
                                               "/api/v1/escalation"};
  static const std::string_view kPatientRoutes[] = {"/api/v1/patients/{id}/alerts",
                                                    "/api/v1/patients/{id}/thresholds",
                                                    "/api/v1/patients/{id}/escalation"};
  for (auto p : kPrefixes)
    if (pattern.starts_with(p)) return true;
  for (auto p : kPatientRoutes)
    if (pattern == p) return true;
  return false;
}

/// The same request sent to `node`: its path and query with node=<node> (replacing any).
std::string atNode(const Request& req, const std::string& node) {
  std::string query;
  std::size_t start = 0;
  while (start <= req.rawQuery.size() && !req.rawQuery.empty()) {
    auto end = req.rawQuery.find('&', start);
    if (end == std::string::npos) end = req.rawQuery.size();
    auto part = req.rawQuery.substr(start, end - start);
    if (!part.empty() && !part.starts_with("node=")) query += part + "&";
    start = end + 1;
  }
  return req.path + "?" + query + "node=" + node;  // node ids are [A-Za-z0-9_-]
}

/// A visit's routes go to the node its room lives on: 307 there, or 421 when the balancer was
/// already told to send it there and did not.
std::optional<Response> toRoomNode(const ApiServices& s, const Route& route, Request& req) {
  if (!s.visitRoomElsewhere || !route.pattern.starts_with("/api/v1/visits/{id}")) return {};
  std::int64_t visitId = 0;
  try {
    visitId = api::pathId(req, "id");
  } catch (const api::ApiFailure&) {
    return {};  // the route answers the bad id itself
  }
  auto node = s.visitRoomElsewhere(visitId);
  if (!node) return {};
  if (auto asked = req.query.find("node"); asked != req.query.end() && asked->second == *node)
    return Response::error(421, "visit_room_elsewhere",
                           "the visit's room is on another node; try again");
  auto r = Response::error(307, "visit_room_elsewhere", "the visit's room is on another node");
  r.headers.emplace_back("Location", atNode(req, *node));
  return r;
}

bool sameOrigin(const Request& req) {
  auto origin = req.header("origin");
  auto host = req.header("host");
  if (origin.empty() || host.empty()) return false;
  return origin == "https://" + host || origin == "http://" + host;
}

void auditDenial(const ApiServices& s, const security::Actor& actor, std::string_view action,
                 std::string_view reason) {
  s.audit->record(*s.db, security::auditEventFor(actor, action, "session", "", std::nullopt,
                                                 security::AuditOutcome::denied, reason));
}

/// The care team of a decision about no patient: never asked.
class NoPatient final : public security::CareTeam {
 public:
  bool isAssigned(std::int64_t, std::int64_t) const override { return false; }
};

bool needsStepUp(const ApiServices& s, const security::Operation& op,
                 const security::SessionInfo& info) {
  return op.stepUp && !s.accounts->stepUpCurrent(info);
}

}  // namespace

std::string sessionCookieName(bool secureCookies) {
  return secureCookies ? "__Host-vigil_session" : "vigil_session";
}

bool isDeclaredPermission(std::string_view permission) {
  return permission == kOwnSession || permission == kEnrolment ||
         security::findOperation(permission) != nullptr;
}

Gate makeApiGate(const ApiServices& s) {
  return [&s](const Route& route, Request& req) -> std::optional<Response> {
    auto token = req.cookie(sessionCookieName(s.secureCookies));
    if (token.empty()) {
      denials("no_session").inc();
      return Response::error(401, "unauthenticated", "sign-in required");
    }
    security::SessionInfo info;
    try {
      // Automatic logoff: only a person's actions keep a session alive. A page's own reads
      // (polling, reloads after live events, WebSocket upgrades) do not move the idle timer;
      // state-changing requests and "stay signed in" (POST /api/v1/session/refresh) do, and
      // the portal sends that refresh when someone types, clicks or is in a video call.
      info = s.accounts->authenticate(token, stateChanging(req.method) && !route.upgrade
                                                 ? security::AccountService::Touch::throttled
                                                 : security::AccountService::Touch::none);
    } catch (const security::SessionExpired&) {
      denials("session_expired").inc();
      return Response::error(401, "session_expired", "the session ended; sign in again");
    } catch (const AuthError&) {
      denials("bad_session").inc();
      return Response::error(401, "unauthenticated", "sign-in required");
    }
    req.actor = info.actor;
    req.sessionToken = token;
    if (info.stage != security::SessionStage::full && route.permission != kEnrolment) {
      denials("mfa_enrolment").inc();
      return Response::error(403, "mfa_enrolment_required", "set up two-step verification first");
    }
    if (stateChanging(req.method) || route.upgrade) {
      auto presented = route.upgrade ? req.query["csrf"] : req.header("x-csrf-token");
      if (!security::checkCsrf(token, presented)) {
        denials("csrf").inc();
        auditDenial(s, info.actor, "csrf.check", "csrf_token_missing_or_wrong");
        return Response::error(403, "csrf", "missing or wrong CSRF token; reload the page");
      }
    }
    if (route.upgrade && !sameOrigin(req)) {
      denials("origin").inc();
      auditDenial(s, info.actor, "websocket.origin", "cross_origin");
      return Response::error(403, "forbidden", "cross-origin connection refused");
    }
    if (s.alertNode && servedByAlertNode(route.pattern) && !s.alertNode()) {
      // Not an error of the caller's: the load balancer sends these to the alert node
      // (GET /healthz/alert-node); a request that lands here anyway is told so.
      return Response::error(421, "alert_node_elsewhere",
                             "another node serves the alert queue; try again");
    }
    if (auto elsewhere = toRoomNode(s, route, req)) return elsewhere;
    if (route.permission == kOwnSession || route.permission == kEnrolment) return std::nullopt;

    const security::Operation& op = security::operation(route.permission);
    std::optional<std::int64_t> patientId;
    if (route.patientParam == kPatientSelf) {
      patientId = info.actor.patientId;
    } else if (!route.patientParam.empty()) {
      try {
        patientId = api::pathId(req, route.patientParam);
      } catch (const api::ApiFailure& f) {
        return Response::error(f.status, f.code, f.what());
      }
    }
    auto breakGlass = req.header("x-break-glass-reason").substr(0, 200);
    security::AccessDecision decision;
    if (op.touchesPatient && !patientId && route.patientParam.empty()) {
      // The handler finds the patient (alert, body) and authorises it; check the role here.
      decision = security::roleHas(info.actor.role, op.permission)
                     ? security::AccessDecision{true, false, "role"}
                     : security::AccessDecision{false, false, "role_lacks_permission"};
      if (decision.allowed && !needsStepUp(s, op, info))
        return std::nullopt;  // audited by the handler with the patient
    } else if (!patientId) {
      // No patient to look up (a listing filtered by the care team, or a patient-only route
      // asked by staff): the role decides, nothing is read.
      NoPatient none;
      decision = security::authorize(info.actor, op, std::nullopt, none, breakGlass);
    } else {
      decision = s.db->read([&](store::Connection& c) {
        breakGlass = security::AccessGuard::breakGlassReasonIn(c, info.actor, patientId, breakGlass,
                                                               s.clock->now());
        return security::AccessGuard::decideIn(c, info.actor, op, patientId, breakGlass);
      });
    }
    // Step-up: allowed, but the user must prove who they are again first (the portal asks for
    // the password, and the code for staff, and repeats the request). Audited as denied.
    const bool stepUp = decision.allowed && needsStepUp(s, op, info);
    if (stepUp) decision = security::AccessDecision{false, false, "reauth_required"};
    // The handler's service audits the allowed action with its change (Route::auditedByHandler).
    if (decision.allowed && route.auditedByHandler) return std::nullopt;
    auto access = security::AccessGuard::pending(info.actor, op, patientId, {"api", route.pattern},
                                                 decision, breakGlass);
    if (decision.allowed) {
      // Queued on the store's batched writer now; the handler runs while it commits, and the
      // server sends nothing before it has (Request::beforeResponse).
      auto committed = std::make_shared<std::future<std::int64_t>>(
          s.db->write([&audit = *s.audit, event = std::move(access.event)](store::Connection& c) {
            return audit.append(c, event);
          }));
      req.beforeResponse = [committed] { committed->get(); };
    } else {
      s.audit->record(*s.db, access.event);
    }
    if (stepUp) {
      denials("reauth_required").inc();
      return Response::error(403, "reauth_required",
                             "this action needs your password again: confirm it to continue");
    }
    if (!decision.allowed) {
      denials("forbidden").inc();
      return Response::error(403, "forbidden", "you do not have access to this record");
    }
    return std::nullopt;
  };
}

void addApiRoutes(Router& router, const ApiServices& s) {
  if (!s.db || !s.accounts || !s.audit || !s.clock)
    throw std::invalid_argument("addApiRoutes: db, accounts, audit and clock are required");
  Router staging;
  api::addAuthRoutes(staging, s);
  if (s.patients && s.readings) api::addPatientRoutes(staging, s);
  if (s.alerts && s.alertStore) api::addAlertRoutes(staging, s);
  if (s.escalation) api::addEscalationRoutes(staging, s);
  if (s.consents) api::addConsentRoutes(staging, s);
  if (s.rpm) api::addRpmRoutes(staging, s);
  if (s.invitations) api::addOnboardingRoutes(staging, s);
  if (s.records) api::addRecordRoutes(staging, s);
  if (s.recordExport) api::addRecordExportRoutes(staging, s);
  if (s.intake) api::addIntakeRoutes(staging, s);
  if (s.licenses) api::addLicenseRoutes(staging, s);
  if (s.prescriptions && s.drugs && s.rxRules && s.prescribers) api::addRxRoutes(staging, s);
#ifdef VIGIL_WITH_SCHEDULING
  if (s.scheduling) api::addScheduleRoutes(staging, s);
  if (s.reminders) api::addReminderRoutes(staging, s);
  if (s.scheduling) api::addCalendarFeedRoutes(staging, s);
  if (s.ondemand) api::addOnDemandRoutes(staging, s);
#endif
  if (s.notes) api::addNoteRoutes(staging, s);
  if (s.worklist && s.patients) api::addWorklistRoutes(staging, s);
  if (s.cases) api::addCaseRoutes(staging, s);
  if (s.surveys) api::addSurveyRoutes(staging, s);
  if (s.billing) api::addBillingRoutes(staging, s);
  api::addAdminRoutes(staging, s);
  if (s.groups) api::addGroupRoutes(staging, s);
  if (s.events) api::addEventRoutes(staging, s);
  api::addReportRoutes(staging, s);
  if (s.outbox) api::addSyncRoutes(staging, s);
  if (s.smartClients) api::addFhirAuthRoutes(staging, s);
  // Last: /fhir/{type}/{id} would otherwise shadow fixed paths under /fhir.
  if (s.fhir) api::addFhirRoutes(staging, s);
  for (const auto& r : staging.routes()) {
    if (r.access == Access::authenticated && !isDeclaredPermission(r.permission))
      throw std::invalid_argument("route " + r.method + " " + r.pattern +
                                  " names an undeclared permission");
    router.add(r);
  }
}

}  // namespace vigil::web
