#pragma once
// Blind index: HMAC-SHA256 of a normalised value under a key derived from the master key, so
// an encrypted field (e-mail, MRN) can be found by exact value without storing it in clear.
// The field name is part of the MAC input, so equal values in different fields do not match.
// Trade-off: equal values give equal indexes (that is the point), which reveals duplicates to
// someone holding the database; acceptable for unique identifiers.

#include <string>
#include <string_view>

#include "vigil/crypto/bytes.hpp"
#include "vigil/crypto/hash.hpp"

namespace vigil::crypto {

/// Computes lookup tokens for encrypted fields.
class BlindIndex {
 public:
  /// The purpose label used to derive the key from the master key.
  static constexpr std::string_view kPurpose = "vigil.blind-index.v1";

  explicit BlindIndex(Key256 key) : key_(std::move(key)) {}

  /// HMAC-SHA256(key, field || 0x00 || value). Normalise the value first.
  Digest256 compute(std::string_view field, std::string_view normalizedValue) const;

  /// Trims ASCII white space and lower-cases ASCII (e-mail addresses).
  static std::string normalizeEmail(std::string_view email);
  /// Trims, drops spaces and dashes, upper-cases ASCII (record numbers, identifiers).
  static std::string normalizeIdentifier(std::string_view id);

 private:
  Key256 key_;
};

}  // namespace vigil::crypto
