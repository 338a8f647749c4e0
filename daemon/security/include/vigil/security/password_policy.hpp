#pragma once
// Password policy after NIST SP 800-63B 5.1.1.2: a minimum length (8 at least; ours defaults
// to 10), a generous maximum, no composition rules, and refusal of passwords that are common
// (a bundled list of ~3,500 common passwords, compared case-insensitively), repetitive
// ("aaaaaaaaaa"), sequential ("1234567890", "abcdefghij") or built from the account's own
// context (user name, e-mail local part, "vigil").

#include <cstddef>
#include <initializer_list>
#include <string_view>

namespace vigil::security {

/// Why a password is refused (or ok).
enum class PasswordVerdict { ok, tooShort, tooLong, common, repetitive, sequential, contextual };

/// A stable, PHI-free reason string ("too_short", "common", ...).
std::string_view toString(PasswordVerdict verdict);

/// True if the password (case-insensitively) is on the bundled common-password list.
bool isCommonPassword(std::string_view password);
/// Number of entries on the bundled list.
std::size_t commonPasswordCount();

/// The length and blocklist rules for new passwords.
struct PasswordPolicy {
  std::size_t minLength = 10;   // in Unicode code points; config security.password.min_length
  std::size_t maxLength = 128;  // at least 64 per 800-63B

  /// Checks a candidate; `context` holds words specific to the account (user name, e-mail).
  PasswordVerdict check(std::string_view password,
                        std::initializer_list<std::string_view> context = {}) const;
};

}  // namespace vigil::security
