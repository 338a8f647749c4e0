#pragma once
// Mosquitto 2.0 password-file entries, written by us instead of shelling out to
// mosquitto_passwd: `user:$7$<iterations>$<base64 salt>$<base64 PBKDF2-SHA512 hash>`.
//
// Trade-off: device passwords are 144 random bits generated here, so the KDF's cost adds nothing
// against guessing; the count stays modest (1000) because the broker runs it on every connect
// and a fleet reconnecting after a power cut must not stall it.

#include <string>
#include <string_view>

namespace vigil::pki {

/// A `$7$…` hash of `password` with a fresh 12-byte salt.
std::string hashMosquittoPassword(std::string_view password, int iterations = 1000);
/// Checks `password` against a `$7$…` hash; false for any other or malformed format.
bool verifyMosquittoPassword(std::string_view password, std::string_view hash);
/// A new random device password: 24 characters of [A-Za-z0-9_-] (144 bits).
std::string generateDevicePassword();

}  // namespace vigil::pki
