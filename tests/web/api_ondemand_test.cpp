// The on-demand queue through the API (issue 22): a provider licensed in Illinois goes on duty;
// a patient in Illinois asks to be seen now and is first in that provider's queue with a
// 15-minute estimated wait; a second open request is refused; the provider sees the patient by
// name in their queue and starts the visit; the patient's page then finds the visit. A provider
// licensed elsewhere is never offered; a provider going off duty hands the queue to the pool.
#include <boost/test/unit_test.hpp>

#include "api_fixture.hpp"

#ifdef VIGIL_WITH_SCHEDULING

using namespace vigil;
using namespace vigil::web;
using namespace vigil::web::test;

namespace {

licensing::LicenseInput license(const std::string& state) {
  licensing::LicenseInput in;
  in.state = state;
  in.type = "MD";
  in.number = "MD-" + state + "-1";
  in.expiresOn = *licensing::parseDate("2029-12-31");
  return in;
}

struct OnDemandApi {
  ApiFixture f;
  std::int64_t texan = 0;    // a provider licensed in Texas only
  std::int64_t patient = 0;  // lives in Chicago, IL; telehealth consent signed
  std::int64_t patientUser = 0;

  OnDemandApi() {
    f.licenses->add(f.adminActor, f.providerId, license("IL"));
    texan = f.user(security::Role::provider, "dr.tex@clinic.example", "Dr. Tex");
    f.licenses->add(f.adminActor, texan, license("TX"));
    patient = f.patients->create(
        {0, "MRN-OD1", "Olive", "Demand", "1971-05-05", "America/Chicago", "IL", {}, true});
    patientUser = f.user(security::Role::patient, "olive@home.example", "Olive Demand", patient);
    f.consents->sign({patientUser, security::Role::patient, patient}, patient,
                     {f.telehealth.id, f.telehealth.sha256, "Olive Demand", true, "127.0.0.1"});
  }

