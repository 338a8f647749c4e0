#include "vigil/web/static_files.hpp"

#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace vigil::web;

namespace {

struct Site {
  fs::path root;
  Router router;
  Site() {
    root = fs::temp_directory_path() / ("vigil-static-" + std::to_string(::getpid()));
    fs::create_directories(root / "assets" / "vendor");
    std::ofstream(root / "index.html") << "<!doctype html><title>Vigil</title>";
    std::ofstream(root / "assets" / "app.js") << "console.log(1)";
    std::ofstream(root / "assets" / "vendor" / "uPlot.min.css") << ".u{}";
    std::ofstream(root / "assets" / ".secret") << "no";
    std::ofstream(root / "outside.txt") << "not under assets";
    addStaticRoutes(router, root.string());
  }
  ~Site() { fs::remove_all(root); }
  Response get(const std::string& path, const std::string& etag = {}) {
    auto m = router.match("GET", path);
    if (!m.route) return Response::error(404, "not_found", "");
    Request req;
    req.method = "GET";
    req.path = path;
    req.params = m.params;
    if (!etag.empty()) req.headers["if-none-match"] = etag;
    return m.route->handler(req);
  }
};

std::string headerOf(const Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(StaticFiles)

BOOST_AUTO_TEST_CASE(serves_index_and_nested_assets_with_types) {
  Site s;
  auto index = s.get("/");
  BOOST_TEST(index.status == 200);
  BOOST_TEST(index.contentType == "text/html; charset=utf-8");
  BOOST_TEST(headerOf(index, "Cache-Control") == "no-cache");
  auto css = s.get("/assets/vendor/uPlot.min.css");
  BOOST_TEST(css.status == 200);
  BOOST_TEST(css.body == ".u{}");
  BOOST_TEST(css.contentType == "text/css; charset=utf-8");
  BOOST_TEST(s.get("/assets/app.js").contentType == "text/javascript; charset=utf-8");
}

BOOST_AUTO_TEST_CASE(refuses_traversal_hidden_files_and_missing_files) {
  Site s;
  BOOST_TEST(s.get("/assets/../outside.txt").status == 404);
  BOOST_TEST(s.get("/assets/vendor/../../outside.txt").status == 404);
  BOOST_TEST(s.get("/assets/.secret").status == 404);
  BOOST_TEST(s.get("/assets/nope.js").status == 404);
  BOOST_TEST(s.get("/assets/vendor").status == 404);
}

BOOST_AUTO_TEST_CASE(answers_304_when_the_etag_matches) {
  Site s;
  auto first = s.get("/assets/app.js");
  auto etag = headerOf(first, "ETag");
  BOOST_REQUIRE(!etag.empty());
  auto again = s.get("/assets/app.js", etag);
  BOOST_TEST(again.status == 304);
  BOOST_TEST(again.body.empty());
}

BOOST_AUTO_TEST_SUITE_END()
