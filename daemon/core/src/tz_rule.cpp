#include "tz_rule.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <string>

#include "vigil/core/error.hpp"

namespace vigil::core::tz {

namespace {

namespace chr = std::chrono;

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kYearLimitSeconds = 946'000'000'000;  // about 30,000 years
constexpr std::int64_t kMaxRuleHours = 167;

[[noreturn]] void refuse(std::string_view why) {
  throw ValidationError("time zone rule: " + std::string(why));
}

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
bool isAlpha(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/// Reads a TZ string left to right; every read checks the end.
class RuleReader {
 public:
  explicit RuleReader(std::string_view text) : text_(text) {}
  bool atEnd() const { return pos_ >= text_.size(); }
  char peek() const { return atEnd() ? '\0' : text_[pos_]; }
  bool take(char c) {
    if (peek() != c || atEnd()) return false;
    ++pos_;
    return true;
  }

  /// An abbreviation: three or more letters, or <...> of letters, digits, '+' and '-'.
  void name() {
    std::size_t length = 0;
    if (take('<')) {
      while (!atEnd() && (isAlpha(peek()) || isDigit(peek()) || peek() == '+' || peek() == '-')) {
        ++pos_;
        ++length;
      }
      if (!take('>')) refuse("unterminated <name>");
    } else {
      while (!atEnd() && isAlpha(peek())) {
        ++pos_;
        ++length;
      }
    }
    if (length < 3) refuse("zone abbreviation shorter than three characters");
  }

  /// [+-]hh[:mm[:ss]] in seconds, hours at most `maxHours`.
  std::int64_t signedTime(std::int64_t maxHours) {
    std::int64_t sign = 1;
    if (take('-')) {
      sign = -1;
    } else {
      take('+');
    }
    std::int64_t hours = number(3);
    if (hours > maxHours) refuse("hours out of range");
    std::int64_t seconds = hours * 3600;
    if (take(':')) {
      std::int64_t minutes = number(2);
      if (minutes > 59) refuse("minutes out of range");
      seconds += minutes * 60;
      if (take(':')) {
        std::int64_t secs = number(2);
        if (secs > 59) refuse("seconds out of range");
        seconds += secs;
      }
    }
    return sign * seconds;
  }

  /// One to `maxDigits` decimal digits.
  std::int64_t number(int maxDigits) {
    if (!isDigit(peek())) refuse("digit expected");
    std::int64_t value = 0;
    int digits = 0;
    while (!atEnd() && isDigit(peek())) {
      if (++digits > maxDigits) refuse("number too long");
      value = value * 10 + (text_[pos_] - '0');
      ++pos_;
    }
    return value;
  }

  RuleDate date() {
    RuleDate d;
    if (take('M')) {
      d.kind = RuleDate::Kind::monthWeekDay;
      d.month = static_cast<int>(number(2));
      if (!take('.')) refuse("'.' expected in Mm.w.d");
      d.week = static_cast<int>(number(1));
      if (!take('.')) refuse("'.' expected in Mm.w.d");
      d.day = static_cast<int>(number(1));
      if (d.month < 1 || d.month > 12 || d.week < 1 || d.week > 5 || d.day > 6)
        refuse("Mm.w.d out of range");
    } else if (take('J')) {
      d.kind = RuleDate::Kind::julianNoLeap;
      d.day = static_cast<int>(number(3));
      if (d.day < 1 || d.day > 365) refuse("Jn out of range");
    } else {
      d.kind = RuleDate::Kind::zeroBased;
      d.day = static_cast<int>(number(3));
      if (d.day > 365) refuse("day number out of range");
    }
    if (take('/')) d.time = signedTime(kMaxRuleHours);
    return d;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

/// The first day (days since the epoch) that `d` names in `year`.
std::int64_t dayOf(int year, const RuleDate& d) {
  const chr::year y{year};
  const chr::sys_days jan1{y / chr::January / 1};
  std::int64_t days = jan1.time_since_epoch().count();
  switch (d.kind) {
    case RuleDate::Kind::julianNoLeap:
      return days + d.day - 1 + ((y.is_leap() && d.day >= 60) ? 1 : 0);
    case RuleDate::Kind::zeroBased:
      return days + d.day;
    case RuleDate::Kind::monthWeekDay: {
      const chr::month m{static_cast<unsigned>(d.month)};
      const chr::weekday wd{static_cast<unsigned>(d.day)};
      chr::sys_days day = d.week == 5 ? chr::sys_days{y / m / wd[chr::last]}
                                      : chr::sys_days{y / m / wd[static_cast<unsigned>(d.week)]};
      return day.time_since_epoch().count();
    }
  }
  return days;
}

struct Change {
  std::int64_t at;
  bool dst;
  bool operator<(const Change& o) const { return at != o.at ? at < o.at : dst < o.dst; }
};

/// When daylight time starts (`dst`) or ends in `year`: the start's time is standard time, the
/// end's daylight time.
Change changeOf(const PosixRule& rule, int year, bool dst) {
  return dst ? Change{dayOf(year, rule.start) * kDay + rule.start.time - rule.stdOffset, true}
             : Change{dayOf(year, rule.end) * kDay + rule.end.time - rule.dstOffset, false};
}

/// The rule's changes of years first..last, ascending; at equal instants the standard-time end
/// sorts first, so a rule with DST all year ("0/0,J365/25") stays in DST across the new year.
std::vector<Change> changesOfYears(const PosixRule& rule, int first, int last) {
  std::vector<Change> out;
  for (int y = first; y <= last; ++y) {
    out.push_back(changeOf(rule, y, true));
    out.push_back(changeOf(rule, y, false));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

int yearOf(std::int64_t t) {
  t = std::clamp(t, -kYearLimitSeconds, kYearLimitSeconds);
  std::int64_t days = t / kDay - ((t % kDay) < 0 ? 1 : 0);
  chr::year_month_day ymd{chr::sys_days{chr::days{days}}};
  return static_cast<int>(ymd.year());
}

std::int64_t PosixRule::offsetAt(std::int64_t t) const {
  if (!hasDst) return stdOffset;
  // Two years back: a change of the previous year may fall a week into this one (167 h).
  const int y = yearOf(t);
  std::array<Change, 8> changes;  // on the stack: this runs for every instant after the table
  for (std::size_t i = 0; i < 8; ++i)
    changes[i] = changeOf(*this, y - 2 + static_cast<int>(i / 2), i % 2 == 0);
  std::sort(changes.begin(), changes.end());
  bool dst = false;
  for (const Change& c : changes) {
    if (c.at > t) break;
    dst = c.dst;
  }
  return dst ? dstOffset : stdOffset;
}

std::vector<std::int64_t> PosixRule::changesIn(std::int64_t from, std::int64_t to) const {
  std::vector<std::int64_t> out;
  if (!hasDst || to <= from) return out;
  const int first = yearOf(from) - 1;
  const int last = std::min(yearOf(to) + 1, first + 12);  // callers ask for days, not centuries
  for (const Change& c : changesOfYears(*this, first, last)) {
    if (c.at <= from || c.at > to) continue;
    if (offsetAt(c.at - 1) == offsetAt(c.at)) continue;
    if (out.empty() || out.back() != c.at) out.push_back(c.at);
  }
  return out;
}

std::optional<PosixRule> parsePosixRule(std::string_view text) {
  if (text.empty()) return std::nullopt;
  RuleReader in(text);
  PosixRule rule;
  in.name();
  rule.stdOffset = -in.signedTime(24);
  if (!in.atEnd()) {
    in.name();
    rule.hasDst = true;
    rule.dstOffset = rule.stdOffset + 3600;
    if (in.peek() != ',') rule.dstOffset = -in.signedTime(24);
    // POSIX leaves the dates of a rule-less DST to the implementation; zic always writes them.
    if (!in.take(',')) refuse("daylight time without its dates");
    rule.start = in.date();
    if (!in.take(',')) refuse("',' expected before the end date");
    rule.end = in.date();
  }
  if (!in.atEnd()) refuse("unexpected characters at the end");
  if (std::max(std::abs(rule.stdOffset), std::abs(rule.dstOffset)) >= kMaxOffset)
    refuse("offset out of range");
  return rule;
}

}  // namespace vigil::core::tz
