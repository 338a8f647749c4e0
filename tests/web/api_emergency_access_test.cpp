// Emergency access (break-glass) from the portal (issue 17): a provider or nurse outside the
// care team opens a patient's record with a required reason; for 30 minutes their requests
// about that patient are allowed and audited with break_glass = 1; then access ends.

#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>

#include "api_fixture.hpp"

using namespace vigil;
using namespace vigil::web;
using namespace vigil::web::test;
using namespace std::chrono_literals;

namespace {

std::int64_t breakGlassEntries(ApiFixture& f, std::int64_t user, const std::string& action) {
  return f.db
      ->read([&](store::Connection& c) {
        return c.queryValue<std::int64_t>(
            "SELECT count(*) FROM audit_log WHERE break_glass = 1 AND actor_id = ?1 AND "
            "action = ?2",
            user, action);
      })
      .value_or(0);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ApiEmergencyAccess)

BOOST_AUTO_TEST_CASE(a_clinician_outside_the_care_team_opens_a_record_for_thirty_minutes) {
  ApiFixture f;
  auto nurse = f.signIn(f.nurseId);
  auto record = "/api/v1/patients/" + std::to_string(f.patientB);
  BOOST_REQUIRE_EQUAL(f.request("GET", record, &nurse).status, 403);

  // The reason is required.
  auto blank = f.request("POST", record + "/emergency-access", &nurse, R"({"reason":"  "})");
  BOOST_TEST(blank.status == 422);
  BOOST_TEST(f.request("GET", record, &nurse).status == 403);

  auto opened = f.request("POST", record + "/emergency-access", &nurse,
                          R"({"reason":"patient collapsed in the waiting room"})");
  BOOST_REQUIRE_EQUAL(opened.status, 200);
  BOOST_TEST(!jsonField(opened.body, "until").empty());
  BOOST_TEST(breakGlassEntries(f, f.nurseId, "patient.emergency_access") == 1);
  auto justification = f.db->read([&](store::Connection& c) {
    auto seq = c.queryValue<std::int64_t>(
        "SELECT max(seq) FROM audit_log WHERE action = 'patient.emergency_access'");
    return f.audit->justificationIn(c, seq.value_or(0));
  });
  BOOST_TEST(justification.value_or("") == "patient collapsed in the waiting room");

  // Within the box every access is allowed and flagged.
  BOOST_TEST(f.request("GET", record, &nurse).status == 200);
  BOOST_TEST(f.request("GET", record + "/readings?code=85354-9", &nurse).status == 200);
  BOOST_TEST(breakGlassEntries(f, f.nurseId, "patient.get") == 1);
  BOOST_TEST(breakGlassEntries(f, f.nurseId, "reading.list") == 1);
  // Only for that patient and that clinician.
  auto provider = f.signIn(f.providerId);
  BOOST_TEST(f.request("GET", record, &provider).status == 403);

  // Working on (the portal refreshes the 15-minute session while the nurse types and clicks)
  // until the window closes.
  auto workOn = [&](std::chrono::seconds d) {
    f.clock.advance(d);
    BOOST_REQUIRE(f.request("POST", "/api/v1/session/refresh", &nurse, "{}").status == 200);
  };
  workOn(10min);
  BOOST_TEST(f.request("GET", record, &nurse).status == 200);
  workOn(10min);
  BOOST_TEST(f.request("GET", record, &nurse).status == 200);
  workOn(10min - 1s);
  BOOST_TEST(f.request("GET", record, &nurse).status == 200);
  f.clock.advance(1s);
  BOOST_TEST(f.request("GET", record, &nurse).status == 403);
}

BOOST_AUTO_TEST_CASE(an_admin_reviews_emergency_accesses_with_their_justification) {
  ApiFixture f;
  auto nurse = f.signIn(f.nurseId);
  auto record = "/api/v1/patients/" + std::to_string(f.patientB);
  BOOST_REQUIRE_EQUAL(f.request("POST", record + "/emergency-access", &nurse,
                                R"({"reason":"patient collapsed in the waiting room"})")
                          .status,
                      200);
  BOOST_REQUIRE_EQUAL(f.request("GET", record, &nurse).status, 200);

  auto admin = f.signIn(f.adminActor.id);
  auto reply = f.request("GET", "/api/v1/admin/audit?breakGlass=1&pageSize=1", &admin);
  BOOST_REQUIRE_EQUAL(reply.status, 200);
  Poco::JSON::Parser parser;
  auto page = parser.parse(reply.body).extract<Poco::JSON::Object::Ptr>();
  BOOST_TEST(page->getValue<int>("total") == 2);  // the opening and the read
  BOOST_TEST(page->getValue<int>("pageSize") == 1);
  auto items = page->getArray("items");
  BOOST_REQUIRE_EQUAL(items->size(), 1u);
  auto newest = items->getObject(0);
  BOOST_TEST(newest->getValue<std::string>("action") == "patient.get");
  BOOST_TEST(newest->getValue<std::int64_t>("actorId") == f.nurseId);
  BOOST_TEST(newest->getValue<std::string>("actorRole") == "nurse");
  BOOST_TEST(newest->getValue<std::int64_t>("patientId") == f.patientB);
  BOOST_TEST(newest->getValue<std::string>("outcome") == "success");
  BOOST_TEST(newest->getValue<bool>("breakGlass"));
  BOOST_TEST(newest->has("justification"));

  reply = f.request("GET", "/api/v1/admin/audit?breakGlass=1&page=2&pageSize=1", &admin);
  BOOST_REQUIRE_EQUAL(reply.status, 200);
  items = parser.parse(reply.body).extract<Poco::JSON::Object::Ptr>()->getArray("items");
  BOOST_REQUIRE_EQUAL(items->size(), 1u);
  BOOST_TEST(items->getObject(0)->getValue<std::string>("action") == "patient.emergency_access");
  BOOST_TEST(items->getObject(0)->getValue<std::string>("justification") ==
             "patient collapsed in the waiting room");

  // An entry that is not an emergency access carries no justification field.
  reply = f.request("GET", "/api/v1/admin/audit?outcome=success&pageSize=1", &admin);
  BOOST_REQUIRE_EQUAL(reply.status, 200);
  BOOST_TEST(reply.body.find("justification") == std::string::npos);
  BOOST_TEST(f.request("GET", "/api/v1/admin/audit?outcome=maybe", &admin).status == 400);
}

BOOST_AUTO_TEST_CASE(patients_cannot_open_emergency_access_to_another_record) {
  ApiFixture f;
  auto patient = f.signIn(f.patientUserId);
  auto reply =
      f.request("POST", "/api/v1/patients/" + std::to_string(f.patientB) + "/emergency-access",
                &patient, R"({"reason":"curious"})");
  BOOST_TEST(reply.status == 403);
  BOOST_TEST(breakGlassEntries(f, f.patientUserId, "patient.emergency_access") == 0);
}

BOOST_AUTO_TEST_SUITE_END()
