// libFuzzer target for the MQTT payload decoders (VIGIL_FUZZ_TOPIC 0: readings, 1: gatt).
// Checks the contract on every input: a payload or an error naming a field; an error keeps seq
// only when one was read; a decoded payload re-encodes as valid strict JSON.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "json.hpp"
#include "vigil/devices/json_output.hpp"
#include "vigil/devices/payload.hpp"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vigil::devices;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const PayloadResult r =
      VIGIL_FUZZ_TOPIC == 0 ? decodeReadingsPayload(text) : decodeGattPayload(text);
  if (!r.ok()) {
    check(r.error.has_value());
    check(!r.error->field.empty() && !r.error->detail.empty());
    return 0;
  }
  check(r.seq == r.payload->seq);
  check(VIGIL_FUZZ_TOPIC == 1 || !r.payload->readings.empty());
  for (const Reading& reading : r.payload->readings) check(isPlausible(reading));
  const std::string json = payloadToJson(*r.payload);
  detail::JsonLimits limits;
  limits.maxValues = 1'000'000;
  check(detail::parseJson(json, limits).value.has_value());
  return 0;
}
