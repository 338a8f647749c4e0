#pragma once
// Hashes and MACs through OpenSSL's EVP_MD / EVP_MAC / EVP_KDF.

#include <array>
#include <cstdint>
#include <string_view>

#include "vigil/crypto/bytes.hpp"

namespace vigil::crypto {

using Digest256 = std::array<std::uint8_t, 32>;

/// SHA-256 of the data.
Digest256 sha256(ByteView data);
/// HMAC with SHA-1, SHA-256 or SHA-512 (digest name as OpenSSL spells it: "SHA1", "SHA256",
/// "SHA512").
Bytes hmac(std::string_view digest, ByteView key, ByteView data);
/// HMAC-SHA256.
Digest256 hmacSha256(ByteView key, ByteView data);
/// HKDF-SHA256 (RFC 5869) of a key into `length` bytes for the purpose named by `info`.
Bytes hkdfSha256(ByteView key, ByteView salt, std::string_view info, std::size_t length);

}  // namespace vigil::crypto
