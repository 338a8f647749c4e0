#pragma once
// BLE ingest through BlueZ: the box's own Bluetooth adapter, driven over D-Bus (org.bluez) with
// GDBus.
//
// What it does: powers the adapter, discovers with a filter on the health service UUIDs, pairs
// a device when an admin asks (Just Works, or passkey entry through the org.bluez.Agent1 it
// exports), trusts and connects paired devices, subscribes to their measurement
// characteristics, writes the Current Time where the device has it, fetches stored glucose
// records through the RACP (those after the last sequence number the store has), and hands each
// notification on as a gatt payload (docs/device-protocol.md) for ingest to decode, store and
// dedup like any other device message.
//
// Design: one thread runs a GLib main loop on its own GMainContext; every D-Bus call is
// asynchronous on that thread and all object state lives there, so nothing but the status
// snapshot (a mutex) and the counters is shared. BlueZ disappearing (bluetoothd restarted), the
// adapter being removed, the system bus missing or going away and devices going out of range
// are all states, not errors: each is logged once when it starts, shown on the device status
// and in /metrics, and a periodic retry (retryInterval) reconnects the bus, re-powers the
// adapter and reconnects paired devices when they come back. Trade-off: reconnecting by polling
// costs one Connect() attempt per paired, absent device per interval; BlueZ's own
// auto-connect would need the device to be in its accept list, which a clinic device paired by
// us is, but polling also covers a bluetoothd that restarted without it.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vigil/ble/health_profile.hpp"
#include "vigil/core/clock.hpp"

namespace vigil::ble {

/// Where BlueZ is and how patiently to talk to it.
struct BleOptions {
  std::string busAddress;  // empty: the system bus (honours DBUS_SYSTEM_BUS_ADDRESS)
  std::string adapter;     // "hci0"; empty: the first adapter BlueZ reports
  std::chrono::milliseconds retryInterval{5000};  // bus/adapter re-probe, device reconnect
  std::chrono::milliseconds callTimeout{25000};   // one D-Bus call (Pair gets 60 s)
  bool discover = true;                           // run filtered discovery while powered
};

/// Where a device stands, as shown to admins and counted in /metrics.
enum class DeviceState {
  discovered,     // seen advertising a health service, not paired
  pairing,        // an admin asked to pair, BlueZ is pairing
  pairingFailed,  // the last pairing failed (reason says why)
  paired,         // paired and trusted, not connected yet
  connecting,     // Connect() in flight
  connected,      // connected, subscribed to its measurements
  disconnected,   // paired, link lost or unreachable (out of range): reconnect pending
  unavailable,    // adapter removed or BlueZ gone: reconnect when they return
};
inline constexpr std::size_t kDeviceStateCount = 8;
/// "discovered", "pairing", "pairing_failed", …
const char* toString(DeviceState state);

/// A device's status. `reason` is a short code (link_lost, adapter_removed,
/// bluez_unavailable, AuthenticationFailed …), never a value.
struct BleDeviceStatus {
  std::string address;
  std::string uid;  // registry uid (deviceUidForAddress)
  DeviceState state = DeviceState::discovered;
  std::string reason;
  bool paired = false;
  bool trusted = false;
  std::vector<std::uint16_t> services;  // health services it advertises
  TimePoint changedAt{};
};

/// The BLE side of ingest: BlueZ in, gatt payloads out.
class BleGateway {
 public:
  /// One notification as a gatt payload for the device with registry uid `uid`. Called on the
  /// gateway's thread; must not block for long.
  using MessageSink = std::function<void(const std::string& uid, std::string gattPayload)>;
  /// The highest glucose sequence number stored for the device (nullopt: none). Called on the
  /// gateway's thread before each RACP transfer.
  using LastSequence = std::function<std::optional<std::uint32_t>(const std::string& uid)>;
  /// A device's status after each change of state or reason. Called on the gateway's thread;
  /// must not block.
  using StatusListener = std::function<void(const BleDeviceStatus& status)>;

  BleGateway(BleOptions options, Clock& clock, MessageSink sink, LastSequence lastSequence);
  ~BleGateway();
  BleGateway(const BleGateway&) = delete;
  BleGateway& operator=(const BleGateway&) = delete;

  /// Set before start(): told of every status change (persistLinkStatus keeps them).
  void setStatusListener(StatusListener listener);
  /// Starts the gateway thread; never fails for a missing bus, BlueZ or adapter (see states).
  void start();
  /// Stops discovery, cancels calls in flight and joins the thread. Idempotent.
  void stop();

  /// Asks BlueZ to pair with a discovered device, then trusts and connects it. The passkey is
  /// what the device displays, for passkey entry; nullopt for Just Works. false when the
  /// gateway is not running or the address is invalid; the outcome shows in devices().
  bool requestPairing(const std::string& address, std::optional<std::uint32_t> passkey);

  /// Every device seen since start, by address.
  std::vector<BleDeviceStatus> devices() const;
  std::optional<BleDeviceStatus> device(const std::string& address) const;
  bool busConnected() const;
  bool bluezAvailable() const;
  bool adapterPresent() const;
  /// RACP transfers that ended with success or "no records found" since start.
  std::uint64_t racpTransfersDone() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::ble
