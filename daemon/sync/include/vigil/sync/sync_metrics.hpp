#pragma once
// The outbox on /metrics: gauges by stream kind (the stream name's first segment, "claims" of
// "claims/2026-12"), never by stream, since stream names carry ids (a prescription's, a batch's).
//
//   vigil_sync_backlog{stream_kind}                    entries neither delivered nor cancelled
//   vigil_sync_oldest_entry_age_seconds{stream_kind}   age of the oldest of them
//   vigil_sync_blocked_streams{stream_kind}            streams stopped by a refused entry
//   vigil_sync_last_success_timestamp_seconds          the last delivery or fetch (0: never)
//   vigil_sync_last_error_timestamp_seconds            the last failure (0: never)
//
// The counters (delivered, failed attempts, refused by reason) are Outbox's.

#include <mutex>
#include <set>
#include <string>

#include "vigil/core/clock.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/sync/outbox.hpp"

namespace vigil::sync {

/// Sets the outbox gauges from a status (vigild does it every few seconds).
class SyncMetrics {
 public:
  explicit SyncMetrics(Metrics& metrics);
  /// A stream kind seen before and now without entries goes to 0.
  void update(const OutboxStatus& status, TimePoint now);

 private:
  Metrics& metrics_;
  std::mutex mutex_;
  std::set<std::string> kinds_;
};

}  // namespace vigil::sync
