#include "vigil/ingest/devices_decoder.hpp"

#include "vigil/devices/payload.hpp"
#include "vigil/devices/reading.hpp"

namespace vigil::ingest {
namespace {

TimePoint toTimePoint(devices::DeviceClock t) {
  return TimePoint{std::chrono::duration_cast<TimePoint::duration>(t.time_since_epoch())};
}

DecodedReading convert(const devices::Reading& r) {
  DecodedReading out;
  out.kind = std::string(devices::readingKindName(r.kind));
  out.loinc = std::string(r.loinc);
  out.unit = std::string(r.unit);
  out.value = r.value.number;
  out.special = std::string(devices::specialValueName(r.value.special));
  out.originalValue = r.value.original;
  out.originalUnit = std::string(r.originalUnit);
  for (const auto& c : r.components) {
    out.components[std::string(c.loinc)] = c.value.number;
    if (!c.value.number && out.special.empty())
      out.special = std::string(devices::specialValueName(c.value.special));
  }
  r.flags.forEach([&](devices::Flag f) { out.flags.emplace_back(devices::flagName(f)); });
  if (r.time) {
    if (auto utc = r.time->utc()) {
      out.deviceTime = toTimePoint(*utc);
    } else {
      out.deviceTime = toTimePoint(r.time->wallClock);
      out.deviceTimeLocal = true;
    }
  }
  if (r.sequence) out.seq = *r.sequence;
  return out;
}

}  // namespace

PayloadDecoder makeDevicesDecoder() {
  return [](TopicKind kind, std::string_view payload) {
    auto result = kind == TopicKind::gatt ? devices::decodeGattPayload(payload)
                                          : devices::decodeReadingsPayload(payload);
    DecodeOutcome out;
    out.messageSeq = result.seq;
    if (!result.ok()) {
      const auto& e = result.error;
      out.reason = e ? std::string(devices::reasonCode(e->code)) : "malformed";
      out.detail = e ? e->field + ": " + e->detail : std::string{};
      return out;
    }
    const auto& p = *result.payload;
    DecodedMessage m;
    m.messageSeq = p.seq;
    m.batteryPct = p.batteryPercent;
    m.firmware = p.firmware;
    m.source = kind == TopicKind::gatt ? "mqtt-gatt" : "mqtt-json";
    for (const auto& r : p.readings) {
      // A glucose context record carries tags for the measurement with the same sequence
      // number, no value of its own: it is not a reading to store.
      if (r.kind == devices::ReadingKind::glucoseContext) continue;
      m.readings.push_back(convert(r));
    }
    out.message = std::move(m);
    return out;
  };
}

}  // namespace vigil::ingest
