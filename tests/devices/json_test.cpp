// The strict JSON parser behind the payload decoders (devices/src/json.cpp).
#include "json.hpp"

#include <boost/test/unit_test.hpp>
#include <string>

#include "test_bytes.hpp"

using namespace vigil::devices::detail;

namespace {

bool parses(std::string_view s) {
  return parseJson(s, JsonLimits{}).value.has_value();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(Json)

BOOST_AUTO_TEST_CASE(parses_nested_documents) {
  const auto r =
      parseJson(R"({"a":[1,-2.5e3,true,false,null,"x\u00e9\ud83d\ude00"],"b":{}})", JsonLimits{});
  BOOST_REQUIRE(r.value.has_value());
  const JsonValue* a = r.value->member("a");
  BOOST_REQUIRE(a != nullptr);
  BOOST_TEST(a->items.size() == 6U);
  BOOST_TEST(a->items[1].number == -2500.0);
  BOOST_TEST(!a->items[1].numberIsInteger);
  BOOST_TEST(a->items[0].numberIsInteger);
  BOOST_TEST(a->items[5].string == "x\xC3\xA9\xF0\x9F\x98\x80");
}

BOOST_AUTO_TEST_CASE(refuses_what_rfc_8259_does_not_allow) {
  for (const char* bad : {"",
                          "{",
                          "{\"a\":1,}",
                          "[1,]",
                          "{'a':1}",
                          "{\"a\":01}",
                          "{\"a\":1.}",
                          "{\"a\":.5}",
                          "{\"a\":+1}",
                          "{\"a\":NaN}",
                          "{\"a\":Infinity}",
                          "{\"a\":1} x",
                          "{\"a\":\"\x01\"}",
                          "{\"a\":\"\\x\"}",
                          "// c\n{}",
                          "{\"a\":tru}",
                          "{\"a\":\"\\ud800\"}",
                          "{\"a\":\"\\udc00\"}",
                          "{\"a\":1e999}",
                          "{a:1}"})
    BOOST_TEST(!parses(bad), bad);
}

BOOST_AUTO_TEST_CASE(refuses_duplicate_member_names) {
  const auto r = parseJson(R"({"seq":1,"seq":2})", JsonLimits{});
  BOOST_TEST(!r.value.has_value());
  BOOST_TEST(r.error.find("duplicate") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(refuses_invalid_utf8) {
  for (std::string bad :
       {std::string("\"\xC3\""), std::string("\"\xC0\xAF\""), std::string("\"\xED\xA0\x80\""),
        std::string("\"\xF5\x80\x80\x80\""), std::string("\"\xFF\"")})
    BOOST_TEST(!parses(bad));
  BOOST_TEST(parses("\"\xE2\x82\xAC\""));
}

BOOST_AUTO_TEST_CASE(enforces_depth_string_and_value_limits) {
  JsonLimits limits;
  limits.maxDepth = 3;
  BOOST_TEST(parseJson("[[[1]]]", limits).value.has_value());
  BOOST_TEST(!parseJson("[[[[1]]]]", limits).value.has_value());
  limits.maxStringBytes = 4;
  BOOST_TEST(!parseJson("\"abcdefgh\"", limits).value.has_value());
  limits.maxValues = 3;
  BOOST_TEST(parseJson("[1,2]", limits).value.has_value());
  BOOST_TEST(!parseJson("[1,2,3]", limits).value.has_value());
  // A very deep document fails fast instead of exhausting the stack.
  BOOST_TEST(!parseJson(std::string(100000, '['), JsonLimits{}).value.has_value());
}

BOOST_AUTO_TEST_CASE(unsigned_integers_are_exact_and_bounded) {
  const auto r = parseJson("[9007199254740993,1.0,-1,18446744073709551616]", JsonLimits{});
  BOOST_REQUIRE(r.value.has_value());
  BOOST_TEST(jsonUnsigned(r.value->items[0], ~0ULL) == 9007199254740993ULL);
  BOOST_TEST(!jsonUnsigned(r.value->items[0], 1000).has_value());
  BOOST_TEST(!jsonUnsigned(r.value->items[1], ~0ULL).has_value());
  BOOST_TEST(!jsonUnsigned(r.value->items[2], ~0ULL).has_value());
  BOOST_TEST(!jsonUnsigned(r.value->items[3], ~0ULL).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
