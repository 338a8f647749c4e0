// The FHIR Observation search over the readings table (issue 26): one patient's readings by
// code and effective time, keyset-paged. The effective time is the device's time when it had a
// UTC offset, else the receipt time (Observation.effectiveDateTime as the fhir mapper writes
// it), computed in SQL by sql::kEffective; the patient's rows come through
// reading_rows_by_patient (migration 0037), whose second column is that expression.

#include <string>

#include "reading_sql.hpp"
#include "vigil/core/time.hpp"
#include "vigil/readings/reading_query.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::readings {
namespace {

using sql::kEffective;

std::string columns(const store::Connection& c) {
  return std::string(sql::kReceivedColumns) + sql::fromFor(c.backend());
}

/// The WHERE clause of a search and the values it binds, in order.
struct Where {
  std::string sql;
  std::vector<std::int64_t> ints;  // bound after the codes
  std::vector<std::string> codes;
};

Where whereOf(const ObservationSearch& s, bool paged) {
  Where w;
  w.sql = " WHERE r.patient_id = ?";
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
               " = ? AND r.id " + op + " ?))";
    const auto t = core::toMillis(s.after->first);
    w.ints.insert(w.ints.end(), {t, t, s.after->second});
  }
  w.sql += timeSql;
  if (!s.codes.empty()) {
    codesSql = " AND r.code_id IN (SELECT id FROM reading_codes WHERE loinc IN (";
    for (std::size_t i = 0; i < s.codes.size(); ++i) codesSql += i ? ",?" : "?";
    codesSql += "))";
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
  return sql::receivedFrom(st, true);
}

}  // namespace

TimePoint effectiveTime(const ReceivedReading& reading) {
  return reading.deviceTime && !reading.deviceTimeLocal ? *reading.deviceTime : reading.receivedAt;
}

std::vector<ReceivedReading> ReadingQuery::observationsIn(store::Connection& c,
                                                          const ObservationSearch& search) {
  const auto w = whereOf(search, true);
  const std::string dir = search.newestFirst ? " DESC" : "";
  auto st = c.prepare("SELECT " + columns(c) + w.sql + " ORDER BY " + kEffective + dir + ", r.id" +
                      dir + " LIMIT ?");
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
  auto st = c.prepare("SELECT count(*) FROM reading_rows r" + w.sql);
  int at = 1;
  bind(st, w, at);
  st.step();
  return st.get<std::int64_t>(0);
}

std::optional<ReceivedReading> ReadingQuery::readingIn(store::Connection& c,
                                                       std::int64_t readingId) {
  auto& st = c.cached("SELECT " + columns(c) + " WHERE r.id = ?1");
  st.bindAll(readingId);
  std::optional<ReceivedReading> found;
  if (st.step()) found = rowOf(st);
  st.reset();
  return found;
}

std::vector<ReadingQuery::ToJudge> ReadingQuery::toJudgeIn(store::Connection& c, std::size_t limit,
                                                           bool withReadings) {
  std::vector<ToJudge> out;
  auto& ids = c.cached("SELECT reading_id FROM readings_to_judge ORDER BY reading_id LIMIT ?1");
  ids.bindAll(static_cast<std::int64_t>(limit));
  while (ids.step()) out.push_back({ids.get<std::int64_t>(0), std::nullopt});
  ids.reset();
  if (withReadings)
    for (auto& q : out) q.reading = readingIn(c, q.readingId);
  return out;
}

void ReadingQuery::judgedIn(store::Connection& c, const std::vector<std::int64_t>& readingIds) {
  auto& remove = c.cached("DELETE FROM readings_to_judge WHERE reading_id = ?1");
  for (auto id : readingIds) {
    remove.bindAll(id);
    remove.run();
    remove.reset();
  }
}

std::int64_t ReadingQuery::toJudgeCountIn(store::Connection& c) {
  return c.queryValue<std::int64_t>("SELECT COUNT(*) FROM readings_to_judge").value_or(0);
}

std::optional<std::int64_t> ReadingQuery::idAtIn(store::Connection& c, std::int64_t deviceId,
                                                 const std::string& code, TimePoint deviceTime) {
  // Through reading_rows_by_device: a reading without seq is keyed by its device time; one
  // with a seq (keyed by it) among the device's rows; the older of the two.
  static constexpr const char* kMatch =
      " AND r.clock < 2 AND r.taken_at = ?3 AND "
      "r.code_id IN (SELECT id FROM reading_codes WHERE loinc = ?2) ORDER BY r.id LIMIT 1";
  std::optional<std::int64_t> found;
  for (const auto& where :
       {std::string("r.device_id = ?1 AND ") + sql::kDeviceKey + " = ?3 % 32768",
        std::string("r.device_id = ?1 AND r.seq IS NOT NULL")}) {
    auto st = c.prepare("SELECT r.id FROM reading_rows r WHERE " + where + kMatch);
    st.bindAll(deviceId, code, core::toMillis(deviceTime));
    if (st.step() && (!found || st.get<std::int64_t>(0) < *found)) found = st.get<std::int64_t>(0);
  }
  return found;
}

}  // namespace vigil::readings
