#include "vigil/fhir/smart_scope.hpp"

#include <algorithm>
#include <cctype>

namespace vigil::fhir {
namespace {

constexpr std::string_view kSystem = "system/";

bool validType(std::string_view t) {
  if (t == "*") return true;
  if (t.empty() || t.size() > 64 || !std::isupper(static_cast<unsigned char>(t[0]))) return false;
  return std::all_of(t.begin(), t.end(),
                     [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
}

/// "cruds" subset in order, non-empty.
bool parseV2(std::string_view perms, SystemScope& s) {
  static constexpr std::string_view kOrder = "cruds";
  std::size_t at = 0;
  if (perms.empty()) return false;
  for (char c : perms) {
    auto pos = kOrder.find(c, at);
    if (pos == std::string_view::npos) return false;
    at = pos + 1;
    switch (c) {
      case 'c':
        s.create = true;
        break;
      case 'r':
        s.read = true;
        break;
      case 'u':
        s.update = true;
        break;
      case 'd':
        s.remove = true;
        break;
      case 's':
        s.search = true;
        break;
      default:
        return false;
    }
  }
  return true;
}

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    auto j = text.find(' ', i);
    if (j == std::string_view::npos) j = text.size();
    if (j > i) out.push_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

std::string SystemScope::text() const {
  std::string perms;
  if (create) perms += 'c';
  if (read) perms += 'r';
  if (update) perms += 'u';
  if (remove) perms += 'd';
  if (search) perms += 's';
  return std::string(kSystem) + resourceType + "." + perms;
}

std::optional<SystemScope> parseSystemScope(std::string_view scope) {
  if (!scope.starts_with(kSystem)) return std::nullopt;
  auto rest = scope.substr(kSystem.size());
  auto dot = rest.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  SystemScope s;
  auto type = rest.substr(0, dot);
  auto perms = rest.substr(dot + 1);
  if (!validType(type)) return std::nullopt;
  s.resourceType = std::string(type);
  if (perms == "read") {
    s.read = s.search = true;
  } else if (perms == "write") {
    s.create = s.update = s.remove = true;
  } else if (perms == "*") {
    s.create = s.read = s.update = s.remove = s.search = true;
  } else if (!parseV2(perms, s)) {
    return std::nullopt;
  }
  return s;
}

bool ClientGrant::allows(std::string_view resourceType, Interaction interaction) const {
  for (const auto& s : scopes) {
    if (s.resourceType != "*" && s.resourceType != resourceType) continue;
    switch (interaction) {
      case Interaction::create:
        if (s.create) return true;
        break;
      case Interaction::read:
        if (s.read) return true;
        break;
      case Interaction::search:
        if (s.search) return true;
        break;
    }
  }
  return false;
}

std::string ClientGrant::scopeText() const {
  std::string out;
  for (const auto& s : scopes) {
    if (!out.empty()) out += ' ';
    out += s.text();
  }
  return out;
}

std::vector<SystemScope> narrowScopes(std::string_view requested,
                                      const std::vector<SystemScope>& registered) {
  std::vector<SystemScope> out;
  for (auto word : words(requested)) {
    auto want = parseSystemScope(word);
    if (!want) continue;
    for (const auto& have : registered) {
      // The narrower type of the two: a wildcard asked of a client registered for one type
      // gets that type ("system/*.rs" against "system/Observation.rs": Observation).
      SystemScope s;
      if (have.resourceType == "*") {
        s.resourceType = want->resourceType;
      } else if (want->resourceType == "*" || want->resourceType == have.resourceType) {
        s.resourceType = have.resourceType;
      } else {
        continue;
      }
      s.create = want->create && have.create;
      s.read = want->read && have.read;
      s.update = want->update && have.update;
      s.remove = want->remove && have.remove;
      s.search = want->search && have.search;
      if (!(s.create || s.read || s.update || s.remove || s.search)) continue;
      auto same = std::find_if(out.begin(), out.end(), [&](const SystemScope& o) {
        return o.resourceType == s.resourceType;
      });
      if (same == out.end()) {
        out.push_back(s);
      } else {
        same->create |= s.create;
        same->read |= s.read;
        same->update |= s.update;
        same->remove |= s.remove;
        same->search |= s.search;
      }
    }
  }
  return out;
}

}  // namespace vigil::fhir
