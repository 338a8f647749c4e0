#pragma once
// The slot arithmetic of scheduling, without the store: local template blocks and exceptions
// turned into UTC candidate slots in a zone, and claims granules. Unit-tested on its own.

#include <chrono>
#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/core/time_zone.hpp"
#include "vigil/scheduling/scheduling.hpp"

namespace vigil::scheduling::detail {

/// A real-time interval [first, second).
using Interval = std::pair<TimePoint, TimePoint>;

/// The instant a local time names for a span starting or ending there: the earliest instant in
/// an overlap when `earliest`, else the latest; in a gap, the zone's lenient mapping.
TimePoint instantOf(const core::TimeZone& zone, std::chrono::local_seconds local, bool earliest);

/// The real interval of a template block on a local day: from the earliest instant of its
/// start to the latest instant of its end (fall-back: the repeated hour counted twice;
/// spring-forward: the skipped hour not at all).
Interval blockInterval(const core::TimeZone& zone, std::chrono::local_days day,
                       const TemplateBlock& block);

/// ISO weekday (1 Monday .. 7 Sunday) of a local day.
int isoWeekday(std::chrono::local_days day);

/// The candidate slots of `type` for the provider in [from, to] (local dates in `zone`): every
/// kSlotStep from each block's start that fits the block, outside every exception, sorted.
std::vector<Slot> candidateSlots(const core::TimeZone& zone, std::chrono::year_month_day from,
                                 std::chrono::year_month_day to,
                                 const std::vector<TemplateBlock>& blocks,
                                 const std::vector<ScheduleException>& exceptions,
                                 const AppointmentType& type, std::int64_t providerUserId);

/// The claim granules (epoch minutes / 5) covering [start, end). Start and end must be on
/// granule boundaries (ValidationError otherwise).
std::vector<std::int64_t> granules(TimePoint start, TimePoint end);

/// True when none of [start, end)'s granules is in `held`.
bool isFree(const std::set<std::int64_t>& held, TimePoint start, TimePoint end);

}  // namespace vigil::scheduling::detail
