// RPM enrolment through the real server (issue 21): refused without the RPM consent (409
// consent_required, kind rpm), enrolled once the patient signs, a second active enrolment for the
// condition refused, read by the patient and the nurse, never enrolled by a nurse, ended by the
// provider, and ended by the patient's withdrawal of the consent. Expected values by hand.

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

std::string enrolBody(const std::string& code, std::int64_t device,
                      const std::string& start = "2027-01-15") {
  return R"({"conditionCode":")" + code +
         R"(","conditionDescription":"Essential (primary) hypertension","deviceIds":[)" +
         std::to_string(device) + R"(],"startDate":")" + start + R"("})";
}

struct RpmApi : ApiFixture {
  patients::ConsentDocument rpmDoc;
  Client provider, nurse, patient, admin;
  std::string base;

  RpmApi() {
    rpmDoc = consents->publish(adminActor, {patients::ConsentKind::rpm, "RPM consent",
                                            "I agree to remote monitoring.", false});
    provider = signIn(providerId);
    nurse = signIn(nurseId);
    patient = signIn(patientUserId);
    admin = signIn(adminActor.id);
    base = "/api/v1/patients/" + std::to_string(patientA) + "/rpm-enrolments";
  }
  void sign() {
    auto r = request("POST", "/api/v1/patients/" + std::to_string(patientA) + "/consents", &patient,
                     R"({"documentId":)" + std::to_string(rpmDoc.id) + R"(,"documentSha256":")" +
                         rpmDoc.sha256 + R"(","typedName":"Ana Silva","agreed":true})");
    BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(ApiRpm)

BOOST_FIXTURE_TEST_CASE(enrolment_needs_the_rpm_consent_then_works_once_per_condition, RpmApi) {
  auto refused = request("POST", base, &provider, enrolBody("I10", deviceA));
  BOOST_TEST(refused.status == 409);
  BOOST_TEST(jsonField(refused.body, "error") == "consent_required");
  BOOST_TEST(jsonField(refused.body, "kind") == "rpm");
  auto list = request("GET", base, &provider);
  BOOST_REQUIRE(list.status == 200);
  BOOST_TEST(parse(list.body)->getValue<bool>("consentActive") == false);
  BOOST_TEST(parse(list.body)->getArray("enrolments")->size() == 0u);

  sign();
  auto made = request("POST", base, &provider, enrolBody("I10", deviceA));
  BOOST_REQUIRE_MESSAGE(made.status == 201, made.body);
  auto e = parse(made.body);
  BOOST_TEST(e->getValue<std::string>("conditionCode") == "I10");
  BOOST_TEST(e->getValue<std::string>("conditionDescription") ==
             "Essential (primary) hypertension");
  BOOST_TEST(e->getValue<std::string>("startDate") == "2027-01-15");
  BOOST_TEST(e->getValue<bool>("active"));
  BOOST_TEST(e->getValue<bool>("billable"));
  auto used = e->getArray("devices");
  BOOST_REQUIRE(used->size() == 1u);
  BOOST_TEST(used->getObject(0)->getValue<std::string>("uid") == "bp-a");
  BOOST_TEST(used->getObject(0)->getValue<std::string>("kind") == "blood_pressure");

  auto again = request("POST", base, &provider, enrolBody("I10", deviceA));
  BOOST_TEST(again.status == 409);
  BOOST_TEST(jsonField(again.body, "error") == "already_enrolled");

  // Bad input: a clear error, nothing stored.
  BOOST_TEST(request("POST", base, &provider, enrolBody("hypertension", deviceA)).status == 422);
  BOOST_TEST(request("POST", base, &provider, enrolBody("I50.9", deviceB)).status == 422);
  BOOST_TEST(request("POST", base, &provider,
                     R"({"conditionCode":"I50.9","conditionDescription":"HF","startDate":)"
                     R"("2027-01-15","deviceIds":"bp-a"})")
                 .status == 400);
  // Nurses and admins read but never enrol.
  BOOST_TEST(request("POST", base, &nurse, enrolBody("I50.9", deviceA)).status == 403);
  BOOST_TEST(request("POST", base, &admin, enrolBody("I50.9", deviceA)).status == 403);
  for (auto* reader : {&patient, &nurse, &admin}) {
    auto r = request("GET", base, reader);
    BOOST_REQUIRE(r.status == 200);
    BOOST_TEST(parse(r.body)->getArray("enrolments")->size() == 1u);
    BOOST_TEST(parse(r.body)->getValue<bool>("consentActive"));
  }
  BOOST_TEST(db->read([](store::Connection& c) {
                 return c.queryValue<std::int64_t>("SELECT count(*) FROM rpm_enrolments");
               }).value_or(-1) == 1);
}

