#include "vigil/security/password_policy.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <unordered_set>
#include <vector>

namespace vigil::security {

// Generated at configure time from data/common-passwords.txt (see CMakeLists.txt).
extern const char* const kCommonPasswordList;

namespace {

std::string lower(std::string_view s) {
  std::string out{s};
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const std::unordered_set<std::string>& commonSet() {
  static const std::unordered_set<std::string> set = [] {
    std::unordered_set<std::string> s;
    std::string_view all{kCommonPasswordList};
    while (!all.empty()) {
      std::size_t nl = all.find('\n');
      std::string_view line = all.substr(0, nl);
      all = nl == std::string_view::npos ? std::string_view{} : all.substr(nl + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty() || line.rfind("#!comment:", 0) == 0) continue;
      s.insert(lower(line));
    }
    return s;
  }();
  return set;
}

std::size_t codePoints(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

bool repetitive(std::string_view s) {
  // One character, or one short unit repeated ("abab...", "123123...").
  for (std::size_t unit = 1; unit <= 3 && unit < s.size(); ++unit) {
    bool all = true;
    for (std::size_t i = unit; i < s.size() && all; ++i) all = s[i] == s[i % unit];
    if (all) return true;
  }
  return false;
}

bool sequential(std::string_view s) {
  if (s.size() < 2) return false;
  int step = static_cast<unsigned char>(s[1]) - static_cast<unsigned char>(s[0]);
  if (step != 1 && step != -1) return false;
  for (std::size_t i = 2; i < s.size(); ++i)
    if (static_cast<unsigned char>(s[i]) - static_cast<unsigned char>(s[i - 1]) != step)
      return false;
  return true;
}

}  // namespace

std::string_view toString(PasswordVerdict verdict) {
  switch (verdict) {
    case PasswordVerdict::ok:
      return "ok";
    case PasswordVerdict::tooShort:
      return "too_short";
    case PasswordVerdict::tooLong:
      return "too_long";
    case PasswordVerdict::common:
      return "common";
    case PasswordVerdict::repetitive:
      return "repetitive";
    case PasswordVerdict::sequential:
      return "sequential";
    case PasswordVerdict::contextual:
      return "contextual";
  }
  return "unknown";
}

bool isCommonPassword(std::string_view password) {
  return commonSet().count(lower(password)) != 0;
}

std::size_t commonPasswordCount() {
  return commonSet().size();
}

PasswordVerdict PasswordPolicy::check(std::string_view password,
                                      std::initializer_list<std::string_view> context) const {
  std::size_t length = codePoints(password);
  if (length < minLength) return PasswordVerdict::tooShort;
  if (length > maxLength) return PasswordVerdict::tooLong;
  std::string low = lower(password);
  if (isCommonPassword(low)) return PasswordVerdict::common;
  if (repetitive(low)) return PasswordVerdict::repetitive;
  if (sequential(low)) return PasswordVerdict::sequential;
  std::vector<std::string> words{"vigil"};
  for (std::string_view c : context) {
    std::string w = lower(c);
    // A piece of the context itself ("nina@clinic" of "nina@clinic.example").
    if (w.find(low) != std::string::npos) return PasswordVerdict::contextual;
    if (auto at = w.find('@'); at != std::string::npos) w = w.substr(0, at);
    if (w.size() >= 4) words.push_back(std::move(w));
  }
  for (const auto& w : words) {
    // The context word dressed up with digits and symbols only ("alice2024!", "!!vigil99").
    auto at = low.find(w);
    if (at == std::string::npos) continue;
    std::string rest = low.substr(0, at) + low.substr(at + w.size());
    bool noLetters = std::none_of(rest.begin(), rest.end(), [](char ch) {
      return std::isalpha(static_cast<unsigned char>(ch)) ||
             (static_cast<unsigned char>(ch) & 0x80);
    });
    if (noLetters) return PasswordVerdict::contextual;
  }
  return PasswordVerdict::ok;
}

}  // namespace vigil::security
