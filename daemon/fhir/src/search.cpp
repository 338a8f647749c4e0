#include "vigil/fhir/search.hpp"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>

#include "json_util.hpp"
#include "vigil/core/time.hpp"

namespace vigil::fhir {
namespace {

using Duration = std::chrono::system_clock::duration;

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hexValue(s[i + 1]) >= 0 &&
               hexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(hexValue(s[i + 1]) * 16 + hexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int toInt(std::string_view s) {
  int v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

/// The first instant of a month (month may be 13: January of the next year).
TimePoint monthStart(int year, int month) {
  if (month > 12) ++year, month = 1;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-01", year, month);
  return *core::parseDate(buf);
}

/// [lo, hi) of a date or date-time value at its precision; nullopt when malformed.
std::optional<std::pair<TimePoint, TimePoint>> rangeOf(std::string_view v) {
  using namespace std::chrono;
  if (v.size() == 4 && digits(v)) {
    const int y = toInt(v);
    if (y < 1900 || y > 9998) return std::nullopt;
    return std::pair{monthStart(y, 1), monthStart(y + 1, 1)};
  }
  if (v.size() == 7 && digits(v.substr(0, 4)) && v[4] == '-' && digits(v.substr(5, 2))) {
    const int y = toInt(v.substr(0, 4)), m = toInt(v.substr(5, 2));
    if (y < 1900 || y > 9998 || m < 1 || m > 12) return std::nullopt;
    return std::pair{monthStart(y, m), monthStart(y, m + 1)};
  }
  if (v.size() == 10) {
    auto day = core::parseDate(v);
    // parseDate rolls 2026-11-31 over to December: a day that does not exist is refused.
    if (!day || core::formatUtc(*day).substr(0, 10) != v) return std::nullopt;
    return std::pair{*day, *day + days(1)};
  }
  if (v.size() < 11 || v[10] != 'T') return std::nullopt;
  // Minutes only ("…T10:15Z", "…T10:15+02:00"): add the seconds.
  std::string text(v);
  Duration width = seconds(1);
  if (text.size() >= 16 &&
      (text.size() == 16 || text[16] == 'Z' || text[16] == '+' || text[16] == '-')) {
    text.insert(16, ":00");
    width = minutes(1);
  } else if (text.size() > 19 && text[19] == '.') {
    width = milliseconds(1);
  }
  auto t = core::parseRfc3339(text);
  if (!t) return std::nullopt;
  return std::pair{*t, *t + width};
}

}  // namespace

Poco::JSON::Object::Ptr operationOutcome(std::string_view code, const std::string& diagnostics,
                                         std::string_view severity) {
  auto o = json::object();
  o->set("resourceType", std::string("OperationOutcome"));
  auto issue = json::object();
  issue->set("severity", std::string(severity));
  issue->set("code", std::string(code));
  issue->set("diagnostics", diagnostics);
  o->set("issue", json::one(issue));
  return o;
}

SearchParams parseSearchParams(std::string_view raw) {
  SearchParams out;
  std::size_t i = 0;
  while (i <= raw.size()) {
    auto j = raw.find('&', i);
    if (j == std::string_view::npos) j = raw.size();
    auto part = raw.substr(i, j - i);
    if (!part.empty()) {
      auto eq = part.find('=');
      if (eq == std::string_view::npos)
        out.emplace_back(decode(part), std::string());
      else
        out.emplace_back(decode(part.substr(0, eq)), decode(part.substr(eq + 1)));
    }
    i = j + 1;
  }
  return out;
}

std::string encodeParam(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == ':' || c == '|' ||
        c == ',' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

DateParam parseDateParam(std::string_view name, std::string_view value) {
  static constexpr std::pair<std::string_view, DatePrefix> kPrefixes[] = {
      {"eq", DatePrefix::eq}, {"ne", DatePrefix::ne}, {"gt", DatePrefix::gt},
      {"lt", DatePrefix::lt}, {"ge", DatePrefix::ge}, {"le", DatePrefix::le},
      {"sa", DatePrefix::sa}, {"eb", DatePrefix::eb}, {"ap", DatePrefix::ap}};
  DateParam p;
  if (value.size() > 2 && std::isalpha(static_cast<unsigned char>(value[0]))) {
    auto it = std::find_if(std::begin(kPrefixes), std::end(kPrefixes),
                           [&](const auto& kv) { return value.starts_with(kv.first); });
    if (it == std::end(kPrefixes))
      throw FhirError(400, "invalid", std::string(name) + ": unknown prefix");
    p.prefix = it->second;
    value.remove_prefix(2);
  }
  auto range = rangeOf(value);
  if (!range)
    throw FhirError(400, "invalid",
                    std::string(name) +
                        ": not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or a "
                        "date-time with a time zone)");
  p.lo = range->first;
  p.hi = range->second;
  return p;
}

std::vector<readings::TimeInterval> intervalsOf(const DateParam& p, TimePoint now) {
  using I = readings::TimeInterval;
  switch (p.prefix) {
    case DatePrefix::eq:
      return {I{p.lo, p.hi}};
    case DatePrefix::ne:
      return {I{std::nullopt, p.lo}, I{p.hi, std::nullopt}};
    case DatePrefix::gt:
    case DatePrefix::sa:
      return {I{p.hi, std::nullopt}};
    case DatePrefix::lt:
    case DatePrefix::eb:
      return {I{std::nullopt, p.lo}};
    case DatePrefix::ge:
      return {I{p.lo, std::nullopt}};
    case DatePrefix::le:
      return {I{std::nullopt, p.hi}};
    case DatePrefix::ap: {
      auto gap = now > p.lo ? now - p.lo : p.lo - now;
      Duration d = std::max<Duration>(gap / 10, std::chrono::hours(24));
      return {I{p.lo - d, p.hi + d}};
    }
  }
  return {};
}

bool matches(const DateParam& param, TimePoint t, TimePoint now) {
  for (const auto& i : intervalsOf(param, now))
    if ((!i.from || t >= *i.from) && (!i.to || t < *i.to)) return true;
  return false;
}

std::vector<std::string> valuesOf(const SearchParams& params, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& [k, v] : params)
    if (k == name) out.push_back(v);
  return out;
}

std::size_t countOf(const SearchParams& params) {
  auto values = valuesOf(params, "_count");
  if (values.empty()) return 50;
  const auto& v = values.back();
  if (!digits(v) || v.size() > 6) throw FhirError(400, "invalid", "_count: not a number");
  return std::min<std::size_t>(static_cast<std::size_t>(std::stoul(v)), 1000);
}

bool newestFirstOf(const SearchParams& params) {
  auto values = valuesOf(params, "_sort");
  if (values.empty() || values.back() == "date") return false;
  if (values.back() == "-date") return true;
  throw FhirError(400, "not-supported", "_sort: only date and -date are supported");
}

std::string referenceId(std::string_view name, std::string_view value, std::string_view type) {
  auto slash = value.rfind('/');
  std::string_view id = value;
  if (slash != std::string_view::npos) {
    auto before = value.substr(0, slash);
    auto typeStart = before.rfind('/');
    auto t = typeStart == std::string_view::npos ? before : before.substr(typeStart + 1);
    if (t != type)
      throw FhirError(400, "invalid", std::string(name) + ": must refer to a " + std::string(type));
    id = value.substr(slash + 1);
  }
  if (!numericId(id)) throw FhirError(400, "invalid", std::string(name) + ": not an id");
  return std::string(id);
}

std::optional<std::int64_t> numericId(std::string_view id) {
  if (!digits(id) || id.size() > 18 || id[0] == '0') return std::nullopt;
  std::int64_t v = 0;
  std::from_chars(id.data(), id.data() + id.size(), v);
  return v;
}

std::string keysetToken(TimePoint t, std::int64_t id) {
  return "k" + std::to_string(core::toMillis(t)) + "." + std::to_string(id);
}

std::optional<std::pair<TimePoint, std::int64_t>> parseKeysetToken(std::string_view token) {
  if (!token.starts_with('k')) return std::nullopt;
  token.remove_prefix(1);
  auto dot = token.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto t = token.substr(0, dot);
  auto id = token.substr(dot + 1);
  bool negative = t.starts_with('-');
  if (negative) t.remove_prefix(1);
  if (!digits(t) || t.size() > 15 || !numericId(id)) return std::nullopt;
  std::int64_t ms = std::stoll(std::string(t));
  return std::pair{core::fromMillis(negative ? -ms : ms), *numericId(id)};
}

std::string offsetToken(std::size_t offset) {
  return "o" + std::to_string(offset);
}

std::optional<std::size_t> parseOffsetToken(std::string_view token) {
  if (!token.starts_with('o')) return std::nullopt;
  token.remove_prefix(1);
  if (!digits(token) || token.size() > 9) return std::nullopt;
  return static_cast<std::size_t>(std::stoul(std::string(token)));
}

}  // namespace vigil::fhir
