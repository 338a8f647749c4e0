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

}  // namespace vigil::readings::sql
