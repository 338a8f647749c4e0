#define BOOST_TEST_MODULE scheduling
// Slots: local hours across both DST changes of America/New_York in 2026 (2026-03-08: 02:00 EST
// becomes 03:00 EDT; 2026-11-01: 02:00 EDT becomes 01:00 EST), every expected instant written
// by hand; a patient in Los Angeles; exceptions; buffers.
#include <boost/test/unit_test.hpp>

#include "scheduling_fixture.hpp"

using namespace vigil::scheduling;
using namespace vigil::scheduling::test;
using namespace std::chrono;
using Strings = std::vector<std::string>;

BOOST_FIXTURE_TEST_SUITE(Slots, SchedulingFixture)

BOOST_AUTO_TEST_CASE(a_morning_template_stays_at_local_hours_on_both_transition_days) {
  weekly(provider.id, 7, 8 * 60, 12 * 60);  // Sundays 08:00-12:00 New York time
  // 2026-03-01, EST (UTC-5): 08:00 is 13:00Z; the last one-hour slot starts at 11:00 = 16:00Z.
  auto before = slotsOn(person60, 2026y / March / 1d);
  BOOST_REQUIRE_EQUAL(before.size(), 13u);
  BOOST_TEST(instants(before).front() == "2026-03-01T13:00:00.000Z");
  BOOST_TEST(instants(before).back() == "2026-03-01T16:00:00.000Z");
  // 2026-03-08 (spring forward at 02:00): the morning is EDT (UTC-4), still 08:00-12:00.
  auto spring = slotsOn(person60, 2026y / March / 8d);
  BOOST_REQUIRE_EQUAL(spring.size(), 13u);
  BOOST_TEST(instants(spring).front() == "2026-03-08T12:00:00.000Z");
  BOOST_TEST(instants(spring).back() == "2026-03-08T15:00:00.000Z");
  // 2026-11-01 (fall back at 02:00): the morning is EST again.
  auto fall = slotsOn(person60, 2026y / November / 1d);
  BOOST_REQUIRE_EQUAL(fall.size(), 13u);
  BOOST_TEST(instants(fall).front() == "2026-11-01T13:00:00.000Z");
  BOOST_TEST(instants(fall).back() == "2026-11-01T16:00:00.000Z");
}

