#pragma once
// Device ids appear in MQTT topics, ACL lines, certificate subjects and file names, so they are
// restricted to a set that is safe in all four: 1-64 of [A-Za-z0-9._-], starting with a letter or
// digit (so "." and ".." and "-flag" are impossible).

#include <string>
#include <string_view>

namespace vigil::pki {

/// True when `id` is a well-formed device id.
bool isValidDeviceId(std::string_view id);
/// Returns `id` as a string or throws vigil::ValidationError (field "device_id").
std::string validateDeviceId(std::string_view id);

/// The fixed MQTT topics of one device (see docs/device-protocol.md).
struct DeviceTopics {
  std::string readings;  // device publishes
  std::string gatt;      // device publishes
  std::string ack;       // box publishes, device subscribes
  std::string config;    // box publishes, device subscribes
};
DeviceTopics topicsFor(std::string_view deviceId);

}  // namespace vigil::pki
