#pragma once
// What the BLE gateway knows about the Bluetooth SIG health profiles, with no I/O: the service
// UUIDs discovery filters on, which characteristics carry measurements, the UUID forms BlueZ
// uses, the registry uid of a BLE device, the Current Time value we write and the gatt payload
// (docs/device-protocol.md) a notification becomes on its way into ingest.

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::ble {

/// 16-bit UUIDs of the health services we discover and of the characteristics we use besides
/// the measurement ones decoded by devices/.
namespace uuid {
inline constexpr std::uint16_t kGlucoseService = 0x1808;
inline constexpr std::uint16_t kHealthThermometerService = 0x1809;
inline constexpr std::uint16_t kHeartRateService = 0x180D;
inline constexpr std::uint16_t kBloodPressureService = 0x1810;
inline constexpr std::uint16_t kWeightScaleService = 0x181D;
inline constexpr std::uint16_t kPulseOximeterService = 0x1822;
inline constexpr std::uint16_t kCurrentTime = 0x2A2B;
inline constexpr std::uint16_t kRecordAccessControlPoint = 0x2A52;
}  // namespace uuid

/// The services discovery is filtered on, in a fixed order.
inline constexpr std::array<std::uint16_t, 6> kHealthServices = {
    uuid::kBloodPressureService, uuid::kHeartRateService,         uuid::kPulseOximeterService,
    uuid::kWeightScaleService,   uuid::kHealthThermometerService, uuid::kGlucoseService};

/// "00001810-0000-1000-8000-00805f9b34fb": the Bluetooth base form BlueZ speaks.
std::string uuid128(std::uint16_t uuid16);
/// The 16-bit UUID of a Bluetooth-base UUID string (any case); nullopt for any other UUID.
std::optional<std::uint16_t> uuid16(std::string_view uuid128Text);
/// kHealthServices in the 128-bit form, for org.bluez.Adapter1.SetDiscoveryFilter.
std::vector<std::string> healthServiceFilter();
/// True when a device advertising these UUIDs (Device1.UUIDs) offers a health service.
bool offersHealthService(const std::vector<std::string>& deviceUuids);
/// True for a characteristic whose notifications/indications we subscribe to and decode.
bool isMeasurementCharacteristic(std::uint16_t uuid16);

/// Checks "C4:7C:8D:6A:12:34" (hex, any case).
bool validAddress(std::string_view address);
/// The registry uid of a BLE device: "ble-" and the 12 hex digits of its address, upper case
/// ("ble-C47C8D6A1234"); nullopt for an invalid address.
std::optional<std::string> deviceUidForAddress(std::string_view address);

/// The Current Time characteristic value (0x2A2B, 10 bytes): the local wall-clock time given
/// as if it were UTC, day of week, fractions256 = 0, adjust reason "manual time update".
std::array<std::uint8_t, 10> encodeCurrentTime(
    std::chrono::sys_time<std::chrono::milliseconds> localWallClock);

/// One notification or indication as BlueZ delivered it.
struct Notification {
  std::string address;
  std::uint16_t characteristic = 0;
  std::vector<std::uint8_t> value;
  std::chrono::sys_time<std::chrono::milliseconds> receivedAt{};
};
/// The gatt payload (schema v1 of docs/device-protocol.md) for a notification, with the
/// message sequence number `seq`.
std::string gattPayload(const Notification& n, std::uint64_t seq);

}  // namespace vigil::ble
