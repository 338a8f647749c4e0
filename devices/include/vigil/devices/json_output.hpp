#pragma once
// Readings as JSON (the output of `vigil-devtool decode`, documented in docs/device-protocol.md).

#include <span>
#include <string>

#include "vigil/devices/payload.hpp"
#include "vigil/devices/reading.hpp"

namespace vigil::devices {

/// One reading as a JSON object: kind, loinc, unit, value or components, special, original,
/// time, seq, user, flags, tags, characteristic.
std::string readingToJson(const Reading& reading);
/// {"readings":[…]}
std::string readingsToJson(std::span<const Reading> readings);
/// {"v":1,"seq":…,(gatt: "characteristic","address","received" | readings: "sent","battery"),
///  "readings":[…]}
std::string payloadToJson(const DecodedPayload& payload);
/// A number as JSON: up to 10 significant digits, no exponent for ordinary magnitudes.
std::string jsonNumber(double v);

}  // namespace vigil::devices
