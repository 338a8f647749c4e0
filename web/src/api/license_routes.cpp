// State licensing (issue 22, docs/scheduling.md#licensing): admins keep each provider's NPI and
// licenses, ask the registry to verify them (queued through the cloud link) and list the
// licenses expiring soon; providers and nurses read their own. licensing::LicenseService
// authorises and audits each call in its own transaction (Route::auditedByHandler), so each
// action is on record once; license.read is narrowed there to the caller's own licenses for
// anyone but an admin.

#include "common.hpp"
#include "vigil/core/error.hpp"
#include "vigil/licensing/licenses.hpp"

namespace vigil::web::api {
namespace {

using licensing::License;
using licensing::LicenseInput;

JsonObject licenseJson(const License& l) {
  auto o = object();
  o->set("id", l.id);
  o->set("providerUserId", l.providerUserId);
  o->set("state", l.state);
  o->set("type", l.type);
  o->set("number", l.number);
  if (l.issuedOn) {
    o->set("issuedOn", licensing::formatDate(*l.issuedOn));
  } else {
    o->set("issuedOn", Poco::Dynamic::Var());
  }
  o->set("expiresOn", licensing::formatDate(l.expiresOn));
  o->set("status", l.status);
  o->set("verification", l.verification);
  o->set("verifiedAt", isoOrNull(l.verifiedAt));
  if (l.verifiedBy.empty()) {
    o->set("verifiedBy", Poco::Dynamic::Var());
  } else {
    o->set("verifiedBy", l.verifiedBy);
  }
  if (!l.registryNumber.empty()) o->set("registryNumber", l.registryNumber);
  o->set("lookupRequestedAt", isoOrNull(l.lookupRequestedAt));
  o->set("updatedBy", l.updatedBy);
  o->set("updatedAt", iso(l.updatedAt));
  return o;
}

licensing::Date dateField(const JsonObject& body, const std::string& key) {
  auto d = licensing::parseDate(requireString(body, key, 10));
  if (!d) throw ValidationError(key + ": a date YYYY-MM-DD");
  return *d;
}

LicenseInput inputOf(const Request& req) {
  auto body = parseBody(req);
  LicenseInput in;
  in.state = requireString(body, "state", 2);
  in.type = requireString(body, "type", 8);
  in.number = requireString(body, "number", 32);
  if (!optionalString(body, "issuedOn", 10).empty()) in.issuedOn = dateField(body, "issuedOn");
  in.expiresOn = dateField(body, "expiresOn");
  auto status = optionalString(body, "status", 16);
  if (!status.empty()) in.status = status;
  in.verifiedByHand = body->has("verifiedByHand") && body->getValue<bool>("verifiedByHand");
  return in;
}

/// The provider's NPI and licenses.
Response licensesOf(const ApiServices& s, const Request& req, std::int64_t providerUserId) {
  auto held = s.licenses->licenses(*req.actor, providerUserId);
  auto items = array();
  for (const auto& l : held.licenses) items->add(licenseJson(l));
  auto o = object();
  o->set("providerUserId", providerUserId);
  if (held.npi) {
    o->set("npi", *held.npi);
  } else {
    o->set("npi", Poco::Dynamic::Var());
  }
  o->set("licenses", items);
  return jsonResponse(200, o);
}

Route handled(std::string method, std::string pattern, std::string permission, Handler h) {
  Route r{std::move(method), std::move(pattern), Access::authenticated, std::move(permission),
          guarded(std::move(h))};
  r.auditedByHandler = true;  // LicenseService audits in the call's own transaction
  return r;
}

}  // namespace

void addLicenseRoutes(Router& r, const ApiServices& s) {
  r.add(handled("GET", "/api/v1/providers/{id}/licenses", "license.read",
                [&s](Request& req) { return licensesOf(s, req, pathId(req, "id")); }));
  r.add(handled("GET", "/api/v1/me/licenses", "license.read",
                [&s](Request& req) { return licensesOf(s, req, req.actor->id); }));
  r.add(handled("POST", "/api/v1/providers/{id}/licenses", "license.manage", [&s](Request& req) {
    auto id = s.licenses->add(*req.actor, pathId(req, "id"), inputOf(req));
    auto o = object();
    o->set("id", id);
    return jsonResponse(201, o);
  }));
  r.add(handled("PUT", "/api/v1/providers/{id}/licenses/{licenseId}", "license.manage",
                [&s](Request& req) {
                  return jsonResponse(
                      200, licenseJson(s.licenses->edit(*req.actor, pathId(req, "id"),
                                                        pathId(req, "licenseId"), inputOf(req))));
                }));
  r.add(handled("DELETE", "/api/v1/providers/{id}/licenses/{licenseId}", "license.manage",
                [&s](Request& req) {
                  s.licenses->remove(*req.actor, pathId(req, "id"), pathId(req, "licenseId"));
                  return noContent();
                }));
  r.add(handled("PUT", "/api/v1/providers/{id}/npi", "license.manage", [&s](Request& req) {
    auto npi = requireString(parseBody(req), "npi", 10);
    s.licenses->setNpi(*req.actor, pathId(req, "id"), npi);
    auto o = object();
    o->set("npi", npi);
    return jsonResponse(200, o);
  }));
  r.add(handled("POST", "/api/v1/providers/{id}/licenses/verify", "license.verify",
                [&s](Request& req) {
                  std::optional<std::int64_t> licenseId;
                  if (!req.body.empty()) licenseId = optionalInt(parseBody(req), "licenseId");
                  auto o = object();
                  o->set("queued", s.licenses->verify(*req.actor, pathId(req, "id"), licenseId));
                  return jsonResponse(202, o);
                }));
  r.add(handled("GET", "/api/v1/licenses/expiring", "license.expiring", [&s](Request& req) {
    auto days = queryInt(req, "days", 60, 0, 366);
    auto items = array();
    for (const auto& e : s.licenses->expiringWithin(*req.actor, static_cast<int>(days))) {
      auto o = licenseJson(e.license);
      o->set("daysLeft", e.daysLeft);
      items->add(o);
    }
    auto o = object();
    o->set("days", days);
    o->set("items", items);
    return jsonResponse(200, o);
  }));
}

}  // namespace vigil::web::api
