#pragma once
// Business time for the async-care response target (issue 23, docs/cases.md): "1 business day"
// is 8 business hours, counted on the clinic's wall clock (its IANA zone) from Monday to Friday
// between the day's start and end hour. Time outside those hours does not count: a case opened
// on Friday at 16:00 with an 8-hour target is due on Monday at 15:00. Holidays are not known.
//
// Counting is done on local wall-clock minutes, then turned back into an instant with the zone
// (TimeZone::fromLocalLenient), so a DST change moves nothing on the clinic's clock.

#include <chrono>
#include <memory>

#include "vigil/core/clock.hpp"

namespace vigil::core {
class TimeZone;
}

namespace vigil::cases {

/// The clinic's business hours and response target.
struct BusinessHours {
  std::shared_ptr<const core::TimeZone> zone;  // nullptr: UTC
  int dayStartHour = 9;                        // 0..23, local
  int dayEndHour = 17;                         // dayStartHour+1..24, local
  std::chrono::minutes target{8 * 60};         // the response target, in business minutes
  int escalatePercent = 80;                    // 1..99: escalate when this share has passed
};

/// The instant `amount` business minutes after `from` (from itself when amount is zero and
/// `from` is inside business hours; else the next business minute's start).
TimePoint addBusinessTime(const BusinessHours& hours, TimePoint from, std::chrono::minutes amount);

/// When a case opened at `openedAt` is due (the whole target).
TimePoint dueAt(const BusinessHours& hours, TimePoint openedAt);
/// When it escalates: escalatePercent of the target (rounded down to the minute) after opening.
TimePoint escalateAt(const BusinessHours& hours, TimePoint openedAt);

}  // namespace vigil::cases
