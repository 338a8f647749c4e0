// Clinic groups of staff (issue 30, docs/api.md#clinic-groups): admins make, name and delete
// groups and put providers and nurses in them; admins, providers and nurses read the list (to
// choose a group in the practice reports). security::StaffGroupService authorises and audits
// each change in the change's transaction (Route::auditedByHandler: one entry per action); the
// gate audits the listing (group.list). Staff names only, no patient.
//
// Errors: 400 a body without a string "name"; 404 no such group or user (or not a member, for a
// removal); 409 `name_taken` (another group has the name, ignoring case); 422 `validation` (an
// empty or over-long name) or `not_staff` (a patient, admin, front-desk or disabled account).

#include "common.hpp"
#include "vigil/core/error.hpp"
#include "vigil/security/staff_groups.hpp"

namespace vigil::web::api {
namespace {

using security::StaffGroup;

JsonObject groupJson(const StaffGroup& g) {
  auto o = object();
  o->set("id", g.id);
  o->set("name", g.name);
  o->set("createdAt", iso(g.createdAt));
  auto members = array();
  for (const auto& m : g.members) {
    auto mo = object();
    mo->set("userId", m.userId);
    mo->set("displayName", m.displayName);
    mo->set("role", std::string(security::toString(m.role)));
    members->add(mo);
  }
  o->set("members", members);
  return o;
}

/// The group as listed now; 404 when it is gone.
JsonObject currentGroup(const ApiServices& s, std::int64_t id) {
  for (const auto& g : s.groups->list())
    if (g.id == id) return groupJson(g);
  throw ApiFailure(404, "not_found", "no such group");
}

/// Runs a change and answers its typed refusals with their status (before guarded() would
/// answer every ValidationError 422 and every NotFound with a bare 404).
template <class F>
Response groupCall(F&& fn) {
  try {
    return fn();
  } catch (const security::GroupNameTaken&) {
    throw ApiFailure(409, "name_taken", "another group has this name");
  } catch (const security::GroupNotFound&) {
    throw ApiFailure(404, "not_found", "no such group");
  } catch (const security::UnknownUser&) {
    throw ApiFailure(404, "not_found", "no such user");
  } catch (const security::NotStaffMember& e) {
    throw ApiFailure(422, "not_staff", e.what());
  }
}

std::string nameIn(const Request& req) {
  // Generous here: the service refuses names over kMaxNameBytes with a clear 422.
  return requireString(parseBody(req), "name", 1024);
}

/// An admin's change: authorised by the gate, audited by the service in its transaction.
Route change(std::string method, std::string pattern, Handler handler) {
  Route r{std::move(method), std::move(pattern), Access::authenticated, "group.manage",
          guarded(std::move(handler))};
  r.auditedByHandler = true;
  return r;
}

}  // namespace

void addGroupRoutes(Router& r, const ApiServices& s) {
  r.add({"GET", "/api/v1/groups", Access::authenticated, "group.list", guarded([&s](Request&) {
           auto items = array();
           for (const auto& g : s.groups->list()) items->add(groupJson(g));
           auto o = object();
           o->set("items", items);
           return jsonResponse(200, o);
         })});
  r.add(change("POST", "/api/v1/groups", [&s](Request& req) {
    return groupCall([&] {
      auto name = nameIn(req);
      auto id = s.groups->create(*req.actor, name);
      return jsonResponse(201, currentGroup(s, id));
    });
  }));
  r.add(change("PUT", "/api/v1/groups/{id}", [&s](Request& req) {
    return groupCall([&] {
      auto id = pathId(req, "id");
      s.groups->rename(*req.actor, id, nameIn(req));
      return jsonResponse(200, currentGroup(s, id));
    });
  }));
  r.add(change("DELETE", "/api/v1/groups/{id}", [&s](Request& req) {
    return groupCall([&] {
      s.groups->remove(*req.actor, pathId(req, "id"));
      return noContent();
    });
  }));
  // PUT: putting a member in twice is not an error (the group is answered as it is).
  r.add(change("PUT", "/api/v1/groups/{id}/members/{userId}", [&s](Request& req) {
    return groupCall([&] {
      auto id = pathId(req, "id");
      s.groups->addMember(*req.actor, id, pathId(req, "userId"));
      return jsonResponse(200, currentGroup(s, id));
    });
  }));
  r.add(change("DELETE", "/api/v1/groups/{id}/members/{userId}", [&s](Request& req) {
    return groupCall([&] {
      if (!s.groups->removeMember(*req.actor, pathId(req, "id"), pathId(req, "userId")))
        throw ApiFailure(404, "not_found", "not a member of this group");
      return noContent();
    });
  }));
}

}  // namespace vigil::web::api
