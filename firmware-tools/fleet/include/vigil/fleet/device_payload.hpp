#pragma once
// What a simulated device puts on the wire for a Measurement: the normalised JSON "readings"
// payload, or the real Bluetooth characteristic bytes (IEEE 11073 SFLOAT/FLOAT, Date Time)
// wrapped in the "gatt" payload a hub relays (docs/device-protocol.md). Both decode with
// vigil::devices back to the measurement's values.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/fleet/persona.hpp"

namespace vigil::fleet {

/// A characteristic value as notified by the device.
struct GattValue {
  std::uint16_t characteristic = 0;
  std::vector<std::uint8_t> bytes;
};

using DeviceClockTime = std::chrono::sys_time<std::chrono::milliseconds>;

/// The characteristic the device kind notifies: blood pressure 0x2A35 (with time stamp and pulse
/// rate), pulse oximeter 0x2A5E (with time stamp), weight 0x2A9D (SI, with time stamp),
/// thermometer 0x2A1C (Celsius, time stamp, site "mouth"), glucometer 0x2A18 (capillary whole
/// blood, finger, `sequence` as its sequence number), heart rate 0x2A37 (8-bit value).
/// `deviceClock` is the device's local wall clock (whole seconds are encoded).
GattValue encodeGatt(const Measurement& m, DeviceClockTime deviceClock, std::uint16_t sequence);

/// {"v":1,"seq":N,"characteristic":"2A35","data":"<base64>","address":"…","received":"…Z"}
std::string gattPayload(std::uint64_t seq, const GattValue& value, std::string_view address,
                        DeviceClockTime received);

/// {"v":1,"seq":N,"sent":"…Z","battery":B,"readings":[…]} with one reading per measured
/// quantity (a cuff gives blood_pressure and heart_rate), each stamped `measured` (UTC as the
/// device's clock showed it, milliseconds); "sent" is `sent` (later after an offline period).
std::string readingsPayload(std::uint64_t seq, const Measurement& m, DeviceClockTime measured,
                            DeviceClockTime sent, std::optional<int> batteryPercent = std::nullopt,
                            const std::string& firmware = {});

/// A stable BLE address for a device uid ("C4:xx:xx:xx:xx:xx").
std::string bleAddressFor(std::string_view uid);

}  // namespace vigil::fleet
