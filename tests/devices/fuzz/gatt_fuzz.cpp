// libFuzzer target for one GATT decoder, chosen at build time by VIGIL_FUZZ_UUID.
// Beyond "no crash, no leak, no UB", it checks the decoder's contract on every input: a result
// is either readings or an error naming a field; a special value is never a number; every value
// is plausible; the JSON output is valid strict JSON.
#include <cstddef>
#include <cstdint>
#include <span>

#include "json.hpp"
#include "vigil/devices/gatt.hpp"
#include "vigil/devices/json_output.hpp"
#include "vigil/devices/payload.hpp"

#ifndef VIGIL_FUZZ_UUID
#error "VIGIL_FUZZ_UUID must name the characteristic"
#endif

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void checkValue(const vigil::devices::Value& v) {
  check(!(v.number.has_value() && v.special != vigil::devices::SpecialValue::none));
  if (v.special != vigil::devices::SpecialValue::none) check(!v.original.has_value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vigil::devices;
  const std::span<const std::uint8_t> bytes(data, size);
  constexpr std::uint16_t kUuid = VIGIL_FUZZ_UUID;
  if constexpr (kUuid == gatt::kDateTime) {
    const DateTimeResult t = decodeDateTime(bytes);
    check(t.ok() || !t.time.has_value());
    if (t.time) check(parseDeviceTime(formatDeviceTime(*t.time)) == t.time);
    return 0;
  }
  const DecodeResult r = decodeCharacteristic(kUuid, bytes);
  if (!r.ok()) {
    check(r.readings.empty());
    check(!r.error->field.empty() && !r.error->detail.empty());
    return 0;
  }
  for (const Reading& reading : r.readings) {
    checkValue(reading.value);
    for (const auto& c : reading.components) checkValue(c.value);
    check(isPlausible(reading));
    check(reading.characteristic == kUuid);
  }
  const std::string json = readingsToJson(r.readings);
  check(detail::parseJson(json, detail::JsonLimits{}).value.has_value());
  return 0;
}
