#include "reading_sql.hpp"

#include <vector>

#include "vigil/core/time.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::readings::sql {
namespace {

/// The elements of a flat JSON array as their text ('["a","b"]' → "\"a\"", "\"b\""; '[1,null]'
/// → "1", "null"): strings may hold commas and escapes, elements are not nested.
std::vector<std::string> elements(const std::string& array) {
  std::vector<std::string> out;
  if (array.size() < 2 || array.front() != '[' || array.back() != ']') return out;
  std::string cur;
  bool inString = false;
  for (std::size_t i = 1; i + 1 < array.size(); ++i) {
    const char ch = array[i];
    if (inString) {
      cur += ch;
      if (ch == '\\' && i + 2 < array.size()) {
        cur += array[++i];
      } else if (ch == '"') {
        inString = false;
      }
    } else if (ch == ',') {
      out.push_back(std::move(cur));
      cur.clear();
    } else {
      if (ch == '"') inString = true;
      cur += ch;
    }
  }
  out.push_back(std::move(cur));
  return out;
}

}  // namespace

std::optional<std::string> panelJson(const std::optional<std::string>& components,
                                     const std::string& componentKeys) {
  if (!components || componentKeys.empty()) return components;
  const auto keys = elements(componentKeys);
  const auto values = elements(*components);
  std::string out = "{";
  for (std::size_t i = 0; i < keys.size() && i < values.size(); ++i)
    out += (i ? "," : "") + keys[i] + ":" + values[i];
  return out + "}";
}

ReceivedReading receivedFrom(const store::Statement& st, bool withDevice) {
  ReceivedReading r;
  r.readingId = st.get<std::int64_t>(0);
  r.patientId = st.get<std::optional<std::int64_t>>(1).value_or(0);
  r.code = st.get<std::string>(2);
  r.unit = st.get<std::string>(3);
  r.value = st.get<std::optional<double>>(4);
  r.components = panelJson(st.get<std::optional<std::string>>(5), st.get<std::string>(6));
  if (auto device = st.get<std::optional<std::int64_t>>(7))
    r.deviceTime = core::fromMillis(*device);
  r.deviceTimeLocal = st.get<std::int64_t>(8) != 0;
  r.receivedAt = core::fromMillis(st.get<std::int64_t>(9));
  if (withDevice) r.deviceId = st.get<std::int64_t>(10);
  return r;
}

}  // namespace vigil::readings::sql
