#include "vigil/crypto/blind_index.hpp"

#include <cctype>

namespace vigil::crypto {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

Digest256 BlindIndex::compute(std::string_view field, std::string_view normalizedValue) const {
  Bytes input;
  input.reserve(field.size() + 1 + normalizedValue.size());
  input.insert(input.end(), field.begin(), field.end());
  input.push_back(0);
  input.insert(input.end(), normalizedValue.begin(), normalizedValue.end());
  Digest256 out = hmacSha256(key_.view(), input);
  secureWipe(input.data(), input.size());
  return out;
}

std::string BlindIndex::normalizeEmail(std::string_view email) {
  std::string out{trim(email)};
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string BlindIndex::normalizeIdentifier(std::string_view id) {
  std::string out;
  for (char c : trim(id)) {
    if (c == ' ' || c == '-') continue;
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

}  // namespace vigil::crypto
