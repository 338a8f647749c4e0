// libFuzzer target for the BLE notification path: the bytes a device notifies, wrapped by
// gattPayload into the gatt payload ingest decodes (decodeGattPayload, then the characteristic's
// decoder). The envelope is ours, so whatever the device sends, the payload must decode as an
// envelope: either the readings the characteristic decoder makes of the bytes, or an error on
// "data" (the bytes), never on a field the gateway wrote. The address, time and sequence number
// must come back as they went in.
//
// Input layout: [0] measurement characteristic (index), [1..6] address, [7] address case,
// [8..13] receive time (ms since 1970, < 2^44: up to year 2527), [14..20] message seq (< 2^53),
// rest: the notified value.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>

#include "vigil/ble/health_profile.hpp"
#include "vigil/devices/gatt.hpp"
#include "vigil/devices/payload.hpp"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

constexpr std::array<std::uint16_t, 9> kMeasurements = {0x2A35, 0x2A36, 0x2A37, 0x2A5E, 0x2A5F,
                                                        0x2A9D, 0x2A1C, 0x2A18, 0x2A34};
constexpr std::size_t kHeader = 21;

std::uint64_t little(const std::uint8_t* p, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = n; i-- > 0;) v = (v << 8) | p[i];
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vigil;
  if (size < kHeader) return 0;
  ble::Notification n;
  n.characteristic = kMeasurements[data[0] % kMeasurements.size()];
  check(ble::isMeasurementCharacteristic(n.characteristic));
  char address[18];
  std::snprintf(address, sizeof address,
                (data[7] & 1) ? "%02x:%02x:%02x:%02x:%02x:%02x" : "%02X:%02X:%02X:%02X:%02X:%02X",
                data[1], data[2], data[3], data[4], data[5], data[6]);
  n.address = address;
  check(ble::validAddress(n.address));
  const auto ms = static_cast<std::int64_t>(little(data + 8, 6) & ((std::uint64_t{1} << 44) - 1));
  n.receivedAt = std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(ms));
  const std::uint64_t seq = little(data + 14, 7) & ((std::uint64_t{1} << 53) - 1);
  n.value.assign(data + kHeader, data + size);

  const std::string payload = ble::gattPayload(n, seq);
  const devices::PayloadResult r = devices::decodeGattPayload(payload);
  if (n.value.size() > devices::PayloadLimits::kMaxDataBytes) {
    // Longer than any ATT value: refused, by the JSON limits or the data check.
    check(!r.ok());
    return 0;
  }
  check(r.seq == seq);
  if (n.value.empty()) {
    check(!r.ok() && r.error->field == "data");
    return 0;
  }
  const devices::DecodeResult direct = devices::decodeCharacteristic(n.characteristic, n.value);
  if (!r.ok()) {
    // Only the device's bytes may be wrong, and exactly when the decoder says so.
    check(r.error->field.rfind("data.", 0) == 0);
    check(!direct.ok());
    return 0;
  }
  check(direct.ok());
  check(r.payload->seq == seq);
  check(r.payload->characteristic == n.characteristic);
  check(r.payload->address == n.address);
  check(r.payload->receivedAt == n.receivedAt);
  check(r.payload->readings.size() == direct.readings.size());
  for (const devices::Reading& reading : r.payload->readings) {
    check(reading.characteristic == n.characteristic);
    check(devices::isPlausible(reading));
  }
  return 0;
}
