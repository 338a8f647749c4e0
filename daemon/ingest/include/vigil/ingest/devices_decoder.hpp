#pragma once
// The PayloadDecoder for MQTT ingest, built on devices/ (the readings and gatt payload schemas
// of docs/device-protocol.md).

#include "vigil/ingest/decoded.hpp"

namespace vigil::ingest {

/// Decodes `readings` payloads (normalised JSON) and `gatt` payloads (relayed notifications).
PayloadDecoder makeDevicesDecoder();

}  // namespace vigil::ingest
