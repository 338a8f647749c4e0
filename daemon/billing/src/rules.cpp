#include "vigil/billing/rules.hpp"

#include <charconv>

#include "vigil/core/time_zone.hpp"

namespace vigil::billing {

using namespace std::chrono;

namespace {

bool digits(std::string_view s) {
  for (char ch : s)
    if (ch < '0' || ch > '9') return false;
  return !s.empty();
}

int number(std::string_view s) {
  int v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

std::string pad(int v, int width) {
  auto s = std::to_string(v);
  while (static_cast<int>(s.size()) < width) s.insert(s.begin(), '0');
  return s;
}

}  // namespace

std::string formatDay(Day day) {
  const year_month_day ymd(day);
  return pad(static_cast<int>(ymd.year()), 4) + "-" +
         pad(static_cast<int>(static_cast<unsigned>(ymd.month())), 2) + "-" +
         pad(static_cast<int>(static_cast<unsigned>(ymd.day())), 2);
}

std::optional<Day> parseDay(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  if (!digits(text.substr(0, 4)) || !digits(text.substr(5, 2)) || !digits(text.substr(8, 2)))
    return std::nullopt;
  const year_month_day ymd{year(number(text.substr(0, 4))),
                           month(static_cast<unsigned>(number(text.substr(5, 2)))),
                           day(static_cast<unsigned>(number(text.substr(8, 2))))};
  if (!ymd.ok()) return std::nullopt;
  return sys_days(ymd);
}

std::optional<year_month> parseMonth(std::string_view text) {
  if (text.size() != 7 || text[4] != '-') return std::nullopt;
  if (!digits(text.substr(0, 4)) || !digits(text.substr(5, 2))) return std::nullopt;
  const year_month ym{year(number(text.substr(0, 4))),
                      month(static_cast<unsigned>(number(text.substr(5, 2))))};
  if (!ym.ok() || ym.year() < year(2000) || ym.year() > year(2200)) return std::nullopt;
  return ym;
}

std::string formatMonth(year_month m) {
  return pad(static_cast<int>(m.year()), 4) + "-" +
         pad(static_cast<int>(static_cast<unsigned>(m.month())), 2);
}

std::optional<std::string> deviceSupplyCode(int days) {
  if (days >= kFullDeviceDays) return std::string("99454");
  if (days >= kMinimumDeviceDays) return std::string("99445");
  return std::nullopt;
}

bool setupBillable(int firstPeriodDays) {
  return firstPeriodDays >= kSetupMinimumDays;
}

std::vector<CodeUnits> treatmentManagementCodes(int minutes, bool interactiveContact) {
  if (!interactiveContact || minutes < kShortTreatmentMinutes) return {};
  if (minutes < kTreatmentMinutes) return {{"99470", 1}};
  std::vector<CodeUnits> out{{"99457", 1}};
  const int further = (minutes - kTreatmentMinutes) / kAdditionalMinutes;
  if (further > 0) out.push_back({"99458", further});
  return out;
}

Period periodOf(Day episodeStart, int index, std::optional<Day> episodeLast) {
  Period p;
  p.index = index;
  p.first = episodeStart + days(kPeriodDays * index);
  p.last = p.first + days(kPeriodDays - 1);
  if (episodeLast && *episodeLast < p.last) {
    p.last = *episodeLast;
    p.truncated = true;
  }
  return p;
}

int periodIndexOf(Day episodeStart, Day day) {
  return static_cast<int>((day - episodeStart).count() / kPeriodDays);
}

Day localDay(const core::TimeZone& zone, TimePoint t) {
  const auto local = zone.toLocal(floor<seconds>(t));
  return Day(floor<days>(local).time_since_epoch());
}

Day localDay(const core::TimeZone& zone, const ReadingTime& t) {
  if (t.local) return floor<days>(t.at);
  return localDay(zone, t.at);
}

TimePoint startOfDay(const core::TimeZone& zone, Day day) {
  const local_seconds midnight{day.time_since_epoch()};
  return TimePoint(zone.fromLocalLenient(midnight));
}

}  // namespace vigil::billing
