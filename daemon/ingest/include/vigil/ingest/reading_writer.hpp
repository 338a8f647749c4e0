#pragma once
// Writes one decoded reading into the compact readings table (migration 0037), exactly once per
// device and dedup key: the writer thread's half of IngestService, public for the storage
// benchmark (tests/bench/reading_storage_bench.cpp), which loads a year of readings through it.

#include <cstdint>
#include <optional>
#include <string>

#include "vigil/core/clock.hpp"
#include "vigil/ingest/decoded.hpp"

namespace vigil::store {
class Connection;
}

namespace vigil::ingest {

/// Stores `r` unless the device already has a reading with the same dedup key (`textKey` is
/// the key as ingest names it: "seq:<n>:<kind>", "time:<ms>:<kind>" or "msg:<n>:<i>:<kind>").
/// Returns the new reading's id, or nullopt for a duplicate.
std::optional<std::int64_t> storeReading(store::Connection& c, std::int64_t deviceId,
                                         std::optional<std::int64_t> patientId,
                                         const DecodedReading& r, const std::string& textKey,
                                         const std::string& source, TimePoint receivedAt);

/// Queues a stored reading for the alert node (readings_to_judge, migration 0044): with several
/// nodes, in the reading's own transaction.
void queueForJudgement(store::Connection& c, std::int64_t readingId);

}  // namespace vigil::ingest
