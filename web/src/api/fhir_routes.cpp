// The FHIR R4 API (issue 26, docs/fhir.md) under /fhir:
//   GET  /fhir/metadata                          the CapabilityStatement (public)
//   GET  /fhir/{type}?…                          search (a searchset Bundle)
//   GET  /fhir/{type}/{id}                       read
//   GET  /fhir/{type}/{id}/_history[/{vid}]      Observation history and vread
//   GET  /fhir/Patient/{id}/$everything          the patient's compartment
//   POST /fhir/Observation                       create, through ingest
// Who calls: a backend client with `Authorization: Bearer <token>` (SMART backend services,
// the token from /fhir/auth/token) or a patient with the portal's session cookie. These routes
// are public to the router: the handler authenticates (like the calendar feed's secret URL)
// and fhir::FhirServer authorises and audits every access. Answers are application/fhir+json;
// errors are OperationOutcomes without PHI.

#include <Poco/JSON/Stringifier.h>

#include <sstream>
#include <variant>

#include "common.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/fhir/server.hpp"
#include "vigil/security/accounts.hpp"

namespace vigil::web::api {
namespace {

constexpr const char* kFhirJson = "application/fhir+json; charset=utf-8";

Response fhirJson(int status, const Poco::JSON::Object::Ptr& body) {
  std::ostringstream s;
  Poco::JSON::Stringifier::stringify(body, s);
  Response r;
  r.status = status;
  r.contentType = kFhirJson;
  r.body = s.str();
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

Response outcome(int status, std::string_view code, const std::string& message) {
  return fhirJson(status, fhir::operationOutcome(code, message));
}

void countRefusal(const char* reason) {
  Metrics::global()
      .counter("vigil_fhir_unauthenticated_total", "FHIR requests without a valid credential",
               {{"reason", reason}})
      .inc();
}

/// The caller from a bearer token or the portal's session; a response when neither works.
std::variant<fhir::FhirCaller, Response> callerOf(const ApiServices& s, const Request& req) {
  auto authorization = req.header("authorization");
  if (authorization.size() > 7 &&
      (authorization.starts_with("Bearer ") || authorization.starts_with("bearer "))) {
    std::optional<fhir::ClientGrant> grant;
    if (s.fhirBearer) grant = s.fhirBearer(std::string_view(authorization).substr(7));
    if (!grant) {
      countRefusal("invalid_token");
      auto r = outcome(401, "login", "the access token is unknown or expired; get a new one");
      r.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      return r;
    }
    return fhir::FhirCaller{std::move(grant), std::nullopt};
  }
  auto token = req.cookie(sessionCookieName(s.secureCookies));
  if (token.empty()) {
    countRefusal("none");
    auto r = outcome(401, "login",
                     "a bearer token (SMART backend services) or a portal session is required");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  try {
    auto info = s.accounts->authenticate(token, security::AccountService::Touch::none);
    if (info.stage != security::SessionStage::full)
      return outcome(403, "forbidden", "set up two-step verification first");
    return fhir::FhirCaller{std::nullopt, info.actor};
  } catch (const AuthError&) {
    countRefusal("session");
    return outcome(401, "login", "sign in again");
  }
}

/// The FHIR base URL links carry: web.public_url (or the request's origin) + "/fhir".
std::string baseOf(const ApiServices& s, const Request& req) {
  if (!s.publicUrl.empty()) return s.publicUrl + "/fhir";
  auto host = req.header("host");
  return std::string(s.secureCookies ? "https://" : "http://") +
         (host.empty() ? std::string("localhost") : host) + "/fhir";
}

/// Runs one FHIR interaction with the caller; FhirError and the domain's errors become
/// OperationOutcomes.
Response run(const ApiServices& s, Request& req,
             const std::function<fhir::FhirResponse(const fhir::FhirCaller&, const std::string&)>&
                 interaction) {
  auto caller = callerOf(s, req);
  if (auto* refused = std::get_if<Response>(&caller)) return *refused;
  try {
    auto out = interaction(std::get<fhir::FhirCaller>(caller), baseOf(s, req));
    auto r = fhirJson(out.status, out.body);
    if (!out.location.empty()) r.headers.emplace_back("Location", out.location);
    if (!out.etag.empty()) r.headers.emplace_back("ETag", out.etag);
    return r;
  } catch (const fhir::FhirError& e) {
    return outcome(e.status, e.code, e.what());
  } catch (const StoreError&) {
    auto r = outcome(503, "transient", "the box cannot answer right now; try again shortly");
    r.headers.emplace_back("Retry-After", "30");
    return r;
  } catch (const std::exception&) {
    log::error("fhir.failed", {{"route", "fhir"}});
    return outcome(500, "exception", "the request failed");
  }
}

}  // namespace

void addFhirRoutes(Router& r, const ApiServices& s) {
  auto* server = s.fhir;
  r.add({"GET", "/fhir/metadata", Access::public_endpoint, "", [&s, server](Request& req) {
           return fhirJson(200, server->capability(baseOf(s, req)).body);
         }});
  r.add({"GET", "/fhir/Patient/{id}/$everything", Access::public_endpoint, "",
         [&s, server](Request& req) {
           return run(s, req, [&](const fhir::FhirCaller& c, const std::string& base) {
             return server->everything(c, req.params.at("id"), base);
           });
         }});
  r.add({"GET", "/fhir/{type}/{id}/_history", Access::public_endpoint, "",
         [&s, server](Request& req) {
           return run(s, req, [&](const fhir::FhirCaller& c, const std::string& base) {
             return server->history(c, req.params.at("type"), req.params.at("id"), std::nullopt,
                                    base);
           });
         }});
  r.add({"GET", "/fhir/{type}/{id}/_history/{vid}", Access::public_endpoint, "",
         [&s, server](Request& req) {
           return run(s, req, [&](const fhir::FhirCaller& c, const std::string& base) {
             return server->history(c, req.params.at("type"), req.params.at("id"),
                                    std::string_view(req.params.at("vid")), base);
           });
         }});
  r.add({"GET", "/fhir/{type}/{id}", Access::public_endpoint, "", [&s, server](Request& req) {
           return run(s, req, [&](const fhir::FhirCaller& c, const std::string& base) {
             return server->read(c, req.params.at("type"), req.params.at("id"), base);
           });
         }});
  r.add({"GET", "/fhir/{type}", Access::public_endpoint, "", [&s, server](Request& req) {
           return run(s, req, [&](const fhir::FhirCaller& c, const std::string& base) {
             return server->search(c, req.params.at("type"), fhir::parseSearchParams(req.rawQuery),
                                   base);
           });
         }});
  r.add({"POST", "/fhir/{type}", Access::public_endpoint, "", [&s, server](Request& req) {
           return run(s, req, [&](const fhir::FhirCaller& c, const std::string& base) {
             if (req.params.at("type") != "Observation")
               throw fhir::FhirError(405, "not-supported", "only Observation may be created");
             return server->createObservation(c, req.body, base);
           });
         }});
}

}  // namespace vigil::web::api
