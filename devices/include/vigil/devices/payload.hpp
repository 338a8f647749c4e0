#pragma once
// The MQTT payloads devices and hubs publish (docs/device-protocol.md is the contract):
//   vigil/v1/devices/<device-id>/readings  normalised readings (schema "readings", v1)
//   vigil/v1/devices/<device-id>/gatt      one relayed GATT notification (schema "gatt", v1)
//
// Validation is strict: the size limit is checked before any parsing, then a strict JSON parser
// (RFC 8259, no duplicate keys, bounded depth, string and array limits) builds a small tree, then
// the schema is checked field by field. Unknown fields are refused except inside "ext", which is
// reserved for vendor data and ignored. Every error names the field ("readings[1].unit") and the
// reason, never a value.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/devices/decode_result.hpp"

namespace vigil::devices {

/// Limits enforced on every payload.
struct PayloadLimits {
  static constexpr std::size_t kMaxBytes = 64 * 1024;  // whole payload
  static constexpr std::size_t kMaxReadings = 200;     // readings per message
  static constexpr std::size_t kMaxFlags = 16;         // flags per reading
  static constexpr std::size_t kMaxStringBytes = 256;  // any JSON string (except data)
  static constexpr std::size_t kMaxDataBytes = 512;    // decoded GATT value
  static constexpr std::size_t kMaxDepth = 8;          // JSON nesting
  static constexpr std::size_t kMaxValues = 8192;      // JSON values in the whole document
};

/// A validated, decoded payload of either schema.
struct DecodedPayload {
  std::uint64_t seq = 0;  // the message sequence number the ack names
  std::vector<Reading> readings;
  std::optional<DeviceClock> sentAt;    // readings: hub/device send time ("sent"), UTC
  std::optional<int> batteryPercent;    // readings: "battery"
  std::optional<std::string> firmware;  // readings: "firmware", the installed firmware version
  // gatt only:
  std::uint16_t characteristic = 0;
  std::string address;                    // BLE device address "C4:7C:8D:6A:12:34"
  std::optional<DeviceClock> receivedAt;  // hub receive time, UTC
};

/// Result of decoding a payload; when decoding fails after "seq" was read, seq is kept so the
/// message can still be acknowledged as rejected.
struct PayloadResult {
  std::optional<DecodedPayload> payload;
  std::optional<DecodeError> error;
  std::optional<std::uint64_t> seq;

  bool ok() const { return payload.has_value(); }
};

/// Decodes a payload of topic leaf "readings".
PayloadResult decodeReadingsPayload(std::string_view json);
/// Decodes a payload of topic leaf "gatt" (validates the envelope, then decodes the bytes with
/// decodeCharacteristic).
PayloadResult decodeGattPayload(std::string_view json);
/// For tools that see a payload without its topic: a gatt payload when it has a
/// "characteristic" member, else a readings payload.
PayloadResult decodeAnyPayload(std::string_view json);

/// Parses an RFC 3339 time ("2026-11-29T10:15:00Z", "…+01:00", "…T10:15:00.250"); without an
/// offset the time is device-local.
std::optional<DeviceTime> parseDeviceTime(std::string_view text);
/// Formats a device time as RFC 3339 (milliseconds only when non-zero; no offset when local).
std::string formatDeviceTime(const DeviceTime& time);

/// Decodes standard base64 (RFC 4648, padding required); nullopt on any invalid character.
std::optional<std::vector<std::uint8_t>> decodeBase64(std::string_view text);
/// Encodes standard base64 with padding.
std::string encodeBase64(std::span<const std::uint8_t> bytes);

}  // namespace vigil::devices
