// RPM billing through the real server (issue 24): the nurse's timer and manual minutes on the
// patient page (an overlap refused with 409 time_overlap), the provider's month review with the
// codes and evidence, the exceptions until the NPI and the insurance are on file, the approval
// behind step-up that creates one claim however often it is sent, and who may call what (a
// role table written here by hand). Codes and charges by hand from docs/billing.md: 20 days of
// data in the episode's first period (11-01 .. 11-30) -> 99453 + 99454; 25 minutes with a call
// -> 99457 (not 99470, not 99458).

#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>
#include <set>

#include "api_fixture.hpp"
#include "vigil/core/time.hpp"
#include "vigil/patients/patient_record.hpp"

using namespace vigil;
using namespace vigil::web;
using namespace vigil::web::test;

namespace {

Poco::JSON::Object::Ptr parse(const std::string& body) {
  Poco::JSON::Parser p;
  return p.parse(body).extract<Poco::JSON::Object::Ptr>();
}

TimePoint utc(int y, unsigned mo, unsigned d, int h, int mi = 0) {
  using namespace std::chrono;
  return TimePoint(sys_days(year(y) / month(mo) / day(d)) + hours(h) + minutes(mi));
}

struct BillingApi : ApiFixture {
  Client provider, nurse, patient, admin, desk;
  std::string timeBase;

