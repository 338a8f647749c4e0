// The /api/v1/visits routes on the real server and gate (tests/web/api_fixture.hpp): every role
// on every route of one visit, answered as the access rules say (the gate checks the role, the
// visit service checks participation), and every route declares a catalogue permission.

#include "vigil/video/visit_routes.hpp"

#include <boost/test/unit_test.hpp>

#include "api_fixture.hpp"
#include "vigil/video/video_rooms.hpp"
#include "vigil/video/visit.hpp"

using namespace vigil;
using namespace vigil::web;
using namespace vigil::web::test;

namespace {

/// The API fixture plus the visit routes and one visit of patient A (provider, patient user)
/// on now.
struct VisitApiFixture : ApiFixture {
  video::VisitService visits{*db, *audit, clock, {}, &keys->cipher()};
  video::VideoRooms rooms{video::RelayConfig{}};
  std::filesystem::path recordings = dir.path / "recordings";
  std::int64_t visitId = 0;
  std::map<std::int64_t, Client> clients;

  VisitApiFixture() {
    video::VisitApi api{&visits, &rooms, accounts.get(), &clock, recordings, &keys->cipher()};
    video::addVisitRoutes(*router, api);
    video::NewVisit nv;
    nv.patientId = patientA;
    nv.providerUserId = providerId;
    nv.patientUserId = patientUserId;
    nv.startsAt = clock.now();
    nv.endsAt = clock.now() + std::chrono::minutes(30);
    visitId = visits.schedule({providerId, security::Role::provider, std::nullopt}, nv);
    for (auto id : {providerId, nurseId, patientUserId, adminActor.id}) clients[id] = signIn(id);
  }

