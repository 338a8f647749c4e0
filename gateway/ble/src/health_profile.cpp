#include "vigil/ble/health_profile.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "vigil/devices/gatt.hpp"
#include "vigil/devices/payload.hpp"

namespace vigil::ble {
namespace {

constexpr std::string_view kBaseSuffix = "-0000-1000-8000-00805f9b34fb";

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string uuid128(std::uint16_t uuid16) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "0000%04x-0000-1000-8000-00805f9b34fb", uuid16);
  return buf;
}

std::optional<std::uint16_t> uuid16(std::string_view text) {
  if (text.size() != 36 || text.substr(0, 4) != "0000") return std::nullopt;
  auto suffix = text.substr(8);
  if (!std::equal(suffix.begin(), suffix.end(), kBaseSuffix.begin(), kBaseSuffix.end(),
                  [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }))
    return std::nullopt;
  unsigned value = 0;
  for (char c : text.substr(4, 4)) {
    int d = hexDigit(c);
    if (d < 0) return std::nullopt;
    value = value * 16 + static_cast<unsigned>(d);
  }
  return static_cast<std::uint16_t>(value);
}

std::vector<std::string> healthServiceFilter() {
  std::vector<std::string> out;
  for (auto u : kHealthServices) out.push_back(uuid128(u));
  return out;
}

bool offersHealthService(const std::vector<std::string>& deviceUuids) {
  return std::any_of(deviceUuids.begin(), deviceUuids.end(), [](const std::string& u) {
    auto short16 = uuid16(u);
    return short16 && std::find(kHealthServices.begin(), kHealthServices.end(), *short16) !=
                          kHealthServices.end();
  });
}

bool isMeasurementCharacteristic(std::uint16_t uuid16Value) {
  return uuid16Value != devices::gatt::kDateTime && devices::isSupportedCharacteristic(uuid16Value);
}

bool validAddress(std::string_view address) {
  if (address.size() != 17) return false;
  for (std::size_t i = 0; i < address.size(); ++i) {
    if (i % 3 == 2) {
      if (address[i] != ':') return false;
    } else if (hexDigit(address[i]) < 0) {
      return false;
    }
  }
  return true;
}

std::optional<std::string> deviceUidForAddress(std::string_view address) {
  if (!validAddress(address)) return std::nullopt;
  std::string uid = "ble-";
  for (char c : address)
    if (c != ':') uid.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return uid;
}

std::array<std::uint8_t, 10> encodeCurrentTime(
    std::chrono::sys_time<std::chrono::milliseconds> localWallClock) {
  using namespace std::chrono;
  auto day = floor<days>(localWallClock);
  year_month_day ymd{day};
  hh_mm_ss hms{floor<seconds>(localWallClock - day)};
  unsigned weekday = year_month_weekday{day}.weekday().iso_encoding();  // 1 = Monday … 7
  auto y = static_cast<unsigned>(static_cast<int>(ymd.year()));
  return {static_cast<std::uint8_t>(y & 0xFF),
          static_cast<std::uint8_t>(y >> 8),
          static_cast<std::uint8_t>(static_cast<unsigned>(ymd.month())),
          static_cast<std::uint8_t>(static_cast<unsigned>(ymd.day())),
          static_cast<std::uint8_t>(hms.hours().count()),
          static_cast<std::uint8_t>(hms.minutes().count()),
          static_cast<std::uint8_t>(hms.seconds().count()),
          static_cast<std::uint8_t>(weekday),
          0,      // fractions256
          0x01};  // adjust reason: manual time update
}

std::string gattPayload(const Notification& n, std::uint64_t seq) {
  devices::DeviceTime received{n.receivedAt, 0};
  char uuid[8];
  std::snprintf(uuid, sizeof uuid, "%04X", n.characteristic);
  return "{\"v\":1,\"seq\":" + std::to_string(seq) + ",\"characteristic\":\"" + uuid +
         "\",\"data\":\"" + devices::encodeBase64(n.value) + "\",\"address\":\"" + n.address +
         "\",\"received\":\"" + devices::formatDeviceTime(received) + "\"}";
}

}  // namespace vigil::ble
