// Patient invitations through the real server (issue 21): an admin invites a registered patient
// and gets the link once, the patient's browser checks it and accepts it with their birth date
// and a password, signs in with the new account and reaches only their own record; a used link
// answers 410 used, a wrong birth date 422, an unknown one 404; the link's origin comes from the
// request when web.public_url is unset; the token never appears in a list or a URL.

#include <boost/test/unit_test.hpp>

#include "api_fixture.hpp"

using namespace vigil;
using namespace vigil::web;
using namespace vigil::web::test;

namespace {

std::string tokenOf(const std::string& link) {
  return link.substr(link.rfind('/') + 1);
}

std::string acceptBody(const std::string& token, const std::string& birthDate,
                       const std::string& password) {
  return R"({"token":")" + token + R"(","birthDate":")" + birthDate + R"(","password":")" +
         password + R"("})";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ApiOnboarding)

BOOST_AUTO_TEST_CASE(an_invited_patient_registers_from_the_link_and_sees_only_their_record) {
  ApiFixture f;
  auto admin = f.signIn(f.adminActor.id);
  auto path = "/api/v1/patients/" + std::to_string(f.patientB) + "/invitations";
  auto made = f.request("POST", path, &admin, R"({"email":"ben.okoro@home.example"})",
                        {{"Host", "clinic.example:8443"}});
  BOOST_REQUIRE_MESSAGE(made.status == 201, made.body);
  auto link = jsonField(made.body, "link");
  // The fixture serves plain HTTP (secure cookies off): the origin the staff member used.
  BOOST_TEST(link.rfind("http://clinic.example:8443/#/welcome/", 0) == 0u);
  BOOST_TEST(jsonField(made.body, "delivery") == "manual");
  auto token = tokenOf(link);
  BOOST_TEST(token.size() == 43u);
  // The list shows the invitation, never its token.
  auto listed = f.request("GET", path, &admin);
  BOOST_TEST(listed.status == 200);
  BOOST_TEST(listed.body.find(token) == std::string::npos);
  BOOST_TEST(listed.body.find("\"state\":\"open\"") != std::string::npos);

  auto checked =
      f.request("POST", "/api/v1/invitations/check", nullptr, R"({"token":")" + token + R"("})");
  BOOST_TEST(checked.status == 200);
  BOOST_TEST(jsonField(checked.body, "state") == "open");
  BOOST_TEST(checked.body.find("Ben") == std::string::npos);  // nothing about the patient

  auto wrong = f.request("POST", "/api/v1/invitations/accept", nullptr,
                         acceptBody(token, "1961-07-20", "river stones and moss 61"));
  BOOST_TEST(wrong.status == 422);
  BOOST_TEST(jsonField(wrong.body, "error") == "birth_date_mismatch");
  auto weak = f.request("POST", "/api/v1/invitations/accept", nullptr,
                        acceptBody(token, "1961-07-19", "short"));
  BOOST_TEST(weak.status == 422);
  BOOST_TEST(jsonField(weak.body, "error") == "validation");
  auto ok = f.request("POST", "/api/v1/invitations/accept", nullptr,
                      acceptBody(token, "1961-07-19", "river stones and moss 61"));
  BOOST_REQUIRE_MESSAGE(ok.status == 201, ok.body);
  auto again = f.request("POST", "/api/v1/invitations/accept", nullptr,
                         acceptBody(token, "1961-07-19", "river stones and moss 61"));
  BOOST_TEST(again.status == 410);
  BOOST_TEST(jsonField(again.body, "error") == "used");
  auto unknown = f.request("POST", "/api/v1/invitations/accept", nullptr,
                           acceptBody(std::string(43, 'x'), "1961-07-19", "whatever it is 2026"));
  BOOST_TEST(unknown.status == 404);

  // The new account signs in and reaches its own record, not another patient's.
  auto login =
      f.request("POST", "/api/v1/auth/login", nullptr,
                R"({"email":"ben.okoro@home.example","password":"river stones and moss 61"})");
  BOOST_REQUIRE_MESSAGE(jsonField(login.body, "status") == "ok", login.body);
  Client ben{ApiFixture::cookieFrom(login), jsonField(login.body, "csrf")};
  auto me = f.request("GET", "/api/v1/me", &ben);
  BOOST_TEST(me.status == 200);
  BOOST_TEST(me.body.find("\"patientId\":" + std::to_string(f.patientB)) != std::string::npos);
  auto other = f.request("GET", "/api/v1/patients/" + std::to_string(f.patientA), &ben);
  BOOST_TEST(other.status == 403);
  // The patient's account now exists: a new invitation is refused with a clear answer.
  auto twice = f.request("POST", path, &admin, R"({"email":"ben.okoro@home.example"})");
  BOOST_TEST(twice.status == 409);
  BOOST_TEST(jsonField(twice.body, "error") == "already_registered");
}

BOOST_AUTO_TEST_CASE(a_revoked_link_is_gone_and_bad_input_is_refused_clearly) {
  ApiFixture f;
  auto admin = f.signIn(f.adminActor.id);
  auto path = "/api/v1/patients/" + std::to_string(f.patientB) + "/invitations";
  auto made = f.request("POST", path, &admin, R"({"email":"ben.okoro@home.example"})");
  BOOST_REQUIRE_MESSAGE(made.status == 201, made.body);
  auto revoked =
      f.request("POST", path + "/" + jsonField(made.body, "id") + "/revoke", &admin, "{}");
  BOOST_TEST(revoked.status == 200);
  BOOST_TEST(revoked.body.find("\"revoked\":true") != std::string::npos);
  auto checked = f.request("POST", "/api/v1/invitations/check", nullptr,
                           R"({"token":")" + tokenOf(jsonField(made.body, "link")) + R"("})");
  BOOST_TEST(jsonField(checked.body, "state") == "revoked");
  auto bad = f.request("POST", path, &admin, R"({"email":"not an address"})");
  BOOST_TEST(bad.status == 422);
  auto noToken = f.request("POST", "/api/v1/invitations/check", nullptr, "{}");
  BOOST_TEST(noToken.status == 400);
}

BOOST_AUTO_TEST_SUITE_END()
