#pragma once
// Password hashing with scrypt (OpenSSL EVP_KDF "SCRYPT"). Stored form, PHC-like, so the
// parameters travel with each hash and can be raised later:
//   $scrypt$ln=15,r=8,p=1$<salt base64url>$<hash base64url>
// Default N=2^15, r=8, p=1 costs 32 MiB and ~0.1 s per hash on the appliance: slow enough to
// make offline guessing expensive, fast enough for a sign-in. A hash made with other
// parameters verifies and reports needsRehash, so sign-in upgrades it.

#include <string>
#include <string_view>

namespace vigil::security {

/// scrypt cost parameters: N = 2^logN, block size r, parallelism p.
struct ScryptParams {
  unsigned logN = 15;
  unsigned r = 8;
  unsigned p = 1;
  bool operator==(const ScryptParams&) const = default;
};

/// Result of checking a password against a stored hash.
struct PasswordCheck {
  bool ok = false;
  bool needsRehash = false;  // ok, but made with other parameters than the current ones
};

/// Hashes and verifies passwords.
class PasswordHasher {
 public:
  static constexpr std::size_t kMaxPasswordBytes = 1024;  // longer input is refused (DoS)

  explicit PasswordHasher(ScryptParams params = {});

  /// A new salted hash in the stored form.
  std::string hash(std::string_view password) const;
  /// Checks in constant time; throws vigil::AuthError if `stored` is malformed.
  PasswordCheck verify(std::string_view password, std::string_view stored) const;
  /// The parameters of a stored hash; throws vigil::AuthError if malformed.
  static ScryptParams paramsOf(std::string_view stored);

  const ScryptParams& params() const { return params_; }

 private:
  ScryptParams params_;
};

}  // namespace vigil::security
