// Business-time arithmetic on the clinic's wall clock (see business_time.hpp).

#include "vigil/cases/business_time.hpp"

#include <cassert>

#include "vigil/core/time_zone.hpp"

namespace vigil::cases {

namespace {

using std::chrono::days;
using std::chrono::floor;
using std::chrono::local_days;
using std::chrono::local_seconds;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::sys_seconds;
using std::chrono::weekday;

bool isBusinessDay(local_days d) {
  const weekday w{d};
  return w != std::chrono::Saturday && w != std::chrono::Sunday;
}

}  // namespace

TimePoint addBusinessTime(const BusinessHours& hours, TimePoint from, minutes amount) {
  assert(hours.dayStartHour >= 0 && hours.dayStartHour < hours.dayEndHour &&
         hours.dayEndHour <= 24);
  const auto zone = hours.zone ? hours.zone : core::TimeZone::utc();
  const auto start = std::chrono::hours(hours.dayStartHour);
  const auto end = std::chrono::hours(hours.dayEndHour);
  // Business time is counted in whole minutes: a case opened at 10:00:30 counts from 10:01.
  const auto at = std::chrono::ceil<minutes>(std::chrono::time_point_cast<seconds>(from));
  local_seconds now = zone->toLocal(sys_seconds(at.time_since_epoch()));
  minutes left = amount;
  for (int guard = 0; guard < 10000; ++guard) {
    const auto day = floor<days>(now);
    const auto open = day + start;
    const auto close = day + end;
    if (!isBusinessDay(day) || now >= close) {
      now = local_days(day + days(1)) + start;  // the next day's start, checked next turn
      continue;
    }
    if (now < open) now = open;
    const auto room = std::chrono::duration_cast<minutes>(close - now);
    if (left <= room) {
      now += left;
      return TimePoint(zone->fromLocalLenient(now).time_since_epoch());
    }
    left -= room;
    now = local_days(day + days(1)) + start;
  }
  assert(false && "business time did not converge");
  return from;
}

TimePoint dueAt(const BusinessHours& hours, TimePoint openedAt) {
  return addBusinessTime(hours, openedAt, hours.target);
}

TimePoint escalateAt(const BusinessHours& hours, TimePoint openedAt) {
  return addBusinessTime(hours, openedAt,
                         minutes(hours.target.count() * hours.escalatePercent / 100));
}

}  // namespace vigil::cases
