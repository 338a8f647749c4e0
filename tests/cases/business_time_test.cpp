#define BOOST_TEST_MODULE cases
// Business time (issue 23, docs/cases.md): the response target counted Monday to Friday within
// the clinic's hours. Every expected time below was worked out by hand on a calendar: 2026-12-04
// is a Friday, 2026-12-07 the Monday after it; New York is on EST (UTC-5) in December.

#include "vigil/cases/business_time.hpp"

#include <boost/test/unit_test.hpp>

#include "vigil/core/time.hpp"
#include "vigil/core/time_zone.hpp"

using namespace std::chrono;
using vigil::TimePoint;
using vigil::cases::addBusinessTime;
using vigil::cases::BusinessHours;

namespace {

TimePoint at(int y, unsigned mo, unsigned d, int h, int mi) {
  return TimePoint(sys_days(year(y) / month(mo) / day(d)) + hours(h) + minutes(mi));
}

std::string show(TimePoint t) {
  return vigil::core::formatUtc(t);
}

BusinessHours oneDay() {
  return BusinessHours{nullptr, 9, 17, minutes(8 * 60), 80};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(BusinessTime)

BOOST_AUTO_TEST_CASE(a_friday_afternoon_case_is_due_on_monday_afternoon) {
  // Friday 16:00-17:00 is one hour; the weekend counts nothing; Monday 09:00 + 7 h = 16:00.
  const auto h = oneDay();
  BOOST_TEST(show(vigil::cases::dueAt(h, at(2026, 12, 4, 16, 0))) == show(at(2026, 12, 7, 16, 0)));
  // 80 % of 8 h is 6 h 24 min: Friday's hour, then Monday 09:00 + 5 h 24 = 14:24.
  BOOST_TEST(show(vigil::cases::escalateAt(h, at(2026, 12, 4, 16, 0))) ==
             show(at(2026, 12, 7, 14, 24)));
}

BOOST_AUTO_TEST_CASE(a_weekend_or_evening_case_starts_counting_on_monday_morning) {
  const auto h = oneDay();
  // Saturday 10:00, Friday 17:00 (closing time) and Friday 22:00: Monday 09:00 + 8 h = 17:00.
  BOOST_TEST(show(vigil::cases::dueAt(h, at(2026, 12, 5, 10, 0))) == show(at(2026, 12, 7, 17, 0)));
  BOOST_TEST(show(vigil::cases::dueAt(h, at(2026, 12, 4, 17, 0))) == show(at(2026, 12, 7, 17, 0)));
  BOOST_TEST(show(vigil::cases::dueAt(h, at(2026, 12, 4, 22, 0))) == show(at(2026, 12, 7, 17, 0)));
  // Saturday 10:00: escalation at Monday 09:00 + 6 h 24 = 15:24.
  BOOST_TEST(show(vigil::cases::escalateAt(h, at(2026, 12, 5, 10, 0))) ==
             show(at(2026, 12, 7, 15, 24)));
  // Monday 07:30, before opening: Monday 17:00.
  BOOST_TEST(show(vigil::cases::dueAt(h, at(2026, 12, 7, 7, 30))) == show(at(2026, 12, 7, 17, 0)));
}

BOOST_AUTO_TEST_CASE(a_weekday_case_runs_into_the_next_morning) {
  // Thursday 10:00: 7 h to Thursday 17:00, 1 h on Friday: Friday 10:00.
  BOOST_TEST(show(vigil::cases::dueAt(oneDay(), at(2026, 12, 3, 10, 0))) ==
             show(at(2026, 12, 4, 10, 0)));
}

BOOST_AUTO_TEST_CASE(two_business_days_from_friday_noon_end_on_tuesday_noon) {
  // 16 h: Friday 12:00-17:00 (5 h), Monday (8 h), Tuesday 09:00 + 3 h = 12:00.
  BusinessHours h{nullptr, 9, 17, minutes(16 * 60), 80};
  BOOST_TEST(show(vigil::cases::dueAt(h, at(2026, 12, 4, 12, 0))) == show(at(2026, 12, 8, 12, 0)));
}

BOOST_AUTO_TEST_CASE(the_hours_are_the_clinics_own_wall_clock) {
  // New York, EST: Friday 16:00 local is 21:00Z; due Monday 16:00 local, 21:00Z.
  BusinessHours h = oneDay();
  h.zone = vigil::core::TimeZone::locate("America/New_York");
  BOOST_TEST(show(vigil::cases::dueAt(h, at(2026, 12, 4, 21, 0))) == show(at(2026, 12, 7, 21, 0)));
  // Friday 13:00Z is 08:00 local, before opening: Friday 09:00-17:00 local is the whole target,
  // due Friday 17:00 local = 22:00Z.
  BOOST_TEST(show(vigil::cases::dueAt(h, at(2026, 12, 4, 13, 0))) == show(at(2026, 12, 4, 22, 0)));
}

BOOST_AUTO_TEST_CASE(seconds_round_up_to_the_next_minute) {
  // Thursday 16:59:30 counts from 17:00, i.e. from Friday 09:00: due Friday 17:00.
  BOOST_TEST(show(vigil::cases::dueAt(oneDay(), at(2026, 12, 3, 16, 59) + seconds(30))) ==
             show(at(2026, 12, 4, 17, 0)));
  BOOST_TEST(show(addBusinessTime(oneDay(), at(2026, 12, 3, 12, 0), minutes(0))) ==
             show(at(2026, 12, 3, 12, 0)));
}

BOOST_AUTO_TEST_SUITE_END()
