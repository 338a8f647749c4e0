// libFuzzer target for the text the gateway reads from BlueZ properties about a device: service
// UUIDs (Device1.UUIDs, from the device's advertisement) and addresses (Device1.Address), which
// become registry uids. Contract: uuid16 accepts exactly the Bluetooth base form (any case) and
// round-trips through uuid128; an address is valid exactly when it has a uid, and the uid is
// "ble-" and the address's 12 hex digits in upper case.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "vigil/ble/health_profile.hpp"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vigil::ble;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const auto short16 = uuid16(text);
  if (short16) {
    check(uuid128(*short16) == lower(text));
    check(uuid16(uuid128(*short16)) == short16);
  }
  const bool health = short16 && std::find(kHealthServices.begin(), kHealthServices.end(),
                                           *short16) != kHealthServices.end();
  check(offersHealthService({std::string(text)}) == health);

  const auto uid = deviceUidForAddress(text);
  check(uid.has_value() == validAddress(text));
  if (uid) {
    check(uid->size() == 16 && uid->rfind("ble-", 0) == 0);
    std::string digits;
    for (char c : text)
      if (c != ':')
        digits.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    check(uid->substr(4) == digits);
    check(std::all_of(uid->begin() + 4, uid->end(),
                      [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); }));
  }
  return 0;
}
