#pragma once
// What ingest needs from a decoded device message, independent of how it was decoded (JSON
// readings, a relayed GATT notification, BLE on the box). devices/ produces these through the
// adapter in ingest/src/devices_decoder.cpp.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/core/clock.hpp"

namespace vigil::ingest {

/// One measurement ready to store.
struct DecodedReading {
  std::string kind;  // blood_pressure, heart_rate, spo2, body_weight, body_temperature, glucose …
  std::string loinc;  // panel or observation code
  std::string unit;   // UCUM
  std::optional<double> value;
  std::map<std::string, std::optional<double>> components;  // LOINC → value, for panels
  std::string special;                                      // NaN, NRes, +INF … when no value
  std::optional<double> originalValue;
  std::string originalUnit;
  std::vector<std::string> flags;
  std::optional<TimePoint> deviceTime;
  bool deviceTimeLocal = false;
  std::optional<std::uint64_t> seq;  // the device's own sequence number, if any
};

/// A decoded MQTT message: its readings and the sequence number the ack names.
struct DecodedMessage {
  std::optional<std::uint64_t> messageSeq;  // hub/device message sequence (acked)
  std::vector<DecodedReading> readings;
  std::optional<int> batteryPct;
  std::optional<std::string> firmware;  // the installed firmware version the device reported
  std::string source;                   // mqtt-json, mqtt-gatt, ble
};

/// Result of decoding: a message, or a machine-readable reason and a detail naming the field
/// (never a value).
struct DecodeOutcome {
  std::optional<DecodedMessage> message;
  std::string reason;  // malformed, oversized, unsupported, impossible_value …
  std::string detail;
  std::optional<std::uint64_t> messageSeq;  // when known even though decoding failed
};

enum class TopicKind { readings, gatt };

/// Decodes one payload of the given topic kind. Must not throw.
using PayloadDecoder = std::function<DecodeOutcome(TopicKind, std::string_view payload)>;

/// A device topic `vigil/v1/devices/<uid>/<readings|gatt>`.
struct DeviceTopic {
  std::string uid;
  TopicKind kind;
};
/// Parses a device topic; nullopt for anything else (including a bad uid).
std::optional<DeviceTopic> parseDeviceTopic(std::string_view topic);
/// `vigil/v1/devices/<uid>/ack`.
std::string ackTopic(const std::string& uid);

}  // namespace vigil::ingest
