// Scheduling through the API (issue 22): a patient books a slot and finds it among their
// appointments in their own zone; 50 simultaneous HTTP bookings of one slot make one booking and
// 49 clean 409 slot_taken answers; a cancel with a note, a reschedule onto a taken time.
#include <boost/test/unit_test.hpp>
#include <latch>
#include <mutex>
#include <thread>

#include "api_fixture.hpp"
#include "vigil/testsupport/deadline.hpp"

#ifdef VIGIL_WITH_SCHEDULING

#include "vigil/scheduling/licensing_eligibility.hpp"

using namespace vigil;
using namespace vigil::web;
using namespace vigil::web::test;
using namespace std::chrono_literals;

namespace {

std::string bookingBody(std::int64_t provider, std::int64_t type, const std::string& at) {
  return R"({"providerUserId":)" + std::to_string(provider) + R"(,"typeId":)" +
         std::to_string(type) + R"(,"startsAt":")" + at + R"("})";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ApiSchedule)

BOOST_AUTO_TEST_CASE(a_patient_books_a_slot_and_sees_it_in_her_zone) {
  ApiFixture f;
  // The provider takes bookings all day in UTC; patient A lives in UTC too.
  auto patient = f.signIn(f.patientUserId);
  auto slots = f.request(
      "GET",
      "/api/v1/slots?type=" + std::to_string(f.visitType.id) + "&from=2027-01-20&to=2027-01-20",
      &patient);
  BOOST_TEST(slots.status == 200);
  BOOST_TEST(slots.body.find(R"("startsAt":"2027-01-20T14:00:00.000Z")") != std::string::npos);
  auto booked =
      f.request("POST", "/api/v1/patients/" + std::to_string(f.patientA) + "/appointments",
                &patient, bookingBody(f.providerId, f.visitType.id, "2027-01-20T14:00:00Z"));
  BOOST_TEST(booked.status == 201);
  BOOST_TEST(jsonField(booked.body, "state") == "booked");
  BOOST_TEST(jsonField(booked.body, "startsLocal") == "2027-01-20T14:00:00+00:00");
  auto mine = f.request("GET", "/api/v1/patients/" + std::to_string(f.patientA) + "/appointments",
                        &patient);
  BOOST_TEST(mine.status == 200);
  BOOST_TEST(mine.body.find("2027-01-20T14:00:00.000Z") != std::string::npos);
  // The time is no longer offered.
  slots = f.request(
      "GET",
      "/api/v1/slots?type=" + std::to_string(f.visitType.id) + "&from=2027-01-20&to=2027-01-20",
      &patient);
  BOOST_TEST(slots.body.find(R"("startsAt":"2027-01-20T14:00:00.000Z")") == std::string::npos);
  // Cancelled with a note: the note comes back to the patient, the time is free again.
  const auto id = jsonField(booked.body, "id");
  auto cancelled = f.request("POST", "/api/v1/appointments/" + id + "/cancel", &patient,
                             R"({"reason":"other","note":"travelling that week"})");
  BOOST_TEST(cancelled.status == 200);
  BOOST_TEST(jsonField(cancelled.body, "cancelNote") == "travelling that week");
  BOOST_TEST(jsonField(cancelled.body, "state") == "cancelled");
}

BOOST_AUTO_TEST_CASE(fifty_simultaneous_http_bookings_of_one_slot_make_one) {
  ApiFixture f;
  constexpr int kRequests = 50;
  std::vector<std::int64_t> patients;
  for (int i = 0; i < kRequests; ++i) {
    auto p = f.patients->create(
        {0, "MRN-H" + std::to_string(i), "Hal", "Http", "1970-01-01", "UTC", "", {}, true});
    f.accounts->assignCareTeam(f.adminActor, f.providerId, p);
    patients.push_back(p);
  }
  auto desk = f.signIn(f.frontDeskId);
  std::latch start(kRequests);
  std::mutex m;
  std::map<int, int> statuses;
  std::vector<std::string> codes;
  std::vector<std::thread> threads;
  for (int i = 0; i < kRequests; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      auto r =
          f.request("POST",
                    "/api/v1/patients/" + std::to_string(patients[static_cast<std::size_t>(i)]) +
                        "/appointments",
                    &desk, bookingBody(f.providerId, f.visitType.id, "2027-01-21T09:00:00Z"));
      std::lock_guard lock(m);
      ++statuses[r.status];
      if (r.status == 409) codes.push_back(jsonField(r.body, "error"));
    });
  }
  for (auto& t : threads) testsupport::joinWithin(t, 120s, "joining the 50 HTTP bookings");
  BOOST_TEST(statuses[201] == 1);
  BOOST_TEST(statuses[409] == kRequests - 1);
  for (const auto& c : codes) BOOST_TEST(c == "slot_taken");
}