BOOST_AUTO_TEST_CASE(spring_forward_takes_the_skipped_hour_out_of_a_night_block) {
  weekly(provider.id, 7, 1 * 60, 4 * 60);  // Sundays 01:00-04:00 local
  // An ordinary Sunday: three real hours, one-hour slots every 15 minutes from 01:00 EST
  // (06:00Z) to 03:00 EST (08:00Z): 9 slots.
  BOOST_TEST(slotsOn(person60, 2026y / March / 1d).size() == 9u);
  // 2026-03-08: 01:00 EST (06:00Z) to 04:00 EDT (08:00Z) is two real hours: one hour of slots
  // less. The last start, 07:00Z, is 03:00 EDT.
  BOOST_TEST(instants(slotsOn(person60, 2026y / March / 8d)) ==
                 (Strings{"2026-03-08T06:00:00.000Z", "2026-03-08T06:15:00.000Z",
                          "2026-03-08T06:30:00.000Z", "2026-03-08T06:45:00.000Z",
                          "2026-03-08T07:00:00.000Z"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(fall_back_offers_the_repeated_hour_twice_at_distinct_instants) {
  weekly(provider.id, 7, 1 * 60, 4 * 60);
  // 2026-11-01: 01:00 EDT (05:00Z) to 04:00 EST (09:00Z): four real hours. 01:00-01:45 local
  // is offered as EDT (05:00Z-05:45Z) and again as EST (06:00Z-06:45Z); 13 one-hour slots.
  BOOST_TEST(
      instants(slotsOn(person60, 2026y / November / 1d)) ==
          (Strings{
              "2026-11-01T05:00:00.000Z", "2026-11-01T05:15:00.000Z", "2026-11-01T05:30:00.000Z",
              "2026-11-01T05:45:00.000Z", "2026-11-01T06:00:00.000Z", "2026-11-01T06:15:00.000Z",
              "2026-11-01T06:30:00.000Z", "2026-11-01T06:45:00.000Z", "2026-11-01T07:00:00.000Z",
              "2026-11-01T07:15:00.000Z", "2026-11-01T07:30:00.000Z", "2026-11-01T07:45:00.000Z",
              "2026-11-01T08:00:00.000Z"}),
      boost::test_tools::per_element());
  // Both 01:30s can be booked, by two patients: they are different times.
  auto other = newPatient("MRN-S2", "");
  service.book(desk, {patientId, provider.id, person30.id, at("2026-11-01T05:30:00Z")});
  service.book(desk, {other, provider.id, person30.id, at("2026-11-01T06:30:00Z")});
}

BOOST_AUTO_TEST_CASE(a_patient_in_los_angeles_sees_a_new_york_providers_slots_in_her_zone) {
  weekly(provider.id, 1, 9 * 60, 10 * 60);  // Mondays 09:00-10:00 New York time
  auto search = service.slots(
      patient, {person30.id, std::nullopt, std::nullopt, 2026y / March / 2d, 2026y / March / 9d});
  // 2026-03-02 (both zones on standard time): 09:00 EST = 14:00Z = 06:00 PST.
  // 2026-03-09 (both on daylight time): 09:00 EDT = 13:00Z = 06:00 PDT.
  BOOST_TEST(
      instants(search.slots) == (Strings{"2026-03-02T14:00:00.000Z", "2026-03-02T14:15:00.000Z",
                                         "2026-03-02T14:30:00.000Z", "2026-03-09T13:00:00.000Z",
                                         "2026-03-09T13:15:00.000Z", "2026-03-09T13:30:00.000Z"}),
      boost::test_tools::per_element());
  BOOST_TEST(formatInZone(search.slots.front().startsAt, "America/Los_Angeles") ==
             "2026-03-02T06:00:00-08:00");
  BOOST_TEST(formatInZone(search.slots.back().startsAt, "America/Los_Angeles") ==
             "2026-03-09T06:30:00-07:00");
  BOOST_TEST(formatInZone(search.slots.back().startsAt, "America/New_York") ==
             "2026-03-09T09:30:00-04:00");
}

BOOST_AUTO_TEST_CASE(a_day_of_leave_and_an_hour_off_remove_their_slots) {
  weekly(provider.id, 1, 9 * 60, 12 * 60);  // Mondays 09:00-12:00
  const auto day = local_days{2026y / March / 2d};
  service.addException(provider, {0, provider.id, local_seconds{day} + hours(10),
                                  local_seconds{day} + hours(11), ExceptionKind::other});
  // One-hour slots from 09:00 EST (14:00Z): only 09:00 fits before 10:00 and 11:00 after 11:00.
  BOOST_TEST(instants(slotsOn(person60, 2026y / March / 2d)) ==
                 (Strings{"2026-03-02T14:00:00.000Z", "2026-03-02T16:00:00.000Z"}),
             boost::test_tools::per_element());
  const auto leave = local_days{2026y / March / 9d};
  service.addException(provider, {0, provider.id, local_seconds{leave},
                                  local_seconds{leave + days(1)}, ExceptionKind::leave});
  BOOST_TEST(slotsOn(person60, 2026y / March / 9d).empty());
  BOOST_TEST(slotsOn(person60, 2026y / March / 16d).size() == 9u);
  // A provider changes only their own schedule.
  BOOST_CHECK_THROW(
      service.addException(provider2, {0, provider.id, local_seconds{leave},
                                       local_seconds{leave + days(1)}, ExceptionKind::holiday}),
      vigil::AccessDenied);
}

BOOST_AUTO_TEST_CASE(the_buffer_keeps_time_free_after_each_booking) {
  service.saveSettings(provider, {provider.id, "America/New_York", 10});
  weekly(provider.id, 1, 9 * 60, 11 * 60);
  service.book(desk, {patientId, provider.id, person30.id, at("2026-03-02T14:00:00Z")});
  // 09:00-09:30 plus a 10-minute buffer holds until 09:40: the 15-minute slots at 09:30 and the
  // ones before are gone, 09:45 is free.
  auto free = instants(slotsOn(person15, 2026y / March / 2d));
  BOOST_TEST(free.front() == "2026-03-02T14:45:00.000Z");
  auto other = newPatient("MRN-S3", "");
  BOOST_CHECK_THROW(
      service.book(desk, {other, provider.id, person15.id, at("2026-03-02T14:30:00Z")}), SlotTaken);
  service.book(desk, {other, provider.id, person15.id, at("2026-03-02T14:45:00Z")});
}

BOOST_AUTO_TEST_SUITE_END()
