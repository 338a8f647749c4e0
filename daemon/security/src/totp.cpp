#include "vigil/security/totp.hpp"

#include <cctype>

#include "vigil/core/error.hpp"
#include "vigil/crypto/hash.hpp"
#include "vigil/crypto/random.hpp"

namespace vigil::security {
namespace {

constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

std::string_view digestName(OtpAlgorithm a) {
  switch (a) {
    case OtpAlgorithm::sha1:
      return "SHA1";
    case OtpAlgorithm::sha256:
      return "SHA256";
    case OtpAlgorithm::sha512:
      return "SHA512";
  }
  return "SHA1";
}

std::uint32_t pow10(unsigned digits) {
  std::uint32_t m = 1;
  for (unsigned i = 0; i < digits; ++i) m *= 10;
  return m;
}

std::string pad(std::uint32_t value, unsigned digits) {
  std::string s = std::to_string(value);
  if (s.size() < digits) s.insert(0, digits - s.size(), '0');
  return s;
}

std::string uriEscape(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~' || c == '@') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

}  // namespace

std::string base32Encode(crypto::ByteView bytes) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::uint8_t b : bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kBase32[(acc >> bits) & 31]);
    }
  }
  if (bits > 0) out.push_back(kBase32[(acc << (5 - bits)) & 31]);
  return out;
}

crypto::Bytes base32Decode(std::string_view text) {
  crypto::Bytes out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    if (c == ' ' || c == '=' || c == '-') continue;
    char u = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    int v = -1;
    if (u >= 'A' && u <= 'Z') v = u - 'A';
    if (u >= '2' && u <= '7') v = u - '2' + 26;
    if (v < 0) throw vigil::AuthError("base32: bad character");
    acc = (acc << 5) | static_cast<std::uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((acc >> bits) & 0xff));
    }
  }
  return out;
}

std::uint32_t hotp(crypto::ByteView key, std::uint64_t counter, unsigned digits,
                   OtpAlgorithm algorithm) {
  if (digits < 6 || digits > 9) throw vigil::ConfigError("otp digits must be 6..9");
  std::uint8_t msg[8];
  for (int i = 7; i >= 0; --i) {
    msg[i] = static_cast<std::uint8_t>(counter & 0xff);
    counter >>= 8;
  }
  crypto::Bytes mac = crypto::hmac(digestName(algorithm), key, crypto::ByteView{msg, 8});
  unsigned offset = mac.back() & 0x0f;
  std::uint32_t binary = (std::uint32_t{mac[offset]} & 0x7f) << 24 |
                         std::uint32_t{mac[offset + 1]} << 16 |
                         std::uint32_t{mac[offset + 2]} << 8 | std::uint32_t{mac[offset + 3]};
  return binary % pow10(digits);
}

std::uint64_t totpStep(TimePoint t, const TotpParams& params) {
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  if (secs < 0) return 0;
  return static_cast<std::uint64_t>(secs) / static_cast<std::uint64_t>(params.step.count());
}

std::string totpCode(crypto::ByteView key, TimePoint t, const TotpParams& params) {
  return pad(hotp(key, totpStep(t, params), params.digits, params.algorithm), params.digits);
}

std::optional<std::uint64_t> verifyTotp(crypto::ByteView key, std::string_view code, TimePoint now,
                                        std::optional<std::uint64_t> lastUsedStep,
                                        const TotpParams& params) {
  if (code.size() != params.digits) return std::nullopt;
  for (char c : code)
    if (c < '0' || c > '9') return std::nullopt;
  std::uint64_t current = totpStep(now, params);
  std::optional<std::uint64_t> matched;
  // Check every step in the window (no early exit) so timing does not reveal which matched.
  for (int d = -params.window; d <= params.window; ++d) {
    if (d < 0 && current < static_cast<std::uint64_t>(-d)) continue;
    std::uint64_t step = current + static_cast<std::uint64_t>(static_cast<std::int64_t>(d));
    std::string expected = pad(hotp(key, step, params.digits, params.algorithm), params.digits);
    bool equal = crypto::constantTimeEqual(crypto::asBytes(expected), crypto::asBytes(code));
    bool fresh = !lastUsedStep || step > *lastUsedStep;
    if (equal && fresh && !matched) matched = step;
  }
  return matched;
}

crypto::Bytes newTotpSecret() {
  return crypto::randomBytes(20);
}

std::string otpauthUri(std::string_view issuer, std::string_view account, crypto::ByteView secret,
                       const TotpParams& params) {
  std::string algo{digestName(params.algorithm)};
  return "otpauth://totp/" + uriEscape(issuer) + ":" + uriEscape(account) +
         "?secret=" + base32Encode(secret) + "&issuer=" + uriEscape(issuer) + "&algorithm=" + algo +
         "&digits=" + std::to_string(params.digits) +
         "&period=" + std::to_string(params.step.count());
}

RecoveryCodes RecoveryCodes::generate(std::size_t count) {
  RecoveryCodes out;
  for (std::size_t i = 0; i < count; ++i) {
    std::string raw = base32Encode(crypto::randomBytes(10));  // 80 bits -> 16 characters
    std::string shown = raw.substr(0, 4) + "-" + raw.substr(4, 4) + "-" + raw.substr(8, 4) + "-" +
                        raw.substr(12, 4);
    out.hashes.push_back(hash(shown));
    out.codes.push_back(std::move(shown));
  }
  return out;
}

std::string RecoveryCodes::hash(std::string_view code) {
  std::string norm;
  for (char c : code) {
    if (c == '-' || c == ' ') continue;
    norm.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return crypto::toHex(crypto::sha256(crypto::asBytes("vigil.recovery.v1|" + norm)));
}

}  // namespace vigil::security
