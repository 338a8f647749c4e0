#include "vigil/core/json_text.hpp"

#include <boost/test/unit_test.hpp>
#include <string>

using vigil::core::jsonString;

BOOST_AUTO_TEST_SUITE(JsonText)

BOOST_AUTO_TEST_CASE(plain_text_is_only_quoted) {
  BOOST_TEST(jsonString("") == "\"\"");
  BOOST_TEST(jsonString("mmHg 120/80") == "\"mmHg 120/80\"");
  // UTF-8 passes unchanged (°C, "Müller").
  BOOST_TEST(jsonString("\xC2\xB0"
                        "C M\xC3\xBCller") ==
             "\"\xC2\xB0"
             "C M\xC3\xBCller\"");
}

BOOST_AUTO_TEST_CASE(quotes_and_backslashes_are_escaped) {
  BOOST_TEST(jsonString(R"(say "hi" \ bye)") == R"("say \"hi\" \\ bye")");
}

BOOST_AUTO_TEST_CASE(control_characters_are_escaped_never_dropped_or_replaced) {
  // RFC 8259 section 7: the short forms for newline, return and tab; \u00XX for the rest.
  BOOST_TEST(jsonString("a\nb\rc\td") == R"("a\nb\rc\td")");
  BOOST_TEST(jsonString(std::string("\0\x01\x1f", 3)) == R"("\u0000\u0001\u001f")");
  BOOST_TEST(jsonString("\x08\x0c") == R"("\u0008\u000c")");
  BOOST_TEST(jsonString("\x7f") == "\"\x7f\"");
}

BOOST_AUTO_TEST_CASE(appending_keeps_what_was_there) {
  std::string out = "{\"k\":";
  vigil::core::appendJsonString(out, "v\"");
  BOOST_TEST(out == R"({"k":"v\"")");
}

BOOST_AUTO_TEST_SUITE_END()
