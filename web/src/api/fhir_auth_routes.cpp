// SMART on FHIR backend services (issue 26,
// docs/fhir.md#registering-an-ehr-smart-backend-services):
//   POST /fhir/auth/token                      the token endpoint: public, the signed assertion is
//                                              the credential (form body, OAuth JSON answers),
//                                              rate-limited per address
//   GET  /fhir/.well-known/smart-configuration SMART discovery (public, no PHI)
//   GET  /api/v1/fhir-clients                  the registered EHR clients (admins)
//   POST /api/v1/fhir-clients                  registers one (admins, step-up); the client_id
//                                              is in the answer
//   POST /api/v1/fhir-clients/{id}/disable     no more tokens, and its tokens stop working
// The service (fhir::SmartClientService) checks, audits and stores; the FHIR routes call its
// authenticate() for every bearer token. Answers of the token endpoint carry Cache-Control:
// no-store and Pragma: no-cache (RFC 6749 section 5.1) and never echo the assertion.

#include <Poco/URI.h>

#include <memory>

#include "common.hpp"
#include "vigil/fhir/smart_clients.hpp"
#include "vigil/web/attempt_limiter.hpp"

namespace vigil::web::api {
namespace {

JsonObject clientJson(const fhir::FhirClient& c) {
  auto o = object();
  o->set("id", c.id);
  o->set("name", c.name);
  o->set("clientId", c.clientId);
  auto kids = array();
  for (const auto& k : c.keyIds) kids->add(k);
  o->set("keyIds", kids);
  o->set("jwksUrl", c.jwksUrl ? Poco::Dynamic::Var(*c.jwksUrl) : Poco::Dynamic::Var());
  o->set("scopes", c.scopes);
  o->set("createdBy", c.createdBy);
  o->set("createdAt", iso(c.createdAt));
  o->set("disabledAt", isoOrNull(c.disabledAt));
  return o;
}

Response oauth(int status, const JsonObject& body) {
  auto resp = jsonResponse(status, body);
  resp.headers.emplace_back("Cache-Control", "no-store");
  resp.headers.emplace_back("Pragma", "no-cache");
  return resp;
}

Response oauthError(int status, const std::string& error, const std::string& description) {
  auto o = object();
  o->set("error", error);
  o->set("error_description", description);
  return oauth(status, o);
}

/// An application/x-www-form-urlencoded body; nullopt when a parameter is malformed or given
/// twice (RFC 6749 section 3.2: "parameters MUST NOT be included more than once").
std::optional<fhir::TokenForm> parseForm(const std::string& body) {
  fhir::TokenForm out;
  std::size_t i = 0;
  while (i <= body.size()) {
    auto amp = body.find('&', i);
    if (amp == std::string::npos) amp = body.size();
    auto pair = std::string_view(body).substr(i, amp - i);
    if (!pair.empty()) {
      auto eq = pair.find('=');
      std::string rawKey(pair.substr(0, eq));
      std::string rawValue(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
      for (auto* s : {&rawKey, &rawValue})
        for (auto& ch : *s)
          if (ch == '+') ch = ' ';
      std::string key, value;
      try {
        Poco::URI::decode(rawKey, key);
        Poco::URI::decode(rawValue, value);
      } catch (const Poco::Exception&) {
        return std::nullopt;
      }
      if (key.empty() || !out.emplace(std::move(key), std::move(value)).second) return std::nullopt;
    }
    i = amp + 1;
  }
  return out;
}

}  // namespace

void addFhirAuthRoutes(Router& r, const ApiServices& s) {
  auto* smart = s.smartClients;
  // An EHR asks for a token every few minutes; 60 a minute per address is plenty and bounds
  // guessing and the audit entries each refusal writes.
  auto limiter = std::make_shared<AttemptLimiter>(60, std::chrono::seconds(60));
  r.add({"POST", "/fhir/auth/token", Access::public_endpoint, "",
         guarded([smart, limiter, &s](Request& req) {
           if (!limiter->allow(clientKey(req.remoteAddress), s.clock->now()))
             return oauthError(429, "slow_down", "too many token requests; wait a minute");
           auto type = req.header("content-type");
           if (type.substr(0, type.find(';')) != "application/x-www-form-urlencoded")
             return oauthError(400, "invalid_request",
                               "the body must be application/x-www-form-urlencoded");
           auto form = parseForm(req.body);
           if (!form)
             return oauthError(400, "invalid_request",
                               "malformed form body, or a parameter given twice");
           auto result = smart->issueToken(*form);
           if (!result.ok())
             return oauthError(result.httpStatus, result.error, result.errorDescription);
           auto o = object();
           o->set("access_token", result.accessToken);
           o->set("token_type", result.tokenType);
           o->set("expires_in", result.expiresIn);
           o->set("scope", result.scope);
           return oauth(200, o);
         })});
  r.add({"GET", "/fhir/.well-known/smart-configuration", Access::public_endpoint, "",
         guarded([smart](Request&) {
           auto o = object();
           o->set("token_endpoint", smart->tokenUrl());
           auto methods = array();
           methods->add("private_key_jwt");
           o->set("token_endpoint_auth_methods_supported", methods);
           auto algs = array();
           algs->add("RS384");
           algs->add("ES384");
           o->set("token_endpoint_auth_signing_alg_values_supported", algs);
           auto grants = array();
           grants->add("client_credentials");
           o->set("grant_types_supported", grants);
           auto scopes = array();
           for (const char* sc : {"system/*.rs", "system/*.read", "system/Patient.rs",
                                  "system/Observation.rs", "system/Observation.c"})
             scopes->add(sc);
           o->set("scopes_supported", scopes);
           auto caps = array();
           caps->add("client-confidential-asymmetric");
           o->set("capabilities", caps);
           auto resp = jsonResponse(200, o);
           resp.headers.emplace_back("Cache-Control", "max-age=3600");
           return resp;
         })});

  r.add({"GET", "/api/v1/fhir-clients", Access::authenticated, "fhir_client.list",
         guarded([smart](Request& req) {
           auto list = array();
           for (const auto& c : smart->list(*req.actor)) list->add(clientJson(c));
           auto o = object();
           o->set("clients", list);
           o->set("tokenUrl", smart->tokenUrl());
           return jsonResponse(200, o);
         })});
  r.add({"POST", "/api/v1/fhir-clients", Access::authenticated, "fhir_client.register",
         guarded([smart](Request& req) {
           auto body = parseBody(req);
           fhir::FhirClientRegistration reg;
           reg.name = requireString(body, "name", 200);
           reg.jwks = optionalString(body, "jwks", fhir::kMaxJwksBytes);
           reg.jwksUrl = optionalString(body, "jwksUrl", 2048);
           reg.scopes = requireString(body, "scopes", 4096);
           return jsonResponse(201, clientJson(smart->registerClient(*req.actor, reg)));
         })});
  r.add({"POST", "/api/v1/fhir-clients/{id}/disable", Access::authenticated, "fhir_client.disable",
         guarded([smart](Request& req) {
           return jsonResponse(200, clientJson(smart->disable(*req.actor, pathId(req, "id"))));
         })});
}

}  // namespace vigil::web::api
