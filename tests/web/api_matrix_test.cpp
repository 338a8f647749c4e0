// The role x endpoint matrix, generated from the router's list of routes: every authenticated
// route is called by every role (patient, provider, nurse, admin) about their own patient (A:
// the patient's record, on the provider's and nurse's care team) and another patient (B), on
// the real server with real sessions, and must allow or deny exactly as the security policy
// (security::authorize) decides for its declared operation. A route without a declared policy,
// or without a request recipe here, fails the test: a new endpoint cannot ship unchecked.

#include <boost/test/unit_test.hpp>
#include <functional>
#include <set>

#include "api_fixture.hpp"
#include "vigil/security/access_guard.hpp"

using namespace vigil;
using namespace vigil::web;
using namespace vigil::web::test;
using security::Role;

namespace {

struct Ctx {
  std::int64_t patient = 0;
  std::int64_t alert = 0;
  std::int64_t device = 0;
  std::int64_t spareUser = 0;
  std::string until;  // a future time
  int serial = 0;     // unique per call (MRNs, uids)
};

struct Call {
  std::string path;
  std::string body;
};

using Recipe = std::function<Call(const Ctx&)>;

std::string id(std::int64_t v) {
  return std::to_string(v);
}

/// How to call each route about a given patient. A new route needs a line here.
const std::map<std::string, Recipe>& recipes() {
  static const std::map<std::string, Recipe> r = {
      {"GET /api/v1/session",
       [](const Ctx&) {
         return Call{"/api/v1/session", ""};
       }},
      {"POST /api/v1/session/refresh",
       [](const Ctx&) {
         return Call{"/api/v1/session/refresh", "{}"};
       }},
      {"POST /api/v1/auth/mfa/enrol",
       [](const Ctx&) {
         return Call{"/api/v1/auth/mfa/enrol", "{}"};
       }},
      {"POST /api/v1/auth/mfa/confirm",
       [](const Ctx&) {
         return Call{"/api/v1/auth/mfa/confirm", R"({"code":"000000"})"};
       }},
      {"POST /api/v1/auth/logout",
       [](const Ctx&) {
         return Call{"/api/v1/auth/logout", "{}"};
       }},
      {"POST /api/v1/auth/password",
       [](const Ctx&) {
         return Call{"/api/v1/auth/password", R"({"current":"wrong","next":"x"})"};
       }},
      {"GET /api/v1/admin/ble/devices",
       [](const Ctx&) {
         return Call{"/api/v1/admin/ble/devices", ""};
       }},
      {"POST /api/v1/admin/ble/pair",
       [](const Ctx&) {
         return Call{"/api/v1/admin/ble/pair", R"({"address":"C4:7C:8D:6A:12:34"})"};
       }},
      {"GET /api/v1/patients",
       [](const Ctx&) {
         return Call{"/api/v1/patients", ""};
       }},
      {"POST /api/v1/patients",
       [](const Ctx& c) {
         return Call{"/api/v1/patients", R"({"mrn":"NEW-)" + std::to_string(c.serial) +
                                             R"(","givenName":"N","familyName":"P"})"};
       }},
      {"GET /api/v1/patients/{id}",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient), ""};
       }},
      {"GET /api/v1/me",
       [](const Ctx&) {
         return Call{"/api/v1/me", ""};
       }},
      {"GET /api/v1/patients/{id}/readings",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/readings?code=85354-9", ""};
       }},
      {"GET /api/v1/patients/{id}/devices",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/devices", ""};
       }},
      {"GET /api/v1/reports/alert-response",
       [](const Ctx&) {
         return Call{"/api/v1/reports/alert-response", ""};
       }},
      {"GET /api/v1/patients/{id}/thresholds",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/thresholds", ""};
       }},
      {"PUT /api/v1/patients/{id}/thresholds",
       [](const Ctx& c) {
         return Call{
             "/api/v1/patients/" + id(c.patient) + "/thresholds",
             R"({"reason":"matrix","rules":[{"key":"bp.systolic.high","tiers":[{"limit":170},{"limit":185}]}]})"};
       }},
      {"GET /api/v1/patients/{id}/alerts",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/alerts", ""};
       }},
      {"GET /api/v1/alerts",
       [](const Ctx&) {
         return Call{"/api/v1/alerts", ""};
       }},
      {"GET /api/v1/alerts/{id}",
       [](const Ctx& c) {
         return Call{"/api/v1/alerts/" + id(c.alert), ""};
       }},
      {"POST /api/v1/alerts/{id}/claim",
       [](const Ctx& c) {
         return Call{"/api/v1/alerts/" + id(c.alert) + "/claim", "{}"};
       }},
      {"POST /api/v1/alerts/{id}/acknowledge",
       [](const Ctx& c) {
         return Call{"/api/v1/alerts/" + id(c.alert) + "/acknowledge", "{}"};
       }},
      {"POST /api/v1/alerts/{id}/resolve",
       [](const Ctx& c) {
         return Call{"/api/v1/alerts/" + id(c.alert) + "/resolve", R"({"note":"called"})"};
       }},
      {"POST /api/v1/alerts/{id}/escalate",
       [](const Ctx& c) {
         return Call{"/api/v1/alerts/" + id(c.alert) + "/escalate", R"({"note":"up"})"};
       }},
      {"POST /api/v1/alerts/{id}/snooze",
       [](const Ctx& c) {
         return Call{"/api/v1/alerts/" + id(c.alert) + "/snooze",
                     R"({"reason":"travel","until":")" + c.until + "\"}"};
       }},
      {"GET /api/v1/admin/users",
       [](const Ctx&) {
         return Call{"/api/v1/admin/users", ""};
       }},
      {"POST /api/v1/admin/users",
       [](const Ctx& c) {
         return Call{
             "/api/v1/admin/users",
             R"({"role":"nurse","email":"n)" + std::to_string(c.serial) +
                 R"(@clinic.example","displayName":"N","password":"a long enough passphrase here"})"};
       }},
      {"POST /api/v1/admin/users/{id}/unlock",
       [](const Ctx& c) {
         return Call{"/api/v1/admin/users/" + id(c.spareUser) + "/unlock", "{}"};
       }},
      {"POST /api/v1/admin/users/{id}/mfa-reset",
       [](const Ctx& c) {
         return Call{"/api/v1/admin/users/" + id(c.spareUser) + "/mfa-reset", "{}"};
       }},
      {"POST /api/v1/admin/users/{id}/disable",
       [](const Ctx& c) {
         return Call{"/api/v1/admin/users/" + id(c.spareUser) + "/disable", "{}"};
       }},
      {"POST /api/v1/admin/users/{id}/revoke-sessions",
       [](const Ctx& c) {
         return Call{"/api/v1/admin/users/" + id(c.spareUser) + "/revoke-sessions", "{}"};
       }},
      {"GET /api/v1/admin/roles",
       [](const Ctx&) {
         return Call{"/api/v1/admin/roles", ""};
       }},
      {"POST /api/v1/admin/care-teams",
       [](const Ctx& c) {
         return Call{"/api/v1/admin/care-teams", R"({"staffUserId":)" + id(c.spareUser) +
                                                     R"(,"patientId":)" + id(c.patient) + "}"};
       }},
      {"DELETE /api/v1/admin/care-teams/{staffUserId}/{patientId}",
       [](const Ctx& c) {
         return Call{"/api/v1/admin/care-teams/" + id(c.spareUser) + "/" + id(c.patient), ""};
       }},
      {"GET /api/v1/admin/devices",
       [](const Ctx&) {
         return Call{"/api/v1/admin/devices", ""};
       }},
      {"POST /api/v1/admin/devices",
       [](const Ctx& c) {
         return Call{"/api/v1/admin/devices", R"({"uid":"dev-)" + std::to_string(c.serial) +
                                                  R"(","kind":"blood_pressure"})"};
       }},
      {"POST /api/v1/admin/devices/{id}/assign",
       [](const Ctx& c) {
         return Call{"/api/v1/admin/devices/" + id(c.device) + "/assign",
                     R"({"patientId":)" + id(c.patient) + "}"};
       }},
      {"POST /api/v1/admin/devices/{id}/unassign",
       [](const Ctx& c) {
         return Call{"/api/v1/admin/devices/" + id(c.device) + "/unassign", "{}"};
       }},
      {"POST /api/v1/admin/devices/{id}/retire",
       [](const Ctx& c) {
         return Call{"/api/v1/admin/devices/" + id(c.device) + "/retire", "{}"};
       }},
      {"POST /api/v1/admin/devices/{id}/bundle",
       [](const Ctx& c) {
         return Call{"/api/v1/admin/devices/" + id(c.device) + "/bundle", "{}"};
       }},
      {"POST /api/v1/admin/devices/{id}/revoke",
       [](const Ctx& c) {
         return Call{"/api/v1/admin/devices/" + id(c.device) + "/revoke", "{}"};
       }},
      {"GET /api/v1/admin/alert-rules",
       [](const Ctx&) {
         return Call{"/api/v1/admin/alert-rules", ""};
       }},
      {"PUT /api/v1/admin/alert-rules",
       [](const Ctx&) {
         return Call{
             "/api/v1/admin/alert-rules",
             R"({"reason":"matrix","rules":[{"key":"bp.systolic.high","tiers":[{"limit":165},{"limit":180}]}]})"};
       }},
      {"GET /api/v1/admin/audit",
       [](const Ctx&) {
         return Call{"/api/v1/admin/audit?action=patient.get", ""};
       }},
      {"GET /api/v1/admin/audit/verify",
       [](const Ctx&) {
         return Call{"/api/v1/admin/audit/verify", ""};
       }},
  };
  return r;
}

