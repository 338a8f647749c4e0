#include "vigil/web/static_files.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace vigil::web {
namespace {

namespace fs = std::filesystem;

bool safeSegment(const std::string& rel) {
  if (rel.empty() || rel.size() > 512) return false;
  std::stringstream ss(rel);
  std::string seg;
  while (std::getline(ss, seg, '/')) {
    if (seg.empty() || seg[0] == '.') return false;  // "..", ".", hidden files
    for (char c : seg) {
      bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
      if (!ok) return false;
    }
  }
  return true;
}

Response serveFile(const fs::path& root, const std::string& rel, const Request& req, bool asset) {
  if (!safeSegment(rel)) return Response::error(404, "not_found", "no such resource");
  std::error_code ec;
  auto canonicalRoot = fs::canonical(root, ec);
  if (ec) return Response::error(404, "not_found", "no such resource");
  auto file = fs::weakly_canonical(canonicalRoot / rel, ec);
  if (ec || file.string().rfind(canonicalRoot.string() + "/", 0) != 0 ||
      !fs::is_regular_file(file, ec))
    return Response::error(404, "not_found", "no such resource");
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return Response::error(404, "not_found", "no such resource");
  std::string etag = "\"" + std::to_string(st.st_size) + "-" + std::to_string(st.st_mtime) + "\"";
  Response r;
  r.contentType = contentTypeFor(file.string());
  r.headers.emplace_back("ETag", etag);
  // Asset URLs carry no version, so a browser revalidates each one (ETag -> 304, no body)
  // instead of keeping it for a day: after an upgrade no page mixes old and new modules.
  r.headers.emplace_back("Cache-Control", asset ? "public, no-cache" : "no-cache");
  if (req.header("if-none-match") == etag) {
    r.status = 304;
    return r;
  }
  std::ifstream in(file, std::ios::binary);
  std::stringstream body;
  body << in.rdbuf();
  r.body = body.str();
  return r;
}

}  // namespace

std::string contentTypeFor(const std::string& path) {
  auto ext = fs::path(path).extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

void addStaticRoutes(Router& router, const std::string& root) {
  router.add({"GET", "/", Access::public_endpoint, "",
              [root](Request& req) { return serveFile(root, "index.html", req, false); }});
  router.add({"GET", "/assets/{*path}", Access::public_endpoint, "", [root](Request& req) {
                return serveFile(fs::path(root) / "assets", req.params.at("path"), req, true);
              }});
}

}  // namespace vigil::web
