#include "vigil/devices/json_output.hpp"

#include <cmath>
#include <cstdio>

#include "vigil/core/json_text.hpp"
#include "vigil/devices/gatt.hpp"

namespace vigil::devices {

using core::jsonString;

std::string jsonNumber(double v) {
  if (!std::isfinite(v)) return "null";
  if (v == 0) return "0";
  char buf[40];
  const int n = std::snprintf(buf, sizeof buf, "%.10g", v);
  return std::string(buf, static_cast<std::size_t>(n));
}

namespace {

std::string valueJson(const Value& v) {
  return v.number ? jsonNumber(*v.number) : "null";
}

}  // namespace

std::string readingToJson(const Reading& r) {
  std::string o = "{\"kind\":" + jsonString(readingKindName(r.kind));
  o += ",\"loinc\":" + (r.loinc.empty() ? std::string("null") : jsonString(r.loinc));
  o += ",\"unit\":" + jsonString(r.unit);
  bool anyOriginal = false;
  if (r.isPanel()) {
    std::string codes, values, specials, originals;
    for (const auto& c : r.components) {
      const std::string key = jsonString(c.name) + ":";
      values += (values.empty() ? "" : ",") + key + valueJson(c.value);
      codes += (codes.empty() ? "" : ",") + key + jsonString(c.loinc);
      if (c.value.special != SpecialValue::none)
        specials +=
            (specials.empty() ? "" : ",") + key + jsonString(specialValueName(c.value.special));
      if (c.value.original) {
        anyOriginal = true;
        originals += (originals.empty() ? "" : ",") + key + jsonNumber(*c.value.original);
      }
    }
    o += ",\"components\":{" + values + "},\"codes\":{" + codes + "}";
    if (!specials.empty()) o += ",\"special\":{" + specials + "}";
    if (anyOriginal)
      o += ",\"original\":{\"unit\":" + jsonString(r.originalUnit) + ",\"components\":{" +
           originals + "}}";
  } else {
    o += ",\"value\":" + valueJson(r.value);
    if (r.value.special != SpecialValue::none)
      o += ",\"special\":" + jsonString(specialValueName(r.value.special));
    if (r.value.original)
      o += ",\"original\":{\"unit\":" + jsonString(r.originalUnit) +
           ",\"value\":" + jsonNumber(*r.value.original) + "}";
  }
  if (r.time) o += ",\"time\":" + jsonString(formatDeviceTime(*r.time));
  if (r.sequence) o += ",\"seq\":" + std::to_string(*r.sequence);
  if (r.userId) o += ",\"user\":" + std::to_string(*r.userId);
  o += ",\"flags\":[";
  bool first = true;
  r.flags.forEach([&](Flag f) {
    if (!first) o += ',';
    first = false;
    o += jsonString(flagName(f));
  });
  o += "]";
  if (!r.tags.empty()) {
    o += ",\"tags\":{";
    first = true;
    for (const auto& t : r.tags) {
      if (!first) o += ',';
      first = false;
      o += jsonString(t.key) + ":" + jsonString(t.value);
    }
    o += "}";
  }
  if (r.characteristic != 0)
    o += ",\"characteristic\":" + jsonString(characteristicName(r.characteristic));
  return o + "}";
}

std::string readingsToJson(std::span<const Reading> readings) {
  std::string o = "{\"readings\":[";
  for (std::size_t i = 0; i < readings.size(); ++i) {
    if (i) o += ',';
    o += readingToJson(readings[i]);
  }
  return o + "]}";
}

std::string payloadToJson(const DecodedPayload& p) {
  std::string o = "{\"v\":1,\"seq\":" + std::to_string(p.seq);
  if (p.characteristic != 0) {
    o += ",\"characteristic\":" + jsonString(characteristicName(p.characteristic));
    o += ",\"address\":" + jsonString(p.address);
  }
  if (p.receivedAt) o += ",\"received\":" + jsonString(formatDeviceTime({*p.receivedAt, 0}));
  if (p.sentAt) o += ",\"sent\":" + jsonString(formatDeviceTime({*p.sentAt, 0}));
  if (p.batteryPercent) o += ",\"battery\":" + std::to_string(*p.batteryPercent);
  if (p.firmware) o += ",\"firmware\":" + jsonString(*p.firmware);
  o += ",\"readings\":[";
  for (std::size_t i = 0; i < p.readings.size(); ++i) {
    if (i) o += ',';
    o += readingToJson(p.readings[i]);
  }
  return o + "]}";
}

}  // namespace vigil::devices
