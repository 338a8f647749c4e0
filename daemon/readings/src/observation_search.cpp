// The FHIR Observation search over the readings table (issue 26): one patient's readings by
// code and effective time, keyset-paged. The effective time is the device's time when it had a
// UTC offset, else the receipt time (Observation.effectiveDateTime as the fhir mapper writes
// it), computed in SQL by kEffective; the patient's rows come through readings_by_patient.

#include <string>

#include "vigil/core/time.hpp"
#include "vigil/readings/reading_query.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::readings {
namespace {

constexpr const char* kEffective =
    "(CASE WHEN device_time IS NOT NULL AND device_time_local = 0 THEN device_time "
    "ELSE received_at END)";
constexpr const char* kColumns =
    "id, patient_id, loinc, unit, value, components, device_time, device_time_local, "
    "received_at, device_id";

/// The WHERE clause of a search and the values it binds, in order.
struct Where {
  std::string sql;
  std::vector<std::int64_t> ints;  // bound after the codes
  std::vector<std::string> codes;
};

Where whereOf(const ObservationSearch& s, bool paged) {
  Where w;
  w.sql = " WHERE patient_id = ?";
  w.ints.push_back(s.patientId);
  // Codes are bound after the integers: placeholders are numbered, so order them explicitly.
  std::string codesSql;
  std::string timeSql;
  for (const auto& clause : s.dateClauses) {
    std::string any;
    for (const auto& interval : clause) {
      std::string one;
      if (interval.from) {
        one += std::string(kEffective) + " >= ?";
        w.ints.push_back(core::toMillis(*interval.from));
      }
      if (interval.to) {
        if (!one.empty()) one += " AND ";
        one += std::string(kEffective) + " < ?";
        w.ints.push_back(core::toMillis(*interval.to));
      }
      if (one.empty()) one = "1";
      any += (any.empty() ? "(" : " OR (") + one + ")";
    }
    timeSql += " AND (" + (any.empty() ? std::string("0") : any) + ")";
  }
  if (paged && s.after) {
    const auto op = s.newestFirst ? "<" : ">";
    timeSql += " AND (" + std::string(kEffective) + " " + op + " ? OR (" + kEffective +
               " = ? AND id " + op + " ?))";
    const auto t = core::toMillis(s.after->first);
    w.ints.insert(w.ints.end(), {t, t, s.after->second});
  }
  w.sql += timeSql;
  if (!s.codes.empty()) {
    codesSql = " AND loinc IN (";
    for (std::size_t i = 0; i < s.codes.size(); ++i) codesSql += i ? ",?" : "?";
    codesSql += ")";
    w.codes = s.codes;
  }
  w.sql += codesSql;
  return w;
}

void bind(store::Statement& st, const Where& w, int& at) {
  for (auto v : w.ints) st.bind(at++, v);
  for (const auto& c : w.codes) st.bind(at++, c);
}

ReceivedReading rowOf(store::Statement& st) {
  ReceivedReading r;
  r.readingId = st.get<std::int64_t>(0);
  r.patientId = st.get<std::optional<std::int64_t>>(1).value_or(0);
  r.code = st.get<std::string>(2);
  r.unit = st.get<std::string>(3);
  r.value = st.get<std::optional<double>>(4);
  r.components = st.get<std::optional<std::string>>(5);
  if (auto device = st.get<std::optional<std::int64_t>>(6))
    r.deviceTime = core::fromMillis(*device);
  r.deviceTimeLocal = st.get<std::int64_t>(7) != 0;
  r.receivedAt = core::fromMillis(st.get<std::int64_t>(8));
  r.deviceId = st.get<std::int64_t>(9);
  return r;
}

}  // namespace

TimePoint effectiveTime(const ReceivedReading& reading) {
  return reading.deviceTime && !reading.deviceTimeLocal ? *reading.deviceTime : reading.receivedAt;
}

std::vector<ReceivedReading> ReadingQuery::observationsIn(store::Connection& c,
                                                          const ObservationSearch& search) {
  const auto w = whereOf(search, true);
  const std::string dir = search.newestFirst ? " DESC" : "";
  auto st = c.prepare("SELECT " + std::string(kColumns) + " FROM readings" + w.sql + " ORDER BY " +
                      kEffective + dir + ", id" + dir + " LIMIT ?");
  int at = 1;
  bind(st, w, at);
  st.bind(at, static_cast<std::int64_t>(search.limit));
  std::vector<ReceivedReading> out;
  while (st.step()) out.push_back(rowOf(st));
  return out;
}

std::int64_t ReadingQuery::countObservationsIn(store::Connection& c,
                                               const ObservationSearch& search) {
  const auto w = whereOf(search, false);
  auto st = c.prepare("SELECT count(*) FROM readings" + w.sql);
  int at = 1;
  bind(st, w, at);
  st.step();
  return st.get<std::int64_t>(0);
}

std::optional<ReceivedReading> ReadingQuery::readingIn(store::Connection& c,
                                                       std::int64_t readingId) {
  auto st = c.prepare("SELECT " + std::string(kColumns) + " FROM readings WHERE id = ?1");
  st.bindAll(readingId);
  if (!st.step()) return std::nullopt;
  return rowOf(st);
}

std::optional<std::int64_t> ReadingQuery::idAtIn(store::Connection& c, std::int64_t deviceId,
                                                 const std::string& code, TimePoint deviceTime) {
  auto st = c.prepare(
      "SELECT id FROM readings WHERE device_id = ?1 AND loinc = ?2 AND device_time = ?3 "
      "ORDER BY id LIMIT 1");
  st.bindAll(deviceId, code, core::toMillis(deviceTime));
  if (!st.step()) return std::nullopt;
  return st.get<std::int64_t>(0);
}

}  // namespace vigil::readings
