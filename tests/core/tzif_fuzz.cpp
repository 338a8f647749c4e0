// libFuzzer: the TZif parser (core::TimeZone::fromTzif) on arbitrary bytes, since zone files are
// read from disk. It must never crash or read out of bounds, refuse only with ValidationError,
// and an accepted zone must keep its contract at instants from 1900 to 2100:
// - every offset is under 26 hours;
// - toLocal(t) is t plus offsetAt(t), and fromLocal(toLocal(t)) holds t;
// - fromLocal's instants are ascending, each naming the local time asked for;
// - fromLocalLenient is fromLocal's first instant when there is one.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "vigil/core/error.hpp"
#include "vigil/core/time_zone.hpp"

namespace {

using std::chrono::local_seconds;
using std::chrono::seconds;
using std::chrono::sys_seconds;

void check(const vigil::core::TimeZone& zone, sys_seconds t) {
  const seconds offset = zone.offsetAt(t);
  if (offset >= std::chrono::hours{26} || offset <= -std::chrono::hours{26}) std::abort();
  const local_seconds local = zone.toLocal(t);
  if (local.time_since_epoch() != t.time_since_epoch() + offset) std::abort();
  const auto instants = zone.fromLocal(local);
  if (std::find(instants.begin(), instants.end(), t) == instants.end()) std::abort();
  // A wall-clock time half an hour on (often inside a gap or an overlap at a transition).
  const local_seconds later = local + std::chrono::minutes{30};
  const auto named = zone.fromLocal(later);
  for (std::size_t i = 0; i < named.size(); ++i) {
    if (zone.toLocal(named[i]) != later) std::abort();
    if (i > 0 && !(named[i - 1] < named[i])) std::abort();
  }
  const sys_seconds lenient = zone.fromLocalLenient(later);
  if (!named.empty() && lenient != named.front()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::shared_ptr<const vigil::core::TimeZone> zone;
  try {
    zone = vigil::core::TimeZone::fromTzif("Fuzz/Zone", input);
  } catch (const vigil::ValidationError&) {
    return 0;
  }
  if (zone->name() != "Fuzz/Zone") std::abort();
  // 1900-01-01 to 2100 in steps of 1,234,567 s (about 14 days, drifting through the hours).
  for (std::int64_t t = -2'208'988'800; t < 4'102'444'800; t += 1'234'567 * 37)
    check(*zone, sys_seconds{seconds{t}});
  for (std::int64_t t = 1'767'225'600; t < 1'830'297'600; t += 1'234'567)  // 2026 and 2027
    check(*zone, sys_seconds{seconds{t}});
  return 0;
}
