#include "slots.hpp"

#include <algorithm>

#include "vigil/core/error.hpp"

namespace vigil::scheduling::detail {

using namespace std::chrono;

TimePoint instantOf(const core::TimeZone& zone, local_seconds local, bool earliest) {
  const auto found = zone.fromLocal(local);
  sys_seconds t =
      found.empty() ? zone.fromLocalLenient(local) : (earliest ? found.front() : found.back());
  return TimePoint(t.time_since_epoch());
}

Interval blockInterval(const core::TimeZone& zone, local_days day, const TemplateBlock& block) {
  const local_seconds start = day + minutes(block.startMinute);
  const local_seconds end = day + minutes(block.endMinute);
  return {instantOf(zone, start, true), instantOf(zone, end, false)};
}

int isoWeekday(local_days day) {
  return static_cast<int>(weekday(day).iso_encoding());
}

namespace {

bool overlaps(const Interval& a, TimePoint start, TimePoint end) {
  return start < a.second && a.first < end;
}

bool offers(const TemplateBlock& b, std::int64_t typeId) {
  return b.typeIds.empty() ||
         std::find(b.typeIds.begin(), b.typeIds.end(), typeId) != b.typeIds.end();
}

}  // namespace

std::vector<Slot> candidateSlots(const core::TimeZone& zone, year_month_day from, year_month_day to,
                                 const std::vector<TemplateBlock>& blocks,
                                 const std::vector<ScheduleException>& exceptions,
                                 const AppointmentType& type, std::int64_t providerUserId) {
  std::vector<Interval> off;
  for (const auto& e : exceptions)
    off.emplace_back(instantOf(zone, e.startsLocal, true), instantOf(zone, e.endsLocal, false));
  const auto length = minutes(type.durationMinutes);
  std::vector<Slot> out;
  for (local_days day{from}; day <= local_days{to}; day += days(1)) {
    const int wd = isoWeekday(day);
    for (const auto& b : blocks) {
      if (b.weekday != wd || !offers(b, type.id)) continue;
      const auto [begin, end] = blockInterval(zone, day, b);
      for (auto t = begin; t + length <= end; t += kSlotStep) {
        const auto slotEnd = t + length;
        if (std::any_of(off.begin(), off.end(),
                        [&](const Interval& i) { return overlaps(i, t, slotEnd); }))
          continue;
        out.push_back({providerUserId, type.id, t, slotEnd});
      }
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Slot& a, const Slot& b) { return a.startsAt < b.startsAt; });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const Slot& a, const Slot& b) { return a.startsAt == b.startsAt; }),
            out.end());
  return out;
}

std::vector<std::int64_t> granules(TimePoint start, TimePoint end) {
  const auto g = duration_cast<milliseconds>(kGranule).count();
  const auto s = duration_cast<milliseconds>(start.time_since_epoch()).count();
  const auto e = duration_cast<milliseconds>(end.time_since_epoch()).count();
  if (s % g != 0 || e % g != 0 || e <= s)
    throw ValidationError("starts_at: must be on a 5-minute boundary");
  std::vector<std::int64_t> out;
  for (auto t = s; t < e; t += g) out.push_back(t / g);
  return out;
}

bool isFree(const std::set<std::int64_t>& held, TimePoint start, TimePoint end) {
  for (auto g : granules(start, end))
    if (held.count(g) != 0) return false;
  return true;
}

}  // namespace vigil::scheduling::detail
