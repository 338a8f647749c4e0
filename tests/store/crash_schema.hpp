#pragma once
// Shared by the crash test and its writer process: the schema and the content of a batch.

#include <cstdint>

#include "vigil/store/database.hpp"

namespace vigil::store::test {

/// Rows written per batch by the crash writer.
constexpr int kCrashRowsPerBatch = 25;
constexpr int kCrashPayloadBytes = 64;

inline MigrationList crashSchema() {
  return {
      {1, "readings",
       "CREATE TABLE readings(batch INTEGER NOT NULL, seq INTEGER NOT NULL, payload BLOB NOT NULL,"
       " PRIMARY KEY(batch, seq)) WITHOUT ROWID;"},
      {2, "batch_index", "CREATE INDEX readings_seq ON readings(seq);"}};
}

/// The payload byte of row seq of batch b (so a torn or mixed-up row is detectable).
inline std::uint8_t crashPayloadByte(std::int64_t batch, std::int64_t seq) {
  return static_cast<std::uint8_t>((batch * 31 + seq * 7) & 0xff);
}

}  // namespace vigil::store::test
