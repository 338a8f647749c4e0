// Escalation set-up (issue 17): the clinic's chain and on-call coverage (admins), a patient's
// own chain (a provider on the care team). The gate authorises and audits each call; the
// alerts library's EscalationService checks the shape and stores it. Staff names only, no PHI.

#include <map>

#include "common.hpp"
#include "vigil/alerts/escalation_service.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/accounts.hpp"

namespace vigil::web::api {
namespace {

/// Staff names for one response (each user looked up once).
class StaffNames {
 public:
  explicit StaffNames(const ApiServices& s) : s_(s) {}
  JsonObject person(std::int64_t id) {
    auto it = cache_.find(id);
    if (it == cache_.end()) {
      auto user = s_.accounts->findUser(id);
      Entry e;
      if (user && user->role != security::Role::patient) {
        e.name = user->displayName;
        e.role = std::string(security::toString(user->role));
        e.active = !user->disabled;
      }
      it = cache_.emplace(id, e).first;
    }
    auto o = object();
    o->set("id", id);
    o->set("name", it->second.name);
    o->set("role", it->second.role);
    o->set("active", it->second.active);
    return o;
  }
  JsonArray people(const std::vector<std::int64_t>& ids) {
    auto a = array();
    for (auto id : ids) a->add(person(id));
    return a;
  }

 private:
  struct Entry {
    std::string name, role;
    bool active = false;
  };
  const ApiServices& s_;
  std::map<std::int64_t, Entry> cache_;
};

std::vector<std::int64_t> userList(const JsonObject& body) {
  if (!body->has("users") || !body->isArray("users")) throw BadRequest("users must be an array");
  auto a = body->getArray("users");
  std::vector<std::int64_t> out;
  for (std::size_t i = 0; i < a->size(); ++i) {
    auto v = a->get(static_cast<unsigned>(i));
    if (!v.isNumeric()) throw BadRequest("users must hold user ids");
    out.push_back(v.convert<std::int64_t>());
  }
  return out;
}

JsonObject chainJson(StaffNames& names, const alerts::StoredChain& chain) {
  auto o = object();
  o->set("users", names.people(chain.users));
  if (chain.updatedBy) {
    o->set("updatedBy", names.person(*chain.updatedBy));
  } else {
    o->set("updatedBy", Poco::Dynamic::Var());
  }
  o->set("updatedAt", isoOrNull(chain.updatedAt));
  return o;
}

JsonObject coverageJson(StaffNames& names, const alerts::Coverage& c, TimePoint now) {
  auto o = object();
  o->set("id", c.id);
  o->set("user", names.person(c.userId));
  o->set("coveredBy", names.person(c.coveredBy));
  o->set("from", iso(c.from));
  o->set("until", iso(c.until));
  o->set("note", c.note);
  o->set("inForce", c.inForce(now));
  o->set("createdBy", names.person(c.createdBy));
  return o;
}

/// A patient's own chain and the clinic's, which applies when the patient has none.
JsonObject patientChainJson(const ApiServices& s, std::int64_t patient) {
  StaffNames names(s);
  auto own = s.escalation->patientChain(patient);
  auto o = object();
  o->set("own", !own.users.empty());
  o->set("chain", chainJson(names, own));
  o->set("clinicChain", chainJson(names, s.escalation->clinicChain()));
  return o;
}

TimePoint requireTime(const JsonObject& body, const std::string& key) {
  auto t = parseTime(requireString(body, key, 40));
  if (!t) throw BadRequest(key + " must be a time");
  return *t;
}

}  // namespace

void addEscalationRoutes(Router& r, const ApiServices& s) {
  r.add({"GET", "/api/v1/escalation", Access::authenticated, "escalation.get",
         guarded([&s](Request&) {
           StaffNames names(s);
           const auto now = s.clock->now();
           auto o = object();
           o->set("chain", chainJson(names, s.escalation->clinicChain()));
           auto cover = array();
           for (const auto& c : s.escalation->coverage(now))
             cover->add(coverageJson(names, c, now));
           o->set("coverage", cover);
           auto clinicians = array();
           for (const auto& u : s.accounts->activeClinicians()) clinicians->add(names.person(u.id));
           o->set("clinicians", clinicians);
           return jsonResponse(200, o);
         })});
  r.add({"PUT", "/api/v1/escalation/chain", Access::authenticated, "escalation.set",
         guarded([&s](Request& req) {
           s.escalation->setClinicChain(userList(parseBody(req)), req.actor->id);
           StaffNames names(s);
           return jsonResponse(200, chainJson(names, s.escalation->clinicChain()));
         })});
  r.add({"POST", "/api/v1/escalation/coverage", Access::authenticated, "escalation.set",
         guarded([&s](Request& req) {
           auto body = parseBody(req);
           alerts::Coverage c;
           c.userId = requireInt(body, "userId");
           c.coveredBy = requireInt(body, "coveredBy");
           c.from = requireTime(body, "from");
           c.until = requireTime(body, "until");
           c.note = optionalString(body, "note", 200);
           c.createdBy = req.actor->id;
           auto added = s.escalation->addCoverage(c);
           StaffNames names(s);
           return jsonResponse(201, coverageJson(names, added, s.clock->now()));
         })});
  r.add({"DELETE", "/api/v1/escalation/coverage/{id}", Access::authenticated, "escalation.set",
         guarded([&s](Request& req) {
           if (!s.escalation->removeCoverage(pathId(req, "id"), req.actor->id))
             throw ApiFailure(404, "not_found", "no such current cover");
           return noContent();
         })});
  r.add({"GET", "/api/v1/patients/{id}/escalation", Access::authenticated, "escalation.patient_get",
         guarded([&s](Request& req) {
           return jsonResponse(200, patientChainJson(s, pathId(req, "id")));
         }),
         "", "id"});
  r.add({"PUT", "/api/v1/patients/{id}/escalation", Access::authenticated, "escalation.patient_set",
         guarded([&s](Request& req) {
           auto patient = pathId(req, "id");
           if (s.patients && !s.patients->get(patient))
             throw ApiFailure(404, "not_found", "no such patient");
           s.escalation->setPatientChain(patient, userList(parseBody(req)), req.actor->id);
           return jsonResponse(200, patientChainJson(s, patient));
         }),
         "", "id"});
}

}  // namespace vigil::web::api
