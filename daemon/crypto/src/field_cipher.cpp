#include "vigil/crypto/field_cipher.hpp"

#include "vigil/crypto/aead.hpp"
#include "vigil/crypto/random.hpp"

namespace vigil::crypto {
namespace {

void putU32(Bytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<std::uint8_t>((v >> shift) & 0xff));
}

void putString(Bytes& out, std::string_view s) {
  putU32(out, static_cast<std::uint32_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}

Bytes additionalData(const FieldRef& where, std::uint32_t keyId) {
  Bytes aad;
  aad.reserve(32 + where.table.size() + where.column.size() + where.rowId.size());
  putString(aad, "vigil.field");
  aad.push_back(FieldCipher::kVersion);
  putString(aad, where.table);
  putString(aad, where.column);
  putString(aad, where.rowId);
  putU32(aad, keyId);
  return aad;
}

}  // namespace

Bytes FieldCipher::encrypt(const FieldRef& where, ByteView plaintext) const {
  std::uint32_t keyId = ring_.activeId();
  Key256 key = ring_.key(keyId);
  Bytes out;
  out.reserve(kOverhead + plaintext.size());
  out.push_back(kVersion);
  putU32(out, keyId);
  Bytes nonce = randomBytes(kGcmNonceSize);
  out.insert(out.end(), nonce.begin(), nonce.end());
  Bytes sealed = aes256GcmSeal(key, nonce, additionalData(where, keyId), plaintext);
  out.insert(out.end(), sealed.begin(), sealed.end());
  return out;
}

std::uint32_t FieldCipher::keyIdOf(ByteView ciphertext) {
  if (ciphertext.size() < kOverhead) throw IntegrityError("field ciphertext: too short");
  if (ciphertext[0] != kVersion) throw IntegrityError("field ciphertext: unknown version");
  return (std::uint32_t{ciphertext[1]} << 24) | (std::uint32_t{ciphertext[2]} << 16) |
         (std::uint32_t{ciphertext[3]} << 8) | std::uint32_t{ciphertext[4]};
}

Bytes FieldCipher::decrypt(const FieldRef& where, ByteView ciphertext) const {
  std::uint32_t keyId = keyIdOf(ciphertext);
  Key256 key = ring_.key(keyId);
  try {
    return aes256GcmOpen(key, ciphertext.subspan(5, kGcmNonceSize), additionalData(where, keyId),
                         ciphertext.subspan(kHeaderSize));
  } catch (const IntegrityError&) {
    // Name the place (table/column/row id are not PHI), never the value.
    throw IntegrityError("field ciphertext does not verify for " + where.table + "." +
                         where.column + " row " + where.rowId);
  }
}

std::string FieldCipher::decryptText(const FieldRef& where, ByteView ciphertext) const {
  Bytes plain = decrypt(where, ciphertext);
  std::string out{plain.begin(), plain.end()};
  secureWipe(plain.data(), plain.size());
  return out;
}

}  // namespace vigil::crypto
