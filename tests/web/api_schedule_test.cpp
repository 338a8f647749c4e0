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

BOOST_AUTO_TEST_SUITE_END()

#endif
