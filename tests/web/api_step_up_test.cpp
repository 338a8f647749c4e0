// Step-up re-authentication (issue 18): sensitive actions need the password (and, for staff,
// a fresh code) entered within the last five minutes; signing in counts. Through the real
// server, store and security core, with a manual clock.

#include <boost/test/unit_test.hpp>
#include <functional>
#include <string>
#include <vector>

#include "api_fixture.hpp"

using namespace vigil;
using namespace vigil::web;
using namespace vigil::web::test;
using namespace std::chrono_literals;

namespace {

struct Sensitive {
  std::string method;
  std::string name;  // for messages
  std::function<std::string(ApiFixture&)> path;
  std::function<std::string(int)> body;  // unique per call
  bool admin;                            // else a provider on the care team
};

// Written by hand from the issue: creating users, MFA reset, issuing device credentials,
// changing a patient's alert limits and the clinic defaults. (Role changes, audit export and
// key rotation have no portal route: they run on the box's console.)
std::vector<Sensitive> sensitiveActions() {
  return {
      {"POST", "create a user", [](ApiFixture&) { return std::string("/api/v1/admin/users"); },
       [](int n) {
         return R"({"role":"nurse","email":"step)" + std::to_string(n) +
                R"(@clinic.example","displayName":"N","password":"a long enough passphrase here"})";
       },
       true},
      {"POST", "reset a user's two-step verification",
       [](ApiFixture& f) {
         return "/api/v1/admin/users/" + std::to_string(f.spareNurseId) + "/mfa-reset";
       },
       [](int) { return std::string("{}"); }, true},
      {"POST", "issue a device credential bundle",
       [](ApiFixture& f) {
         return "/api/v1/admin/devices/" + std::to_string(f.deviceA) + "/bundle";
       },
       [](int) { return std::string("{}"); }, true},
      {"PUT", "change a patient's alert limits",
       [](ApiFixture& f) {
         return "/api/v1/patients/" + std::to_string(f.patientA) + "/thresholds";
       },
       [](int n) {
         return R"({"reason":"step-up","rules":[{"key":"bp.systolic.high","tiers":[{"limit":)" +
                std::to_string(160 + n % 10) + R"(},{"limit":185}]}]})";
       },
       false},
      {"PUT", "change the clinic's default alert limits",
       [](ApiFixture&) { return std::string("/api/v1/alert-rules"); },
       [](int n) {
         return R"({"reason":"step-up","rules":[{"key":"bp.systolic.high","tiers":[{"limit":)" +
                std::to_string(160 + n % 10) + R"(},{"limit":180}]}]})";
       },
       false},
  };
}

std::int64_t auditCount(ApiFixture& f, const std::string& reason) {
  return f.db->read([&](store::Connection& c) {
    return c.queryValue<std::int64_t>("SELECT count(*) FROM audit_log WHERE reason = ?1", reason)
        .value_or(0);
  });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ApiStepUp)

BOOST_AUTO_TEST_CASE(sensitive_actions_need_the_password_again_after_five_minutes) {
  ApiFixture f;
  int n = 0;
  for (const auto& action : sensitiveActions()) {
    BOOST_TEST_CONTEXT(action.name) {
      const auto user = action.admin ? f.adminActor.id : f.providerId;
      auto client = f.signIn(user);
      // Just signed in (password and code): allowed.
      auto first = f.request(action.method, action.path(f), &client, action.body(++n));
      BOOST_TEST(first.status / 100 == 2, first.body);
      // Five minutes later the same session must prove who it is again.
      f.clock.advance(5min);
      BOOST_REQUIRE(f.request("POST", "/api/v1/session/refresh", &client, "{}").status == 200);
      const auto denialsBefore = auditCount(f, "reauth_required");
      auto refused = f.request(action.method, action.path(f), &client, action.body(++n));
      BOOST_TEST(refused.status == 403);
      BOOST_TEST(jsonField(refused.body, "error") == "reauth_required");
      BOOST_TEST(auditCount(f, "reauth_required") == denialsBefore + 1);
      f.stepUp(client, user);
      auto again = f.request(action.method, action.path(f), &client, action.body(++n));
      BOOST_TEST(again.status / 100 == 2, again.body);
      // Four minutes on it still holds; at five it has run out.
      f.clock.advance(4min);
      BOOST_TEST(f.request(action.method, action.path(f), &client, action.body(++n)).status / 100 ==
                 2);
      f.clock.advance(1min);
      BOOST_TEST(f.request(action.method, action.path(f), &client, action.body(++n)).status == 403);
    }
  }
}

