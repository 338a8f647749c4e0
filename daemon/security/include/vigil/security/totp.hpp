#pragma once
// One-time passwords: HOTP (RFC 4226) and TOTP (RFC 6238), base32 secrets (RFC 4648) and the
// otpauth:// enrolment URI authenticator apps read. Verification accepts the current step and
// one step either side (clock drift), and refuses any step at or before the last one used, so
// a code works once (replay protection, RFC 6238 5.2).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/crypto/bytes.hpp"

namespace vigil::security {

enum class OtpAlgorithm { sha1, sha256, sha512 };

/// RFC 4648 base32 without padding (upper case).
std::string base32Encode(crypto::ByteView bytes);
/// Decodes base32, case-insensitive, ignoring spaces and padding; throws vigil::AuthError.
crypto::Bytes base32Decode(std::string_view text);

/// The HOTP value (already truncated to `digits` digits) for a counter.
std::uint32_t hotp(crypto::ByteView key, std::uint64_t counter, unsigned digits = 6,
                   OtpAlgorithm algorithm = OtpAlgorithm::sha1);

/// TOTP settings; the defaults are what every authenticator app supports.
struct TotpParams {
  std::chrono::seconds step{30};
  unsigned digits = 6;
  OtpAlgorithm algorithm = OtpAlgorithm::sha1;
  int window = 1;  // steps accepted either side of now
};

/// The time step (T in RFC 6238) containing `t`.
std::uint64_t totpStep(TimePoint t, const TotpParams& params = {});
/// The code for `t`, zero-padded to params.digits.
std::string totpCode(crypto::ByteView key, TimePoint t, const TotpParams& params = {});
/// Checks `code` at `now`; returns the step it matched, or nothing. Steps <= lastUsedStep are
/// refused (a code is accepted once). Comparison is constant-time.
std::optional<std::uint64_t> verifyTotp(crypto::ByteView key, std::string_view code, TimePoint now,
                                        std::optional<std::uint64_t> lastUsedStep,
                                        const TotpParams& params = {});
/// A new 160-bit secret (RFC 4226 recommends 160 bits).
crypto::Bytes newTotpSecret();
/// otpauth://totp/<issuer>:<account>?secret=...&issuer=...&algorithm=...&digits=...&period=...
std::string otpauthUri(std::string_view issuer, std::string_view account, crypto::ByteView secret,
                       const TotpParams& params = {});

/// Single-use recovery codes: 16 base32 characters (80 bits) shown as xxxx-xxxx-xxxx-xxxx.
/// Stored as SHA-256 of the normalised code; 80 bits of entropy make a salt or a slow hash
/// unnecessary.
struct RecoveryCodes {
  static constexpr std::size_t kCount = 10;
  std::vector<std::string> codes;   // shown once to the user
  std::vector<std::string> hashes;  // stored (hex)

  static RecoveryCodes generate(std::size_t count = kCount);
  /// Hash of a code as typed (case, spaces and dashes ignored).
  static std::string hash(std::string_view code);
};

}  // namespace vigil::security
