#include "vigil/ingest/broker_session.hpp"

#include "vigil/core/error.hpp"

namespace vigil::ingest {

namespace {

constexpr std::uint32_t kBoxSessionExpirySeconds = 7 * 24 * 3600;

bool nodeChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

}  // namespace

bool isValidNodeId(std::string_view nodeId) {
  if (nodeId.empty() || nodeId.size() > 32 || !nodeChar(nodeId.front()) || nodeId.front() == '_' ||
      nodeId.front() == '-')
    return false;
  for (char c : nodeId)
    if (!nodeChar(c)) return false;
  return true;
}

std::string nodeClientId(std::string_view base, std::string_view nodeId) {
  std::string id(base);
  if (!nodeId.empty()) {
    id += '-';
    id += nodeId;
  }
  return id;
}

BrokerSession brokerSession(std::string_view baseClientId, std::string_view nodeId) {
  if (!nodeId.empty() && !isValidNodeId(nodeId))
    throw ConfigError(
        "cluster.node_id: must be 1-32 characters of [A-Za-z0-9_-] starting with a letter or "
        "digit");
  BrokerSession s;
  s.clientId = nodeClientId(baseClientId, nodeId);
  for (const char* leaf : {"readings", "gatt"}) {
    std::string filter = std::string("vigil/v1/devices/+/") + leaf;
    if (!nodeId.empty()) filter = "$share/" + std::string(kShareGroup) + "/" + filter;
    s.filters.push_back(std::move(filter));
  }
  // See the header: a node's session ends with its connection, so the broker stops giving it
  // messages the moment it is gone; the box's session outlives its restarts.
  s.cleanStart = !nodeId.empty();
  s.sessionExpirySeconds = nodeId.empty() ? kBoxSessionExpirySeconds : 0;
  return s;
}

}  // namespace vigil::ingest
