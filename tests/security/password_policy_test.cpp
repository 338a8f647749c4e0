#include "vigil/security/password_policy.hpp"

#include <boost/test/unit_test.hpp>
#include <ostream>

namespace vigil::security {
std::ostream& operator<<(std::ostream& os, PasswordVerdict v) {
  return os << toString(v);
}
}  // namespace vigil::security

using namespace vigil::security;

BOOST_AUTO_TEST_SUITE(PasswordPolicy_)

BOOST_AUTO_TEST_CASE(bundled_list_is_loaded) {
  BOOST_TEST(commonPasswordCount() > 3000u);
  BOOST_TEST(isCommonPassword("password"));
  BOOST_TEST(isCommonPassword("BasketBall"));  // case-insensitive
  BOOST_TEST(!isCommonPassword("#!comment: This list has been compiled by Solar Designer"));
}

BOOST_AUTO_TEST_CASE(refuses_common_passwords_of_allowed_length) {
  PasswordPolicy policy;
  BOOST_TEST(policy.check("basketball") == PasswordVerdict::common);
  BOOST_TEST(policy.check("Thunderbird") == PasswordVerdict::common);
  BOOST_TEST(policy.check("qwertyuiop") == PasswordVerdict::common);
}

BOOST_AUTO_TEST_CASE(enforces_length_in_code_points) {
  PasswordPolicy policy;
  BOOST_TEST(policy.check("short") == PasswordVerdict::tooShort);
  BOOST_TEST(policy.check("Zq8#vLm2p") == PasswordVerdict::tooShort);  // 9 < 10
  BOOST_TEST(policy.check("Zq8#vLm2pX") == PasswordVerdict::ok);
  // 10 code points of which several are multi-byte: counted as 10, not as bytes.
  BOOST_TEST(policy.check("\xc3\xa9t\xc3\xa9 \xc3\xa0 Nmes") == PasswordVerdict::ok);
  BOOST_TEST(policy.check(std::string(129, 'x') + "y") == PasswordVerdict::tooLong);
  BOOST_TEST(policy.check("correct horse battery staple") == PasswordVerdict::ok);
}

BOOST_AUTO_TEST_CASE(refuses_repetitive_sequential_and_contextual_passwords) {
  PasswordPolicy policy;
  BOOST_TEST(policy.check("aaaaaaaaaaaa") == PasswordVerdict::repetitive);
  BOOST_TEST(policy.check("abcabcabcabc") == PasswordVerdict::repetitive);
  BOOST_TEST(policy.check("abcdefghijkl") == PasswordVerdict::sequential);
  BOOST_TEST(policy.check("9876543210") == PasswordVerdict::sequential);
  BOOST_TEST(policy.check("margaret2024!", {"margaret", "margaret@example.org"}) ==
             PasswordVerdict::contextual);
  BOOST_TEST(policy.check("vigil12345") == PasswordVerdict::contextual);
  BOOST_TEST(policy.check("tulips and margaret under rain", {"margaret"}) == PasswordVerdict::ok);
}

BOOST_AUTO_TEST_CASE(verdicts_have_stable_reason_words) {
  BOOST_TEST(toString(PasswordVerdict::common) == "common");
  BOOST_TEST(toString(PasswordVerdict::tooShort) == "too_short");
}

BOOST_AUTO_TEST_SUITE_END()
