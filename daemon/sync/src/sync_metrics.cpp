#include "vigil/sync/sync_metrics.hpp"

#include <algorithm>
#include <chrono>
#include <map>

namespace vigil::sync {
namespace {

struct KindTotals {
  double backlog = 0;
  double oldestAge = 0;
  double blocked = 0;
};

double epochSeconds(const std::optional<TimePoint>& t) {
  if (!t) return 0;
  return std::chrono::duration<double>(t->time_since_epoch()).count();
}

}  // namespace

SyncMetrics::SyncMetrics(Metrics& metrics) : metrics_(metrics) {}

void SyncMetrics::update(const OutboxStatus& status, TimePoint now) {
  std::map<std::string, KindTotals> byKind;
  for (const auto& s : status.streams) {
    auto& k = byKind[s.streamKind];
    k.backlog += static_cast<double>(s.backlog);
    k.oldestAge =
        std::max(k.oldestAge, std::chrono::duration<double>(now - s.oldestCreatedAt).count());
    if (s.blocked()) k.blocked += 1;
  }
  std::lock_guard lock(mutex_);
  for (const auto& kind : kinds_) byKind.try_emplace(kind);
  for (const auto& [kind, t] : byKind) {
    kinds_.insert(kind);
    const Metrics::Labels labels{{"stream_kind", kind}};
    metrics_.gauge("vigil_sync_backlog", "Outbox entries waiting to be delivered", labels)
        .set(t.backlog);
    metrics_
        .gauge("vigil_sync_oldest_entry_age_seconds",
               "Age of the oldest outbox entry waiting to be delivered", labels)
        .set(t.oldestAge);
    metrics_
        .gauge("vigil_sync_blocked_streams",
               "Outbox streams stopped by an entry a service refused (admins retry or cancel)",
               labels)
        .set(t.blocked);
  }
  metrics_
      .gauge("vigil_sync_last_success_timestamp_seconds",
             "When the cloud link last delivered or fetched (Unix time; 0: never)")
      .set(epochSeconds(status.lastSuccessAt));
  metrics_
      .gauge("vigil_sync_last_error_timestamp_seconds",
             "When the cloud link last failed (Unix time; 0: never)")
      .set(epochSeconds(status.lastErrorAt));
}

}  // namespace vigil::sync
