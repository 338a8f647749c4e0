#define BOOST_TEST_MODULE vigil_web
#include <boost/test/unit_test.hpp>

#include "vigil/web/http.hpp"

using namespace vigil::web;

namespace {
Response ok(Request&) {
  return Response::text(200, "ok");
}
}  // namespace

BOOST_AUTO_TEST_SUITE(RouterMatching)

BOOST_AUTO_TEST_CASE(matches_literal_and_parameter_segments) {
  Router r;
  r.add({"GET", "/api/v1/alerts", Access::authenticated, "alert.read", ok});
  r.add({"GET", "/api/v1/alerts/{id}", Access::authenticated, "alert.read", ok});
  auto m = r.match("GET", "/api/v1/alerts/42");
  BOOST_REQUIRE(m.route);
  BOOST_TEST(m.route->pattern == "/api/v1/alerts/{id}");
  BOOST_TEST(m.params.at("id") == "42");
  BOOST_TEST(r.match("GET", "/api/v1/alerts/").route->pattern == "/api/v1/alerts");
}

BOOST_AUTO_TEST_CASE(distinguishes_unknown_path_from_wrong_method) {
  Router r;
  r.add({"POST", "/api/v1/things", Access::authenticated, "thing.write", ok});
  auto wrongMethod = r.match("GET", "/api/v1/things");
  BOOST_TEST(!wrongMethod.route);
  BOOST_TEST(wrongMethod.pathKnown);
  auto unknown = r.match("GET", "/api/v1/other");
  BOOST_TEST(!unknown.pathKnown);
}

BOOST_AUTO_TEST_CASE(refuses_authenticated_route_without_permission) {
  Router r;
  BOOST_CHECK_THROW(r.add({"GET", "/x", Access::authenticated, "", ok}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(refuses_a_public_route_that_says_its_handler_audits) {
  // Only the gate's authorisation can be handed to a handler's own audit entry: a public route
  // has no caller to audit.
  Route route{"POST", "/x", Access::public_endpoint, "", ok};
  route.auditedByHandler = true;
  Router r;
  BOOST_CHECK_THROW(r.add(route), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(refuses_duplicate_routes) {
  Router r;
  r.add({"GET", "/x", Access::public_endpoint, "", ok});
  BOOST_CHECK_THROW(r.add({"GET", "/x", Access::public_endpoint, "", ok}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(head_is_served_by_get_routes) {
  Router r;
  r.add({"GET", "/healthz", Access::public_endpoint, "", ok});
  BOOST_TEST(r.match("HEAD", "/healthz").route != nullptr);
}

BOOST_AUTO_TEST_CASE(parses_percent_encoded_query) {
  auto q = parseQuery("status=open&q=a%20b+c&flag");
  BOOST_TEST(q.at("status") == "open");
  BOOST_TEST(q.at("q") == "a b c");
  BOOST_TEST(q.count("flag") == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(ByteRanges)

BOOST_AUTO_TEST_CASE(parses_the_three_forms_and_cuts_to_the_limit) {
  auto r = parseByteRange("bytes=10-19", 100, 1000);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->first == 10u);
  BOOST_TEST(r->last == 19u);
  r = parseByteRange("bytes=90-", 100, 1000);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->last == 99u);
  r = parseByteRange("bytes=-30", 100, 1000);  // the last 30 bytes
  BOOST_REQUIRE(r);
  BOOST_TEST(r->first == 70u);
  BOOST_TEST(r->last == 99u);
  r = parseByteRange("bytes=0-", 100, 16);  // the client asks again for the rest
  BOOST_REQUIRE(r);
  BOOST_TEST(r->last == 15u);
  r = parseByteRange("bytes=50-500", 100, 1000);  // past the end: up to the end
  BOOST_REQUIRE(r);
  BOOST_TEST(r->last == 99u);
}

BOOST_AUTO_TEST_CASE(refuses_malformed_multiple_and_unsatisfiable_ranges) {
  for (const char* h : {"bytes=", "bytes=-", "bytes=5", "bytes=20-10", "bytes=100-", "bytes=-0",
                        "bytes=0-1,3-4", "items=0-1", "bytes=x-5", "bytes=1-x", "bytes=+1-2",
                        "bytes=1 -2", "bytes=9999999999999999999-"})
    BOOST_TEST(!parseByteRange(h, 100, 1000), h);
  BOOST_TEST(!parseByteRange("bytes=0-1", 0, 1000));  // an empty resource has no range
}

BOOST_AUTO_TEST_SUITE_END()
