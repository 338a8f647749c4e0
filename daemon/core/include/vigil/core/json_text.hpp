#pragma once
// JSON string literals, written once for every part that emits JSON by hand (device payloads,
// provisioning bundles, quarantine records, HTTP error bodies, the audit chain's canonical form).

#include <string>
#include <string_view>

namespace vigil::core {

/// Appends `s` to `out` as a JSON string literal: quotes around it; `"` and `\` escaped; newline,
/// carriage return and tab as \n, \r, \t; every other control character as \u00XX. Bytes from
/// 0x20 up pass unchanged (UTF-8 stays UTF-8). The audit chain hashes this text, so its output
/// for a given input must never change.
void appendJsonString(std::string& out, std::string_view s);

/// `s` as a JSON string literal (appendJsonString into a new string).
std::string jsonString(std::string_view s);

}  // namespace vigil::core