  BillingApi() {
    clock.set(utc(2026, 10, 20, 12));
    auto doc = consents->publish(adminActor, {patients::ConsentKind::rpm, "RPM consent",
                                              "I agree to remote monitoring.", false});
    patients::SignRequest r{doc.id, doc.sha256, "Ana Silva", true, "192.0.2.10"};
    consents->sign({patientUserId, security::Role::patient, patientA}, patientA, r);
    rpm->enrol({providerId, security::Role::provider, std::nullopt}, patientA,
               {"I10", "Essential (primary) hypertension", {deviceA}, "2026-11-01"});
    db->writeSync([&](store::Connection& c) {
      for (unsigned d = 1; d <= 20; ++d)
        c.execute(
            "INSERT INTO readings (device_id, patient_id, dedup_key, kind, loinc, unit, value, "
            "device_time, received_at, source) VALUES (?1, ?2, ?3, 'heart_rate', '8867-4', "
            "'/min', 70, ?4, ?4, 'mqtt-json')",
            deviceA, patientA, "seq:" + std::to_string(d), core::toMillis(utc(2026, 11, d, 15)));
    });
    clock.set(utc(2026, 12, 6, 12));
    provider = signIn(providerId);
    nurse = signIn(nurseId);
    patient = signIn(patientUserId);
    admin = signIn(adminActor.id);
    desk = signIn(frontDeskId);
    timeBase = "/api/v1/patients/" + std::to_string(patientA) + "/billing-time";
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(ApiBilling)

BOOST_FIXTURE_TEST_CASE(minutes_review_and_one_approval, BillingApi) {
  // The nurse's timer on the patient page: 12 minutes today.
  auto started = request("POST", timeBase + "/timer/start", &nurse, "{}");
  BOOST_REQUIRE_MESSAGE(started.status == 201, started.body);
  BOOST_TEST(request("POST", timeBase + "/timer/start", &nurse, "{}").status == 409);
  clock.advance(std::chrono::minutes(12));
  auto stopped = request("POST", timeBase + "/timer/stop", &nurse, "{}");
  BOOST_REQUIRE_MESSAGE(stopped.status == 200, stopped.body);
  BOOST_TEST(parse(stopped.body)->getValue<int>("minutes") == 12);

  // November by hand: 15 minutes of data review, then a 10-minute video-like call.
  auto manual = request("POST", timeBase, &nurse,
                        R"({"startedAt":"2026-11-10T14:00:00Z","endedAt":"2026-11-10T14:15:00Z",)"
                        R"("reason":"data_review"})");
  BOOST_REQUIRE_MESSAGE(manual.status == 201, manual.body);
  auto overlap = request("POST", timeBase, &nurse,
                         R"({"startedAt":"2026-11-10T14:10:00Z","endedAt":"2026-11-10T14:20:00Z",)"
                         R"("reason":"phone_call"})");
  BOOST_TEST(overlap.status == 409);
  BOOST_TEST(jsonField(overlap.body, "error") == "time_overlap");
  auto call = request("POST", timeBase, &provider,
                      R"({"startedAt":"2026-11-12T16:00:00Z","endedAt":"2026-11-12T16:10:00Z",)"
                      R"("reason":"phone_call","interactive":true})");
  BOOST_REQUIRE_MESSAGE(call.status == 201, call.body);
  auto listed = request("GET", timeBase + "?month=2026-11", &nurse);
  BOOST_REQUIRE(listed.status == 200);
  BOOST_TEST(parse(listed.body)->getArray("items")->size() == 2u);

  // The review: codes, evidence, and the exceptions that stop the claim.
  auto review = request("GET", "/api/v1/billing/review?month=2026-11", &provider);
  BOOST_REQUIRE_MESSAGE(review.status == 200, review.body);
  auto listedPatients = parse(review.body)->getArray("patients");
  BOOST_REQUIRE_EQUAL(listedPatients->size(), 1u);
  auto month = listedPatients->getObject(0);
  BOOST_TEST(month->getValue<int>("minutes") == 25);
  BOOST_TEST(month->getValue<std::string>("interactiveContact") == "2026-11-12");
  auto lines = month->getArray("lines");
  BOOST_REQUIRE_EQUAL(lines->size(), 3u);
  BOOST_TEST(lines->getObject(0)->getValue<std::string>("code") == "99453");
  BOOST_TEST(lines->getObject(1)->getValue<std::string>("code") == "99454");
  BOOST_TEST(lines->getObject(2)->getValue<std::string>("code") == "99457");
  BOOST_TEST(month->getArray("periods")->getObject(0)->getValue<int>("dayCount") == 20);
  BOOST_TEST(month->getValue<bool>("approvable") == false);
  auto exceptions = month->getArray("exceptions");
  std::set<std::string> seen;
  for (std::size_t i = 0; i < exceptions->size(); ++i)
    seen.insert(exceptions->getElement<std::string>(static_cast<unsigned>(i)));
  BOOST_TEST(seen.count("no_npi") == 1u);
  BOOST_TEST(seen.count("insurance_missing") == 1u);

  licenses->setNpi(adminActor, providerId, "1234567893");
  patients::RecordUpdate u;
  patients::InsuranceCoverage cov;
  cov.primary = patients::Insurance{"Medicare Part B",
                                    "",
                                    "1EG4TE5MK73",
                                    "",
                                    "Ana Silva",
                                    "",
                                    patients::SubscriberRelationship::self};
  u.insurance = cov;
  records->update(adminActor, patientA, u);

  // The sign-in proved who the provider is, but 12 minutes ago (the timer): step-up needed.
  const auto approvePath = "/api/v1/billing/patients/" + std::to_string(patientA) + "/approve";
  auto noStepUp = request("POST", approvePath, &provider, R"({"month":"2026-11"})");
  BOOST_TEST(noStepUp.status == 403);
  BOOST_TEST(jsonField(noStepUp.body, "error") == "reauth_required");
  stepUp(provider, providerId);
  auto approved = request("POST", approvePath, &provider, R"({"month":"2026-11"})");
  BOOST_REQUIRE_MESSAGE(approved.status == 201, approved.body);
  auto again = request("POST", approvePath, &provider, R"({"month":"2026-11"})");
  BOOST_TEST(again.status == 200);
  BOOST_TEST(jsonField(again.body, "claimId") == jsonField(approved.body, "claimId"));
  auto claims = request("GET", "/api/v1/billing/claims?month=2026-11", &admin);
  BOOST_REQUIRE(claims.status == 200);
  auto items = parse(claims.body)->getArray("items");
  BOOST_REQUIRE_EQUAL(items->size(), 1u);
  // 22.00 + 47.00 + 52.00 from the seeded fee schedule.
  BOOST_TEST(items->getObject(0)->getValue<std::int64_t>("totalCents") == 12100);
  BOOST_TEST(items->getObject(0)->getValue<std::string>("status") == "approved");
  BOOST_TEST(items->getObject(0)->getValue<std::int64_t>("paidCents") == 0);
  auto after = parse(request("GET", "/api/v1/billing/review?month=2026-11", &provider).body);
  BOOST_TEST(after->getArray("patients")->getObject(0)->getValue<std::string>("claimStatus") ==
             "approved");
  // The claim's detail: approved, its history one row, nothing sent or paid yet.
  const auto claimId = items->getObject(0)->getValue<std::int64_t>("id");
  auto detail = request("GET", "/api/v1/billing/claims/" + std::to_string(claimId), &provider);
  BOOST_REQUIRE_MESSAGE(detail.status == 200, detail.body);
  auto d = parse(detail.body);
  BOOST_TEST(d->getValue<std::string>("status") == "approved");
  BOOST_TEST(d->getValue<std::int64_t>("paidCents") == 0);
  BOOST_REQUIRE_EQUAL(d->getArray("history")->size(), 1u);
  BOOST_TEST(d->getArray("history")->getObject(0)->getValue<std::string>("source") == "approval");
  BOOST_TEST(d->getArray("sendings")->size() == 0u);
  BOOST_TEST(request("GET", "/api/v1/billing/claims/999999", &admin).status == 404);
  // The report counts it by status; no denial, no payment yet.
  auto report = parse(request("GET", "/api/v1/billing/reports/claims", &admin).body);
  auto byStatus = report->getArray("byStatus");
  BOOST_REQUIRE_EQUAL(byStatus->size(), 1u);
  BOOST_TEST(byStatus->getObject(0)->getValue<std::string>("status") == "approved");
  BOOST_TEST(byStatus->getObject(0)->getValue<std::int64_t>("claims") == 1);
  BOOST_TEST(byStatus->getObject(0)->getValue<std::int64_t>("chargeCents") == 12100);
  BOOST_TEST(report->getArray("denialReasons")->size() == 0u);
  BOOST_TEST(report->getObject("daysToPayment")->getValue<std::int64_t>("paidClaims") == 0);
  // RPM enrolment and billing per month: the twelve months to the box's current one (December
  // 2026 on this test's clock), January 2026 first.
  auto enrolment = report->getArray("enrolment");
  BOOST_REQUIRE_EQUAL(enrolment->size(), 12u);
  BOOST_TEST(enrolment->getObject(0)->getValue<std::string>("month") == "2026-01");
  BOOST_TEST(enrolment->getObject(11)->getValue<std::string>("month") == "2026-12");
  // Sending without a cloud link or the practice's settings: 409, the claim stays approved.
  auto send = request("POST", "/api/v1/billing/claims/submit", &admin, "{}");
  BOOST_TEST(send.status == 409);
  BOOST_TEST(jsonField(send.body, "error") == "not_sent");
  BOOST_TEST(parse(request("GET", "/api/v1/billing/claims/" + std::to_string(claimId), &admin).body)
                 ->getValue<std::string>("status") == "approved");
}

BOOST_FIXTURE_TEST_CASE(who_may_call_what, BillingApi) {
  // By hand: A = answered (not 403), D = 403. Roles: patient, provider, nurse, admin, desk.
  struct Row {
    const char* method;
    std::string path;
    const char* body;
    const char* expected;
  };
  const std::vector<Row> rows = {
      {"GET", timeBase + "?month=2026-11", "", "DAADD"},
      {"POST", timeBase,
       R"({"startedAt":"2026-11-20T10:00:00Z","endedAt":"2026-11-20T10:05:00Z","reason":"other"})",
       "DAADD"},
      {"GET", "/api/v1/billing/review?month=2026-11", "", "DADAD"},
      {"GET", "/api/v1/billing/claims", "", "DADAD"},
      {"GET", "/api/v1/billing/reports/claims", "", "DADAD"},
      {"POST", "/api/v1/billing/claims/submit", "{}", "DDDAD"},
      {"GET", "/api/v1/billing/fee-schedule", "", "DADAD"},
      {"PUT", "/api/v1/billing/fee-schedule/99213", R"({"chargeCents":11000})", "DDDAD"},
  };
  std::vector<Client*> who = {&patient, &provider, &nurse, &admin, &desk};
  for (const auto& row : rows)
    for (std::size_t i = 0; i < who.size(); ++i) {
      auto reply = request(row.method, row.path, who[i], row.body);
      const bool denied = reply.status == 403;
      BOOST_CHECK_MESSAGE(denied == (row.expected[i] == 'D'),
                          row.method << " " << row.path << " as role " << i << ": " << reply.status
                                     << " " << reply.body);
    }
  // The fee the admin set is the one the schedule lists.
  auto fees = parse(request("GET", "/api/v1/billing/fee-schedule", &admin).body)->getArray("items");
  bool found = false;
  for (std::size_t i = 0; i < fees->size(); ++i)
    if (fees->getObject(static_cast<unsigned>(i))->getValue<std::string>("code") == "99213")
      found =
          fees->getObject(static_cast<unsigned>(i))->getValue<std::int64_t>("chargeCents") == 11000;
  BOOST_TEST(found);
}

BOOST_AUTO_TEST_SUITE_END()
