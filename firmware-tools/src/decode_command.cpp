// vigil-devtool decode --characteristic <UUID> --hex <bytes>
// vigil-devtool decode --payload <FILE> [--topic readings|gatt]
// Prints the decoded readings as JSON on stdout (format: docs/device-protocol.md, "Decoded
// output"). Invalid input: one line on stderr naming the field and the reason, exit code 2.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "vigil/core/json_text.hpp"
#include "vigil/devices/gatt.hpp"
#include "vigil/devices/json_output.hpp"
#include "vigil/devices/payload.hpp"

namespace vigil::devtool {
namespace {

constexpr const char* kUsage =
    "usage: vigil-devtool decode --characteristic <UUID> --hex <bytes>\n"
    "       vigil-devtool decode --payload <FILE|-> [--topic readings|gatt]\n"
    "\n"
    "  --characteristic  16-bit UUID (2A35, 0x2A35) or the full Bluetooth base UUID\n"
    "  --hex             the characteristic value; upper or lower case, spaces, ':' and '-'\n"
    "                    between bytes allowed\n"
    "  --payload         an MQTT payload file ('-' reads stdin)\n"
    "  --topic           which schema the payload follows (default: gatt when it has a\n"
    "                    \"characteristic\" member, else readings)\n";

int invalid(const std::string& why) {
  std::fprintf(stderr, "vigil-devtool decode: %s\n", why.c_str());
  return kExitInvalid;
}

std::optional<std::vector<std::uint8_t>> parseHex(const std::string& text) {
  std::vector<std::uint8_t> out;
  int high = -1;
  for (char c : text) {
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    if (d < 0) {
      if ((c == ' ' || c == ':' || c == '-' || c == '\t') && high < 0) continue;
      return std::nullopt;
    }
    if (high < 0) {
      high = d;
    } else {
      out.push_back(static_cast<std::uint8_t>(high * 16 + d));
      high = -1;
    }
  }
  if (high >= 0) return std::nullopt;
  return out;
}

}  // namespace

int runDecode(std::span<const std::string> args) {
  std::optional<std::string> characteristic, hex, payload, topic;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    }
    auto next = [&](std::optional<std::string>& slot) {
      if (i + 1 >= args.size()) return false;
      slot = args[++i];
      return true;
    };
    bool ok = false;
    if (a == "--characteristic")
      ok = next(characteristic);
    else if (a == "--hex")
      ok = next(hex);
    else if (a == "--payload")
      ok = next(payload);
    else if (a == "--topic")
      ok = next(topic);
    else
      return invalid("unknown option '" + a + "' (see --help)");
    if (!ok) return invalid("option " + a + " needs a value");
  }

  if (payload) {
    if (characteristic || hex)
      return invalid("--payload cannot be combined with --characteristic/--hex");
    std::string text;
    if (*payload == "-") {
      text.assign(std::istreambuf_iterator<char>(std::cin), {});
    } else {
      std::ifstream in(*payload, std::ios::binary);
      if (!in) return invalid("cannot read " + *payload);
      // Read one byte past the limit so an oversized file is reported as such.
      text.resize(devices::PayloadLimits::kMaxBytes + 1);
      in.read(text.data(), static_cast<std::streamsize>(text.size()));
      text.resize(static_cast<std::size_t>(in.gcount()));
    }
    devices::PayloadResult r;
    if (!topic)
      r = devices::decodeAnyPayload(text);
    else if (*topic == "readings")
      r = devices::decodeReadingsPayload(text);
    else if (*topic == "gatt")
      r = devices::decodeGattPayload(text);
    else
      return invalid("--topic must be readings or gatt");
    if (!r.ok()) return invalid(r.error->message());
    std::printf("%s\n", devices::payloadToJson(*r.payload).c_str());
    return kExitOk;
  }

  if (!characteristic || !hex) return invalid("need --characteristic and --hex, or --payload");
  const auto uuid = devices::parseCharacteristicUuid(*characteristic);
  if (!uuid) return invalid("--characteristic: not a 16-bit or Bluetooth base UUID");
  if (!devices::isSupportedCharacteristic(*uuid))
    return invalid("--characteristic: " + devices::characteristicName(*uuid) +
                   " is not a characteristic we decode");
  const auto bytes = parseHex(*hex);
  if (!bytes) return invalid("--hex: not a sequence of hex byte pairs");
  if (*uuid == devices::gatt::kDateTime) {
    const auto t = devices::decodeDateTime(*bytes);
    if (!t.ok()) return invalid(t.error->message());
    std::printf("{\"time\":%s}\n",
                t.time ? core::jsonString(devices::formatDeviceTime(*t.time)).c_str() : "null");
    return kExitOk;
  }
  const auto r = devices::decodeCharacteristic(*uuid, *bytes);
  if (!r.ok()) return invalid(r.error->message());
  std::printf("%s\n", devices::readingsToJson(r.readings).c_str());
  return kExitOk;
}

}  // namespace vigil::devtool