const std::set<std::string> kPublicRoutes = {"POST /api/v1/auth/login", "POST /api/v1/auth/mfa"};

/// The care team as the fixture set it up, for computing the policy's expectation.
struct FixtureCareTeam final : security::CareTeam {
  std::int64_t provider, nurse, patient;
  bool isAssigned(std::int64_t staff, std::int64_t p) const override {
    return p == patient && (staff == provider || staff == nurse);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(ApiAccessMatrix)

BOOST_AUTO_TEST_CASE(every_route_declares_a_policy_and_has_a_recipe) {
  ApiFixture f;
  BOOST_REQUIRE(!f.router->routes().empty());
  for (const auto& r : f.router->routes()) {
    auto key = r.method + " " + r.pattern;
    if (r.access == Access::public_endpoint) {
      BOOST_CHECK_MESSAGE(kPublicRoutes.count(key), key << " is public but not on the list");
      continue;
    }
    BOOST_CHECK_MESSAGE(isDeclaredPermission(r.permission),
                        key << " names no declared permission: " << r.permission);
    if (r.upgrade) continue;  // the WebSocket route is covered by api_session_test
    BOOST_CHECK_MESSAGE(recipes().count(key), key << " has no recipe in the matrix");
    if (!r.patientParam.empty() && r.patientParam != kPatientSelf)
      BOOST_CHECK_MESSAGE(r.pattern.find("{" + r.patientParam + "}") != std::string::npos,
                          key << " names a patient parameter it does not have");
  }
}

BOOST_AUTO_TEST_CASE(router_refuses_an_authenticated_route_without_permission) {
  Router r;
  BOOST_CHECK_THROW(r.add({"GET", "/api/v1/new", Access::authenticated, "",
                           [](Request&) { return Response::text(200, ""); }}),
                    std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(every_role_is_allowed_or_denied_as_the_policy_says) {
  ApiFixture f;
  std::map<Role, std::int64_t> users = {{Role::patient, f.patientUserId},
                                        {Role::provider, f.providerId},
                                        {Role::nurse, f.nurseId},
                                        {Role::admin, f.adminActor.id}};
  std::map<Role, Client> clients;
  for (const auto& [role, uid] : users) clients[role] = f.signIn(uid);
  FixtureCareTeam team;
  team.provider = f.providerId;
  team.nurse = f.nurseId;
  team.patient = f.patientA;

  int serial = 0, checked = 0;
  for (const auto& route : f.router->routes()) {
    if (route.access != Access::authenticated || route.upgrade) continue;
    auto key = route.method + " " + route.pattern;
    auto recipe = recipes().find(key);
    BOOST_REQUIRE_MESSAGE(recipe != recipes().end(), "no recipe for " << key);
    for (const auto& [role, uid] : users) {
      for (bool own : {true, false}) {
        // Every call gets fresh objects so earlier calls (resolve, retire) do not change it.
        Ctx ctx;
        ctx.patient = own ? f.patientA : f.patientB;
        ctx.alert = f.raise(ctx.patient, 190 + serial % 7);
        ctx.device = f.devices
                         ->add({"m-" + std::to_string(++serial), registry::DeviceKind::heart_rate,
                                "", "", ""})
                         .id;
        ctx.spareUser = f.spareNurseId;
        ctx.until = "2030-01-01T00:00:00Z";
        ctx.serial = ++serial;
        auto call = recipe->second(ctx);

        security::Actor actor{uid, role,
                              role == Role::patient ? std::optional(f.patientA) : std::nullopt};
        bool expectAllowed = true;
        if (security::findOperation(route.permission)) {
          const auto& op = security::operation(route.permission);
          std::optional<std::int64_t> patient;
          if (op.touchesPatient)
            patient =
                route.patientParam == kPatientSelf ? actor.patientId : std::optional(ctx.patient);
          expectAllowed = security::authorize(actor, op, patient, team).allowed;
        }
        // Routes that end the session get a throwaway one.
        bool endsSession = key == "POST /api/v1/auth/logout" || key == "POST /api/v1/auth/password";
        Client client = endsSession ? f.signIn(uid) : clients[role];
        auto reply = f.request(route.method, call.path, &client, call.body);
        bool denied = reply.status == 403 || reply.status == 401;
        // An own-session route may legitimately answer 401 for a wrong current password.
        if (key == "POST /api/v1/auth/password" && reply.status == 401)
          denied = jsonField(reply.body, "error") != "signin_failed";
        BOOST_CHECK_MESSAGE(denied != expectAllowed, key << " as " << security::toString(role)
                                                         << " about " << (own ? "own" : "other")
                                                         << " patient: got " << reply.status << " "
                                                         << reply.body << ", expected "
                                                         << (expectAllowed ? "allow" : "deny"));
        if (!expectAllowed)
          BOOST_CHECK_MESSAGE(jsonField(reply.body, "error") == "forbidden",
                              key << " denial answers " << reply.body);
        ++checked;
      }
    }
  }
  BOOST_TEST(checked >= 30 * 8);
}

BOOST_AUTO_TEST_CASE(denials_are_in_the_audit_chain) {
  ApiFixture f;
  auto patient = f.signIn(f.patientUserId);
  auto reply = f.request("GET", "/api/v1/patients/" + std::to_string(f.patientB), &patient);
  BOOST_TEST(reply.status == 403);
  auto found = f.db->read([&](store::Connection& c) {
    return c.queryValue<std::int64_t>(
        "SELECT count(*) FROM audit_log WHERE action = 'patient.get' AND outcome = 'denied' "
        "AND actor_id = ?1 AND patient_id = ?2",
        f.patientUserId, f.patientB);
  });
  BOOST_TEST(found.value_or(0) == 1);
  BOOST_TEST(f.audit->verify(*f.db).ok);
}

BOOST_AUTO_TEST_SUITE_END()