BOOST_AUTO_TEST_CASE(other_actions_and_other_roles_are_not_asked) {
  ApiFixture f;
  auto provider = f.signIn(f.providerId);
  auto patient = f.signIn(f.patientUserId);
  f.clock.advance(6min);
  // Everyday work does not ask for the password.
  auto claim =
      f.request("POST", "/api/v1/alerts/" + std::to_string(f.alertA) + "/claim", &provider, "{}");
  BOOST_TEST(claim.status == 200, claim.body);
  // A role that may not do it at all is refused as before, not asked for a password.
  auto create = f.request(
      "POST", "/api/v1/admin/users", &patient,
      R"({"role":"nurse","email":"x@clinic.example","displayName":"N","password":"a long enough passphrase here"})");
  BOOST_TEST(create.status == 403);
  BOOST_TEST(jsonField(create.body, "error") == "forbidden");
}

BOOST_AUTO_TEST_CASE(staff_step_up_needs_a_fresh_code_and_wrong_answers_lock_the_account) {
  ApiFixture f;
  auto admin = f.signIn(f.adminActor.id);
  f.clock.advance(6min);
  const auto body = [](const std::string& password, const std::string& code) {
    return R"({"password":")" + password + R"(","code":")" + code + R"("})";
  };
  // The password alone is not enough for staff; nor a code already used.
  auto noCode = f.request("POST", "/api/v1/auth/reauth", &admin,
                          std::string(R"({"password":")") + ApiFixture::kPassword + "\"}");
  BOOST_TEST(noCode.status == 401);
  BOOST_TEST(jsonField(noCode.body, "error") == "reauth_failed");
  f.clock.advance(31s);
  const auto code = f.totp(f.adminActor.id);
  BOOST_TEST(
      f.request("POST", "/api/v1/auth/reauth", &admin, body(ApiFixture::kPassword, code)).status ==
      204);
  BOOST_TEST(
      f.request("POST", "/api/v1/auth/reauth", &admin, body(ApiFixture::kPassword, code)).status ==
      401);  // replayed
  // Wrong passwords count towards the lock-out like sign-in's (5 in the window, with the
  // replay above): the account locks and sign-in refuses it too.
  int status = 0;
  for (int i = 0; i < 4; ++i) {
    f.clock.advance(31s);
    status = f.request("POST", "/api/v1/auth/reauth", &admin,
                       body("not the password", f.totp(f.adminActor.id)))
                 .status;
  }
  BOOST_TEST(status == 423);
  auto u = f.accounts->findUser(f.adminActor.id);
  auto signIn = f.request("POST", "/api/v1/auth/login", nullptr, f.loginBody(u->email));
  BOOST_TEST(signIn.status == 423);
}

BOOST_AUTO_TEST_CASE(a_patient_steps_up_with_the_password) {
  ApiFixture f;
  auto patient = f.signIn(f.patientUserId);
  auto wrong = f.request("POST", "/api/v1/auth/reauth", &patient, R"({"password":"nope"})");
  BOOST_TEST(wrong.status == 401);
  BOOST_TEST(f.request("POST", "/api/v1/auth/reauth", &patient,
                       std::string(R"({"password":")") + ApiFixture::kPassword + "\"}")
                 .status == 204);
}

BOOST_AUTO_TEST_SUITE_END()
