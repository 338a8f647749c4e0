#include "vigil/ble/ingest_bridge.hpp"

#include <map>
#include <memory>
#include <utility>

#include "vigil/core/log.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/ingest/ingest_service.hpp"
#include "vigil/readings/reading_query.hpp"
#include "vigil/registry/ble_links.hpp"

namespace vigil::ble {

BleGateway::MessageSink ingestSink(ingest::IngestService& ingest, Clock& clock) {
  return [&ingest, &clock](const std::string& uid, std::string payload) {
    if (!ingest.submit({"vigil/v1/devices/" + uid + "/gatt", std::move(payload), clock.now(), "ble",
                        /*rateLimited=*/false})) {
      Metrics::global()
          .counter("vigil_ble_notifications_total", "BLE measurement notifications received",
                   {{"result", "refused_queue_full"}})
          .inc();
      log::warn("ble.ingest_refused");
    }
  };
}

BleGateway::LastSequence storedGlucoseSequence(store::Database& db) {
  return [&db](const std::string& uid) -> std::optional<std::uint32_t> {
    auto last = readings::ReadingQuery(db).lastSequence(uid, "glucose");
    if (!last) return std::nullopt;
    return static_cast<std::uint32_t>(*last);
  };
}

BleGateway::StatusListener persistLinkStatus(store::Database& db) {
  // What was last written per address (the listener runs on the gateway thread only): a device
  // out of range is retried every retry interval, connecting → disconnected each time; only
  // the first disconnected is written, and connecting never is, so an absent device costs no
  // store commits.
  auto written = std::make_shared<std::map<std::string, std::pair<DeviceState, std::string>>>();
  return [links = registry::BleLinkRepository(db), written](const BleDeviceStatus& s) mutable {
    if (s.state == DeviceState::discovered && !s.paired) return;  // a passer-by
    if (s.state == DeviceState::connecting) return;               // transient
    if (auto w = written->find(s.address);
        w != written->end() && w->second.first == s.state && w->second.second == s.reason)
      return;
    registry::BleLink link{s.address, s.uid, toString(s.state), s.reason, s.changedAt, {}};
    if (s.state == DeviceState::connected) link.lastConnectedAt = s.changedAt;
    // The registry drops the row of a device it has retired instead of writing it (an admin
    // retired it; it may still be paired in BlueZ and come and go).
    bool queued = links.tryRecord(std::move(link), [](std::exception_ptr e) {
      // device identifiers stay out of logs
      if (e) log::warn("ble.link_not_saved", {{"reason", "store_error"}});
    });
    if (queued) {
      (*written)[s.address] = {s.state, s.reason};
    } else {
      Metrics::global()
          .counter("vigil_ble_link_writes_dropped_total",
                   "BLE link state changes not saved (store queue full or closed)")
          .inc();
    }
  };
}

std::size_t pruneRetiredLinks(store::Database& db) {
  auto pruned = registry::BleLinkRepository(db).pruneRetired();
  if (pruned > 0) log::info("ble.links_pruned", {{"count", static_cast<std::int64_t>(pruned)}});
  return pruned;
}

std::vector<StoredLink> storedLinks(store::Database& db) {
  std::vector<StoredLink> out;
  for (auto& l : registry::BleLinkRepository(db).list()) {
    out.push_back({std::move(l.address), std::move(l.uid), std::move(l.state), std::move(l.reason),
                   l.changedAt, l.lastConnectedAt});
  }
  return out;
}

}  // namespace vigil::ble
