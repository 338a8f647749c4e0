#include <string>

#include "vigil/ingest/decoded.hpp"

namespace vigil::ingest {

namespace {
constexpr std::string_view kPrefix = "vigil/v1/devices/";

bool uidChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}
}  // namespace

std::optional<DeviceTopic> parseDeviceTopic(std::string_view topic) {
  if (topic.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  auto rest = topic.substr(kPrefix.size());
  auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash > 64) return std::nullopt;
  auto uid = rest.substr(0, slash);
  for (char c : uid)
    if (!uidChar(c)) return std::nullopt;
  auto leaf = rest.substr(slash + 1);
  if (leaf == "readings") return DeviceTopic{std::string(uid), TopicKind::readings};
  if (leaf == "gatt") return DeviceTopic{std::string(uid), TopicKind::gatt};
  return std::nullopt;
}

std::string ackTopic(const std::string& uid) {
  return std::string(kPrefix) + uid + "/ack";
}

}  // namespace vigil::ingest
