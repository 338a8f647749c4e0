// Decode throughput of vigil::devices on one core: payloads per second for every GATT decoder,
// the relayed-GATT JSON path and the readings JSON path, each beside a baseline over the same
// bytes (memcpy for binary values; for JSON, our strict parser alone and Poco::JSON's parser).
//
// Usage: bench_decode [seconds per case, default 0.5]. Prints a Markdown table.
#include <Poco/JSON/Parser.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "json.hpp"
#include "vigil/devices/gatt.hpp"
#include "vigil/devices/payload.hpp"

using namespace vigil::devices;

namespace {

template <typename T>
void keep(T const& value) {
  asm volatile("" : : "r,m"(value) : "memory");
}

std::vector<std::uint8_t> hex(const char* s) {
  std::vector<std::uint8_t> out;
  for (const char* p = s; p[0] && p[1];) {
    if (*p == ' ') {
      ++p;
      continue;
    }
    out.push_back(static_cast<std::uint8_t>(std::strtoul(std::string(p, 2).c_str(), nullptr, 16)));
    p += 2;
  }
  return out;
}

/// Runs fn repeatedly for about `seconds`; returns calls per second.
double rate(double seconds, const std::function<void()>& fn) {
  using clock = std::chrono::steady_clock;
  for (int i = 0; i < 1000; ++i) fn();  // warm up
  std::uint64_t calls = 0;
  const auto start = clock::now();
  const auto until = start + std::chrono::duration<double>(seconds);
  auto now = start;
  while (now < until) {
    for (int i = 0; i < 256; ++i) fn();
    calls += 256;
    now = clock::now();
  }
  return static_cast<double>(calls) / std::chrono::duration<double>(now - start).count();
}

void row(const char* name, std::size_t bytes, double perSecond, double baselinePerSecond,
         const char* baseline) {
  std::printf("| %s | %zu | %.0f | %.0f | %s: %.0f | %.1f× |\n", name, bytes, perSecond,
              1e9 / perSecond, baseline, baselinePerSecond, baselinePerSecond / perSecond);
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 0.5;
  struct Case {
    const char* name;
    std::uint16_t uuid;
    const char* hex;
  };
  const Case cases[] = {
      {"0x2A35 blood pressure (all fields)", 0x2A35,
       "1E 78 00 50 00 5D 00 E4 07 0B 1D 0A 0F 00 48 00 01 04 00"},
      {"0x2A36 intermediate cuff pressure", 0x2A36, "04 96 00 FF 07 FF 07 46 00"},
      {"0x2A37 heart rate (contact, 2 RR)", 0x2A37, "16 48 01 04 00 02"},
      {"0x2A5E PLX spot-check (all fields)", 0x2A5E,
       "0F 61 00 48 00 EA 07 0B 1D 06 00 00 80 00 20 00 00 4B F0"},
      {"0x2A5F PLX continuous (all fields)", 0x2A5F,
       "1F 61 00 48 00 60 00 49 00 62 00 47 00 00 01 00 80 00 4B F0"},
      {"0x2A9D weight (imperial, BMI, height)", 0x2A9D,
       "0F 80 3C EA 07 01 02 07 08 09 02 E5 00 B1 02"},
      {"0x2A1C temperature (°F, time, type)", 0x2A1C, "07 D1 03 00 FF E4 07 0B 1D 0A 0F 00 03"},
      {"0x2A18 glucose (all fields)", 0x2A18, "1F 07 00 EA 07 0B 1D 07 1E 00 3C 00 35 C0 11 01 00"},
      {"0x2A34 glucose context (all fields)", 0x2A34,
       "FF 07 00 00 01 05 E0 01 51 08 07 28 01 01 C0 41 F0"},
  };
  std::printf(
      "| path | bytes | payloads/s | ns/payload | baseline (payloads/s) | decode cost × |\n");
  std::printf("| --- | --- | --- | --- | --- | --- |\n");
  std::uint8_t sink[64];
  for (const auto& c : cases) {
    const auto bytes = hex(c.hex);
    if (!decodeCharacteristic(c.uuid, bytes).ok()) {
      std::fprintf(stderr, "case %s does not decode\n", c.name);
      return 1;
    }
    const double decode = rate(seconds, [&] {
      auto r = decodeCharacteristic(c.uuid, bytes);
      keep(r);
    });
    const double copy = rate(seconds, [&] {
      std::vector<std::uint8_t> v(bytes.size());
      std::memcpy(v.data(), bytes.data(), bytes.size());
      keep(v);
      keep(sink);
    });
    row(c.name, bytes.size(), decode, copy, "copy to a vector");
  }

  const std::string gatt =
      R"({"v":1,"seq":88,"characteristic":"2A35","data":"HngAUABdAOQHCx0KDwBIAAEEAA==",)"
      R"("address":"C4:7C:8D:6A:12:34","address_type":"public","received":"2026-11-29T10:15:02.123Z"})";
  const std::string readings =
      R"({"v":1,"seq":1042,"sent":"2026-11-29T10:15:02Z","battery":87,"readings":[)"
      R"({"kind":"blood_pressure","unit":"mm[Hg]","components":{"systolic":128,"diastolic":82,"mean":97},)"
      R"("time":"2026-11-29T11:14:55+01:00","seq":311,"user":1,"flags":["irregular_pulse"]},)"
      R"({"kind":"heart_rate","unit":"/min","value":64,"time":"2026-11-29T11:14:55+01:00","seq":311}]})";
  struct JsonCase {
    const char* name;
    const std::string* text;
    PayloadResult (*decode)(std::string_view);
  };
  const JsonCase jsonCases[] = {
      {"MQTT gatt payload (0x2A35)", &gatt, &decodeGattPayload},
      {"MQTT readings payload (BP + HR)", &readings, &decodeReadingsPayload}};
  for (const auto& c : jsonCases) {
    if (!c.decode(*c.text).ok()) {
      std::fprintf(stderr, "case %s does not decode\n", c.name);
      return 1;
    }
    const double decode = rate(seconds, [&] {
      auto r = c.decode(*c.text);
      keep(r);
    });
    const double strict = rate(seconds, [&] {
      auto r = detail::parseJson(*c.text, detail::JsonLimits{});
      keep(r);
    });
    const double poco = rate(seconds, [&] {
      Poco::JSON::Parser parser;
      auto v = parser.parse(*c.text);
      keep(v);
    });
    row(c.name, c.text->size(), decode, strict, "our JSON parse only");
    row(c.name, c.text->size(), decode, poco, "Poco::JSON parse only");
  }
  return 0;
}
