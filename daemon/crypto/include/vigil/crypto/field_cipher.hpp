#pragma once
// Field encryption for PHI columns. Format (version 1), stored as one BLOB:
//   [0x01][key id: u32 big-endian][nonce: 12 bytes][ciphertext][GCM tag: 16 bytes]
// The additional data binds the ciphertext to where it lives: version, table, column, row id
// and key id (each length-prefixed). A ciphertext copied to another row or column, a changed
// key id, or any flipped bit fails with IntegrityError; a key id the ring does not hold fails
// with UnknownKeyError. A fresh random 96-bit nonce per write; with at most ~2^32 writes per
// data key the collision risk stays below NIST's 2^-32 bound, and rotation resets the count.

#include <cstdint>
#include <string>
#include <string_view>

#include "vigil/crypto/bytes.hpp"
#include "vigil/crypto/key_ring.hpp"

namespace vigil::crypto {

/// Where a field value lives: its table, column and the row's id.
struct FieldRef {
  std::string table;
  std::string column;
  std::string rowId;
};

/// Encrypts and decrypts PHI field values with the key ring's data keys.
class FieldCipher {
 public:
  static constexpr std::uint8_t kVersion = 1;
  static constexpr std::size_t kHeaderSize = 1 + 4 + 12;
  static constexpr std::size_t kOverhead = kHeaderSize + 16;

  explicit FieldCipher(const KeyRing& ring) : ring_(ring) {}

  /// Encrypts with the active data key.
  Bytes encrypt(const FieldRef& where, ByteView plaintext) const;
  Bytes encrypt(const FieldRef& where, std::string_view plaintext) const {
    return encrypt(where, asBytes(plaintext));
  }
  /// Decrypts; throws IntegrityError (tampered, moved, malformed) or UnknownKeyError.
  Bytes decrypt(const FieldRef& where, ByteView ciphertext) const;
  std::string decryptText(const FieldRef& where, ByteView ciphertext) const;

  /// The key id a ciphertext was made with; throws IntegrityError if it is not a v1 ciphertext.
  static std::uint32_t keyIdOf(ByteView ciphertext);

 private:
  const KeyRing& ring_;
};

}  // namespace vigil::crypto
