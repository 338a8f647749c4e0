#pragma once
// SQL over the compact readings table (migration 0037, docs/storage.md), shared by the
// read-side queries. Rows are read as `reading_rows r CROSS JOIN reading_codes k` on SQLite (r
// first: its indexes drive the scan; k is one rowid look-up per row) and as a plain JOIN on
// PostgreSQL, which has no `CROSS JOIN … ON` and orders joins by its statistics: statements are
// built per engine (fromFor, perEngine). The time expressions must stay exactly as the indexes
// are written: SQLite uses an expression index only for the same expression.

#include <optional>
#include <string>

#include "vigil/readings/reading_query.hpp"
#include "vigil/store/connection.hpp"

namespace vigil::readings::sql {

/// The rows and their codes, on SQLite (the join order fixed) and on PostgreSQL.
inline constexpr const char* kFromSqlite =
    " FROM reading_rows r CROSS JOIN reading_codes k ON k.id = r.code_id";
inline constexpr const char* kFromPostgres =
    " FROM reading_rows r JOIN reading_codes k ON k.id = r.code_id";

/// kFromSqlite or kFromPostgres, for the engine b.
constexpr const char* fromFor(store::Backend b) {
  return b == store::Backend::postgres ? kFromPostgres : kFromSqlite;
}

/// The statement build(from) makes for engine b, built once per engine and call site (each
/// lambda is its own Build type, so each has its own texts).
template <class Build>
const std::string& perEngine(store::Backend b, Build build) {
  static const std::string texts[2] = {build(kFromSqlite), build(kFromPostgres)};
  return texts[b == store::Backend::postgres ? 1 : 0];
}

/// Effective time (FHIR's): the device time with a UTC offset, else the receipt time; the
/// second column of reading_rows_by_patient.
inline constexpr const char* kEffective =
    "(CASE WHEN r.clock = 1 THEN r.taken_at + r.received_delay ELSE r.taken_at END)";

/// The columns of 0002 as expressions over reading_rows.
inline constexpr const char* kDeviceTime = "CASE WHEN r.clock < 2 THEN r.taken_at END";
inline constexpr const char* kReceivedAt = "r.taken_at + r.received_delay";

/// reading_rows_by_device's second column: the integer dedup key modulo 2^15.
inline constexpr const char* kDeviceKey =
    "COALESCE(r.seq, CASE WHEN r.clock < 2 THEN r.taken_at END) % 32768";

/// The columns ReceivedReading is read from (receivedFrom), the device id last.
inline constexpr const char* kReceivedColumns =
    "r.id AS id, r.patient_id, k.loinc, k.unit, r.value, r.components, k.component_keys, "
    "CASE WHEN r.clock < 2 THEN r.taken_at END, r.clock = 1, r.taken_at + r.received_delay, "
    "r.device_id";

/// A panel's components as the JSON object ingest wrote ({"<code>":<value>,…}), rebuilt text
/// for text from the code's component_keys (a JSON array of the codes) and the row's array of
/// values; components written by hand (a code without component keys) as they are.
std::optional<std::string> panelJson(const std::optional<std::string>& components,
                                     const std::string& componentKeys);

/// A ReceivedReading from kReceivedColumns starting at column 0.
ReceivedReading receivedFrom(const store::Statement& st, bool withDevice);

}  // namespace vigil::readings::sql
