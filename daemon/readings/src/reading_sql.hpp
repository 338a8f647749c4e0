#pragma once
// SQL fragments over the compact readings table (migration 0037, docs/storage.md), shared by
// the read-side queries. The expressions must stay exactly as the indexes are written: SQLite
// uses an expression index only for the same expression.

namespace vigil::readings::sql {

/// Effective time (FHIR's): the device time with a UTC offset, else the receipt time; the
/// second column of reading_rows_by_patient.
inline constexpr const char* kEffective =
    "(CASE WHEN clock = 1 THEN taken_at + received_delay ELSE taken_at END)";

/// The columns of 0002 as expressions over reading_rows.
inline constexpr const char* kDeviceTime = "CASE WHEN clock < 2 THEN taken_at END";
inline constexpr const char* kReceivedAt = "taken_at + received_delay";
inline constexpr const char* kLoinc = "(SELECT loinc FROM reading_codes WHERE id = code_id)";
inline constexpr const char* kUnit = "(SELECT unit FROM reading_codes WHERE id = code_id)";
/// A panel's components as the JSON object ingest wrote ({"<code>":<value>,…}), rebuilt text
/// for text from the code's component_keys and the row's array of values; components written
/// by hand (a code without component keys) as they are.
inline constexpr const char* kComponents =
    "(SELECT CASE WHEN components IS NULL OR k.component_keys = '' THEN components ELSE "
    "(SELECT '{' || group_concat(json_quote(e.value) || ':' || (components -> e.key), ',') || "
    "'}' FROM json_each(k.component_keys) e) END FROM reading_codes k WHERE k.id = code_id)";
/// reading_rows_by_device's second column: the integer dedup key modulo 2^23.
inline constexpr const char* kDeviceKey =
    "COALESCE(seq, CASE WHEN clock < 2 THEN taken_at END) % 8388608";

}  // namespace vigil::readings::sql
