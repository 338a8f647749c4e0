#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "vigil/core/json_text.hpp"
#include "vigil/web/http.hpp"

namespace vigil::web {
namespace {

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : path) {
    if (c == '/') {
      if (!cur.empty()) parts.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) parts.push_back(cur);
  return parts;
}

bool isParam(const std::string& seg) {
  return seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
}

bool isTail(const std::string& seg) {
  return seg.size() > 3 && seg.rfind("{*", 0) == 0 && seg.back() == '}';
}

}  // namespace

std::string Request::header(const std::string& lowerName) const {
  auto it = headers.find(lowerName);
  return it == headers.end() ? std::string{} : it->second;
}

std::string Request::cookie(const std::string& name) const {
  auto raw = header("cookie");
  std::size_t pos = 0;
  while (pos < raw.size()) {
    auto end = raw.find(';', pos);
    if (end == std::string::npos) end = raw.size();
    auto part = raw.substr(pos, end - pos);
    auto first = part.find_first_not_of(' ');
    if (first != std::string::npos) part.erase(0, first);
    auto eq = part.find('=');
    if (eq != std::string::npos && part.compare(0, eq, name) == 0) return part.substr(eq + 1);
    pos = end + 1;
  }
  return {};
}

Response Response::text(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response Response::json(int status, std::string body) {
  Response r;
  r.status = status;
  r.contentType = "application/json";
  r.body = std::move(body);
  return r;
}

Response Response::error(int status, const std::string& code, const std::string& message) {
  return json(status, "{\"error\":" + core::jsonString(code) +
                          ",\"message\":" + core::jsonString(message) + "}");
}

Response Response::storeUnavailable() {
  auto r = error(503, "storage_unavailable",
                 "the box cannot store anything right now (its storage is full or unavailable); "
                 "nothing was changed: try again shortly");
  r.headers.emplace_back("Retry-After", "30");
  return r;
}

void Router::add(Route route) {
  if (route.access == Access::authenticated && route.permission.empty())
    throw std::invalid_argument("route " + route.method + " " + route.pattern +
                                " is authenticated but names no permission");
  if (route.auditedByHandler && route.access != Access::authenticated)
    throw std::invalid_argument("route " + route.method + " " + route.pattern +
                                " is audited by its handler but not authenticated");
  for (const auto& r : routes_) {
    if (r.method == route.method && r.pattern == route.pattern)
      throw std::invalid_argument("route " + route.method + " " + route.pattern +
                                  " registered twice");
  }
  route.metricName = route.pattern;
  routes_.push_back(std::move(route));
}

Router::Match Router::match(const std::string& method, const std::string& path) const {
  Match result;
  auto segs = split(path);
  for (const auto& r : routes_) {
    auto pat = split(r.pattern);
    bool tail = !pat.empty() && isTail(pat.back());
    if (tail ? segs.size() < pat.size() : pat.size() != segs.size()) continue;
    std::map<std::string, std::string> params;
    bool ok = true;
    for (std::size_t i = 0; i < pat.size() && ok; ++i) {
      if (tail && i + 1 == pat.size()) {
        std::string rest;
        for (std::size_t j = i; j < segs.size(); ++j) rest += (j > i ? "/" : "") + segs[j];
        params[pat[i].substr(2, pat[i].size() - 3)] = rest;
      } else if (isParam(pat[i])) {
        params[pat[i].substr(1, pat[i].size() - 2)] = segs[i];
      } else if (pat[i] != segs[i]) {
        ok = false;
      }
    }
    if (!ok) continue;
    result.pathKnown = true;
    if (r.method == method || (method == "HEAD" && r.method == "GET")) {
      result.route = &r;
      result.params = std::move(params);
      return result;
    }
  }
  return result;
}

std::map<std::string, std::string> parseQuery(const std::string& query) {
  std::map<std::string, std::string> out;
  auto decode = [](const std::string& s) {
    std::string r;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '+') {
        r += ' ';
      } else if (s[i] == '%' && i + 2 < s.size() + 0 && i + 2 <= s.size() - 1 + 0) {
        auto hex = s.substr(i + 1, 2);
        char* end = nullptr;
        long v = std::strtol(hex.c_str(), &end, 16);
        if (end == hex.c_str() + 2) {
          r += static_cast<char>(v);
          i += 2;
        } else {
          r += s[i];
        }
      } else {
        r += s[i];
      }
    }
    return r;
  };
  std::stringstream ss(query);
  std::string part;
  while (std::getline(ss, part, '&')) {
    if (part.empty()) continue;
    auto eq = part.find('=');
    if (eq == std::string::npos) {
      out[decode(part)] = "";
    } else {
      out[decode(part.substr(0, eq))] = decode(part.substr(eq + 1));
    }
  }
  return out;
}

std::optional<ByteRange> parseByteRange(std::string_view header, std::uint64_t size,
                                        std::uint64_t maxBytes) {
  constexpr std::string_view kUnit = "bytes=";
  if (header.substr(0, kUnit.size()) != kUnit || size == 0 || maxBytes == 0) return std::nullopt;
  const std::string_view spec = header.substr(kUnit.size());
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos || spec.find(',') != std::string_view::npos)
    return std::nullopt;
  auto number = [](std::string_view t) -> std::optional<std::uint64_t> {
    if (t.empty() || t.size() > 18 || t.find_first_not_of("0123456789") != std::string_view::npos)
      return std::nullopt;
    std::uint64_t v = 0;
    for (char c : t) v = v * 10 + static_cast<std::uint64_t>(c - '0');
    return v;
  };
  const auto a = number(spec.substr(0, dash));
  const auto b = number(spec.substr(dash + 1));
  ByteRange r;
  if (!a) {  // suffix: the last n bytes
    if (dash != 0 || !b || *b == 0) return std::nullopt;
    r.first = size - std::min(*b, size);
    r.last = size - 1;
  } else {
    if (*a >= size || (b && *b < *a) || (!b && dash + 1 != spec.size())) return std::nullopt;
    r.first = *a;
    r.last = b ? std::min(*b, size - 1) : size - 1;
  }
  r.last = std::min(r.last, r.first + (maxBytes - 1));
  return r;
}

}  // namespace vigil::web
