#include "vigil/pki/device_id.hpp"

#include "vigil/core/error.hpp"

namespace vigil::pki {

namespace {
bool isAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
}  // namespace

bool isValidDeviceId(std::string_view id) {
  if (id.empty() || id.size() > 64 || !isAlnum(id.front())) return false;
  for (char c : id) {
    if (!isAlnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

std::string validateDeviceId(std::string_view id) {
  if (!isValidDeviceId(id)) {
    throw ValidationError(
        "device_id: must be 1-64 characters of [A-Za-z0-9._-] starting with a letter or digit");
  }
  return std::string(id);
}

DeviceTopics topicsFor(std::string_view deviceId) {
  std::string base = "vigil/v1/devices/" + validateDeviceId(deviceId) + "/";
  return {base + "readings", base + "gatt", base + "ack", base + "config"};
}

}  // namespace vigil::pki
