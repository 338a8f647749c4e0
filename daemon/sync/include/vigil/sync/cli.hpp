#pragma once
// The cloud link's console command as library functions; vigild's main only parses argv:
//
//   vigild sync status [--json]   -> runSyncStatus
//   vigild sync retry ID          -> runSyncRetry
//   vigild sync cancel ID         -> runSyncCancel
//
// status reads the store only (no ports, no network, no keys) and prints the backlog per
// stream, each stream's oldest entry's age and what holds its head (waiting, retrying, refused),
// and the link's last success and last error. retry and cancel are the admins' answer to a
// refused entry, from the box's console (actor id 0, role admin, like the other console
// commands), audited as sync.retry / sync.cancel. Ids, streams, kinds and reason words only.

#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>

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

/// Sends the entry again now (Outbox::retry as `actor`); prints what it did. Throws as retry().
void runSyncRetry(Outbox& outbox, const security::Actor& actor, std::string_view id,
                  std::ostream& out);
/// Gives up on the entry (Outbox::cancel as `actor`); prints what it did. Throws as cancel().
void runSyncCancel(Outbox& outbox, const security::Actor& actor, std::string_view id,
                   std::ostream& out);

}  // namespace vigil::sync
