#pragma once
// Time as the store keeps it (integer milliseconds or microseconds since the epoch) and as the
// API, the audit export and the console print and read it (RFC 3339 in UTC). One place for these,
// so every part stores and prints the same instant the same way.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "vigil/core/clock.hpp"

namespace vigil::core {

std::int64_t toMillis(TimePoint t);
TimePoint fromMillis(std::int64_t ms);
std::optional<std::int64_t> toMillis(const std::optional<TimePoint>& t);
std::optional<TimePoint> fromMillis(const std::optional<std::int64_t>& ms);
std::int64_t toMicros(TimePoint t);
TimePoint fromMicros(std::int64_t us);

/// How many digits of the second's fraction formatUtc writes.
enum class Fraction { millis, micros };

/// RFC 3339 in UTC: "2026-12-04T15:04:32.123Z" (millis) or "2026-12-04T15:04:32.123456Z"
/// (micros, the default). Instants before 1970 round down, like the calendar.
std::string formatUtc(TimePoint t, Fraction fraction = Fraction::micros);

/// An RFC 3339 date-time: "YYYY-MM-DDTHH:MM:SS", an optional fraction (digits past the
/// millisecond are ignored), then "Z" or "±HH:MM". Nothing else: no date alone, no spaces.
std::optional<TimePoint> parseRfc3339(std::string_view text);

/// A calendar date "YYYY-MM-DD" as its midnight in UTC.
std::optional<TimePoint> parseDate(std::string_view text);

}  // namespace vigil::core
