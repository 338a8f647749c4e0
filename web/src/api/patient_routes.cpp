// Patients: the list with latest vitals and open-alert flags, one record, readings for charts
// (down-sampled), current devices, per-patient alert thresholds, the patient's own view and
// registration.

#include <algorithm>
#include <iterator>
#include <map>

#include "common.hpp"
#include "json_models.hpp"
#include "vigil/alerts/alert_lifecycle.hpp"
#include "vigil/alerts/rule_set.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/patients/patient_registration.hpp"
#include "vigil/readings/reading_query.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/store/database.hpp"

namespace vigil::web::api {
namespace {

struct AlertFlag {
  int count = 0;
  alerts::Severity worst = alerts::Severity::info;
};

std::map<std::int64_t, AlertFlag> openAlertFlags(const ApiServices& s) {
  std::map<std::int64_t, AlertFlag> out;
  if (!s.alerts) return out;
  for (const auto& a : s.alerts->openAlerts()) {
    auto& f = out[a.patientId];
    if (f.count == 0 || a.severity > f.worst) f.worst = a.severity;
    ++f.count;
  }
  return out;
}

/// True when the actor may see a patient's clinical summary (latest readings, open-alert flags)
/// beside the demographics: whoever reads readings. The front desk reads who a patient is,
/// never how they are (issue 21), so the list and the record leave both out for it.
bool seesClinicalSummary(const security::Actor& actor) {
  return security::roleHas(actor.role, security::Permission::readingRead);
}

JsonObject patientWithSummary(const ApiServices& s, const registry::Patient& p,
                              const std::map<std::string, readings::ReadingPoint>& latest,
                              const std::map<std::int64_t, AlertFlag>& flags) {
  auto o = patientJson(p);
  auto l = object();
  for (const auto& [code, point] : latest) l->set(code, latestJson(code, point));
  o->set("latest", l);
  if (s.alerts) {
    auto fa = object();
    auto it = flags.find(p.id);
    fa->set("count", it == flags.end() ? 0 : it->second.count);
    if (it == flags.end()) {
      fa->set("worstSeverity", Poco::Dynamic::Var());
    } else {
      fa->set("worstSeverity", std::string(alerts::toString(it->second.worst)));
    }
    o->set("openAlerts", fa);
  }
  return o;
}

registry::Patient loadPatient(const ApiServices& s, std::int64_t id) {
  auto p = s.patients->get(id);
  if (!p) throw ApiFailure(404, "not_found", "no such patient");
  return *p;
}

JsonObject rulesJson(const ApiServices& s, std::int64_t patientId) {
  auto snap = s.rules->snapshot();
  auto list = array();
  for (const auto& rule : snap->effectiveRules(patientId)) list->add(ruleJson(rule));
  auto o = object();
  o->set("revision", snap->revision());
  o->set("rules", list);
  return o;
}

}  // namespace

/// Applies the limits/enabled of each rule in `body.rules` on top of the rule in force for
/// `patientId` (nullopt: the clinic defaults) and stores it as an override (or default).
JsonObject applyRuleEdits(const ApiServices& s, std::optional<std::int64_t> patientId,
                          const Request& req) {
  auto body = parseBody(req);
  auto reason = requireString(body, "reason", 500);
  if (reason.find_first_not_of(" \t\n") == std::string::npos)
    throw BadRequest("reason is required");
  if (!body->has("rules") || body->get("rules").type() != typeid(Poco::JSON::Array::Ptr))
    throw BadRequest("rules must be an array");
  auto list = body->getArray("rules");
  if (list->size() == 0 || list->size() > 100) throw BadRequest("rules must hold 1..100 rules");
  auto snap = s.rules->snapshot();
  std::vector<alerts::AlertRule> edited;
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto item = list->getObject(static_cast<unsigned>(i));
    if (!item) throw BadRequest("rules[] must be objects");
    auto key = requireString(item, "key", 64);
    const alerts::AlertRule* current = snap->find(patientId.value_or(0), key);
    if (!current) throw ApiFailure(404, "not_found", "no rule with this key");
    alerts::AlertRule rule = *current;
    rule.patientId = patientId;
    if (item->has("enabled")) rule.enabled = item->getValue<bool>("enabled");
    if (item->has("tiers")) {
      auto tiers = item->getArray("tiers");
      if (!tiers || tiers->size() != rule.tiers.size())
        throw BadRequest("tiers must keep the rule's number of tiers");
      for (std::size_t t = 0; t < tiers->size(); ++t) {
        auto tier = tiers->getObject(static_cast<unsigned>(t));
        if (!tier || !tier->has("limit")) throw BadRequest("tiers[].limit is required");
        rule.tiers[t].limit = tier->getValue<double>("limit");
      }
    }
    rule.validate();  // ValidationError -> 422 naming the field
    edited.push_back(std::move(rule));
  }
  for (auto& rule : edited) {
    if (patientId) {
      s.rules->setOverride(*patientId, std::move(rule), req.actor->id, reason);
    } else {
      s.rules->setDefault(std::move(rule), req.actor->id, reason);
    }
  }
  return patientId ? rulesJson(s, *patientId) : JsonObject();
}

