// E-prescribing (issue 25, docs/prescribing.md): the drug list, the pre-checks and warnings of
// the entry screen, prescriptions (create, sign, cancel, discard, the patient's list), the
// prescriber's signing log, the state rules, DEA registrations and EPCS access. rx's services
// authorise and audit each call in their own transaction (Route::auditedByHandler): the gate
// checks the role, and the service the patient (care team, own record, emergency access) and
// the prescriber. The break-glass reason of the request (X-Break-Glass-Reason) goes to the
// service, which lets a clinician outside the care team in with it, flagged and audited.
//
// Refusals answer with what the portal shows: 422 `precheck` with the missing items and their
// fixes, 422 `rule` with the breaches and the rule quoted, 409 `warnings` with the warnings to
// acknowledge, 422 `signing_refused` for signing factors (never 401: the session is fine, the
// factors are not), 423 `locked` when they locked the account. URLs carry ids only.

#include "common.hpp"
#include "vigil/core/error.hpp"
#include "vigil/licensing/licenses.hpp"
#include "vigil/rx/prescribers.hpp"
#include "vigil/rx/prescriptions.hpp"
#include "vigil/security/accounts.hpp"

namespace vigil::web::api {
namespace {

using rx::Prescription;

std::string breakGlassOf(const Request& req) {
  return req.header("x-break-glass-reason").substr(0, 200);
}

JsonObject drugJson(const rx::Drug& d) {
  auto o = object();
  o->set("id", d.id);
  o->set("rxcui", d.rxcui);
  o->set("ingredientRxcui", d.ingredientRxcui);
  o->set("name", d.name);
  o->set("generic", d.generic);
  o->set("strength", d.strength);
  o->set("form", d.form);
  o->set("route", d.route);
  o->set("schedule", d.schedule);
  o->set("source", d.source);
  return o;
}

JsonObject prescriptionJson(const Prescription& p) {
  auto o = object();
  o->set("id", p.id);
  o->set("uuid", p.uuid);
  o->set("patientId", p.patientId);
  o->set("prescriberId", p.prescriberId);
  o->set("drug", drugJson(p.drug));
  o->set("sig", p.sig);
  o->set("quantity", p.quantity);
  o->set("quantityUnit", p.quantityUnit);
  o->set("daysSupply", p.daysSupply);
  o->set("refills", p.refills);
  o->set("substitution", p.substitution);
  o->set("note", p.note);
  o->set("patientState", p.patientState);
  o->set("pharmacyNcpdp", p.pharmacyNcpdp);
  if (p.inPersonOn) {
    o->set("inPersonOn", licensing::formatDate(*p.inPersonOn));
  } else {
    o->set("inPersonOn", Poco::Dynamic::Var());
  }
  o->set("ruleQuoted", p.ruleQuoted);
  o->set("warnings", p.warnings);
  o->set("status", p.status);
  o->set("statusReason", p.statusReason);
  o->set("signedAt", isoOrNull(p.signedAt));
  o->set("signedWith", p.signedWith);
  if (p.replacesId) {
    o->set("replacesId", *p.replacesId);
  } else {
    o->set("replacesId", Poco::Dynamic::Var());
  }
  o->set("createdAt", iso(p.createdAt));
  o->set("updatedAt", iso(p.updatedAt));
  return o;
}

JsonObject precheckJson(const rx::Precheck& p) {
  auto o = object();
  o->set("ready", p.ready);
  auto missing = array();
  for (const auto& m : p.missing) {
    auto x = object();
    x->set("item", m.item);
    x->set("message", m.message);
    x->set("fix", m.fix);
    missing->add(x);
  }
  o->set("missing", missing);
  o->set("patientState", p.patientState);
  o->set("pharmacyName", p.pharmacyName);
  o->set("pharmacyNcpdp", p.pharmacyNcpdp);
  auto allergies = array();
  for (const auto& a : p.allergies) {
    auto x = object();
    x->set("substance", a.substance);
    x->set("reaction", a.reaction);
    x->set("severity", a.severity);
    allergies->add(x);
  }
  o->set("allergies", allergies);
  auto meds = array();
  for (const auto& m : p.medications) {
    auto x = object();
    x->set("rxcui", m.rxcui);
    x->set("name", m.name);
    x->set("instructions", m.instructions);
    meds->add(x);
  }
  o->set("medications", meds);
  o->set("epcsAccess", p.epcsAccess);
  return o;
}

JsonArray warningsJson(const std::vector<rx::Warning>& ws) {
  auto a = array();
  for (const auto& w : ws) {
    auto x = object();
    x->set("kind", w.kind);
    x->set("message", w.message);
    a->add(x);
  }
  return a;
}

rx::Date dateOf(const std::string& text, const std::string& key) {
  auto d = licensing::parseDate(text);
  if (!d) throw ValidationError(key + ": a date YYYY-MM-DD");
  return *d;
}

rx::PrescriptionInput inputOf(const Request& req) {
  auto b = parseBody(req);
  rx::PrescriptionInput in;
  in.drugId = requireInt(b, "drugId");
  in.sig = optionalString(b, "sig", 1000);
  in.quantity = optionalString(b, "quantity", 11);
  in.quantityUnit = optionalString(b, "quantityUnit", 16);
  in.daysSupply = static_cast<int>(optionalInt(b, "daysSupply").value_or(0));
  in.refills = static_cast<int>(optionalInt(b, "refills").value_or(0));
  in.substitution = !b->has("substitution") || b->getValue<bool>("substitution");
  in.note = optionalString(b, "note", 210);
  in.telehealth = !b->has("telehealth") || b->getValue<bool>("telehealth");
  auto inPerson = optionalString(b, "inPersonOn", 10);
  if (!inPerson.empty()) in.inPersonOn = dateOf(inPerson, "inPersonOn");
  if (b->has("acknowledged"))
    if (auto arr = b->getArray("acknowledged"))
      for (std::size_t i = 0; i < arr->size() && i < 4; ++i)
        in.acknowledged.push_back(arr->getElement<std::string>(static_cast<unsigned>(i)));
  in.replaces = optionalInt(b, "replaces");
  return in;
}

Response failure(int status, const std::string& code, const std::string& message,
                 const std::string& key, const Poco::Dynamic::Var& detail) {
  auto o = object();
  o->set("error", code);
  o->set("message", message);
  o->set(key, detail);
  return jsonResponse(status, o);
}

/// The service's refusals as the portal shows them, then the common ones.
Handler rxGuarded(Handler h) {
  return guarded([h = std::move(h)](Request& req) -> Response {
    try {
      return h(req);
    } catch (const rx::PrecheckFailed& e) {
      rx::Precheck p;
      p.missing = e.missing();
      return failure(422, "precheck", e.what(), "missing", precheckJson(p)->get("missing"));
    } catch (const rx::RuleBroken& e) {
      auto breaches = array();
      for (const auto& b : e.breaches()) {
        auto x = object();
        x->set("field", b.field);
        x->set("message", b.message);
        breaches->add(x);
      }
      auto o = object();
      o->set("error", "rule");
      o->set("message", e.what());
      o->set("breaches", breaches);
      o->set("rule", e.quoted());
      return jsonResponse(422, o);
    } catch (const rx::WarningsToAcknowledge& e) {
      return failure(409, "warnings", e.what(), "warnings", warningsJson(e.warnings()));
    }
  });
}

Route handled(std::string method, std::string pattern, std::string permission, Handler h,
              std::string patientParam = {}) {
  Route r{std::move(method), std::move(pattern), Access::authenticated, std::move(permission),
          rxGuarded(std::move(h))};
  r.patientParam = std::move(patientParam);
  r.auditedByHandler = true;  // rx's services audit in the call's own transaction
  return r;
}

Response listOf(const ApiServices& s, const Request& req, std::int64_t patientId) {
  auto items = array();
  for (const auto& p : s.prescriptions->list(*req.actor, patientId, breakGlassOf(req)))
    items->add(prescriptionJson(p));
  auto o = object();
  o->set("items", items);
  return jsonResponse(200, o);
}

void addPrescriptionRoutes(Router& r, const ApiServices& s) {
  r.add(handled("GET", "/api/v1/drugs", "drug.search", [&s](Request& req) {
    auto q = req.query.count("q") ? req.query.at("q") : std::string();
    auto items = array();
    for (const auto& d : s.drugs->search(q, static_cast<int>(queryInt(req, "limit", 20, 1, 50))))
      items->add(drugJson(d));
    auto o = object();
    o->set("items", items);
    return jsonResponse(200, o);
  }));
  // The patient's own (the gate refuses a caller without a patient record: staff have none).
  r.add(handled(
      "GET", "/api/v1/me/prescriptions", "prescription.list",
      [&s](Request& req) {
        if (!req.actor->patientId) throw NotFound("patient");
        return listOf(s, req, *req.actor->patientId);
      },
      kPatientSelf));
  r.add(handled("GET", "/api/v1/patients/{id}/prescriptions", "prescription.list",
                [&s](Request& req) { return listOf(s, req, pathId(req, "id")); }));
  r.add(handled("GET", "/api/v1/patients/{id}/prescriptions/precheck", "prescription.precheck",
                [&s](Request& req) {
                  std::optional<std::int64_t> drugId;
                  if (req.query.count("drugId")) drugId = queryInt(req, "drugId", 0, 1, INT64_MAX);
                  return jsonResponse(
                      200, precheckJson(s.prescriptions->precheck(*req.actor, pathId(req, "id"),
                                                                  drugId, breakGlassOf(req))));
                }));
  r.add(handled("POST", "/api/v1/patients/{id}/prescriptions/warnings", "prescription.precheck",
                [&s](Request& req) {
                  auto o = object();
                  o->set("warnings",
                         warningsJson(s.prescriptions->warnings(*req.actor, pathId(req, "id"),
                                                                inputOf(req), breakGlassOf(req))));
                  return jsonResponse(200, o);
                }));
  r.add(handled("POST", "/api/v1/patients/{id}/prescriptions", "prescription.write",
                [&s](Request& req) {
                  return jsonResponse(
                      201, prescriptionJson(s.prescriptions->create(
                               *req.actor, pathId(req, "id"), inputOf(req), breakGlassOf(req))));
                }));
  r.add(handled("GET", "/api/v1/prescriptions/{rxId}", "prescription.list", [&s](Request& req) {
    return jsonResponse(200, prescriptionJson(s.prescriptions->get(*req.actor, pathId(req, "rxId"),
                                                                   breakGlassOf(req))));
  }));
  r.add(handled("DELETE", "/api/v1/prescriptions/{rxId}", "prescription.write", [&s](Request& req) {
    s.prescriptions->discard(*req.actor, pathId(req, "rxId"), breakGlassOf(req));
    return noContent();
  }));
  r.add(
      handled("POST", "/api/v1/prescriptions/{rxId}/sign", "prescription.sign", [&s](Request& req) {
        std::optional<rx::SigningFactors> factors;
        if (!req.body.empty()) {
          auto b = parseBody(req);
          if (b->has("password") || b->has("totp"))
            factors = rx::SigningFactors{optionalString(b, "password", 1024),
                                         optionalString(b, "totp", 16)};
        }
        try {
          return jsonResponse(
              200, prescriptionJson(s.prescriptions->sign(*req.actor, pathId(req, "rxId"), factors,
                                                          breakGlassOf(req))));
        } catch (const security::AccountLocked&) {
          throw ApiFailure(423, "locked", "the account is locked after failed attempts");
        } catch (const AuthError& e) {
          throw ApiFailure(422, "signing_refused", e.what());
        }
      }));
  r.add(handled(
      "POST", "/api/v1/prescriptions/{rxId}/cancel", "prescription.cancel", [&s](Request& req) {
        auto reason = optionalString(parseBody(req), "reason", 200);
        return jsonResponse(200, prescriptionJson(s.prescriptions->cancel(
                                     *req.actor, pathId(req, "rxId"), reason, breakGlassOf(req))));
      }));
  r.add(handled("GET", "/api/v1/me/signing-log", "prescription.signing_log", [&s](Request& req) {
    auto items = array();
    for (const auto& e : s.prescriptions->signingLog(*req.actor)) {
      auto o = object();
      o->set("prescriptionId", e.prescriptionId);
      o->set("patientId", e.patientId);
      o->set("drugName", e.drugName);
      o->set("schedule", e.schedule);
      o->set("kind", e.kind);
      o->set("detail", e.detail);
      o->set("at", iso(e.at));
      items->add(o);
    }
    auto o = object();
    o->set("items", items);
    return jsonResponse(200, o);
  }));
}

JsonObject ruleJson(const rx::StateRule& r) {
  auto o = object();
  o->set("state", r.state);
  o->set("schedule", r.schedule);
  o->set("maxDaysSupply",
         r.maxDaysSupply ? Poco::Dynamic::Var(*r.maxDaysSupply) : Poco::Dynamic::Var());
  o->set("maxRefills", r.maxRefills ? Poco::Dynamic::Var(*r.maxRefills) : Poco::Dynamic::Var());
  o->set("epcsRequired", r.epcsRequired);
  o->set("inPersonRequired", r.inPersonRequired);
  o->set("ruleText", r.ruleText);
  o->set("source", r.source);
  o->set("updatedAt", iso(r.updatedAt));
  return o;
}

void addPrescriberRoutes(Router& r, const ApiServices& s) {
  r.add(handled("GET", "/api/v1/rx-rules", "rx_rule.list", [&s](Request& req) {
    auto items = array();
    for (const auto& rule : s.rxRules->list(*req.actor)) items->add(ruleJson(rule));
    auto o = object();
    o->set("items", items);
    return jsonResponse(200, o);
  }));
  r.add(handled("PUT", "/api/v1/rx-rules/{state}/{schedule}", "rx_rule.set", [&s](Request& req) {
    auto b = parseBody(req);
    rx::StateRule rule;
    rule.state = req.params.at("state").substr(0, 2);
    rule.schedule = static_cast<int>(pathId(req, "schedule"));
    if (auto v = optionalInt(b, "maxDaysSupply")) rule.maxDaysSupply = static_cast<int>(*v);
    if (auto v = optionalInt(b, "maxRefills")) rule.maxRefills = static_cast<int>(*v);
    rule.epcsRequired = b->has("epcsRequired") && b->getValue<bool>("epcsRequired");
    rule.inPersonRequired = b->has("inPersonRequired") && b->getValue<bool>("inPersonRequired");
    rule.ruleText = requireString(b, "ruleText", 1000);
    rule.source = requireString(b, "source", 500);
    s.rxRules->set(*req.actor, rule);
    return noContent();
  }));
  r.add(handled("GET", "/api/v1/providers/{id}/dea", "dea.read", [&s](Request& req) {
    auto items = array();
    for (const auto& d : s.prescribers->deaRegistrations(*req.actor, pathId(req, "id"))) {
      auto o = object();
      o->set("id", d.id);
      o->set("state", d.state);
      o->set("number", d.number);
      o->set("expiresOn", licensing::formatDate(d.expiresOn));
      items->add(o);
    }
    auto o = object();
    o->set("items", items);
    return jsonResponse(200, o);
  }));
  r.add(handled("PUT", "/api/v1/providers/{id}/dea/{state}", "dea.manage", [&s](Request& req) {
    auto b = parseBody(req);
    auto id = s.prescribers->setDea(*req.actor, pathId(req, "id"), req.params.at("state"),
                                    requireString(b, "number", 9),
                                    dateOf(requireString(b, "expiresOn", 10), "expiresOn"));
    auto o = object();
    o->set("id", id);
    return jsonResponse(200, o);
  }));
  r.add(handled("DELETE", "/api/v1/providers/{id}/dea/{state}", "dea.manage", [&s](Request& req) {
    s.prescribers->removeDea(*req.actor, pathId(req, "id"), req.params.at("state"));
    return noContent();
  }));
  auto epcsJson = [](const rx::EpcsAccess& a) {
    auto o = object();
    o->set("granted", a.granted);
    auto items = array();
    for (const auto& e : a.approvals) {
      auto x = object();
      x->set("approverId", e.approverId);
      x->set("approverRole", e.approverRole);
      x->set("approvedAt", iso(e.approvedAt));
      items->add(x);
    }
    o->set("approvals", items);
    return o;
  };
  r.add(handled("GET", "/api/v1/providers/{id}/epcs", "dea.read", [&s, epcsJson](Request& req) {
    return jsonResponse(200, epcsJson(s.prescribers->epcsAccess(*req.actor, pathId(req, "id"))));
  }));
  r.add(handled("POST", "/api/v1/providers/{id}/epcs/approve", "epcs.approve",
                [&s, epcsJson](Request& req) {
                  return jsonResponse(
                      200, epcsJson(s.prescribers->approveEpcs(*req.actor, pathId(req, "id"))));
                }));
  r.add(handled("DELETE", "/api/v1/providers/{id}/epcs", "epcs.revoke", [&s](Request& req) {
    s.prescribers->revokeEpcs(*req.actor, pathId(req, "id"));
    return noContent();
  }));
}

}  // namespace

void addRxRoutes(Router& r, const ApiServices& s) {
  addPrescriptionRoutes(r, s);
  addPrescriberRoutes(r, s);
}

}  // namespace vigil::web::api
