// A connected device's GATT session: StartNotify on every measurement characteristic and the
// RACP, the Current Time written where the device has it, each measurement notification handed
// on as a gatt payload, and the RACP asked for the glucose records after the last one stored.

#include <chrono>
#include <ctime>

#include "gateway_impl.hpp"
#include "vigil/ble/racp.hpp"
#include "vigil/core/log.hpp"
#include "vigil/devices/gatt.hpp"

namespace vigil::ble {

using namespace detail;

void BleGateway::Impl::setUpDevice(const std::string& path, DeviceObj& d) {
  d.setUp = true;
  d.notifyPending = 0;
  bool hasGlucose = false;
  std::string racpPath;
  for (auto& [cp, c] : chars) {
    if (c.devicePath.empty()) c.devicePath = deviceOf(cp);
    if (c.devicePath != path) continue;
    bool notifies = c.has("notify") || c.has("indicate");
    if (c.uuid == uuid::kCurrentTime && (c.has("write") || c.has("write-without-response"))) {
      writeCurrentTime(cp);
    } else if ((isMeasurementCharacteristic(c.uuid) || c.uuid == uuid::kRecordAccessControlPoint) &&
               notifies) {
      if (c.uuid == devices::gatt::kGlucoseMeasurement) hasGlucose = true;
      if (c.uuid == uuid::kRecordAccessControlPoint) racpPath = cp;
      ++d.notifyPending;
      call(cp, kCharIface, "StartNotify", nullptr, nullptr, [this, path](GVariant*, GError* e) {
        if (e && shortError(e) != "InProgress")
          log::warn("ble.subscribe_failed", {{"reason", shortError(e)}});
        auto dd = deviceObjs.find(path);
        if (dd == deviceObjs.end()) return;
        if (--dd->second.notifyPending == 0) subscribed(path, dd->second);
      });
    }
  }
  d.racpPending = hasGlucose && !racpPath.empty();
  if (d.notifyPending == 0) subscribed(path, d);
}

void BleGateway::Impl::subscribed(const std::string& path, DeviceObj& d) {
  setStatus(d.address, DeviceState::connected, "");
  if (!d.racpPending) return;
  d.racpPending = false;
  for (const auto& [cp, c] : chars)
    if (c.devicePath == path && c.uuid == uuid::kRecordAccessControlPoint) {
      auto uid = deviceUidForAddress(d.address).value_or("");
      std::optional<std::uint32_t> last;
      try {
        if (lastSequence) last = lastSequence(uid);
      } catch (const std::exception&) {
        log::warn("ble.last_sequence_failed");  // device identifiers stay out of logs
      }
      auto request = racpRequestAfter(last);
      log::info("ble.racp_request",
                {{"device", uid}, {"from", last ? std::int64_t(*last) + 1 : std::int64_t(0)}});
      writeValue(cp, request.data(), request.size(), "request");
    }
}

void BleGateway::Impl::writeCurrentTime(const std::string& charPath) {
  std::time_t t = std::chrono::system_clock::to_time_t(clock.now());
  std::tm local{};
  localtime_r(&t, &local);
  auto wall = std::chrono::sys_days{std::chrono::year{local.tm_year + 1900} /
                                    std::chrono::month{static_cast<unsigned>(local.tm_mon + 1)} /
                                    std::chrono::day{static_cast<unsigned>(local.tm_mday)}} +
              std::chrono::hours{local.tm_hour} + std::chrono::minutes{local.tm_min} +
              std::chrono::seconds{local.tm_sec};
  auto value = encodeCurrentTime(std::chrono::time_point_cast<std::chrono::milliseconds>(wall));
  writeValue(charPath, value.data(), value.size(), "request");
}

void BleGateway::Impl::writeValue(const std::string& charPath, const std::uint8_t* data,
                                  std::size_t n, const char* type) {
  GVariantBuilder opts;
  g_variant_builder_init(&opts, vtype("a{sv}"));
  g_variant_builder_add(&opts, "{sv}", "type", g_variant_new_string(type));
  call(charPath, kCharIface, "WriteValue",
       g_variant_new("(@aya{sv})", bytesVariant(data, n), &opts), nullptr,
       [](GVariant*, GError* e) {
         if (e) log::warn("ble.write_failed", {{"reason", shortError(e)}});
       });
}

void BleGateway::Impl::onRacpResponse(const std::string& uid,
                                      const std::vector<std::uint8_t>& value) {
  auto r = parseRacpResponse(value);
  if (r && r->transferDone()) {
    ++racpDone;
    counter("vigil_ble_racp_transfers_total", "Glucose record transfers, by result", "done").inc();
    log::info("ble.racp_done",
              {{"device", uid}, {"records", r->code == racp::kSuccess ? "some" : "none"}});
  } else if (r && r->kind == RacpResponse::Kind::responseCode) {
    counter("vigil_ble_racp_transfers_total", "Glucose record transfers, by result", "failed")
        .inc();
    log::warn("ble.racp_failed", {{"code", int(r->code)}});
  }
}

void BleGateway::Impl::onValue(const std::string& charPath,
                               const std::vector<std::uint8_t>& value) {
  auto c = chars.find(charPath);
  if (c == chars.end()) return;
  if (c->second.devicePath.empty()) c->second.devicePath = deviceOf(charPath);
  auto d = deviceObjs.find(c->second.devicePath);
  if (d == deviceObjs.end()) return;
  auto uid = deviceUidForAddress(d->second.address);
  if (!uid) return;
  if (c->second.uuid == uuid::kRecordAccessControlPoint) {
    onRacpResponse(*uid, value);
    return;
  }
  if (!isMeasurementCharacteristic(c->second.uuid)) return;
  Notification n;
  n.address = d->second.address;
  n.characteristic = c->second.uuid;
  n.value = value;
  n.receivedAt = std::chrono::time_point_cast<std::chrono::milliseconds>(clock.now());
  // Message sequence numbers: unique per device for its lifetime (docs/device-protocol.md),
  // here from the wall clock in ms, strictly increasing within the process.
  auto ms = static_cast<std::uint64_t>(n.receivedAt.time_since_epoch().count());
  lastMessageSeq = std::max(lastMessageSeq + 1, ms);
  counter("vigil_ble_notifications_total", "BLE measurement notifications received", "received")
      .inc();
  if (sink) sink(*uid, gattPayload(n, lastMessageSeq));
}

}  // namespace vigil::ble
