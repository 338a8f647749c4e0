#include "vigil/readings/reading_query.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cassert>

#include "reading_sql.hpp"
#include "vigil/core/time.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::readings {
namespace {

/// A chart point's columns: id, chart time (device time, else receipt time), value,
/// components, component keys, unit, flags.
std::string pointColumns(const char* time) {
  return std::string("r.id AS id, ") + time +
         ", r.value, r.components, k.component_keys, k.unit, r.flags";
}

/// The patient's readings (?1) with `codes` (a condition on r.code_id) whose chart time
/// (taken_at: device time, else receipt time) satisfies `range` (written on `{t}`), as two
/// index range scans: rows whose clock had an offset (or that the box timed) through
/// reading_rows_by_patient, where the effective time is the chart time, and rows from a clock
/// without offset through reading_rows_by_patient_local. `columns` is a function of the time
/// expression; the time is also the last column, `t`, for ORDER BY.
template <typename Columns>
std::string chartRows(const char* from, Columns columns, const std::string& codes,
                      const std::string& range) {
  auto on = [&](const std::string& t) {
    auto r = range;
    for (std::size_t at = r.find("{t}"); at != std::string::npos; at = r.find("{t}", at))
      r.replace(at, 3, t);
    return r;
  };
  return "SELECT " + columns(sql::kEffective) + ", " + sql::kEffective + " AS t" + from +
         " WHERE r.patient_id = ?1 AND r.clock <> 1 AND " + codes + " AND " + on(sql::kEffective) +
         " UNION ALL SELECT " + columns("r.taken_at") + ", r.taken_at" + from +
         " WHERE r.patient_id = ?1 AND r.clock = 1 AND " + codes + " AND " + on("r.taken_at");
}

constexpr const char* kCodeIs = "r.code_id IN (SELECT id FROM reading_codes WHERE loinc = ?2)";

/// Parses the components JSON ({"8480-6": 168, ...}) into values in `order`.
std::vector<std::optional<double>> componentValues(const std::string& json,
                                                   const std::vector<std::string>& order) {
  std::vector<std::optional<double>> out(order.size());
  if (json.empty()) return out;
  try {
    Poco::JSON::Parser parser;
    auto obj = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
    for (std::size_t i = 0; i < order.size(); ++i) {
      if (obj->has(order[i]) && !obj->isNull(order[i])) out[i] = obj->getValue<double>(order[i]);
    }
  } catch (const Poco::Exception&) {
    // a malformed row shows as a gap; ingest writes this column, so it does not happen
  }
  return out;
}

/// Component codes present in a panel's JSON, for panels we have no fixed order for.
std::vector<std::string> componentKeys(const std::string& json) {
  std::vector<std::string> keys;
  try {
    Poco::JSON::Parser parser;
    auto obj = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
    obj->getNames(keys);
  } catch (const Poco::Exception&) {
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::optional<std::string> componentsOf(const store::Statement& s) {
  return sql::panelJson(s.get<std::optional<std::string>>(3), s.get<std::string>(4));
}

ReadingPoint pointFromRow(const store::Statement& s, const std::vector<std::string>& comps) {
  ReadingPoint p;
  p.readingId = s.get<std::int64_t>(0);
  p.at = core::fromMillis(s.get<std::int64_t>(1));
  if (!comps.empty()) {
    p.values = componentValues(componentsOf(s).value_or(""), comps);
  } else {
    p.values = {s.get<std::optional<double>>(2)};
  }
  p.unit = s.get<std::string>(5);
  p.flags = s.get<std::string>(6);
  return p;
}

}  // namespace

std::vector<std::string> panelComponents(const std::string& code) {
  if (code == "85354-9") return {"8480-6", "8462-4"};  // blood pressure: systolic, diastolic
  return {};
}

std::vector<ReadingPoint> downsampleMinMax(const std::vector<ReadingPoint>& points, TimePoint from,
                                           TimePoint to, std::size_t maxPoints) {
  assert(maxPoints >= 2);
  if (points.size() <= maxPoints) return points;
  std::size_t buckets = maxPoints / 2;
  auto span = std::max<std::int64_t>(1, (to - from).count());
  std::vector<ReadingPoint> out;
  out.reserve(maxPoints);
  auto key = [](const ReadingPoint& p) {
    return p.values.empty() || !p.values[0] ? 0.0 : *p.values[0];
  };
  std::size_t i = 0;
  for (std::size_t b = 0; b < buckets && i < points.size(); ++b) {
    auto end = from + TimePoint::duration(static_cast<std::int64_t>(static_cast<double>(span) *
                                                                    static_cast<double>(b + 1) /
                                                                    static_cast<double>(buckets)));
    std::size_t lo = i, hi = i, j = i;
    for (; j < points.size() && (points[j].at < end || b + 1 == buckets); ++j) {
      if (key(points[j]) < key(points[lo])) lo = j;
      if (key(points[j]) > key(points[hi])) hi = j;
    }
    if (j == i) continue;  // empty bucket
    if (lo == hi) {
      out.push_back(points[lo]);
    } else {
      out.push_back(points[std::min(lo, hi)]);  // keep time order inside the bucket
      out.push_back(points[std::max(lo, hi)]);
    }
    i = j;
  }
  return out;
}

Series ReadingQuery::rangeIn(store::Connection& c, std::int64_t patientId, const std::string& code,
                             TimePoint from, TimePoint to, std::size_t maxPoints) {
  Series s;
  s.code = code;
  s.components = panelComponents(code);
  // Cached: a compound statement costs more to prepare than a chart's rows to read.
  auto& st = c.cached(sql::perEngine(c.backend(), [](const char* rows) {
    return chartRows(rows, pointColumns, kCodeIs, "{t} BETWEEN ?3 AND ?4") + " ORDER BY t, id";
  }));
  st.bindAll(patientId, code, core::toMillis(from), core::toMillis(to));
  std::vector<ReadingPoint> all;
  bool keysKnown = !s.components.empty();
  while (st.step()) {
    if (!keysKnown) {
      if (auto json = componentsOf(st); json && !json->empty()) s.components = componentKeys(*json);
      keysKnown = true;
    }
    all.push_back(pointFromRow(st, s.components));
  }
  st.reset();
  s.total = all.size();
  if (!all.empty()) s.unit = all.back().unit;
  s.downsampled = all.size() > maxPoints;
  s.points = downsampleMinMax(all, from, to, std::max<std::size_t>(2, maxPoints));
  return s;
}

std::map<std::string, ReadingPoint> ReadingQuery::latestIn(store::Connection& c,
                                                           std::int64_t patientId) {
  std::map<std::string, ReadingPoint> out;
  // The newest row per code: index range scans per code present for the patient.
  auto& codes = c.cached(
      "SELECT DISTINCT loinc FROM reading_codes WHERE id IN "
      "(SELECT code_id FROM reading_rows WHERE patient_id = ?1)");
  codes.bindAll(patientId);
  std::vector<std::string> list;
  while (codes.step()) list.push_back(codes.get<std::string>(0));
  codes.reset();
  for (const auto& code : list) {
    auto& st = c.cached(sql::perEngine(c.backend(), [](const char* rows) {
      return chartRows(rows, pointColumns, kCodeIs, "TRUE") + " ORDER BY t DESC, id DESC LIMIT 1";
    }));
    st.bindAll(patientId, code);
    if (st.step()) {
      auto comps = panelComponents(code);
      if (comps.empty()) {
        if (auto json = componentsOf(st); json && !json->empty()) comps = componentKeys(*json);
      }
      auto p = pointFromRow(st, comps);
      out.emplace(code, std::move(p));
    }
    st.reset();
  }
  return out;
}

std::vector<AssignedDevice> ReadingQuery::currentDevicesIn(store::Connection& c,
                                                           std::int64_t patientId) {
  std::vector<AssignedDevice> out;
  for (const auto& a : registry::DeviceRegistry::currentForPatientIn(c, patientId)) {
    if (auto d = registry::DeviceRegistry::findIn(c, a.deviceId))
      out.push_back({std::move(*d), a.validFrom});
  }
  return out;
}

std::optional<std::int64_t> ReadingQuery::lastSequenceIn(store::Connection& c,
                                                         const std::string& deviceUid,
                                                         const std::string& kind) {
  auto device = registry::DeviceRegistry::ingestViewIn(c, deviceUid);
  if (!device) return std::nullopt;
  auto st = c.prepare(
      "SELECT MAX(seq) FROM reading_rows WHERE device_id = ?1 AND "
      "code_id IN (SELECT id FROM reading_codes WHERE kind = ?2)");  // reading_rows_by_device
  st.bindAll(device->id, kind);
  if (!st.step() || st.isNull(0)) return std::nullopt;
  return st.get<std::int64_t>(0);
}

std::vector<ReceivedReading> ReadingQuery::receivedSinceIn(store::Connection& c, TimePoint since,
                                                           std::int64_t afterReadingId,
                                                           std::size_t limit) {
  // By reception time. Ids follow storage order, which a backfill breaks, so they cannot stand
  // in for time; but a reading received at or after `since` has an id at or above the first
  // id of its reception hour (reading_receipt_hours, kept by a trigger, migration 0037), so
  // the rows are a rowid range from the smallest first id of the hours from since's on. They
  // come in id order, nearly reception order, and are put in reception order here (cheaper
  // than SQLite's sorter on whole rows), keeping at most 2 x limit at a time.
  auto& st = c.cached(sql::perEngine(c.backend(), [](const char* rows) {
    return std::string("SELECT ") + sql::kReceivedColumns + rows +
           " WHERE r.id >= (SELECT COALESCE(min(first_id), 9223372036854775807) FROM "
           "reading_receipt_hours WHERE hour >= CAST(?1 AS BIGINT) / 3600000) AND r.id > ?2 AND " +
           sql::kReceivedAt + " >= ?1 AND r.patient_id IS NOT NULL";
  }));
  st.bindAll(core::toMillis(since), afterReadingId);
  const auto before = [](const ReceivedReading& a, const ReceivedReading& b) {
    return a.receivedAt != b.receivedAt ? a.receivedAt < b.receivedAt : a.readingId < b.readingId;
  };
  std::vector<ReceivedReading> out;
  while (st.step()) {
    out.push_back(sql::receivedFrom(st, false));
    if (out.size() > 2 * limit + 1024) {
      std::nth_element(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(limit), out.end(),
                       before);
      out.resize(limit);
    }
  }
  st.reset();
  std::sort(out.begin(), out.end(), before);
  if (out.size() > limit) out.resize(limit);
  return out;
}

std::vector<ReceivedReading> ReadingQuery::patientReadingsIn(store::Connection& c,
                                                             std::int64_t patientId,
                                                             std::size_t limit) {
  // The newest `limit` through the patient's indexes, then put back in time order.
  auto columns = [](const char*) { return std::string(sql::kReceivedColumns); };
  auto st = c.prepare(chartRows(sql::fromFor(c.backend()), columns, "TRUE", "TRUE") +
                      " ORDER BY t DESC, id DESC LIMIT ?2");
  st.bindAll(patientId, static_cast<std::int64_t>(limit));
  std::vector<ReceivedReading> out;
  while (st.step()) out.push_back(sql::receivedFrom(st, true));
  return {out.rbegin(), out.rend()};
}

std::vector<TransmittedTime> ReadingQuery::transmittedIn(store::Connection& c,
                                                         std::int64_t patientId, TimePoint from,
                                                         TimePoint to) {
  auto columns = [](const char* t) { return std::string(t) + ", r.clock = 1"; };
  auto& st = c.cached(sql::perEngine(c.backend(), [&](const char* rows) {
    return chartRows(rows, columns,
                     "r.code_id IN (SELECT id FROM reading_codes WHERE source IN "
                     "('mqtt-json', 'mqtt-gatt', 'ble', 'demo-history'))",
                     "{t} >= ?2 AND {t} < ?3") +
           " ORDER BY 1";
  }));
  st.bindAll(patientId, core::toMillis(from), core::toMillis(to));
  std::vector<TransmittedTime> out;
  while (st.step())
    out.push_back({core::fromMillis(st.get<std::int64_t>(0)), st.get<std::int64_t>(1) != 0});
  st.reset();
  return out;
}

Series ReadingQuery::range(std::int64_t patientId, const std::string& code, TimePoint from,
                           TimePoint to, std::size_t maxPoints) {
  return db_.read(
      [&](store::Connection& c) { return rangeIn(c, patientId, code, from, to, maxPoints); });
}

std::map<std::string, ReadingPoint> ReadingQuery::latest(std::int64_t patientId) {
  return db_.read([&](store::Connection& c) { return latestIn(c, patientId); });
}

std::map<std::int64_t, std::map<std::string, ReadingPoint>> ReadingQuery::latestFor(
    const std::vector<std::int64_t>& patientIds) {
  return db_.read([&](store::Connection& c) {
    std::map<std::int64_t, std::map<std::string, ReadingPoint>> out;
    for (auto id : patientIds) out.emplace(id, latestIn(c, id));
    return out;
  });
}

std::vector<AssignedDevice> ReadingQuery::currentDevices(std::int64_t patientId) {
  return db_.read([&](store::Connection& c) { return currentDevicesIn(c, patientId); });
}

std::map<std::int64_t, std::int64_t> ReadingQuery::currentAssignments() {
  return db_.read(
      [](store::Connection& c) { return registry::DeviceRegistry::currentAssignmentsIn(c); });
}

std::optional<std::int64_t> ReadingQuery::lastSequence(const std::string& deviceUid,
                                                       const std::string& kind) {
  return db_.read([&](store::Connection& c) { return lastSequenceIn(c, deviceUid, kind); });
}

std::vector<ReceivedReading> ReadingQuery::receivedSince(TimePoint since,
                                                         std::int64_t afterReadingId,
                                                         std::size_t limit) {
  return db_.read(
      [&](store::Connection& c) { return receivedSinceIn(c, since, afterReadingId, limit); });
}

}  // namespace vigil::readings
