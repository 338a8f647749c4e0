// Administration: users, roles, care teams, devices, clinic default alert rules, the audit log
// and its verification. Admin actions the security core offers are called there (they audit
// themselves); the rest are audited by the gate before the handler runs.

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "common.hpp"
#include "json_models.hpp"
#include "vigil/alerts/rule_set.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/pki/device_provisioner.hpp"
#include "vigil/readings/reading_query.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/store/database.hpp"
#include "vigil/web/ble_admin.hpp"

namespace vigil::web::api {
namespace {

/// Rewrites the broker ACL and asks the broker to reload it (and the CRL); false when the broker
/// could not be signalled (not running, or not ours to signal): it applies the change at its
/// next reload, and the admin is told so.
bool applyToBroker(const pki::DeviceProvisioner& provisioner) {
  if (provisioner.apply() == pki::ReloadResult::reloaded) return true;
  log::warn("pki.broker_not_reloaded", {{"reason", "broker not running or not signalable"}});
  return false;
}

JsonObject userJson(const security::User& u, TimePoint now) {
  auto o = object();
  o->set("id", u.id);
  o->set("role", std::string(security::toString(u.role)));
  o->set("email", u.email);
  o->set("displayName", u.displayName);
  o->set("patientId", u.patientId ? Poco::Dynamic::Var(*u.patientId) : Poco::Dynamic::Var());
  o->set("disabled", u.disabled);
  o->set("locked", u.lockedUntil.has_value() && *u.lockedUntil > now);
  o->set("mfaEnrolled", u.mfaEnrolled);
  return o;
}

void addUserRoutes(Router& r, const ApiServices& s) {
  r.add({"GET", "/api/v1/admin/users", Access::authenticated, "user.list",
         guarded([&s](Request& req) {
           auto page = queryInt(req, "page", 1, 1, 100000);
           auto size = queryInt(req, "pageSize", 50, 1, 200);
           auto items = array();
           // A role filter that names no role matches no account.
           const auto& roleText = req.query["role"];
           auto role = security::parseRole(roleText);
           if (!roleText.empty() && !role) return jsonResponse(200, pageJson(items, 0, page, size));
           auto found = s.accounts->listUsers(role, (page - 1) * size, size);
           auto total = found.total;
           auto now = s.clock->now();
           for (const auto& u : found.users) items->add(userJson(u, now));
           return jsonResponse(200, pageJson(items, total, page, size));
         })});
  r.add({"POST", "/api/v1/admin/users", Access::authenticated, "user.create",
         guarded([&s](Request& req) {
           auto body = parseBody(req);
           security::NewUser u;
           auto role = security::parseRole(requireString(body, "role", 16));
           if (!role || *role == security::Role::device)
             throw BadRequest("role is not a user role");
           u.role = *role;
           u.email = requireString(body, "email", 320);
           u.displayName = requireString(body, "displayName", 200);
           u.patientId = optionalInt(body, "patientId");
           u.password = requireString(body, "password", 1024);
           // The portal asks for it by default: the admin knows this password, the user should
           // not keep it (the first sign-in then asks for a new one).
           if (body->has("passwordChangeRequired")) {
             if (!body->get("passwordChangeRequired").isBoolean())
               throw BadRequest("passwordChangeRequired must be true or false");
             u.passwordChangeRequired = body->getValue<bool>("passwordChangeRequired");
           }
           auto id = s.accounts->createUser(*req.actor, u);
           auto created = s.accounts->findUser(id);
           return jsonResponse(201, userJson(*created, s.clock->now()));
         })});
  struct Action {
    const char* path;
    const char* op;
    void (security::AccountService::*fn)(const security::Actor&, std::int64_t);
  };
  static const Action kActions[] = {
      {"/api/v1/admin/users/{id}/unlock", "user.unlock", &security::AccountService::unlockUser},
      {"/api/v1/admin/users/{id}/mfa-reset", "user.reset_mfa", &security::AccountService::resetMfa},
      {"/api/v1/admin/users/{id}/disable", "user.disable", &security::AccountService::disableUser},
      {"/api/v1/admin/users/{id}/revoke-sessions", "session.revoke_user",
       &security::AccountService::revokeUserSessions},
  };
  for (const auto& a : kActions) {
    r.add({"POST", a.path, Access::authenticated, a.op, guarded([&s, fn = a.fn](Request& req) {
             auto id = pathId(req, "id");
             if (!s.accounts->findUser(id)) throw ApiFailure(404, "not_found", "no such user");
             (s.accounts->*fn)(*req.actor, id);
             return noContent();
           })});
  }
  r.add({"GET", "/api/v1/admin/roles", Access::authenticated, "user.list", guarded([](Request&) {
           auto roles = array();
           for (auto role : security::kAllRoles) {
             if (role == security::Role::device) continue;
             auto o = object();
             o->set("role", std::string(security::toString(role)));
             o->set("mfa", security::requiresMfa(role));
             auto perms = array();
             std::set<std::string> seen;
             for (const auto& op : security::allOperations())
               if (security::roleHas(role, op.permission) &&
                   seen.insert(std::string(op.name)).second)
                 perms->add(std::string(op.name));
             o->set("permissions", perms);
             roles->add(o);
           }
           auto o = object();
           o->set("roles", roles);
           return jsonResponse(200, o);
         })});
}

/// Care teams: assigning, removing and listing who is on which patient's team.
void addCareTeamRoutes(Router& r, const ApiServices& s) {
  r.add({"POST", "/api/v1/admin/care-teams", Access::authenticated, "care_team.assign",
         guarded([&s](Request& req) {
           auto body = parseBody(req);
           auto staff = requireInt(body, "staffUserId");
           auto patient = requireInt(body, "patientId");
           if (s.patients && !s.patients->get(patient))
             throw ApiFailure(404, "not_found", "no such patient");
           s.accounts->assignCareTeam(*req.actor, staff, patient);  // authorises and audits
           return noContent();
         })});
  // Who is on which care team, by name (issue 21: the portal lists and removes memberships by
  // name, never by id). Patient display names are PHI: the gate authorises care_team.list
  // (admins) and audits the listing once, as it does the device list and the alert queue.
  r.add({"GET", "/api/v1/admin/care-teams", Access::authenticated, "care_team.list",
         guarded([&s](Request& req) {
           std::optional<std::int64_t> only;
           if (!req.query["patientId"].empty()) only = queryInt(req, "patientId", 0, 1, INT64_MAX);
           auto members = s.db->read(
               [&](store::Connection& c) { return security::SqliteCareTeam::membersIn(c, only); });
           std::vector<std::int64_t> patientIds;
           for (const auto& m : members)
             if (patientIds.empty() || patientIds.back() != m.patientId)
               patientIds.push_back(m.patientId);
           auto names = s.patients ? s.patients->displayNames(patientIds)
                                   : std::map<std::int64_t, std::string>{};
           std::map<std::int64_t, std::optional<security::User>> staff;
           auto items = array();
           for (const auto& m : members) {
             auto it = staff.find(m.staffUserId);
             if (it == staff.end())
               it = staff.emplace(m.staffUserId, s.accounts->findUser(m.staffUserId)).first;
             auto o = object();
             o->set("staffUserId", m.staffUserId);
             o->set("staffName", it->second ? it->second->displayName : std::string());
             o->set("staffRole",
                    it->second ? std::string(security::toString(it->second->role)) : std::string());
             o->set("patientId", m.patientId);
             auto name = names.find(m.patientId);
             o->set("patientName", name == names.end() ? std::string() : name->second);
             o->set("assignedAt", iso(m.assignedAt));
             items->add(o);
           }
           auto o = object();
           o->set("items", items);
           return jsonResponse(200, o);
         })});
  r.add({"DELETE", "/api/v1/admin/care-teams/{staffUserId}/{patientId}", Access::authenticated,
         "care_team.assign", guarded([&s](Request& req) {
           auto staff = pathId(req, "staffUserId");
           auto patient = pathId(req, "patientId");
           // Authorises and audits (care_team.remove) with the removal.
           bool removed = s.accounts->removeCareTeam(*req.actor, staff, patient);
           if (!removed) throw ApiFailure(404, "not_found", "not on the care team");
           return noContent();
         }),
         "", "patientId"});
}

/// The device a path's {id} names; 404 when there is none.
registry::Device deviceFor(const ApiServices& s, const Request& req) {
  auto d = s.devices->find(pathId(req, "id"));
  if (!d) throw ApiFailure(404, "not_found", "no such device");
  return *d;
}

void addDeviceRoutes(Router& r, const ApiServices& s) {
  // The device list names each device's patient (issue 21: "devices show their patient's
  // name"): display names only, no MRN or birth date; the gate audits the listing (device.list).
  r.add({"GET", "/api/v1/admin/devices", Access::authenticated, "device.list",
         guarded([&s](Request&) {
           auto assigned = s.readings ? s.readings->currentAssignments()
                                      : std::map<std::int64_t, std::int64_t>{};
           std::vector<std::int64_t> patientIds;
           for (const auto& [device, patient] : assigned) patientIds.push_back(patient);
           std::sort(patientIds.begin(), patientIds.end());
           patientIds.erase(std::unique(patientIds.begin(), patientIds.end()), patientIds.end());
           auto names = s.patients ? s.patients->displayNames(patientIds)
                                   : std::map<std::int64_t, std::string>{};
           // A BLE device's link state, when the box runs the BLE gateway.
           std::map<std::string, BleAdmin::Device> ble;
           if (s.ble)
             for (auto& b : s.ble->devices()) ble.emplace(b.uid, std::move(b));
           auto items = array();
           for (const auto& d : s.devices->list()) {
             auto o = deviceJson(d);
             auto it = assigned.find(d.id);
             o->set("patientId",
                    it == assigned.end() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(it->second));
             auto name = it == assigned.end() ? names.end() : names.find(it->second);
             o->set("patientName",
                    name == names.end() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(name->second));
             if (auto b = ble.find(d.uid); b != ble.end()) {
               auto link = object();
               link->set("state", b->second.state);
               link->set("reason", b->second.reason);
               link->set("changedAt", iso(b->second.changedAt));
               o->set("ble", link);
             }
             items->add(o);
           }
           auto o = object();
           o->set("items", items);
           return jsonResponse(200, o);
         })});
  r.add({"POST", "/api/v1/admin/devices", Access::authenticated, "device.provision",
         guarded([&s](Request& req) {
           auto body = parseBody(req);
           registry::NewDevice d;
           d.uid = requireString(body, "uid", 64);
           d.kind = registry::parseDeviceKind(requireString(body, "kind", 32));
           d.model = optionalString(body, "model", 100);
           d.serial = optionalString(body, "serial", 100);
           d.firmware = optionalString(body, "firmware", 50);
           if (optionalString(body, "credential", 16) == "password")
             d.credential = registry::Credential::password;
           if (s.devices->findByUid(d.uid))
             throw ApiFailure(409, "conflict", "a device with this uid exists");
           return jsonResponse(201, deviceJson(s.devices->add(d)));
         })});
  auto device = [&s](const Request& req) { return deviceFor(s, req); };
  r.add({"POST", "/api/v1/admin/devices/{id}/assign", Access::authenticated, "device.assign",
         guarded([&s, device](Request& req) {
           auto d = device(req);
           auto patient = requireInt(parseBody(req), "patientId");
           authorizePatient(s, req, "device.assign", patient, "device", std::to_string(d.id));
           s.devices->assign(d.id, patient, req.actor->id);
           return noContent();
         })});
  r.add({"POST", "/api/v1/admin/devices/{id}/unassign", Access::authenticated, "device.provision",
         guarded([&s, device](Request& req) {
           s.devices->unassign(device(req).id);
           return noContent();
         })});
  // Retiring ends the device for good: its credentials are revoked with it (the CRL lists its
  // certificates, its password entry goes, the ACL drops it and the broker reloads), so a lost
  // or stolen device cannot go on talking to the broker. Revoked first: a failure leaves the
  // device active and the admin told.
  r.add({"POST", "/api/v1/admin/devices/{id}/retire", Access::authenticated, "device.provision",
         guarded([&s, device](Request& req) {
           auto d = device(req);
           auto o = object();
           o->set("credentialsManaged", s.provisioner != nullptr);
           std::int64_t certificates = 0;
           bool password = false, reloaded = false;
           if (s.provisioner) {
             auto revoked = s.provisioner->revoke(d.uid, pki::Apply::deferred);
             certificates = static_cast<std::int64_t>(revoked.certificates.size());
             password = revoked.passwordRemoved;
             reloaded = applyToBroker(*s.provisioner);
           }
           s.devices->retire(d.id);
           o->set("certificatesRevoked", certificates);
           o->set("passwordRemoved", password);
           o->set("brokerReloaded", reloaded);
           return jsonResponse(200, o);
         })});
}

/// A device's credentials (with a provisioner): a new certificate bundle, revocation.
void addDeviceCredentialRoutes(Router& r, const ApiServices& s) {
  auto device = [&s](const Request& req) { return deviceFor(s, req); };
  // The bundle: a new client certificate and key (the device's previous certificates are
  // revoked), the CA and the broker address, as one JSON document of files. The key exists on
  // the box only in a 0700 temp directory for the moment it takes to read it. POST: it changes
  // state (a new certificate, the old ones revoked), so it needs the CSRF token.
  r.add({"POST", "/api/v1/admin/devices/{id}/bundle", Access::authenticated,
         "device.issue_credentials", guarded([&s, device](Request& req) {
           auto d = device(req);
           if (d.retired) throw ApiFailure(409, "wrong_state", "the device is retired");
           namespace fs = std::filesystem;
           static std::atomic<std::uint64_t> bundles{0};
           auto dir =
               fs::temp_directory_path() / ("vigil-bundle-" + std::to_string(::getpid()) + "-" +
                                            std::to_string(d.id) + "-" + std::to_string(++bundles));
           struct Cleanup {
             fs::path p;
             ~Cleanup() {
               std::error_code ec;
               fs::remove_all(p, ec);
             }
           } cleanup{dir};
           auto bundle =
               s.provisioner->provisionCertificate(d.uid, dir / "bundle", pki::Apply::deferred);
           bool reloaded = applyToBroker(*s.provisioner);
           auto files = object();
           for (const auto& entry : fs::directory_iterator(bundle.dir)) {
             std::ifstream in(entry.path(), std::ios::binary);
             std::stringstream text;
             text << in.rdbuf();
             files->set(entry.path().filename().string(), text.str());
           }
           auto o = object();
           o->set("deviceId", bundle.deviceId);
           o->set("serial", bundle.certificate.serial);
           o->set("brokerReloaded", reloaded);
           o->set("files", files);
           auto resp = jsonResponse(200, o);
           resp.headers.emplace_back("Content-Disposition",
                                     "attachment; filename=\"" + d.uid + "-bundle.json\"");
           resp.headers.emplace_back("X-Broker-Reloaded", reloaded ? "true" : "false");
           return resp;
         })});
  r.add({"POST", "/api/v1/admin/devices/{id}/revoke", Access::authenticated, "device.provision",
         guarded([&s, device](Request& req) {
           auto d = device(req);
           auto revoked = s.provisioner->revoke(d.uid, pki::Apply::deferred);
           bool reloaded = applyToBroker(*s.provisioner);
           auto o = object();
           o->set("certificatesRevoked", static_cast<std::int64_t>(revoked.certificates.size()));
           o->set("passwordRemoved", revoked.passwordRemoved);
           o->set("brokerReloaded", reloaded);
           return jsonResponse(200, o);
         })});
}

JsonObject auditEntryJson(const security::AuditReviewEntry& review) {
  const auto& e = review.entry;
  auto o = object();
  o->set("seq", e.seq);
  o->set("time", iso(e.time));
  o->set("actorId", e.event.actorId);
  o->set("actorRole", e.event.actorRole);
  o->set("action", e.event.action);
  o->set("objectType", e.event.objectType);
  o->set("objectId", e.event.objectId);
  o->set("patientId",
         e.event.patientId ? Poco::Dynamic::Var(*e.event.patientId) : Poco::Dynamic::Var());
  o->set("outcome", std::string(security::toString(e.event.outcome)));
  o->set("reason", e.event.reason);
  o->set("breakGlass", e.event.breakGlass);
  // The clinician's justification, for the reviewer: stored encrypted beside the entry, shown
  // only here (audit.read).
  if (e.event.breakGlass)
    o->set("justification",
           review.justification ? Poco::Dynamic::Var(*review.justification) : Poco::Dynamic::Var());
  return o;
}

void addAuditRoutes(Router& r, const ApiServices& s) {
  r.add({"GET", "/api/v1/admin/audit", Access::authenticated, "audit.read",
         guarded([&s](Request& req) {
           auto page = queryInt(req, "page", 1, 1, 100000);
           auto size = queryInt(req, "pageSize", 50, 1, 200);
           security::AuditFilter filter;
           if (!req.query["from"].empty()) {
             filter.from = parseTime(req.query["from"]);
             if (!filter.from) throw BadRequest("from must be a time");
           }
           if (!req.query["to"].empty()) {
             filter.to = parseTime(req.query["to"]);
             if (!filter.to) throw BadRequest("to must be a time");
           }
           if (!req.query["actor"].empty())
             filter.actorId = queryInt(req, "actor", 0, 0, INT64_MAX);
           if (!req.query["patient"].empty())
             filter.patientId = queryInt(req, "patient", 0, 1, INT64_MAX);
           filter.action = req.query["action"].substr(0, 64);
           const auto& outcome = req.query["outcome"];
           if (!outcome.empty()) {
             filter.outcome = security::parseAuditOutcome(outcome);
             if (!filter.outcome) throw BadRequest("outcome must be success, denied or failure");
           }
           // breakGlass=1: emergency accesses only, for review (issue 17).
           filter.breakGlassOnly = req.query["breakGlass"] == "1";
           auto found = s.audit->search(*s.db, filter, (page - 1) * size, size);
           auto items = array();
           for (const auto& e : found.entries) items->add(auditEntryJson(e));
           return jsonResponse(200, pageJson(items, found.total, page, size));
         })});
  r.add({"GET", "/api/v1/admin/audit/verify", Access::authenticated, "audit.verify",
         guarded([&s](Request&) {
           auto result = s.audit->verify(*s.db);
           auto o = object();
           o->set("ok", result.ok);
           o->set("entries", result.entries);
           o->set("checkpoints", result.checkpoints);
           o->set("brokenAt", result.firstBadSeq ? Poco::Dynamic::Var(*result.firstBadSeq)
                                                 : Poco::Dynamic::Var());
           o->set("problem", result.problem);
           auto last = security::AuditLog::latestCheckpoint(*s.db);
           if (last) {
             auto cp = object();
             cp->set("seq", last->seq);
             cp->set("time", iso(last->time));
             cp->set("valid", result.ok);
             o->set("checkpoint", cp);
           } else {
             o->set("checkpoint", Poco::Dynamic::Var());
           }
           return jsonResponse(200, o);
         })});
}

void addRuleRoutes(Router& r, const ApiServices& s) {
  // The clinic's default alert rules: clinical, so not under /admin (admins only read them).
  r.add({"GET", "/api/v1/alert-rules", Access::authenticated, "alert_rule.list_defaults",
         guarded([&s](Request&) {
           // Patient 0 never has overrides: effectiveRules(0) are the clinic defaults.
           auto list = array();
           for (const auto& rule : s.rules->snapshot()->effectiveRules(0))
             list->add(ruleJson(rule));
           auto o = object();
           o->set("rules", list);
           return jsonResponse(200, o);
         })});
  r.add({"PUT", "/api/v1/alert-rules", Access::authenticated, "alert_rule.set_default",
         guarded([&s](Request& req) {
           applyRuleEdits(s, std::nullopt, req);
           auto list = array();
           for (const auto& rule : s.rules->snapshot()->effectiveRules(0))
             list->add(ruleJson(rule));
           auto o = object();
           o->set("rules", list);
           return jsonResponse(200, o);
         })});
}

void addBleRoutes(Router& r, const ApiServices& s) {
  r.add({"GET", "/api/v1/admin/ble/devices", Access::authenticated, "device.list",
         guarded([&s](Request&) {
           auto st = s.ble->status();
           auto link = object();
           link->set("bus", st.bus);
           link->set("bluez", st.bluez);
           link->set("adapter", st.adapter);
           auto items = array();
           for (const auto& d : s.ble->devices()) {
             auto o = object();
             o->set("address", d.address);
             o->set("uid", d.uid);
             o->set("state", d.state);
             o->set("reason", d.reason);
             o->set("paired", d.paired);
             auto services = array();
             for (auto u : d.services) {
               char hex[8];
               std::snprintf(hex, sizeof hex, "%04X", u);
               services->add(std::string(hex));
             }
             o->set("services", services);
             o->set("changedAt", iso(d.changedAt));
             o->set("lastConnectedAt", d.lastConnectedAt
                                           ? Poco::Dynamic::Var(iso(*d.lastConnectedAt))
                                           : Poco::Dynamic::Var());
             o->set("live", d.live);
             if (s.devices) {
               auto reg = s.devices->findByUid(d.uid);
               o->set("deviceId", reg ? Poco::Dynamic::Var(reg->id) : Poco::Dynamic::Var());
             }
             items->add(o);
           }
           auto o = object();
           o->set("link", link);
           o->set("items", items);
           return jsonResponse(200, o);
         })});
  r.add({"POST", "/api/v1/admin/ble/pair", Access::authenticated, "device.provision",
         guarded([&s](Request& req) {
           auto body = parseBody(req);
           auto address = requireString(body, "address", 17);
           auto passkey = optionalInt(body, "passkey");
           if (passkey && (*passkey < 0 || *passkey > 999999))
             throw BadRequest("passkey must be the 6 digits the device shows");
           std::optional<std::uint32_t> pk;
           if (passkey) pk = static_cast<std::uint32_t>(*passkey);
           if (!s.ble->requestPairing(address, pk))
             throw BadRequest("address must be XX:XX:XX:XX:XX:XX and BLE must be running");
           auto o = object();
           o->set("address", address);
           o->set("state", "pairing");
           return jsonResponse(202, o);
         })});
}

}  // namespace

void addAdminRoutes(Router& r, const ApiServices& s) {
  addUserRoutes(r, s);
  addCareTeamRoutes(r, s);
  if (s.devices) addDeviceRoutes(r, s);
  if (s.devices && s.provisioner) addDeviceCredentialRoutes(r, s);
  addAuditRoutes(r, s);
  if (s.rules) addRuleRoutes(r, s);
  if (s.ble) addBleRoutes(r, s);
}

}  // namespace vigil::web::api
