#pragma once
// FHIR R4 search parameters as the box's API reads them (https://hl7.org/fhir/R4/search.html):
// date parameters with their prefixes and the precision of the value, `_count`, `_sort`, the
// page token of next links, and the OperationOutcome an error answers with.
//
// Dates: a value stands for the range its precision covers, in UTC: "2026" the year,
// "2026-11" the month, "2026-11-03" the day, "2026-11-03T10:15Z" the minute, with seconds the
// second, with a fraction the millisecond. For a resource whose date is one instant t (an
// Observation's effectiveDateTime), a parameter with range [lo, hi) matches when:
//   eq  lo <= t < hi        ne  t < lo or t >= hi
//   gt  t >= hi             lt  t < lo
//   ge  t >= lo             le  t < hi
//   sa  t >= hi             eb  t < lo
//   ap  lo - d <= t < hi + d, d = 10 % of the time between now and the value (at least a day)
// Several date parameters must all match (AND); a value without a prefix is eq.

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/readings/reading_query.hpp"

namespace vigil::fhir {

/// A request the box refuses, as an OperationOutcome: the HTTP status, the issue type code
/// (invalid, not-found, forbidden, login, not-supported, processing, duplicate, exception) and
/// a diagnostic naming the parameter or field, never a value.
class FhirError : public std::runtime_error {
 public:
  FhirError(int httpStatus, std::string issueCode, const std::string& diagnostics)
      : std::runtime_error(diagnostics), status(httpStatus), code(std::move(issueCode)) {}
  int status;
  std::string code;
};

/// {"resourceType":"OperationOutcome","issue":[{"severity":"error"|"information","code":…,
/// "diagnostics":…}]}
Poco::JSON::Object::Ptr operationOutcome(std::string_view code, const std::string& diagnostics,
                                         std::string_view severity = "error");

/// A search's parameters, decoded, in the order given (a name may repeat).
using SearchParams = std::vector<std::pair<std::string, std::string>>;
/// Splits and percent-decodes a raw query string ("a=1&b=2&a=3"); '+' is a space.
SearchParams parseSearchParams(std::string_view rawQuery);
/// Percent-encodes one value for a link.
std::string encodeParam(std::string_view value);

enum class DatePrefix { eq, ne, gt, lt, ge, le, sa, eb, ap };

/// One date parameter: its prefix and the range [lo, hi) its value covers.
struct DateParam {
  DatePrefix prefix = DatePrefix::eq;
  TimePoint lo, hi;
};

/// Parses "ge2026-11-03" and the like; throws FhirError 400 naming `name`.
DateParam parseDateParam(std::string_view name, std::string_view value);

/// The instants a parameter matches, as intervals (one, or two for ne); `now` for ap.
std::vector<readings::TimeInterval> intervalsOf(const DateParam& param, TimePoint now);

/// True when the instant t satisfies the parameter.
bool matches(const DateParam& param, TimePoint t, TimePoint now);

/// `_count`: default 50, at most 1000, 0 allowed (a count without entries); throws FhirError.
std::size_t countOf(const SearchParams& params);

/// `_sort`: "date" (oldest first, the default) or "-date"; throws FhirError for anything else.
bool newestFirstOf(const SearchParams& params);

/// The values of every parameter named `name`.
std::vector<std::string> valuesOf(const SearchParams& params, std::string_view name);

/// A reference parameter's id: "123", "Patient/123" or "<base>/Patient/123" for `type`;
/// throws FhirError 400 otherwise.
std::string referenceId(std::string_view name, std::string_view value, std::string_view type);

/// The positive integer id of a resource ("12"); nullopt when it is not one.
std::optional<std::int64_t> numericId(std::string_view id);

/// Page tokens of next links: a keyset (effective time, id) for Observation searches, an
/// offset for the rest; both opaque to clients.
std::string keysetToken(TimePoint t, std::int64_t id);
std::optional<std::pair<TimePoint, std::int64_t>> parseKeysetToken(std::string_view token);
std::string offsetToken(std::size_t offset);
std::optional<std::size_t> parseOffsetToken(std::string_view token);

}  // namespace vigil::fhir
