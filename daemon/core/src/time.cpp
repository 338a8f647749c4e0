#include "vigil/core/time.hpp"

#include <charconv>
#include <cstdio>
#include <ctime>

namespace vigil::core {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;

/// Reads exactly `width` digits at `pos` into `out`; false when they are not all digits.
bool fixedDigits(std::string_view text, std::size_t pos, std::size_t width, int& out) {
  if (pos + width > text.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t daysFromCivil(int y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Hinnant's civil_from_days).
void civilFromDays(std::int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<int>(z - era * 146097);
  const int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400) + (m <= 2 ? 1 : 0);
}

/// Writes `value` as exactly `width` decimal digits at `out` (value < 10^width, >= 0).
void putDigits(char* out, std::int64_t value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

bool validDate(int m, int d) {
  return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

}  // namespace

std::int64_t toMillis(TimePoint t) {
  return duration_cast<milliseconds>(t.time_since_epoch()).count();
}

TimePoint fromMillis(std::int64_t ms) {
  return TimePoint{duration_cast<TimePoint::duration>(milliseconds{ms})};
}

std::optional<std::int64_t> toMillis(const std::optional<TimePoint>& t) {
  if (!t) return std::nullopt;
  return toMillis(*t);
}

std::optional<TimePoint> fromMillis(const std::optional<std::int64_t>& ms) {
  if (!ms) return std::nullopt;
  return fromMillis(*ms);
}

std::int64_t toMicros(TimePoint t) {
  return duration_cast<microseconds>(t.time_since_epoch()).count();
}

TimePoint fromMicros(std::int64_t us) {
  return TimePoint{duration_cast<TimePoint::duration>(microseconds{us})};
}

std::string formatUtc(TimePoint t, Fraction fraction) {
  const std::int64_t unit = fraction == Fraction::micros ? 1'000'000 : 1'000;
  const std::int64_t n = fraction == Fraction::micros ? toMicros(t) : toMillis(t);
  const std::int64_t secs = n >= 0 ? n / unit : (n - (unit - 1)) / unit;
  const std::int64_t frac = n - secs * unit;
  // By arithmetic rather than gmtime_r and snprintf: the API writes several times per alert and
  // a page of the queue holds 50 (issue 28). A TimePoint spans years 1677..2262: four digits.
  const std::int64_t days = secs >= 0 ? secs / 86'400 : (secs - 86'399) / 86'400;
  const std::int64_t sod = secs - days * 86'400;
  int y = 0, m = 0, d = 0;
  civilFromDays(days, y, m, d);
  const int fracWidth = fraction == Fraction::micros ? 6 : 3;
  std::string out(20 + static_cast<std::size_t>(fracWidth) + 1, '\0');
  char* p = out.data();
  putDigits(p, y, 4);
  p[4] = '-';
  putDigits(p + 5, m, 2);
  p[7] = '-';
  putDigits(p + 8, d, 2);
  p[10] = 'T';
  putDigits(p + 11, sod / 3600, 2);
  p[13] = ':';
  putDigits(p + 14, sod / 60 % 60, 2);
  p[16] = ':';
  putDigits(p + 17, sod % 60, 2);
  p[19] = '.';
  putDigits(p + 20, frac, fracWidth);
  p[20 + fracWidth] = 'Z';
  return out;
}

constexpr int kMinYear = 1700;
constexpr int kMaxYear = 2261;

std::optional<TimePoint> parseDate(std::string_view text) {
  int y = 0, m = 0, d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !fixedDigits(text, 0, 4, y) ||
      !fixedDigits(text, 5, 2, m) || !fixedDigits(text, 8, 2, d) || !validDate(m, d))
    return std::nullopt;
  // A TimePoint counts nanoseconds in 64 bits: about 1677-09-21 to 2262-04-11. Years outside
  // 1700..2261 are refused rather than overflowing (found by fuzz_cloud_envelope).
  if (y < kMinYear || y > kMaxYear) return std::nullopt;
  return TimePoint{std::chrono::seconds{daysFromCivil(y, m, d) * 86'400}};
}

std::optional<TimePoint> parseRfc3339(std::string_view text) {
  if (text.size() < 20 || text[10] != 'T' || text[13] != ':' || text[16] != ':')
    return std::nullopt;
  auto date = parseDate(text.substr(0, 10));
  int h = 0, mi = 0, s = 0;
  if (!date || !fixedDigits(text, 11, 2, h) || !fixedDigits(text, 14, 2, mi) ||
      !fixedDigits(text, 17, 2, s) || h > 23 || mi > 59 || s > 60)
    return std::nullopt;
  std::size_t pos = 19;
  std::int64_t millis = 0;
  if (text[pos] == '.') {
    const std::size_t start = ++pos;
    for (int scale = 100; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos) {
      millis += (text[pos] - '0') * scale;
      scale /= 10;
    }
    if (pos == start) return std::nullopt;
  }
  std::int64_t offset = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh = 0, om = 0;
    if (!fixedDigits(text, pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !fixedDigits(text, pos + 4, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset = (text[pos] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  const std::int64_t secs =
      std::chrono::duration_cast<std::chrono::seconds>(date->time_since_epoch()).count() +
      h * 3600 + mi * 60 + s - offset;
  return fromMillis(secs * 1000 + millis);
}

}  // namespace vigil::core
