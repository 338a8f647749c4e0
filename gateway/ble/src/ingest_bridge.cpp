#include "vigil/ble/ingest_bridge.hpp"

#include "vigil/core/log.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/ingest/ingest_service.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"

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

}  // namespace vigil::ble
