// libFuzzer: FieldCipher::decrypt and the text decoders on arbitrary bytes. Every input must
// either decrypt (only the seed made with the fixed key can) or fail with a CryptoError.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "vigil/core/error.hpp"
#include "vigil/crypto/field_cipher.hpp"

using namespace vigil::crypto;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static KeyRing* ring = [] {
    auto* r = new KeyRing;
    r->add(1, Key256{Bytes(32, 0x42)});
    r->add(2, Key256{Bytes(32, 0x43)});
    r->setActive(1);
    return r;
  }();
  FieldCipher cipher{*ring};
  ByteView input{data, size};
  try {
    cipher.decrypt({"patients", "mrn", "1"}, input);
  } catch (const vigil::CryptoError&) {
  }
  std::string_view text{reinterpret_cast<const char*>(data), size};
  try {
    fromBase64Url(text);
  } catch (const vigil::CryptoError&) {
  }
  try {
    fromHex(text);
  } catch (const vigil::CryptoError&) {
  }
  return 0;
}
