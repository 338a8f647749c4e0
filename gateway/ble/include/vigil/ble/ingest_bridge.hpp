#pragma once
// How the BLE gateway plugs into ingest, the readings and the registry (it keeps no tables of
// its own): notifications become messages on the device's gatt topic, submitted to the same
// IngestService as MQTT (same decoders, dedup, quarantine and attribution to the patient the
// device is assigned to), with source "ble"; the RACP asks for glucose records after the
// highest sequence number stored (readings::ReadingQuery::lastSequence); each device's link
// state is kept by the registry (registry::BleLinkRepository, table ble_links) for admins,
// across restarts.

#include "vigil/ble/ble_gateway.hpp"

namespace vigil::ingest {
class IngestService;
}
namespace vigil::store {
class Database;
}

namespace vigil::ble {

/// A MessageSink submitting to `ingest` (topic vigil/v1/devices/<uid>/gatt, source "ble"),
/// outside the per-device rate limit: the box's own radio sets the pace, and a glucose meter
/// sends its whole memory at once.
/// A message refused by a full queue is counted and dropped: the device keeps glucose records
/// for the next RACP transfer, live notifications are not repeated by BLE devices.
BleGateway::MessageSink ingestSink(ingest::IngestService& ingest, Clock& clock);
/// A LastSequence reading MAX(seq) of the device's stored glucose readings.
BleGateway::LastSequence storedGlucoseSequence(store::Database& db);

/// A StatusListener upserting each change into ble_links (state, reason, when, and when last
/// connected), never blocking the gateway: a change refused by a full store queue is counted
/// and dropped (the next change writes the row whole again). Devices that were only ever
/// discovered are not kept; "connecting" is not written, nor a state and reason equal to the
/// last written (a device out of range costs no commits while it is retried). A change of a
/// device the registry has retired deletes its row instead.
BleGateway::StatusListener persistLinkStatus(store::Database& db);
/// Deletes the kept links of devices the registry has retired (run at BLE start: devices
/// retired since, or while BLE was off); returns how many went.
std::size_t pruneRetiredLinks(store::Database& db);

/// One row of ble_links: a device's last known link state.
struct StoredLink {
  std::string address;
  std::string uid;
  std::string state;  // toString(DeviceState)
  std::string reason;
  TimePoint changedAt{};
  std::optional<TimePoint> lastConnectedAt;
};
/// Every kept link, by address.
std::vector<StoredLink> storedLinks(store::Database& db);

}  // namespace vigil::ble
