// The FHIR Observation search over the readings table (issue 26): one patient's readings by
// code and effective time, keyset-paged. The effective time is the device's time when it had a
// UTC offset, else the receipt time (Observation.effectiveDateTime as the fhir mapper writes
// it), computed in SQL by sql::kEffective; the patient's rows come through
// reading_rows_by_patient (migration 0037), whose second column is that expression.

#include <algorithm>
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
  if (!withReadings) {
    auto& ids = c.cached("SELECT reading_id FROM readings_to_judge ORDER BY reading_id LIMIT ?1");
    ids.bindAll(static_cast<std::int64_t>(limit));
    while (ids.step()) out.push_back({ids.get<std::int64_t>(0), std::nullopt});
    ids.reset();
    return out;
  }
  // One statement for the batch: the queue's oldest ids and their readings (none for a reading
  // deleted before it was judged). The join is on the queue's few rows first.
  static constexpr int kIdColumn = 11;  // after sql::kReceivedColumns
  static const std::string text =
      std::string("SELECT ") + sql::kReceivedColumns +
      ", q.reading_id FROM (SELECT reading_id FROM readings_to_judge ORDER BY reading_id LIMIT "
      "?1) q LEFT JOIN reading_rows r ON r.id = q.reading_id LEFT JOIN reading_codes k ON k.id = "
      "r.code_id ORDER BY q.reading_id";
  auto& st = c.cached(text);
  st.bindAll(static_cast<std::int64_t>(limit));
  while (st.step()) {
    ToJudge item{st.get<std::int64_t>(kIdColumn), std::nullopt};
    if (!st.isNull(0)) item.reading = rowOf(st);
    out.push_back(std::move(item));
  }
  st.reset();
  return out;
}

void ReadingQuery::judgedIn(store::Connection& c, const std::vector<std::int64_t>& readingIds) {
  // In chunks of one statement each; a short chunk repeats its last id (IN ignores repeats),
  // so one statement text serves every chunk.
  constexpr std::size_t kChunk = 256;
  static const std::string text = [] {
    std::string t = "DELETE FROM readings_to_judge WHERE reading_id IN (?";
    for (std::size_t i = 1; i < kChunk; ++i) t += ",?";
    return t + ")";
  }();
  for (std::size_t at = 0; at < readingIds.size(); at += kChunk) {
    auto& remove = c.cached(text);
    for (std::size_t i = 0; i < kChunk; ++i)
      remove.bind(static_cast<int>(i + 1), readingIds[std::min(at + i, readingIds.size() - 1)]);
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
