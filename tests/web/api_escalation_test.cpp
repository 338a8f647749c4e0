// Escalation reaching a person through the API (issue 17): admins set the clinic's chain and
// on-call coverage, only with active clinicians; an alert escalated to a clinician outside the
// patient's care team is theirs to see and work (in the queue, on the live stream, claimable),
// audited as escalation_assignee; an alert escalated with nobody left is listed for admins.

#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>
#include <set>

#include "api_fixture.hpp"

using namespace vigil;
using namespace vigil::web;
using namespace vigil::web::test;
using namespace std::chrono_literals;

namespace {

Poco::JSON::Object::Ptr parse(const std::string& body) {
  return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
}

std::string users(std::initializer_list<std::int64_t> ids) {
  std::string out = R"({"users":[)";
  for (auto id : ids) out += (out.back() == '[' ? "" : ",") + std::to_string(id);
  return out + "]}";
}

/// Ids of the alerts in a page answer.
std::set<std::int64_t> ids(const std::string& body) {
  std::set<std::int64_t> out;
  auto items = parse(body)->getArray("items");
  for (std::size_t i = 0; i < items->size(); ++i)
    out.insert(items->getObject(static_cast<unsigned>(i))->getValue<std::int64_t>("id"));
  return out;
}

std::int64_t auditCount(ApiFixture& f, const std::string& reason, std::int64_t actor) {
  return f.db
      ->read([&](store::Connection& c) {
        return c.queryValue<std::int64_t>(
            "SELECT count(*) FROM audit_log WHERE reason = ?1 AND actor_id = ?2", reason, actor);
      })
      .value_or(0);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ApiEscalation)

BOOST_AUTO_TEST_CASE(the_clinic_chain_takes_only_active_clinicians) {
  ApiFixture f;
  auto admin = f.signIn(f.adminActor.id);
  auto put = [&](const std::string& body) {
    return f.request("PUT", "/api/v1/escalation/chain", &admin, body);
  };
  BOOST_TEST(put(users({f.providerId, f.patientUserId})).status == 422);  // a patient
  BOOST_TEST(put(users({f.providerId, f.adminActor.id})).status == 422);  // an admin
  BOOST_TEST(put(users({f.providerId, f.providerId})).status == 422);     // twice
  BOOST_TEST(put(R"({"users":"x"})").status == 400);
  auto ok = put(users({f.providerId, f.nurseId}));
  BOOST_REQUIRE_EQUAL(ok.status, 200);
  auto chain = parse(ok.body)->getArray("users");
  BOOST_REQUIRE_EQUAL(chain->size(), 2u);
  BOOST_TEST(chain->getObject(0)->getValue<std::string>("name") == "Dr. Lee");
  BOOST_TEST(chain->getObject(1)->getValue<std::string>("name") == "Nurse Kim");
  // A disabled clinician is refused too.
  BOOST_REQUIRE_EQUAL(
      f.request("POST", "/api/v1/admin/users/" + std::to_string(f.spareNurseId) + "/disable",
                &admin, "{}")
          .status,
      204);
  BOOST_TEST(put(users({f.spareNurseId})).status == 422);
  // The set-up as staff read it.
  auto nurse = f.signIn(f.nurseId);
  auto setup = f.request("GET", "/api/v1/escalation", &nurse);
  BOOST_REQUIRE_EQUAL(setup.status, 200);
  auto o = parse(setup.body);
  BOOST_TEST(o->getObject("chain")->getArray("users")->size() == 2u);
  BOOST_TEST(o->getArray("clinicians")->size() == 2u);  // Dr. Lee, Nurse Kim (spare disabled)
}

BOOST_AUTO_TEST_CASE(an_alert_escalated_to_a_clinician_outside_the_care_team_is_theirs) {
  ApiFixture f;
  auto admin = f.signIn(f.adminActor.id);
  // Dr. Lee first, then the spare nurse, who is on no care team.
  BOOST_REQUIRE_EQUAL(
      f.request("PUT", "/api/v1/escalation/chain", &admin, users({f.providerId, f.spareNurseId}))
          .status,
      200);
  auto id = f.raise(f.patientA, 190, "bp.systolic.consecutive");
  BOOST_TEST(*f.lifecycle->get(id)->assignee == f.providerId);
  auto path = "/api/v1/alerts/" + std::to_string(id);
  auto spare = f.signIn(f.spareNurseId);
  auto origin = "http://127.0.0.1:" + std::to_string(f.port());
  auto [ws, status] = openEvents(f, spare, spare.csrf, origin);
  BOOST_REQUIRE_EQUAL(status, 101);
  BOOST_REQUIRE(nextText(*ws).find("\"hello\"") != std::string::npos);

  // Before the escalation it is Dr. Lee's: the spare nurse neither sees nor opens it.
  BOOST_TEST(ids(f.request("GET", "/api/v1/alerts", &spare).body).count(id) == 0u);
  BOOST_TEST(f.request("GET", path, &spare).status == 403);

  // Dr. Lee passes it on (the deadline does the same: lifecycle tests): to the spare nurse.
  auto provider = f.signIn(f.providerId);
  BOOST_REQUIRE_EQUAL(
      f.request("POST", path + "/escalate", &provider, R"({"note":"in theatre"})").status, 200);
  std::string pushed;
  for (int i = 0; i < 4 && pushed.find("\"change\":\"escalated\"") == std::string::npos; ++i)
    pushed = nextText(*ws);
  BOOST_TEST(pushed.find("\"change\":\"escalated\"") != std::string::npos, pushed);
  BOOST_TEST(pushed.find("\"assignee\":" + std::to_string(f.spareNurseId)) != std::string::npos,
             pushed);
  BOOST_TEST(pushed.find("\"alertId\":" + std::to_string(id)) != std::string::npos, pushed);

  auto mine = f.request("GET", "/api/v1/alerts?assignee=me", &spare);
  BOOST_REQUIRE_EQUAL(mine.status, 200);
  BOOST_TEST(ids(mine.body).count(id) == 1u);
  auto detail = f.request("GET", path, &spare);
  BOOST_REQUIRE_EQUAL(detail.status, 200);
  auto o = parse(detail.body);
  BOOST_TEST(o->getValue<std::string>("assigneeName") == "Nurse Spare");
  BOOST_TEST(o->getValue<int>("escalationLevel") == 1);
  auto history = o->getArray("history");
  auto last = history->getObject(static_cast<unsigned>(history->size() - 1));
  BOOST_TEST(last->getValue<std::string>("kind") == "escalated");
  BOOST_TEST(last->getValue<std::string>("assigneeName") == "Nurse Spare");
  BOOST_TEST(f.request("POST", path + "/claim", &spare, "{}").status == 200);
  BOOST_TEST(auditCount(f, "escalation_assignee", f.spareNurseId) >= 2);
  // The rest of the record still needs the care team (or emergency access).
  BOOST_TEST(f.request("GET", "/api/v1/patients/" + std::to_string(f.patientA), &spare).status ==
             403);
}

BOOST_AUTO_TEST_CASE(with_nobody_left_the_alert_is_listed_for_admins) {
  ApiFixture f;
  auto admin = f.signIn(f.adminActor.id);
  BOOST_REQUIRE_EQUAL(
      f.request("PUT", "/api/v1/escalation/chain", &admin, users({f.providerId})).status, 200);
  auto id = f.raise(f.patientA, 191, "bp.systolic.consecutive");
  auto before = f.request("GET", "/api/v1/alerts?assignee=none", &admin);
  BOOST_TEST(ids(before.body).count(id) == 0u);
  auto provider = f.signIn(f.providerId);
  BOOST_REQUIRE_EQUAL(f.request("POST", "/api/v1/alerts/" + std::to_string(id) + "/escalate",
                                &provider, R"({"note":"cannot reach the patient"})")
                          .status,
                      200);
  auto after = f.request("GET", "/api/v1/alerts?assignee=none", &admin);
  BOOST_REQUIRE_EQUAL(after.status, 200);
  BOOST_TEST(ids(after.body).count(id) == 1u);
  auto detail = parse(f.request("GET", "/api/v1/alerts/" + std::to_string(id), &admin).body);
  BOOST_TEST(detail->getValue<bool>("unassignedEscalation"));
  BOOST_TEST(detail->isNull("assignee"));
}

BOOST_AUTO_TEST_CASE(coverage_sends_the_alert_to_the_person_covering) {
  ApiFixture f;
  auto admin = f.signIn(f.adminActor.id);
  BOOST_REQUIRE_EQUAL(
      f.request("PUT", "/api/v1/escalation/chain", &admin, users({f.providerId, f.nurseId})).status,
      200);
  auto ms = [](TimePoint t) {
    return std::to_string(
        std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
  };
  auto from = ms(f.clock.now() - 1h);
  auto until = ms(f.clock.now() + 8h);
  auto added = f.request("POST", "/api/v1/escalation/coverage", &admin,
                         R"({"userId":)" + std::to_string(f.providerId) + R"(,"coveredBy":)" +
                             std::to_string(f.nurseId) + R"(,"from":")" + from + R"(","until":")" +
                             until + R"(","note":"annual leave"})");
  BOOST_REQUIRE_EQUAL(added.status, 201);
  auto cover = parse(added.body);
  BOOST_TEST(cover->getValue<bool>("inForce"));
  BOOST_TEST(cover->getObject("coveredBy")->getValue<std::string>("name") == "Nurse Kim");
  auto id = f.raise(f.patientA, 185, "bp.systolic.consecutive");
  BOOST_TEST(*f.lifecycle->get(id)->assignee == f.nurseId);
  // Removed: the next alert goes to Dr. Lee again.
  auto coverId = cover->getValue<std::int64_t>("id");
  BOOST_TEST(f.request("DELETE", "/api/v1/escalation/coverage/" + std::to_string(coverId), &admin)
                 .status == 204);
  auto next = f.raise(f.patientB, 185, "bp.systolic.consecutive");
  BOOST_TEST(*f.lifecycle->get(next)->assignee == f.providerId);
  // Nobody covers themselves.
  BOOST_TEST(f.request("POST", "/api/v1/escalation/coverage", &admin,
                       R"({"userId":)" + std::to_string(f.nurseId) + R"(,"coveredBy":)" +
                           std::to_string(f.nurseId) + R"(,"from":")" + from + R"(","until":")" +
                           until + R"("})")
                 .status == 422);
}

BOOST_AUTO_TEST_CASE(a_provider_gives_a_patient_a_chain_of_their_own) {
  ApiFixture f;
  auto provider = f.signIn(f.providerId);
  auto path = "/api/v1/patients/" + std::to_string(f.patientA) + "/escalation";
  auto set = f.request("PUT", path, &provider, users({f.nurseId, f.providerId}));
  BOOST_REQUIRE_EQUAL(set.status, 200);
  BOOST_TEST(parse(set.body)->getValue<bool>("own"));
  auto id = f.raise(f.patientA, 186, "bp.systolic.consecutive");
  BOOST_TEST(*f.lifecycle->get(id)->assignee == f.nurseId);
  auto cleared = f.request("PUT", path, &provider, users({}));
  BOOST_REQUIRE_EQUAL(cleared.status, 200);
  BOOST_TEST(!parse(cleared.body)->getValue<bool>("own"));
}

BOOST_AUTO_TEST_SUITE_END()
