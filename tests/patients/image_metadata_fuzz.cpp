// libFuzzer: the insurance card photo parser (patients::stripImageMetadata) on whatever a client
// uploads. It must never crash or read out of bounds, refuse only with ValidationError, and keep
// its contract on what it accepts:
// - the output is never longer than the input and starts with the same container signature;
// - stripping again changes nothing (no metadata survives one pass) and drops no more parts;
// - the picture's size is within the limit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "vigil/patients/image_metadata.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  vigil::patients::CleanImage clean;
  try {
    clean = vigil::patients::stripImageMetadata(input);
  } catch (const vigil::ValidationError&) {
    return 0;
  }
  if (clean.bytes.size() > input.size()) std::abort();
  if (clean.bytes.substr(0, 2) != input.substr(0, 2)) std::abort();
  if (clean.width == 0 || clean.height == 0 || clean.width > vigil::patients::kMaxImagePixels ||
      clean.height > vigil::patients::kMaxImagePixels)
    std::abort();
  auto again = vigil::patients::stripImageMetadata(clean.bytes);
  if (again.bytes != clean.bytes || again.droppedParts != 0) std::abort();
  return 0;
}
