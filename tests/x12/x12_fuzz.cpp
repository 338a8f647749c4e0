// libFuzzer: the X12 readers (vigil::x12) on arbitrary bytes, since 835s, 999s and 277CAs come
// from outside the box and the stand-in reads 837Ps from boxes. They must never crash or read out
// of bounds and refuse only with X12Error (whose segment number is a real position); an accepted
// 835 keeps its contract: balanced() is computedTotalCents() == BPR02.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "vigil/x12/acknowledgement.hpp"
#include "vigil/x12/claim_837p.hpp"
#include "vigil/x12/remittance_835.hpp"

namespace {

template <typename F>
void guarded(F f) {
  try {
    f();
  } catch (const vigil::x12::X12Error& e) {
    if (e.segment() > 1'000'000) std::abort();  // a segment number is always a real position
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 256 * 1024) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  guarded([&] {
    auto file = vigil::x12::parse835(text);
    for (const auto& r : file.remittances) {
      if (r.balanced() != (r.computedTotalCents() == r.totalCents)) std::abort();
    }
  });
  guarded([&] { vigil::x12::parse837p(text); });
  guarded([&] { vigil::x12::parse999(text); });
  guarded([&] { vigil::x12::parse277ca(text); });
  return 0;
}