BOOST_FIXTURE_TEST_CASE(the_provider_ends_and_withdrawal_ends_the_rest, RpmApi) {
  sign();
  auto htn = parse(request("POST", base, &provider, enrolBody("I10", deviceA)).body);
  auto hf = request("POST", base, &provider,
                    R"({"conditionCode":"I50.9","conditionDescription":"Heart failure",)"
                    R"("deviceIds":[)" +
                        std::to_string(deviceA) + R"(],"startDate":"2027-01-15"})");
  BOOST_REQUIRE_MESSAGE(hf.status == 201, hf.body);
  const auto endPath = base + "/" + std::to_string(htn->getValue<std::int64_t>("id")) + "/end";
  BOOST_TEST(
      request("POST", endPath, &nurse, R"({"endDate":"2027-01-15","reason":"completed"})").status ==
      403);
  BOOST_TEST(
      request("POST", endPath, &provider, R"({"endDate":"2027-01-15","reason":"bored"})").status ==
      400);
  BOOST_TEST(request("POST", endPath, &provider,
                     R"({"endDate":"2027-01-15","reason":"consent_withdrawn"})")
                 .status == 422);
  auto ended =
      request("POST", endPath, &provider, R"({"endDate":"2027-01-15","reason":"completed"})");
  BOOST_REQUIRE_MESSAGE(ended.status == 200, ended.body);
  BOOST_TEST(jsonField(ended.body, "endReason") == "completed");
  BOOST_TEST(jsonField(ended.body, "endDate") == "2027-01-15");
  auto twice =
      request("POST", endPath, &provider, R"({"endDate":"2027-01-15","reason":"completed"})");
  BOOST_TEST(twice.status == 409);
  BOOST_TEST(jsonField(twice.body, "error") == "already_ended");

  clock.advance(std::chrono::minutes(10));  // 2027-01-15T08:10Z (sessions stay within idle)
  auto withdrawn =
      request("POST", "/api/v1/patients/" + std::to_string(patientA) + "/consents/rpm/withdraw",
              &patient, "{}");
  BOOST_REQUIRE_MESSAGE(withdrawn.status == 200, withdrawn.body);
  auto list = parse(request("GET", base, &provider).body);
  BOOST_TEST(list->getValue<bool>("consentActive") == false);
  auto all = list->getArray("enrolments");
  BOOST_REQUIRE(all->size() == 2u);
  int byWithdrawal = 0;
  for (std::size_t i = 0; i < all->size(); ++i) {
    auto e = all->getObject(static_cast<unsigned>(i));
    BOOST_TEST(!e->getValue<bool>("active"));
    BOOST_TEST(!e->getValue<bool>("billable"));
    if (e->getValue<std::string>("conditionCode") == "I50.9") {
      BOOST_TEST(e->getValue<std::string>("endReason") == "consent_withdrawn");
      BOOST_TEST(e->getValue<std::string>("endDate") == "2027-01-15");
      BOOST_TEST(e->getValue<std::string>("endedAt") == "2027-01-15T08:10:00.000Z");
      ++byWithdrawal;
    }
  }
  BOOST_TEST(byWithdrawal == 1);
  auto refused = request("POST", base, &provider, enrolBody("I10", deviceA, "2027-01-15"));
  BOOST_TEST(refused.status == 409);
  BOOST_TEST(jsonField(refused.body, "kind") == "rpm");
  BOOST_TEST(audit->verify(*db).ok);
}

BOOST_AUTO_TEST_SUITE_END()
