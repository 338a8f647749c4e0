// Patient invitations (issue 21, docs/patients.md#onboarding): staff invite a registered patient
// to the portal (the e-mail leaves through the cloud link when the box is enrolled; the link is
// shown once to the staff member either way), list and revoke a patient's invitations; the
// patient's browser checks a link and accepts it (public routes: the token is the credential,
// sent in the body so no URL and no access log holds it; at most 20 tries a minute per client
// address). onboarding::InvitationService authorises and audits in the transaction of each
// change (Route::auditedByHandler), so each action is on record once.

#include "common.hpp"
#include "vigil/core/error.hpp"
#include "vigil/onboarding/invitations.hpp"
#include "vigil/web/attempt_limiter.hpp"

namespace vigil::web::api {
namespace {

using onboarding::Invitation;
using onboarding::InvitationRefused;

JsonObject invitationJson(const Invitation& inv) {
  auto o = object();
  o->set("id", inv.id);
  o->set("patientId", inv.patientId);
  o->set("email", inv.email);
  o->set("delivery", inv.delivery);
  o->set("state", std::string(onboarding::toString(inv.state)));
  o->set("createdBy", inv.createdBy);
  o->set("createdAt", iso(inv.createdAt));
  o->set("expiresAt", iso(inv.expiresAt));
  o->set("usedAt", isoOrNull(inv.usedAt));
  o->set("revokedAt", isoOrNull(inv.revokedAt));
  return o;
}

/// The refusal's HTTP status: an unknown link 404, one that has ended 410, a wrong birth date
/// 422, a patient with an account 409.
int statusOf(const InvitationRefused& e) {
  if (e.code() == "unknown") return 404;
  if (e.code() == "used" || e.code() == "revoked" || e.code() == "expired") return 410;
  if (e.code() == "already_registered") return 409;
  return 422;
}

Handler invitationGuarded(Handler h) {
  return guarded([h = std::move(h)](Request& req) -> Response {
    try {
      return h(req);
    } catch (const InvitationRefused& e) {
      return Response::error(statusOf(e), e.code(), e.what());
    }
  });
}

/// The emergency-access reason the request gives (the service also honours an open window).
std::string breakGlassOf(const Request& req) {
  return req.header("x-break-glass-reason").substr(0, 200);
}

/// The portal's origin for the link: web.public_url, else the origin this request came to.
std::string portalOrigin(const ApiServices& s, const Request& req) {
  if (!s.publicUrl.empty()) return s.publicUrl;
  auto host = req.header("host");
  if (host.empty()) throw ApiFailure(422, "validation", "set web.public_url: no Host header");
  return std::string(s.secureCookies ? "https://" : "http://") + host;
}

void addStaffInvitationRoutes(Router& r, const ApiServices& s) {
  Route create{"POST",
               "/api/v1/patients/{id}/invitations",
               Access::authenticated,
               "patient.invite",
               invitationGuarded([&s](Request& req) {
                 auto body = parseBody(req);
                 auto email = requireString(body, "email", 254);
                 auto made = s.invitations->invite(*req.actor, pathId(req, "id"), email,
                                                   portalOrigin(s, req), breakGlassOf(req));
                 auto o = invitationJson(made.invitation);
                 o->set("link", made.link);
                 return jsonResponse(201, o);
               }),
               "",
               "id"};
  create.auditedByHandler = true;  // patient.invite, in the invitation's transaction
  r.add(create);
  Route list{"GET",
             "/api/v1/patients/{id}/invitations",
             Access::authenticated,
             "patient.invitation_list",
             invitationGuarded([&s](Request& req) {
               auto items = array();
               for (const auto& inv :
                    s.invitations->list(*req.actor, pathId(req, "id"), breakGlassOf(req)))
                 items->add(invitationJson(inv));
               auto o = object();
               o->set("items", items);
               return jsonResponse(200, o);
             }),
             "",
             "id"};
  list.auditedByHandler = true;  // patient.invitation_list, with the read
  r.add(list);
  Route revoke{"POST",
               "/api/v1/patients/{id}/invitations/{invitationId}/revoke",
               Access::authenticated,
               "patient.invitation_revoke",
               invitationGuarded([&s](Request& req) {
                 auto o = object();
                 o->set("revoked",
                        s.invitations->revoke(*req.actor, pathId(req, "id"),
                                              pathId(req, "invitationId"), breakGlassOf(req)));
                 return jsonResponse(200, o);
               }),
               "",
               "id"};
  revoke.auditedByHandler = true;  // patient.invitation_revoke, in the revocation's transaction
  r.add(revoke);
}

void addWelcomeRoutes(Router& r, const ApiServices& s) {
  auto limiter = std::make_shared<AttemptLimiter>(20, std::chrono::seconds(60));
  auto limited = [&s, limiter](Request& req) {
    if (!limiter->allow(clientKey(req.remoteAddress), s.clock->now()))
      throw ApiFailure(429, "rate_limited", "Too many attempts. Wait a minute.");
  };
  r.add({"POST", "/api/v1/invitations/check", Access::public_endpoint, "",
         invitationGuarded([&s, limited](Request& req) {
           limited(req);
           auto token = requireString(parseBody(req), "token", 64);
           auto check = s.invitations->check(token);
           auto o = object();
           o->set("state", std::string(onboarding::toString(check.state)));
           o->set("expiresAt", iso(check.expiresAt));
           o->set("needsBirthDate", check.needsBirthDate);
           return jsonResponse(200, o);
         })});
  r.add({"POST", "/api/v1/invitations/accept", Access::public_endpoint, "",
         invitationGuarded([&s, limited](Request& req) {
           limited(req);
           auto body = parseBody(req);
           auto token = requireString(body, "token", 64);
           auto birthDate = optionalString(body, "birthDate", 10);
           auto password = requireString(body, "password", 1024);
           auto userId = s.invitations->accept(token, birthDate, password);
           auto o = object();
           o->set("userId", userId);
           return jsonResponse(201, o);
         })});
}

}  // namespace

void addOnboardingRoutes(Router& r, const ApiServices& s) {
  addStaffInvitationRoutes(r, s);
  addWelcomeRoutes(r, s);
}

}  // namespace vigil::web::api
