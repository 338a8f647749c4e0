// Consent e-signature (issue 21, docs/patients.md): the clinic's consent documents (everyone
// signed in reads them, admins publish new versions) and a patient's signatures (the patient
// signs and withdraws their own; the patient, the care team and admins read them). The gate
// authorises the route's operation on the patient in the path and audits the request;
// patients::ConsentService authorises again and audits the signature it reads or writes in the
// same transaction. The signer's IP address comes from the connection, goes only to the
// encrypted column and back to the patient and admins, never to a log.

#include "common.hpp"
#include "vigil/core/error.hpp"
#include "vigil/patients/consent.hpp"

namespace vigil::web::api {
namespace {

using patients::ConsentDocument;
using patients::ConsentKind;

patients::ConsentKind kindOf(const std::string& name) {
  auto kind = patients::parseConsentKind(name);
  if (!kind) throw BadRequest("kind must be telehealth, rpm, privacy_notice or recording");
  return *kind;
}

JsonObject documentJson(const ConsentDocument& d, bool withBody) {
  auto o = object();
  o->set("id", d.id);
  o->set("kind", std::string(patients::toString(d.kind)));
  o->set("version", d.version);
  o->set("title", d.title);
  o->set("sha256", d.sha256);
  o->set("requiresResign", d.requiresResign);
  o->set("publishedAt", iso(d.publishedAt));
  if (withBody) o->set("body", d.body);
  return o;
}

/// The signature as its reader sees it: the signer's IP address only for the patient
/// themself and admins (a clinician needs to know that and when, not from where).
JsonObject signatureJson(const patients::Signature& s, const security::Actor& reader) {
  auto o = object();
  o->set("id", s.id);
  o->set("documentId", s.documentId);
  o->set("kind", std::string(patients::toString(s.kind)));
  o->set("version", s.version);
  o->set("documentSha256", s.documentSha256);
  o->set("signedAt", iso(s.signedAt));
  o->set("typedName", s.typedName);
  if (reader.role == security::Role::patient || reader.role == security::Role::admin)
    o->set("signerIp", s.signerIp);
  o->set("withdrawnAt", isoOrNull(s.withdrawnAt));
  return o;
}

/// api::guarded plus a refused signature or withdrawal: 409 with its code.
Handler consentGuarded(Handler h) {
  return guarded([h = std::move(h)](Request& req) -> Response {
    try {
      return h(req);
    } catch (const patients::ConsentConflict& e) {
      return Response::error(409, e.code(), e.what());
    }
  });
}

void addConsentDocumentRoutes(Router& r, const ApiServices& s) {
  r.add({"GET", "/api/v1/consent-documents", Access::authenticated, "consent_document.list",
         consentGuarded([&s](Request& req) {
           auto list = array();
           for (const auto& d : s.consents->documents(*req.actor))
             list->add(documentJson(d, false));
           auto o = object();
           o->set("documents", list);
           return jsonResponse(200, o);
         })});
  r.add({"GET", "/api/v1/consent-documents/{id}", Access::authenticated, "consent_document.get",
         consentGuarded([&s](Request& req) {
           return jsonResponse(
               200, documentJson(s.consents->document(*req.actor, pathId(req, "id")), true));
         })});
  r.add({"POST", "/api/v1/consent-documents", Access::authenticated, "consent_document.publish",
         consentGuarded([&s](Request& req) {
           auto body = parseBody(req);
           patients::NewConsentDocument d;
           d.kind = kindOf(requireString(body, "kind", 32));
           d.title = requireString(body, "title", 200);
           d.body = requireString(body, "body", patients::kMaxConsentBodyBytes);
           if (body->has("requiresResign")) {
             auto v = body->get("requiresResign");
             if (!v.isBoolean()) throw BadRequest("requiresResign must be true or false");
             d.requiresResign = v.convert<bool>();
           }
           return jsonResponse(201, documentJson(s.consents->publish(*req.actor, d), true));
         })});
}

void addPatientConsentRoutes(Router& r, const ApiServices& s) {
  r.add({"GET", "/api/v1/patients/{id}/consents", Access::authenticated, "consent.list",
         consentGuarded([&s](Request& req) {
           const auto id = pathId(req, "id");
           auto all = s.consents->consents(*req.actor, id,
                                           req.header("x-break-glass-reason").substr(0, 200));
           auto kinds = array();
           for (const auto& k : all.kinds) {
             auto o = object();
             o->set("kind", std::string(patients::toString(k.kind)));
             o->set("active", k.active);
             o->set("resignRequired", k.resignRequired);
             if (k.current) {
               o->set("current", documentJson(*k.current, false));
             } else {
               o->set("current", Poco::Dynamic::Var());
             }
             kinds->add(o);
           }
           auto signatures = array();
           for (const auto& sig : all.signatures) signatures->add(signatureJson(sig, *req.actor));
           auto o = object();
           o->set("patientId", id);
           o->set("kinds", kinds);
           o->set("signatures", signatures);
           return jsonResponse(200, o);
         }),
         "", "id"});
  r.add({"POST", "/api/v1/patients/{id}/consents", Access::authenticated, "consent.sign",
         consentGuarded([&s](Request& req) {
           auto body = parseBody(req);
           patients::SignRequest sign;
           sign.documentId = requireInt(body, "documentId");
           sign.documentSha256 = requireString(body, "documentSha256", 64);
           sign.typedName = requireString(body, "typedName", 200);
           if (!body->has("agreed") || !body->get("agreed").isBoolean())
             throw BadRequest("agreed must be true or false");
           sign.agreed = body->get("agreed").convert<bool>();
           sign.signerIp = req.remoteAddress;
           auto sig = s.consents->sign(*req.actor, pathId(req, "id"), sign);
           return jsonResponse(201, signatureJson(sig, *req.actor));
         }),
         "", "id"});
  r.add({"POST", "/api/v1/patients/{id}/consents/{kind}/withdraw", Access::authenticated,
         "consent.withdraw", consentGuarded([&s](Request& req) {
           auto kind = kindOf(req.params.count("kind") ? req.params.at("kind") : "");
           auto n = s.consents->withdraw(*req.actor, pathId(req, "id"), kind);
           auto o = object();
           o->set("kind", std::string(patients::toString(kind)));
           o->set("withdrawn", static_cast<std::int64_t>(n));
           return jsonResponse(200, o);
         }),
         "", "id"});
}

}  // namespace

void addConsentRoutes(Router& r, const ApiServices& s) {
  addConsentDocumentRoutes(r, s);
  addPatientConsentRoutes(r, s);
}

}  // namespace vigil::web::api
