// The compact readings table (migration 0037, docs/storage.md): a reading's kind, LOINC, unit,
// source, original unit and panel component codes are one row of reading_codes, found (or
// added) per reading, and a panel's values are a JSON array in that order; its
// dedup key is an integer, the device's sequence number else the device time, looked up through
// reading_rows_by_device together with the device. Several readings may share that integer (a
// blood pressure panel and the pulse measured with it share the device time; a sequence number
// may equal some time in ms), so a match only counts as a duplicate when the full key is the
// same: which of seq or time the key is, its value and the kind. Keys that are neither (a
// message's own sequence number and the reading's index in it) are kept as text in dedup_key.

#include "vigil/ingest/reading_writer.hpp"

#include <cstdio>

#include "vigil/core/error.hpp"
#include "vigil/core/json_text.hpp"
#include "vigil/core/time.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::ingest {
namespace {

std::string number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

/// A panel's component codes and values as two JSON arrays, in the components' (sorted) order:
/// reading_codes.component_keys and reading_rows.components. The readers rebuild the object
/// {"<code>":<value>,…} from them text for text (reading_sql.hpp).
std::pair<std::string, std::string> componentArrays(const DecodedReading& r) {
  if (r.components.empty()) return {};
  std::string keys = "[", values = "[";
  for (const auto& [code, v] : r.components) {
    if (keys.size() > 1) {
      keys += ",";
      values += ",";
    }
    keys += core::jsonString(code);
    values += v ? number(*v) : "null";
  }
  return {keys + "]", values + "]"};
}

std::string joinFlags(const std::vector<std::string>& flags) {
  std::string out;
  for (const auto& f : flags) out += (out.empty() ? "" : ",") + f;
  return out;
}

/// reading_rows_by_device keeps the integer key modulo this (two bytes an entry).
constexpr std::int64_t kKeyModulus = 32768;

/// The id of the reading's (kind, LOINC, unit, source, original unit), added when new.
std::int64_t codeId(store::Connection& c, const DecodedReading& r, const std::string& source,
                    const std::string& componentKeys) {
  auto& find = c.cached(
      "SELECT id FROM reading_codes WHERE kind = ?1 AND loinc = ?2 AND unit = ?3 AND "
      "source = ?4 AND original_unit = ?5 AND component_keys = ?6");
  find.bindAll(r.kind, r.loinc, r.unit, source, r.originalUnit, componentKeys);
  std::optional<std::int64_t> id;
  if (find.step()) id = find.get<std::int64_t>(0);
  find.reset();
  if (id) return *id;
  auto& add = c.cached(
      "INSERT INTO reading_codes (kind, loinc, unit, source, original_unit, component_keys) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  add.bindAll(r.kind, r.loinc, r.unit, source, r.originalUnit, componentKeys);
  add.run();
  add.reset();
  return c.lastInsertRowid();
}

/// Whether the device already has a reading with this key (the full key compared).
bool known(store::Connection& c, std::int64_t deviceId, const DecodedReading& r,
           const std::string& textKey) {
  if (!r.seq && !r.deviceTime) {
    auto& st = c.cached(
        "SELECT 1 FROM reading_rows WHERE device_id = ?1 AND dedup_key = ?2 AND "
        "dedup_key IS NOT NULL LIMIT 1");
    st.bindAll(deviceId, textKey);
    const bool found = st.step();
    st.reset();
    return found;
  }
  // The integer key modulo 2^15 through reading_rows_by_device (the same expression as the
  // index: SQLite's % truncates toward zero as C++'s does), then
  // the full key: seq-keyed rows match on seq, time-keyed rows (no seq) on the device time, and
  // both on the kind; rows keyed by text never match an integer key.
  auto& st = c.cached(
      "SELECT 1 FROM reading_rows r WHERE r.device_id = ?1 AND "
      "COALESCE(r.seq, CASE WHEN r.clock < 2 THEN r.taken_at END) % 32768 = ?5 AND "
      "r.dedup_key IS NULL AND (CASE WHEN ?3 <> 0 THEN r.seq = ?2 "
      "ELSE r.seq IS NULL AND r.clock < 2 AND r.taken_at = ?2 END) AND "
      "r.code_id IN (SELECT id FROM reading_codes WHERE kind = ?4) LIMIT 1");
  const std::int64_t key =
      r.seq ? static_cast<std::int64_t>(*r.seq) : core::toMillis(*r.deviceTime);
  st.bindAll(deviceId, key, r.seq ? 1 : 0, r.kind, key % kKeyModulus);
  const bool found = st.step();
  st.reset();
  return found;
}

}  // namespace

std::optional<std::int64_t> storeReading(store::Connection& c, std::int64_t deviceId,
                                         std::optional<std::int64_t> patientId,
                                         const DecodedReading& r, const std::string& textKey,
                                         const std::string& source, TimePoint receivedAt) {
  if (known(c, deviceId, r, textKey)) return std::nullopt;
  const auto received = core::toMillis(receivedAt);
  const auto taken = r.deviceTime ? core::toMillis(*r.deviceTime) : received;
  const int clock = !r.deviceTime ? 2 : r.deviceTimeLocal ? 1 : 0;
  const auto [componentKeys, componentValues] = componentArrays(r);
  std::optional<std::int64_t> seq;
  if (r.seq) seq = static_cast<std::int64_t>(*r.seq);
  std::optional<std::string> textOnly;
  if (!r.seq && !r.deviceTime) textOnly = textKey;
  const auto code = codeId(c, r, source, componentKeys);
  auto& insert = c.cached(
      "INSERT INTO reading_rows (device_id, patient_id, code_id, taken_at, clock, "
      "received_delay, value, components, special, original_value, flags, seq, dedup_key) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) RETURNING id");
  insert.bindAll(deviceId, patientId, code, taken, clock, received - taken, r.value,
                 componentValues.empty() ? std::optional<std::string>() : componentValues,
                 r.special.empty() ? std::optional<std::string>() : r.special, r.originalValue,
                 joinFlags(r.flags), seq, textOnly);
  // The new id in the insert's own answer: on PostgreSQL lastInsertRowid() would cost three
  // more round trips (a savepoint around lastval()), on the hottest insert there is.
  if (!insert.step()) throw StoreError("storing a reading: the insert returned no id");
  const auto id = insert.get<std::int64_t>(0);
  insert.reset();
  return id;
}

void queueForJudgement(store::Connection& c, std::int64_t readingId) {
  auto& insert = c.cached("INSERT INTO readings_to_judge (reading_id) VALUES (?1)");
  insert.bindAll(readingId);
  insert.run();
  insert.reset();
}

}  // namespace vigil::ingest
