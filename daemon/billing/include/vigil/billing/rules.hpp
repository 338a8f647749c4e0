#pragma once
// The 2026 CMS RPM billing rules as pure functions (issue 24, docs/billing.md): no store, no
// clock, so the tests hold each rule against numbers written by hand.
//
//   device supply, per 30-day period of an episode: distinct days (in the patient's zone) with
//     at least one automatically transmitted reading: 2-15 -> 99445, 16-30 -> 99454, never both;
//   set-up and education (99453): once per episode, when the episode's first period has at
//     least 2 days with data (kSetupMinimumDays);
//   treatment management, per calendar month (patient's zone), only with at least one
//     real-time interactive contact in the month: 10-19 minutes -> 99470; 20 or more -> 99457
//     and one 99458 per further FULL 20 minutes; 99470 never with 99457.

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/core/clock.hpp"

namespace vigil::core {
class TimeZone;
}

namespace vigil::billing {

/// A calendar date with no zone (the patient's local date), as days since 1970-01-01.
using Day = std::chrono::sys_days;
std::string formatDay(Day day);
/// YYYY-MM-DD; nullopt for anything else or an impossible date.
std::optional<Day> parseDay(std::string_view text);
/// A month as YYYY-MM; nullopt otherwise.
std::optional<std::chrono::year_month> parseMonth(std::string_view text);
std::string formatMonth(std::chrono::year_month month);

inline constexpr int kPeriodDays = 30;
inline constexpr int kMinimumDeviceDays = 2;  // 99445 from here
inline constexpr int kFullDeviceDays = 16;    // 99454 from here
inline constexpr int kSetupMinimumDays = 2;   // 99453: days with data in the first period
inline constexpr int kShortTreatmentMinutes = 10;
inline constexpr int kTreatmentMinutes = 20;
inline constexpr int kAdditionalMinutes = 20;

/// A code and how many units of it.
struct CodeUnits {
  std::string code;
  int units = 1;
  bool operator==(const CodeUnits&) const = default;
};

/// 99445 for 2..15 days, 99454 for 16 or more, nothing below 2.
std::optional<std::string> deviceSupplyCode(int days);
/// Whether 99453 may be billed for an episode whose first period has `firstPeriodDays`.
bool setupBillable(int firstPeriodDays);
/// The treatment-management lines for a month's minutes: none without an interactive contact.
std::vector<CodeUnits> treatmentManagementCodes(int minutes, bool interactiveContact);

/// Period `index` (0-based) of an episode that starts on `start`: [first, last], 30 days, the
/// last cut at the episode's last day when it ends sooner.
struct Period {
  int index = 0;
  Day first;
  Day last;
  bool truncated = false;  // the episode ended before the period's 30th day
};
Period periodOf(Day episodeStart, int index, std::optional<Day> episodeLast);
/// The index of the period holding `day` (day >= episodeStart).
int periodIndexOf(Day episodeStart, Day day);

/// When a reading was taken: a UTC instant, or (devices whose clock has no offset) a wall-clock
/// time that is already the patient's local time.
struct ReadingTime {
  TimePoint at;
  bool local = false;
};
/// The patient's local calendar day of a reading.
Day localDay(const core::TimeZone& zone, const ReadingTime& t);
/// The patient's local calendar day of an instant.
Day localDay(const core::TimeZone& zone, TimePoint t);
/// The instant the local day starts (00:00 local; the first instant after a gap).
TimePoint startOfDay(const core::TimeZone& zone, Day day);

}  // namespace vigil::billing