BOOST_AUTO_TEST_CASE(a_reschedule_onto_a_taken_time_changes_nothing) {
  ApiFixture f;
  auto desk = f.signIn(f.frontDeskId);
  auto b = f.patients->create({0, "MRN-R", "Rae", "Move", "1970-01-01", "UTC", "", {}, true});
  f.accounts->assignCareTeam(f.adminActor, f.providerId, b);
  auto first = f.request("POST", "/api/v1/patients/" + std::to_string(f.patientA) + "/appointments",
                         &desk, bookingBody(f.providerId, f.visitType.id, "2027-01-22T09:00:00Z"));
  auto second = f.request("POST", "/api/v1/patients/" + std::to_string(b) + "/appointments", &desk,
                          bookingBody(f.providerId, f.visitType.id, "2027-01-22T10:00:00Z"));
  BOOST_REQUIRE(first.status == 201 && second.status == 201);
  auto moved =
      f.request("POST", "/api/v1/appointments/" + jsonField(first.body, "id") + "/reschedule",
                &desk, R"({"startsAt":"2027-01-22T10:00:00Z"})");
  BOOST_TEST(moved.status == 409);
  BOOST_TEST(jsonField(moved.body, "error") == "slot_taken");
  moved = f.request("POST", "/api/v1/appointments/" + jsonField(first.body, "id") + "/reschedule",
                    &desk, R"({"startsAt":"2027-01-22T11:00:00Z"})");
  BOOST_TEST(moved.status == 200);
  BOOST_TEST(jsonField(moved.body, "rescheduledFrom") == jsonField(first.body, "id"));
}

BOOST_AUTO_TEST_CASE(only_a_provider_licensed_in_the_patients_state_is_offered_and_booked) {
  ApiFixture f;
  // vigild's wiring: licensing answers scheduling's eligibility question.
  f.scheduling->setEligibility(std::make_shared<scheduling::LicensingEligibility>());
  f.db->writeSync([&](store::Connection& c) {
    c.execute("UPDATE patients SET state = 'CA' WHERE id = ?1", f.patientA);
  });
  auto patient = f.signIn(f.patientUserId);
  auto admin = f.signIn(f.adminActor.id);
  const auto slotsPath =
      "/api/v1/slots?type=" + std::to_string(f.visitType.id) + "&from=2027-01-20&to=2027-01-20";
  const auto bookPath = "/api/v1/patients/" + std::to_string(f.patientA) + "/appointments";
  const auto body = bookingBody(f.providerId, f.visitType.id, "2027-01-20T14:00:00Z");

  // No license in CA: no slots offered, the provider listed as refused with the reason.
  auto slots = f.request("GET", slotsPath, &patient);
  BOOST_REQUIRE(slots.status == 200);
  BOOST_TEST(slots.body.find("2027-01-20T14:00:00.000Z") == std::string::npos);
  BOOST_TEST(slots.body.find("no_license_for_state") != std::string::npos, slots.body);
  auto refused = f.request("POST", bookPath, &patient, body);
  BOOST_TEST(refused.status == 403);
  BOOST_TEST(jsonField(refused.body, "error") == "not_eligible");
  BOOST_TEST(refused.body.find("no_license_for_state") != std::string::npos, refused.body);

  // A CA license that ends the day before the visit: still refused, as expired.
  const auto licenses = "/api/v1/providers/" + std::to_string(f.providerId) + "/licenses";
  auto added = f.request("POST", licenses, &admin,
                         R"({"state":"CA","type":"MD","number":"A123456",)"
                         R"("issuedOn":"2020-01-01","expiresOn":"2027-01-19"})");
  BOOST_REQUIRE_MESSAGE(added.status == 201, added.body);
  refused = f.request("POST", bookPath, &patient, body);
  BOOST_TEST(refused.status == 403);
  BOOST_TEST(refused.body.find("license_expired") != std::string::npos, refused.body);

  // Renewed: offered and booked.
  auto renewed = f.request("PUT", licenses + "/" + jsonField(added.body, "id"), &admin,
                           R"({"state":"CA","type":"MD","number":"A123456",)"
                           R"("issuedOn":"2020-01-01","expiresOn":"2027-06-30"})");
  BOOST_REQUIRE_MESSAGE(renewed.status == 200, renewed.body);
  slots = f.request("GET", slotsPath, &patient);
  BOOST_TEST(slots.body.find("2027-01-20T14:00:00.000Z") != std::string::npos);
  auto booked = f.request("POST", bookPath, &patient, body);
  BOOST_TEST(booked.status == 201, booked.body);
  // Every refusal is on record with its reason.
  auto denials = f.db->read([&](store::Connection& c) {
    return c.queryValue<std::int64_t>(
        "SELECT count(*) FROM audit_log WHERE action = 'appointment.book' AND outcome = "
        "'denied'");
  });
  BOOST_TEST(denials.value_or(0) == 2);
}

BOOST_AUTO_TEST_SUITE_END()

#endif
