#pragma once
// How a vigild node meets the broker: its client identity, the device topics it subscribes to
// and whether its session outlives a connection. One box and a cluster of nodes differ only here
// (docs/scale-out.md).
//
// One box (cluster.node_id empty): client id and certificate CN `vigild`, plain subscriptions,
// a persistent session (clean start off, 7 days' expiry), so the broker queues devices' QoS 1
// messages while vigild restarts or pauses (back-pressure).
//
// A cluster node (cluster.node_id = N): client id and certificate CN `vigild-N` (each node its
// own session: with `use_username_as_clientid` two nodes sharing `vigild` would take over each
// other's session), and MQTT v5 shared subscriptions `$share/vigil/<filter>`: the broker hands
// each matching message to ONE member of the share group "vigil" (Mosquitto 2.0: round robin
// over the members, message by message), so devices' messages are spread across the nodes.
//
// Trade-off, the session of a node (measured with Mosquitto 2.0.11 by
// tests/ingest/shared_subscription_integration_test.cpp):
// - Mosquitto keeps a disconnected member with a persistent session in the share group and
//   keeps queueing its turn of the round robin for it: a dead node with a persistent session
//   would swallow 1/N of all device messages until it returned (or its session expired), and
//   the QoS 1 messages in flight to it (sent, no PUBACK yet) stay in its session too.
// - So a cluster node starts clean with session expiry 0: when its connection drops (kill -9,
//   a crash, a pause for back-pressure) the broker ends its session at once and the other
//   members get every later message. Mosquitto 2.0.11 does NOT hand the dead session's
//   in-flight QoS 1 messages (no PUBACK from the node) to another member (MQTT 5 4.8.2 says it
//   SHOULD; Mosquitto discards them with the session), and messages libmosquitto had already
//   PUBACKed but the node had not yet stored die with the process. Neither is lost: vigild
//   acknowledges a message to its device only after the commit (the application-level ack on
//   vigil/v1/devices/<uid>/ack), and a device resends what it has no ack for
//   (docs/device-protocol.md); the resend reaches a live node and the per-device dedup key
//   stores it once. Nothing acked is lost; the cost is the device's resend delay.
// - With every node paused or down, no member of the share group is left and Mosquitto drops
//   the group's messages; devices resend them, as above.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::ingest {

/// The share group of every vigild node (`$share/<group>/…`).
inline constexpr std::string_view kShareGroup = "vigil";

/// A node's broker connection settings, applied to gateway::MqttOptions and subscriptions.
struct BrokerSession {
  std::string clientId;              // also the certificate's CN under <data.dir>/pki/clients/
  std::vector<std::string> filters;  // subscribed at QoS 1
  bool cleanStart = false;
  std::uint32_t sessionExpirySeconds = 0;
};

/// Whether `nodeId` is a usable cluster node id: 1-32 of [A-Za-z0-9_-], starting with a letter
/// or digit (it becomes part of a certificate CN and of a client id). Empty: not a cluster.
bool isValidNodeId(std::string_view nodeId);

/// `base` ("vigild") alone, or `base-nodeId` for a cluster node.
std::string nodeClientId(std::string_view base, std::string_view nodeId);

/// The session of the box (`nodeId` empty) or of cluster node `nodeId`; throws
/// vigil::ConfigError for an invalid node id.
BrokerSession brokerSession(std::string_view baseClientId, std::string_view nodeId);

}  // namespace vigil::ingest