namespace {

/// Who is on a patient's care team, by name (issue 21): whom a visit can be booked with (the
/// front desk schedules with a clinician on the team). Staff names and roles only; the gate
/// authorises and audits it as patient.get.
void addCareTeamRoute(Router& r, const ApiServices& s) {
  r.add({"GET", "/api/v1/patients/{id}/care-team", Access::authenticated, "patient.get",
         guarded([&s](Request& req) {
           auto id = pathId(req, "id");
           loadPatient(s, id);
           auto members = s.db->read(
               [&](store::Connection& c) { return security::SqliteCareTeam::membersIn(c, id); });
           auto items = array();
           for (const auto& m : members) {
             auto u = s.accounts->findUser(m.staffUserId);
             if (!u || u->disabled) continue;
             auto o = object();
             o->set("userId", u->id);
             o->set("displayName", u->displayName);
             o->set("role", std::string(security::toString(u->role)));
             items->add(o);
           }
           auto o = object();
           o->set("items", items);
           return jsonResponse(200, o);
         }),
         "", "id"});
}

/// The patient list, a record, its readings and devices; registering a patient.
void addPatientRecordRoutes(Router& r, const ApiServices& s) {
  r.add({"GET", "/api/v1/patients", Access::authenticated, "patient.search",
         guarded([&s](Request& req) {
           auto page = queryInt(req, "page", 1, 1, 100000);
           auto size = queryInt(req, "pageSize", 50, 1, 200);
           auto visible = visiblePatients(s, *req.actor);
           std::vector<std::int64_t> ids = visible ? *visible : s.patients->listIds();
           std::sort(ids.begin(), ids.end());
           // ?q= filters through blind indexes (docs/patients.md#search); the text is never
           // logged or audited, and a refused query's 422 names no value.
           if (const auto q = req.query["q"]; !q.empty()) {
             auto found = s.patients->search(q, ids);  // decrypts only visible candidates
             std::vector<std::int64_t> both;
             std::set_intersection(ids.begin(), ids.end(), found.begin(), found.end(),
                                   std::back_inserter(both));
             ids = std::move(both);
           }
           auto total = static_cast<std::int64_t>(ids.size());
           auto first = std::min<std::int64_t>(total, (page - 1) * size);
           auto last = std::min<std::int64_t>(total, first + size);
           std::vector<std::int64_t> slice(ids.begin() + first, ids.begin() + last);
           const bool clinical = seesClinicalSummary(*req.actor);
           auto latest =
               clinical ? s.readings->latestFor(slice) : decltype(s.readings->latestFor(slice)){};
           auto flags = clinical ? openAlertFlags(s) : std::map<std::int64_t, AlertFlag>{};
           auto items = array();
           for (auto id : slice) {
             auto p = s.patients->get(id);
             if (!p) continue;
             items->add(clinical ? patientWithSummary(s, *p, latest[id], flags) : patientJson(*p));
           }
           return jsonResponse(200, pageJson(items, total, page, size));
         })});
  r.add({"GET", "/api/v1/patients/{id}", Access::authenticated, "patient.get",
         guarded([&s](Request& req) {
           auto p = loadPatient(s, pathId(req, "id"));
           if (!seesClinicalSummary(*req.actor)) return jsonResponse(200, patientJson(p));
           return jsonResponse(
               200, patientWithSummary(s, p, s.readings->latest(p.id), openAlertFlags(s)));
         }),
         "", "id"});
  r.add({"GET", "/api/v1/me", Access::authenticated, "patient.get", guarded([&s](Request& req) {
           auto p = loadPatient(s, *req.actor->patientId);
           auto o = object();
           o->set("patientId", p.id);
           o->set("patient", patientWithSummary(s, p, s.readings->latest(p.id), {}));
           return jsonResponse(200, o);
         }),
         "", kPatientSelf});
  r.add({"GET", "/api/v1/patients/{id}/readings", Access::authenticated, "reading.list",
         guarded([&s](Request& req) {
           auto id = pathId(req, "id");
           auto code = req.query["code"];
           if (code.empty() || code.size() > 32 ||
               code.find_first_not_of("0123456789-") != std::string::npos)
             throw BadRequest("code must be a LOINC code");
           auto now = s.clock->now();
           auto to =
               req.query["to"].empty() ? std::optional<TimePoint>(now) : parseTime(req.query["to"]);
           if (!to) throw BadRequest("to must be a time");
           auto from = req.query["from"].empty()
                           ? std::optional<TimePoint>(*to - std::chrono::hours(24 * 7))
                           : parseTime(req.query["from"]);
           if (!from) throw BadRequest("from must be a time");
           if (*from > *to) throw BadRequest("from must not be after to");
           if (*to - *from > std::chrono::hours(24 * 400))
             throw BadRequest("the range must not exceed 400 days");
           auto maxPoints = queryInt(req, "maxPoints", 1000, 10, 5000);
           auto series =
               s.readings->range(id, code, *from, *to, static_cast<std::size_t>(maxPoints));
           return jsonResponse(200, seriesJson(series, *from, *to));
         }),
         "", "id"});
  r.add({"GET", "/api/v1/patients/{id}/devices", Access::authenticated, "patient.get",
         guarded([&s](Request& req) {
           auto items = array();
           for (const auto& d : s.readings->currentDevices(pathId(req, "id"))) {
             auto o = deviceJson(d.device);
             o->set("assignedSince", iso(d.assignedSince));
             items->add(o);
           }
           auto o = object();
           o->set("items", items);
           return jsonResponse(200, o);
         }),
         "", "id"});
}

/// Registering a patient with duplicate detection (docs/patients.md#registration-and-duplicates):
/// 201 created; 409 possible_duplicate with the candidates the caller may read; 200 with
/// "merged": true when the body names the existing patient (mergeInto); 409 mrn_taken.
void addRegistrationRoute(Router& r, const ApiServices& s) {
  r.add({"POST", "/api/v1/patients", Access::authenticated, "patient.register",
         guarded([&s](Request& req) {
           auto body = parseBody(req);
           patients::Registration reg;
           auto& p = reg.patient;
           p.mrn = requireString(body, "mrn", 64);
           p.givenName = requireString(body, "givenName", 200);
           p.familyName = requireString(body, "familyName", 200);
           p.birthDate = optionalString(body, "birthDate", 10);
           auto zone = optionalString(body, "timeZone", 64);
           if (!zone.empty()) p.timeZone = zone;
           p.state = optionalString(body, "state", 2);
           if (body->has("confirmNotDuplicate") && !body->isNull("confirmNotDuplicate")) {
             auto v = body->get("confirmNotDuplicate");
             if (!v.isBoolean()) throw BadRequest("confirmNotDuplicate must be true or false");
             reg.confirmedNotDuplicate = v.extract<bool>();
           }
           reg.mergeInto = optionalInt(body, "mergeInto");
           if (reg.confirmedNotDuplicate && reg.mergeInto)
             throw BadRequest("give confirmNotDuplicate or mergeInto, not both");
           patients::RegistrationResult result;
           try {
             result = patients::PatientRegistrationService(*s.db, *s.audit, *s.patients)
                          .registerPatient(*req.actor, reg, visiblePatients(s, *req.actor));
           } catch (const registry::MrnTaken&) {
             throw ApiFailure(409, "mrn_taken", "the MRN is already another patient's");
           } catch (const patients::NotADuplicateCandidate&) {
             throw ApiFailure(400, "not_a_candidate",
                              "mergeInto must be one of the possible duplicates");
           }
           using Outcome = patients::RegistrationResult::Outcome;
           if (result.outcome == Outcome::possibleDuplicate) {
             auto o = object();
             o->set("error", std::string("possible_duplicate"));
             o->set("message", std::string("a patient with this name and birth date exists: "
                                           "merge or confirm a different person"));
             auto list = array();
             for (const auto& c : result.candidates) list->add(patientJson(c));
             o->set("candidates", list);
             o->set("otherCandidates", static_cast<std::int64_t>(result.otherCandidates));
             return jsonResponse(409, o);
           }
           if (result.outcome == Outcome::merged) {
             auto o = patientJson(loadPatient(s, result.patientId));
             o->set("merged", true);
             return jsonResponse(200, o);
           }
           p.id = result.patientId;
           return jsonResponse(201, patientJson(p));
         })});
}

/// Care decisions about a patient: emergency access, alert limits.
void addPatientCareRoutes(Router& r, const ApiServices& s) {
  // Emergency access (break-glass) from the portal: the handler authorises with the body's
  // reason, and the audit entry it writes (break_glass = 1, the reason encrypted) is the grant
  // the gate honours for kEmergencyAccessWindow.
  r.add({"POST", "/api/v1/patients/{id}/emergency-access", Access::authenticated,
         "patient.emergency_access", guarded([&s](Request& req) {
           auto id = pathId(req, "id");
           auto reason = optionalString(parseBody(req), "reason", 500);
           if (reason.find_first_not_of(" \t\n") == std::string::npos)
             throw ApiFailure(422, "validation", "a reason is required for emergency access");
           const auto& op = security::operation("patient.emergency_access");
           auto decision = s.db->read([&](store::Connection& c) {
             return security::AccessGuard::decideIn(c, *req.actor, op, id, reason);
           });
           try {
             security::AccessGuard(*s.db, *s.audit)
                 .enforce(security::AccessGuard::pending(
                     *req.actor, op, id, {"patient", std::to_string(id)}, decision, reason));
           } catch (const AccessDenied&) {
             throw ApiFailure(403, "forbidden", "you do not have access to this record");
           }
           if (!decision.breakGlass)
             throw ApiFailure(409, "not_needed", "you already have access to this record");
           loadPatient(s, id);
           auto o = object();
           o->set("until", iso(s.clock->now() + security::kEmergencyAccessWindow));
           return jsonResponse(200, o);
         })});
  if (s.rules) {
    r.add(
        {"GET", "/api/v1/patients/{id}/thresholds", Access::authenticated, "threshold.get",
         guarded([&s](Request& req) { return jsonResponse(200, rulesJson(s, pathId(req, "id"))); }),
         "", "id"});
    r.add({"PUT", "/api/v1/patients/{id}/thresholds", Access::authenticated, "threshold.set",
           guarded([&s](Request& req) {
             auto id = pathId(req, "id");
             loadPatient(s, id);
             return jsonResponse(200, applyRuleEdits(s, id, req));
           }),
           "", "id"});
  }
}

}  // namespace

void addPatientRoutes(Router& r, const ApiServices& s) {
  addPatientRecordRoutes(r, s);
  addRegistrationRoute(r, s);
  addCareTeamRoute(r, s);
  addPatientCareRoutes(r, s);
}

}  // namespace vigil::web::api
