// Clinic groups through the real server (issue 30): an admin creates, renames, fills and
// deletes a group and gets a clear 400, 404, 409 or 422 for each mistake; each change is audited
// once (by the service, in its transaction: the routes are auditedByHandler), the listing once
// by the gate. Expected values written by hand.

#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>

#include "api_fixture.hpp"

using namespace vigil;
using namespace vigil::web;
using namespace vigil::web::test;

namespace {

Poco::JSON::Object::Ptr parse(const std::string& body) {
  Poco::JSON::Parser p;
  return p.parse(body).extract<Poco::JSON::Object::Ptr>();
}

std::string error(const Reply& r) {
  return parse(r.body)->getValue<std::string>("error");
}

std::int64_t audited(ApiFixture& f, const std::string& action, const std::string& outcome) {
  return f.db
      ->read([&](store::Connection& c) {
        return c.queryValue<std::int64_t>(
            "SELECT count(*) FROM audit_log WHERE action = ?1 AND outcome = ?2", action, outcome);
      })
      .value_or(-1);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ApiGroups)

BOOST_AUTO_TEST_CASE(an_admin_keeps_clinic_groups_with_clear_errors) {
  ApiFixture f;
  auto admin = f.signIn(f.adminActor.id);

  auto r = f.request("POST", "/api/v1/groups", &admin, R"({"name":"North clinic"})");
  BOOST_TEST(r.status == 201);
  const auto north = parse(r.body)->getValue<std::int64_t>("id");
  BOOST_TEST(parse(r.body)->getValue<std::string>("name") == "North clinic");
  BOOST_TEST(parse(r.body)->getArray("members")->size() == 0u);
  const auto path = "/api/v1/groups/" + std::to_string(north);

  // 400: no name, or not a string; 422: a blank name; 409: the name in other capitals.
  r = f.request("POST", "/api/v1/groups", &admin, R"({})");
  BOOST_TEST(r.status == 400);
  BOOST_TEST(f.request("POST", "/api/v1/groups", &admin, R"({"name":7})").status == 400);
  BOOST_TEST(f.request("POST", "/api/v1/groups", &admin, "not json").status == 400);
  r = f.request("POST", "/api/v1/groups", &admin, R"({"name":"   "})");
  BOOST_TEST(r.status == 422);
  r = f.request("POST", "/api/v1/groups", &admin, R"({"name":"NORTH CLINIC"})");
  BOOST_TEST(r.status == 409);
  BOOST_TEST(error(r) == "name_taken");

  // Members: the provider and the nurse; a patient and the front desk are refused (422), an
  // unknown user or group is 404.
  r = f.request("PUT", path + "/members/" + std::to_string(f.providerId), &admin, "{}");
  BOOST_TEST(r.status == 200);
  r = f.request("PUT", path + "/members/" + std::to_string(f.nurseId), &admin, "{}");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(parse(r.body)->getArray("members")->size() == 2u);
  r = f.request("PUT", path + "/members/" + std::to_string(f.nurseId), &admin, "{}");
  BOOST_TEST(r.status == 200);  // already in it: the group as it is
  r = f.request("PUT", path + "/members/" + std::to_string(f.patientUserId), &admin, "{}");
  BOOST_TEST(r.status == 422);
  BOOST_TEST(error(r) == "not_staff");
  r = f.request("PUT", path + "/members/" + std::to_string(f.frontDeskId), &admin, "{}");
  BOOST_TEST(r.status == 422);
  BOOST_TEST(f.request("PUT", path + "/members/999999", &admin, "{}").status == 404);
  BOOST_TEST(
      f.request("PUT", "/api/v1/groups/999999/members/" + std::to_string(f.nurseId), &admin, "{}")
          .status == 404);
  BOOST_TEST(f.request("PUT", "/api/v1/groups/abc/members/1", &admin, "{}").status == 404);

  // Renamed; the listing shows it with both members.
  r = f.request("PUT", path, &admin, R"j({"name":"North clinic (Main St)"})j");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(parse(r.body)->getValue<std::string>("name") == "North clinic (Main St)");
  BOOST_TEST(f.request("PUT", "/api/v1/groups/999999", &admin, R"({"name":"X"})").status == 404);
  r = f.request("GET", "/api/v1/groups", &admin);
  BOOST_TEST(r.status == 200);
  auto items = parse(r.body)->getArray("items");
  BOOST_REQUIRE_EQUAL(items->size(), 1u);
  auto g = items->getObject(0);
  BOOST_TEST(g->getValue<std::string>("name") == "North clinic (Main St)");
  BOOST_TEST(g->getArray("members")->size() == 2u);

  // The nurse out; out again is 404. The group deleted; deleted again is 404.
  r = f.request("DELETE", path + "/members/" + std::to_string(f.nurseId), &admin);
  BOOST_TEST(r.status == 204);
  BOOST_TEST(f.request("DELETE", path + "/members/" + std::to_string(f.nurseId), &admin).status ==
             404);
  BOOST_TEST(f.request("DELETE", path, &admin).status == 204);
  BOOST_TEST(f.request("DELETE", path, &admin).status == 404);
  r = f.request("GET", "/api/v1/groups", &admin);
  BOOST_TEST(parse(r.body)->getArray("items")->size() == 0u);

  // One entry per change (none from the gate as well); refusals after authorisation as failures.
  BOOST_TEST(audited(f, "group.create", "success") == 1);
  BOOST_TEST(audited(f, "group.create", "failure") == 2);  // the blank name, the taken one
  BOOST_TEST(audited(f, "group.rename", "success") == 1);
  BOOST_TEST(audited(f, "group.member_add", "success") == 2);
  BOOST_TEST(audited(f, "group.member_add", "failure") == 4);  // patient, desk, user, group
  BOOST_TEST(audited(f, "group.member_remove", "success") == 1);
  BOOST_TEST(audited(f, "group.delete", "success") == 1);
  BOOST_TEST(audited(f, "group.manage", "success") == 0);
  BOOST_TEST(audited(f, "group.list", "success") == 2);
}

BOOST_AUTO_TEST_CASE(clinicians_read_the_groups_and_change_none) {
  ApiFixture f;
  auto admin = f.signIn(f.adminActor.id);
  BOOST_TEST(f.request("POST", "/api/v1/groups", &admin, R"({"name":"North clinic"})").status ==
             201);
  for (auto who : {f.providerId, f.nurseId}) {
    auto c = f.signIn(who);
    auto r = f.request("GET", "/api/v1/groups", &c);
    BOOST_TEST(r.status == 200);
    BOOST_TEST(parse(r.body)->getArray("items")->size() == 1u);
    r = f.request("POST", "/api/v1/groups", &c, R"({"name":"Mine"})");
    BOOST_TEST(r.status == 403);
  }
  for (auto who : {f.frontDeskId, f.patientUserId}) {
    auto c = f.signIn(who);
    BOOST_TEST(f.request("GET", "/api/v1/groups", &c).status == 403);
  }
  // Each refusal on record (by the gate, as the route's operation).
  BOOST_TEST(audited(f, "group.manage", "denied") == 2);
  BOOST_TEST(audited(f, "group.list", "denied") == 2);
}

BOOST_AUTO_TEST_SUITE_END()
