// Decode throughput of vigil::devices for the two MQTT payload schemas and a raw characteristic,
// against a baseline measured in the same run: Poco's general JSON parser reading the same
// payloads (a parse without any schema check or unit conversion).
// Usage: bench_decode [MESSAGES]   (default 200000). Prints a Markdown table.
#include <Poco/JSON/Parser.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "vigil/devices/gatt.hpp"
#include "vigil/devices/payload.hpp"
#include "vigil/fleet/device_payload.hpp"

using namespace vigil;

namespace {

template <typename Fn>
double perSecond(std::size_t n, Fn&& fn) {
  auto start = std::chrono::steady_clock::now();
  std::size_t ok = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (fn(i)) ++ok;
  auto s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (ok != n) std::fprintf(stderr, "bench_decode: %zu of %zu failed\n", n - ok, n);
  return static_cast<double>(n) / s;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = argc > 1 ? std::stoul(argv[1]) : 200'000;
  // 1,000 distinct messages of each shape from the personas, cycled.
  fleet::Persona persona(fleet::PersonaKind::hypertensive, 1, fleet::DeviceClockTime{});
  auto t0 =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  std::vector<std::string> readings, gatt;
  std::vector<fleet::GattValue> raw;
  for (std::uint64_t i = 0; i < 1000; ++i) {
    auto at = t0 + std::chrono::seconds(i);
    auto m = persona.measure(fleet::VitalDevice::bloodPressure, at);
    readings.push_back(fleet::readingsPayload(i, m, at, at));
    raw.push_back(fleet::encodeGatt(m, at, 0));
    gatt.push_back(fleet::gattPayload(i, raw.back(), "C4:7C:8D:6A:12:34", at));
  }
  auto poco = [](const std::vector<std::string>& v) {
    return [&v](std::size_t i) {
      Poco::JSON::Parser p;
      return !p.parse(v[i % v.size()]).isEmpty();
    };
  };
  struct Row {
    const char* what;
    double vigil;
    double baseline;
  };
  std::vector<Row> rows;
  rows.push_back(
      {"readings payload (blood pressure + pulse)",
       perSecond(n,
                 [&](std::size_t i) {
                   return devices::decodeReadingsPayload(readings[i % readings.size()]).ok();
                 }),
       perSecond(n, poco(readings))});
  rows.push_back({"gatt payload (0x2A35 relayed by a hub)",
                  perSecond(n,
                            [&](std::size_t i) {
                              return devices::decodeGattPayload(gatt[i % gatt.size()]).ok();
                            }),
                  perSecond(n, poco(gatt))});
  double rawRate = perSecond(n, [&](std::size_t i) {
    const auto& v = raw[i % raw.size()];
    return devices::decodeCharacteristic(v.characteristic, v.bytes).ok();
  });
  std::printf(
      "| input | vigil::devices decode (msg/s) | Poco::JSON parse only (msg/s) | ratio |\n");
  std::printf("| --- | --- | --- | --- |\n");
  for (const auto& r : rows)
    std::printf("| %s | %.0f | %.0f | %.0f %% |\n", r.what, r.vigil, r.baseline,
                100.0 * r.vigil / r.baseline);
  std::printf("| characteristic bytes only (0x2A35, no JSON) | %.0f | | |\n", rawRate);
  return 0;
}
