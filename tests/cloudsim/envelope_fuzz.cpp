// libFuzzer: the envelope parser (vigil::sync::Envelope::fromJson) as the cloud stand-in, or any
// service, meets it on POST /v1/outbox: arbitrary bytes. It must never crash or throw anything
// but vigil::ValidationError, and what it accepts must survive the trip back: toJson of a parsed
// envelope parses to the same envelope, whose header passes validate().
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "vigil/core/error.hpp"
#include "vigil/sync/envelope.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  vigil::sync::Envelope env;
  try {
    env = vigil::sync::Envelope::fromJson(text);
  } catch (const vigil::ValidationError&) {
    return 0;
  }
  vigil::sync::validate(env.header);
  if (vigil::sync::Envelope::fromJson(env.toJson()) != env) std::abort();
  return 0;
}
