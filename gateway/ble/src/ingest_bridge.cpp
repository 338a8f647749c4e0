#include "vigil/ble/ingest_bridge.hpp"

#include <map>
#include <memory>
#include <utility>

#include "vigil/core/log.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/ingest/ingest_service.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::ble {
namespace {

std::int64_t toMs(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint fromMs(std::int64_t ms) {
  return TimePoint{std::chrono::duration_cast<TimePoint::duration>(std::chrono::milliseconds(ms))};
}

}  // namespace

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
  return [&db](const std::string& uid) {
    return db.read([&](store::Connection& c) -> std::optional<std::uint32_t> {
      auto st = c.prepare(
          "SELECT MAX(r.seq) FROM readings r JOIN devices d ON d.id = r.device_id "
          "WHERE d.uid = ? AND r.kind = 'glucose'");
      st.bindAll(uid);
      if (!st.step() || st.isNull(0)) return std::nullopt;
      return static_cast<std::uint32_t>(st.getInt64(0));
    });
  };
}

BleGateway::StatusListener persistLinkStatus(store::Database& db) {
  // What was last written per address (the listener runs on the gateway thread only): a device
  // out of range is retried every retry interval, connecting → disconnected each time; only
  // the first disconnected is written, and connecting never is, so an absent device costs no
  // store commits.
  auto written = std::make_shared<std::map<std::string, std::pair<DeviceState, std::string>>>();
  return [&db, written](const BleDeviceStatus& s) {
    if (s.state == DeviceState::discovered && !s.paired) return;  // a passer-by
    if (s.state == DeviceState::connecting) return;               // transient
    if (auto w = written->find(s.address);
        w != written->end() && w->second.first == s.state && w->second.second == s.reason)
      return;
    const std::string state = toString(s.state);
    const std::int64_t at = toMs(s.changedAt);
    const bool connected = s.state == DeviceState::connected;
    bool queued = db.tryPost(
        [address = s.address, uid = s.uid, state, reason = s.reason, at,
         connected](store::Connection& c) {
          // A retired device's link is not kept (an admin retired it; it may still be paired
          // in BlueZ and come and go): drop its row instead of writing it again.
          if (c.queryValue<std::int64_t>(
                  "SELECT 1 FROM devices WHERE uid = ?1 AND status = 'retired'", uid)) {
            c.execute("DELETE FROM ble_links WHERE address = ?1", address);
            return;
          }
          c.execute(
              "INSERT INTO ble_links (address, uid, state, reason, changed_at, last_connected_at) "
              "VALUES (?1, ?2, ?3, ?4, ?5, CASE WHEN ?6 THEN ?5 END) "
              "ON CONFLICT (address) DO UPDATE SET uid = ?2, state = ?3, reason = ?4, "
              "changed_at = ?5, last_connected_at = CASE WHEN ?6 THEN ?5 ELSE last_connected_at "
              "END",
              address, uid, state, reason, at, static_cast<std::int64_t>(connected ? 1 : 0));
        },
        [](std::exception_ptr e) {  // device identifiers stay out of logs
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
  auto pruned = db.writeSync([](store::Connection& c) {
    c.execute(
        "DELETE FROM ble_links WHERE uid IN (SELECT uid FROM devices WHERE status = 'retired')");
    return c.changes();
  });
  if (pruned > 0) log::info("ble.links_pruned", {{"count", static_cast<std::int64_t>(pruned)}});
  return static_cast<std::size_t>(pruned);
}

std::vector<StoredLink> storedLinks(store::Database& db) {
  return db.read([](store::Connection& c) {
    std::vector<StoredLink> out;
    auto st = c.prepare(
        "SELECT address, uid, state, reason, changed_at, last_connected_at FROM ble_links "
        "ORDER BY address");
    while (st.step()) {
      StoredLink l;
      l.address = st.get<std::string>(0);
      l.uid = st.get<std::string>(1);
      l.state = st.get<std::string>(2);
      l.reason = st.get<std::string>(3);
      l.changedAt = fromMs(st.get<std::int64_t>(4));
      if (auto last = st.get<std::optional<std::int64_t>>(5)) l.lastConnectedAt = fromMs(*last);
      out.push_back(std::move(l));
    }
    return out;
  });
}

}  // namespace vigil::ble