  std::string requests() {
    return "/api/v1/patients/" + std::to_string(patient) + "/ondemand-requests";
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(ApiOnDemand)

BOOST_AUTO_TEST_CASE(a_patient_is_matched_queued_and_started_by_a_licensed_provider) {
  OnDemandApi t;
  auto& f = t.f;
  auto provider = f.signIn(f.providerId);
  auto tex = f.signIn(t.texan);
  auto patient = f.signIn(t.patientUser);

  BOOST_TEST(f.request("PUT", "/api/v1/me/duty", &tex, R"({"onDuty":true})").status == 200);
  auto duty = f.request("PUT", "/api/v1/me/duty", &provider, R"({"onDuty":true})");
  BOOST_TEST(duty.status == 200);
  BOOST_TEST(duty.body.find(R"("onDuty":true)") != std::string::npos);

  auto asked =
      f.request("POST", t.requests(), &patient, R"({"reason":"new_symptoms","state":"IL"})");
  BOOST_TEST(asked.status == 201);
  BOOST_TEST(jsonField(asked.body, "providerUserId") == std::to_string(f.providerId));
  BOOST_TEST(jsonField(asked.body, "position") == "1");
  BOOST_TEST(jsonField(asked.body, "estimatedWaitMinutes") == "15");
  BOOST_TEST(jsonField(asked.body, "state") == "waiting");
  const auto id = jsonField(asked.body, "id");

  auto twice = f.request("POST", t.requests(), &patient, R"({"reason":"other","state":"IL"})");
  BOOST_TEST(twice.status == 409);
  BOOST_TEST(jsonField(twice.body, "error") == "request_open");

  // Dr. Tex (Texas only) has nothing; the Illinois provider sees the patient by name.
  auto texQueue = f.request("GET", "/api/v1/me/ondemand-queue", &tex);
  BOOST_TEST(texQueue.status == 200);
  BOOST_TEST(texQueue.body.find("Olive") == std::string::npos);
  auto queue = f.request("GET", "/api/v1/me/ondemand-queue", &provider);
  BOOST_TEST(queue.status == 200);
  BOOST_TEST(queue.body.find(R"("patientName":"Olive Demand")") != std::string::npos);

  // Dr. Tex may not take it (not licensed in Illinois): 403 with the reason.
  auto refused = f.request("POST", "/api/v1/ondemand-requests/" + id + "/start", &tex, "{}");
  BOOST_TEST(refused.status == 403);
  BOOST_TEST(jsonField(refused.body, "error") == "not_licensed");

  auto started = f.request("POST", "/api/v1/ondemand-requests/" + id + "/start", &provider, "{}");
  BOOST_TEST(started.status == 201);
  const auto visit = jsonField(started.body, "visitId");
  BOOST_TEST(!visit.empty());
  auto again = f.request("POST", "/api/v1/ondemand-requests/" + id + "/start", &provider, "{}");
  BOOST_TEST(again.status == 409);
  BOOST_TEST(jsonField(again.body, "error") == "not_waiting");

  auto current = f.request("GET", t.requests() + "/current", &patient);
  BOOST_TEST(current.status == 200);
  BOOST_TEST(jsonField(current.body, "state") == "started");
  BOOST_TEST(jsonField(current.body, "visitId") == visit);
  // The visit is the patient's, with the provider who started it and the confirmed state.
  auto stored = f.db->read([&](store::Connection& c) {
    return c.queryValue<std::int64_t>(
        "SELECT count(*) FROM visits WHERE id = ?1 AND patient_id = ?2 AND provider_user_id = ?3 "
        "AND patient_state = 'IL'",
        std::stoll(visit), t.patient, f.providerId);
  });
  BOOST_TEST(stored.value_or(0) == 1);
}

BOOST_AUTO_TEST_CASE(off_duty_hands_over_to_the_pool_and_the_patient_cancels) {
  OnDemandApi t;
  auto& f = t.f;
  auto provider = f.signIn(f.providerId);
  auto patient = f.signIn(t.patientUser);
  f.request("PUT", "/api/v1/me/duty", &provider, R"({"onDuty":true})");
  auto asked = f.request("POST", t.requests(), &patient, R"({"reason":"medication","state":"IL"})");
  BOOST_TEST(jsonField(asked.body, "providerUserId") == std::to_string(f.providerId));
  const auto id = jsonField(asked.body, "id");
  auto off = f.request("PUT", "/api/v1/me/duty", &provider, R"({"onDuty":false})");
  BOOST_TEST(off.status == 200);
  BOOST_TEST(jsonField(off.body, "queueLength") == "0");
  auto current = f.request("GET", t.requests() + "/current", &patient);
  BOOST_TEST(current.body.find(R"("providerUserId":null)") != std::string::npos);
  BOOST_TEST(current.body.find(R"("estimatedWaitMinutes":null)") != std::string::npos);
  BOOST_TEST(jsonField(current.body, "position") == "1");
  // Off duty, the provider cannot start it.
  auto start = f.request("POST", "/api/v1/ondemand-requests/" + id + "/start", &provider, "{}");
  BOOST_TEST(start.status == 409);
  BOOST_TEST(jsonField(start.body, "error") == "not_on_duty");
  auto cancel = f.request("POST", "/api/v1/ondemand-requests/" + id + "/cancel", &patient, "{}");
  BOOST_TEST(cancel.status == 204);
  current = f.request("GET", t.requests() + "/current", &patient);
  BOOST_TEST(jsonField(current.body, "state") == "cancelled");
}

BOOST_AUTO_TEST_CASE(a_request_names_a_reason_word_and_a_state_code) {
  OnDemandApi t;
  auto& f = t.f;
  auto patient = f.signIn(t.patientUser);
  auto badReason =
      f.request("POST", t.requests(), &patient, R"({"reason":"my chest hurts","state":"IL"})");
  BOOST_TEST(badReason.status == 400);
  auto badState = f.request("POST", t.requests(), &patient, R"({"reason":"other","state":"ZZ"})");
  BOOST_TEST(badState.status == 422);
  // Neither answer repeats what was sent.
  BOOST_TEST(badReason.body.find("chest") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

#endif