  int call(const std::string& method, const std::string& path, std::int64_t who,
           const std::string& body = "") {
    return request(method, path, &clients.at(who), body).status;
  }
  std::string visit(const std::string& rest = "") const {
    return "/api/v1/visits/" + std::to_string(visitId) + rest;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(VisitRoutesTest, VisitApiFixture)

BOOST_AUTO_TEST_CASE(every_visit_route_declares_a_catalogue_permission) {
  int visitRoutes = 0;
  for (const auto& r : router->routes()) {
    if (r.pattern.rfind("/api/v1/visits", 0) != 0) continue;
    ++visitRoutes;
    BOOST_TEST((r.access == Access::authenticated), r.pattern);
    BOOST_TEST(isDeclaredPermission(r.permission), r.method << " " << r.pattern);
  }
  BOOST_TEST(visitRoutes ==
             15);  // a new route gets its line in each_role_gets_what_the_rules_allow
}

BOOST_AUTO_TEST_CASE(each_role_gets_what_the_rules_allow) {
  const auto provider = providerId, nurse = nurseId, patient = patientUserId, admin = adminActor.id;
  // Anyone signed in lists their own visits.
  for (auto who : {provider, nurse, patient, admin})
    BOOST_TEST(call("GET", "/api/v1/visits", who) == 200);
  // Reading the visit: participants only (the nurse is on the care team but not invited; the
  // admin's role has no visit.join).
  BOOST_TEST(call("GET", visit(), provider) == 200);
  BOOST_TEST(call("GET", visit(), patient) == 200);
  BOOST_TEST(call("GET", visit(), nurse) == 403);
  BOOST_TEST(call("GET", visit(), admin) == 403);
  // Joining: the provider is admitted, the patient waits, the others are refused.
  BOOST_TEST(call("POST", visit("/join"), provider) == 200);
  BOOST_TEST(call("POST", visit("/join"), patient) == 200);
  BOOST_TEST(call("POST", visit("/join"), nurse) == 403);
  BOOST_TEST(call("POST", visit("/join"), admin) == 403);
  // Admitting: the visit's provider only.
  const auto admitBody = "{\"userId\":" + std::to_string(patient) + "}";
  BOOST_TEST(call("POST", visit("/admit"), patient, admitBody) == 403);
  BOOST_TEST(call("POST", visit("/admit"), nurse, admitBody) == 403);
  BOOST_TEST(call("POST", visit("/admit"), admin, admitBody) == 403);
  BOOST_TEST(call("POST", visit("/admit"), provider, admitBody) == 200);
  // Chat and documents: participants in the room.
  for (auto who : {provider, patient}) {
    BOOST_TEST(call("POST", visit("/messages"), who, R"({"text":"hello"})") == 201);
    BOOST_TEST(call("GET", visit("/messages"), who) == 200);
    BOOST_TEST(call("GET", visit("/documents"), who) == 200);
  }
  // "%PDF-1.4" in base64.
  BOOST_TEST(call("POST", visit("/documents"), patient,
                  R"({"fileName":"a.pdf","contentBase64":"JVBERi0xLjQ="})") == 201);
  BOOST_TEST(call("GET", visit("/documents/1"), provider) == 200);
  for (auto who : {nurse, admin}) {
    BOOST_TEST(call("POST", visit("/messages"), who, R"({"text":"hi"})") == 403);
    BOOST_TEST(call("GET", visit("/messages"), who) == 403);
    BOOST_TEST(call("GET", visit("/documents"), who) == 403);
    BOOST_TEST(call("GET", visit("/documents/1"), who) == 403);
  }
  // Recording: only the visit's provider, only with every participant's consent.
  const std::string start = R"({"action":"start"})";
  BOOST_TEST(call("POST", visit("/recording"), provider, start) == 403);  // no consent yet
  BOOST_TEST(call("POST", visit("/consent"), provider, R"({"recording":true})") == 200);
  BOOST_TEST(call("POST", visit("/recording"), provider, start) == 403);  // the patient's missing
  BOOST_TEST(call("POST", visit("/consent"), patient, R"({"recording":true})") == 200);
  BOOST_TEST(call("POST", visit("/consent"), nurse, R"({"recording":true})") == 403);
  BOOST_TEST(call("POST", visit("/recording"), patient, start) == 403);
  BOOST_TEST(call("POST", visit("/recording"), nurse, start) == 403);
  BOOST_TEST(call("POST", visit("/recording"), provider, start) == 200);
  BOOST_TEST(call("POST", visit("/recording"), provider, R"({"action":"stop"})") == 200);
  // A document that is not a PDF or an image, and malformed input.
  BOOST_TEST(call("POST", visit("/documents"), patient,
                  R"({"fileName":"a.pdf","contentBase64":"PGh0bWw+"})") == 422);
  BOOST_TEST(call("POST", visit("/messages"), patient, R"({"text":5})") == 400);
  BOOST_TEST(call("GET", "/api/v1/visits/abc", provider) == 400);
  BOOST_TEST(call("GET", "/api/v1/visits/999", provider) == 404);
  // Ending: the visit's provider only; then nobody joins.
  BOOST_TEST(call("POST", visit("/end"), patient) == 403);
  BOOST_TEST(call("POST", visit("/end"), nurse) == 403);
  BOOST_TEST(call("POST", visit("/end"), provider) == 200);
  BOOST_TEST(call("POST", visit("/join"), patient) == 403);
  // Scheduling: the care team; not a patient, not a provider outside the care team.
  const auto schedule =
      "{\"patientId\":" + std::to_string(patientA) +
      ",\"providerUserId\":" + std::to_string(provider) +
      ",\"patientUserId\":" + std::to_string(patient) +
      ",\"startsAtMs\":" + std::to_string(registry::toMillis(clock.now())) +
      ",\"endsAtMs\":" + std::to_string(registry::toMillis(clock.now()) + 600000) + "}";
  BOOST_TEST(call("POST", "/api/v1/visits", patient, schedule) == 403);
  BOOST_TEST(call("POST", "/api/v1/visits", provider, schedule) == 201);
}

BOOST_AUTO_TEST_CASE(requests_without_a_session_or_csrf_are_refused) {
  BOOST_TEST(request("GET", visit(), nullptr).status == 401);
  Client noCsrf = clients.at(providerId);
  noCsrf.csrf.clear();
  BOOST_TEST(request("POST", visit("/join"), &noCsrf, "{}").status == 403);
}

BOOST_AUTO_TEST_SUITE_END()
