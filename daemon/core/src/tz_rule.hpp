#pragma once
// The POSIX TZ rule of a TZif footer (RFC 8536 section 3.3, with its extensions: transition
// times from -167 to 167 hours, quoted <...> names), parsed and evaluated for any year.
// Internal to core's time zones.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace vigil::core::tz {

/// The largest UTC offset magnitude accepted anywhere (table or rule): 25 hours, plus one to
/// admit RFC 8536's limit of +25:59:59.
inline constexpr std::int64_t kMaxOffset = 26 * 3600;

/// A day of the year in one of POSIX's three forms.
struct RuleDate {
  enum class Kind { julianNoLeap, zeroBased, monthWeekDay };  // Jn, n, Mm.w.d
  Kind kind = Kind::monthWeekDay;
  int day = 0;               // Jn: 1..365; n: 0..365; Mm.w.d: weekday 0 (Sunday)..6
  int month = 0;             // Mm.w.d: 1..12
  int week = 0;              // Mm.w.d: 1..5 (5 = the last)
  std::int64_t time = 7200;  // seconds after local midnight, -167 h .. 167 h
};

/// "std offset [dst [offset] ,start[/time],end[/time]]". Offsets here are east of UTC (the TZ
/// string's sign turned around).
struct PosixRule {
  std::int64_t stdOffset = 0;
  bool hasDst = false;
  std::int64_t dstOffset = 0;
  RuleDate start;
  RuleDate end;

  /// The UTC offset in effect at `t` (seconds since the epoch).
  std::int64_t offsetAt(std::int64_t t) const;
  /// The instants in (from, to] at which the rule changes the offset, ascending.
  std::vector<std::int64_t> changesIn(std::int64_t from, std::int64_t to) const;
};

/// Parses a footer's TZ string; an empty string is "no rule" (nullopt). Throws ValidationError.
std::optional<PosixRule> parsePosixRule(std::string_view text);

/// The civil year holding `t` seconds since the epoch, `t` clamped to years -30000..30000.
int yearOf(std::int64_t t);

}  // namespace vigil::core::tz
