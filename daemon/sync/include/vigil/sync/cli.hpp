#pragma once
// The cloud link's console command as library functions; vigild's main only parses argv:
//
//   vigild sync status [--json]   -> runSyncStatus
//
// It reads the store only (no ports, no network, no keys) and prints the backlog per stream,
// each stream's oldest entry's age and what holds its head (waiting, retrying, refused), and
// the link's last success and last error. Ids, streams, kinds and reason words only.

#include <cstddef>
#include <iosfwd>
#include <string>

#include "vigil/core/clock.hpp"
#include "vigil/sync/outbox.hpp"

namespace vigil::store {
class Database;
}

namespace vigil::sync {

/// A duration as people read it: "45s", "12m 5s", "3h 20m", "4d 2h".
std::string humanDuration(std::chrono::seconds d);

/// The human form: a summary, then one line per stream (at most `maxStreams`, then a count).
std::string formatStatusText(const OutboxStatus& status, TimePoint now,
                             std::size_t maxStreams = 50);
/// The JSON form (one object; times RFC 3339 UTC, ages in seconds, null when absent):
/// {"backlog", "oldestEntryAgeSeconds", "lastSuccessAt", "lastError", "lastErrorAt",
///  "streams": [{"stream", "streamKind", "backlog", "oldestEntryAgeSeconds", "blocked",
///               "head": {"id", "seq", "kind", "recipient", "state", "attempts", "lastError",
///                        "nextAttemptAt"}}]}
std::string formatStatusJson(const OutboxStatus& status, TimePoint now);

/// Prints the status; returns 0.
int runSyncStatus(store::Database& db, const Clock& clock, std::ostream& out, bool json);

}  // namespace vigil::sync
