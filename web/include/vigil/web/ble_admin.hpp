#pragma once
// What the admin BLE routes need from the box's Bluetooth gateway. vigild implements it over
// vigil::ble::BleGateway when built with VIGIL_WITH_BLE; web does not depend on BlueZ.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vigil/core/clock.hpp"

namespace vigil::web {

/// The BLE gateway as the portal's admins see it: what was discovered, and pairing.
class BleAdmin {
 public:
  /// One device the gateway knows: state and reason are short codes, never values.
  struct Device {
    std::string address;
    std::string uid;  // the registry uid the device must be registered under
    std::string state;
    std::string reason;
    bool paired = false;
    std::vector<std::uint16_t> services;
    TimePoint changedAt{};
    std::optional<TimePoint> lastConnectedAt;  // kept across restarts; nullopt: never
    bool live = true;  // false: not seen since start, state and changedAt are the last kept
  };
  /// The gateway's link to BlueZ.
  struct Status {
    bool bus = false;
    bool bluez = false;
    bool adapter = false;
  };
  virtual ~BleAdmin() = default;
  virtual Status status() const = 0;
  virtual std::vector<Device> devices() const = 0;
  /// Queues a pairing (passkey: what the device displays; nullopt for Just Works). false when
  /// the gateway is not running or the address is invalid.
  virtual bool requestPairing(const std::string& address, std::optional<std::uint32_t> passkey) = 0;
};

}  // namespace vigil::web
