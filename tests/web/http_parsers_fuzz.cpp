// libFuzzer: the web layer's own parsers of what a client sends: the Range header, the query
// string, the Cookie header and request paths matched against route patterns. Each must never
// crash, and each keeps its contract:
// - a byte range returned lies inside the resource and within the size limit;
// - a key and a value percent-encoded by the rules of RFC 3986 decode back to themselves;
// - a path parameter is one non-empty segment (no '/'), a tail parameter never starts with '/';
// - a cookie value found contains no ';'.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "vigil/web/http.hpp"

using namespace vigil::web;

namespace {

std::string percentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0f];
    }
  }
  return out;
}

const Router& router() {
  static const Router r = [] {
    Router x;
    auto ok = [](Request&) { return Response::text(200, "ok"); };
    x.add({"GET", "/api/v1/patients/{id}", Access::public_endpoint, "", ok});
    x.add({"GET", "/api/v1/visits/{id}/recordings/{rec}", Access::public_endpoint, "", ok});
    x.add({"GET", "/assets/{*path}", Access::public_endpoint, "", ok});
    return x;
  }();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);

  // Range: the first 8 bytes give the resource size and the limit, the rest is the header.
  if (size >= 8) {
    const std::uint64_t resource = (std::uint64_t{data[0]} << 24 | std::uint64_t{data[1]} << 16 |
                                    std::uint64_t{data[2]} << 8 | data[3]);
    const std::uint64_t limit = (std::uint64_t{data[4]} << 8 | data[5]) + 1;
    if (auto r = parseByteRange(std::string_view(text).substr(8), resource, limit)) {
      if (r->first > r->last || r->last >= resource || r->last - r->first >= limit) std::abort();
    }
  }
  parseByteRange(text, 1'000'000, 4 << 20);

  // Query: arbitrary input parses; an encoded key=value round-trips.
  parseQuery(text);
  const auto cut = text.find('\x01');
  const std::string key = text.substr(0, cut),
                    value = cut == std::string::npos ? "" : text.substr(cut + 1);
  if (!key.empty()) {
    auto q = parseQuery(percentEncode(key) + "=" + percentEncode(value));
    auto it = q.find(key);
    if (q.size() != 1 || it == q.end() || it->second != value) std::abort();
  }

  // Cookie header.
  Request req;
  req.headers["cookie"] = text;
  for (const char* name : {"vigil_session", "__Host-vigil_session", ""}) {
    if (req.cookie(name).find(';') != std::string::npos) std::abort();
  }

  // Paths against patterns with parameters and a tail.
  for (const char* method : {"GET", "POST", "HEAD"}) {
    auto m = router().match(method, text);
    if (!m.route) continue;
    for (const auto& [name, v] : m.params) {
      if (name == "path") {
        if (!v.empty() && v.front() == '/') std::abort();
      } else if (v.empty() || v.find('/') != std::string::npos) {
        std::abort();
      }
    }
  }
  return 0;
}
