#include "vigil/crypto/bytes.hpp"

#include <boost/test/unit_test.hpp>
#include <string>
#include <utility>

#include "vigil/core/error.hpp"
#include "vigil/crypto/random.hpp"

using namespace vigil::crypto;

BOOST_AUTO_TEST_SUITE(Bytes_)

BOOST_AUTO_TEST_CASE(hex_round_trips_and_rejects_bad_input) {
  Bytes b{0x00, 0x7f, 0xff, 0x10};
  BOOST_TEST(toHex(b) == "007fff10");
  BOOST_TEST((fromHex("007FFF10") == b));
  BOOST_CHECK_THROW(fromHex("abc"), vigil::CryptoError);
  BOOST_CHECK_THROW(fromHex("zz"), vigil::CryptoError);
}

BOOST_AUTO_TEST_CASE(base64url_matches_rfc4648_vectors) {
  // RFC 4648 section 10 vectors, url-safe alphabet, no padding.
  BOOST_TEST(toBase64Url(asBytes("")) == "");
  BOOST_TEST(toBase64Url(asBytes("f")) == "Zg");
  BOOST_TEST(toBase64Url(asBytes("fo")) == "Zm8");
  BOOST_TEST(toBase64Url(asBytes("foo")) == "Zm9v");
  BOOST_TEST(toBase64Url(asBytes("foobar")) == "Zm9vYmFy");
  BOOST_TEST(toBase64Url(Bytes{0xfb, 0xff}) == "-_8");
  BOOST_TEST(toString(fromBase64Url("Zm9vYmE=")) == "fooba");
  for (std::size_t n = 0; n < 40; ++n) {
    Bytes r = randomBytes(n);
    BOOST_TEST((fromBase64Url(toBase64Url(r)) == r));
  }
  BOOST_CHECK_THROW(fromBase64Url("ab$d"), vigil::CryptoError);
}

BOOST_AUTO_TEST_CASE(base64_matches_rfc4648_vectors) {
  // RFC 4648 section 10 vectors, standard alphabet with padding.
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    BOOST_TEST(toBase64(asBytes(plain)) == encoded);
    BOOST_TEST(toString(fromBase64(encoded)) == plain);
  }
  BOOST_TEST(toBase64(Bytes{0xfb, 0xff}) == "+/8=");
  BOOST_TEST((fromBase64("+/8=") == Bytes{0xfb, 0xff}));
  for (std::size_t n = 0; n < 40; ++n) {
    Bytes r = randomBytes(n);
    BOOST_TEST((fromBase64(toBase64(r)) == r));
  }
}

BOOST_AUTO_TEST_CASE(base64_refuses_anything_but_the_one_canonical_text) {
  const char* bad[] = {"Zg",   "Zg=",  "Zm9",  "Zm9v\n", " Zm9v",    "Zm9v=",    "Z===",
                       "====", "Zh==", "Zm9=", "-_8=",   "Zg==Zg==", "Zm9vY===", "Z"};
  for (const char* text : bad) {
    BOOST_TEST_CONTEXT(text) {
      BOOST_CHECK_THROW(fromBase64(text), vigil::CryptoError);
    }
  }
  BOOST_CHECK_THROW(fromBase64(std::string_view("Zm\0v", 4)), vigil::CryptoError);
}

BOOST_AUTO_TEST_CASE(random_uuid_is_version_4_text_and_fresh) {
  std::string a = randomUuid();
  BOOST_TEST(a.size() == 36u);
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23)
      BOOST_TEST(a[i] == '-');
    else
      BOOST_TEST(std::string("0123456789abcdef").find(a[i]) != std::string::npos);
  }
  BOOST_TEST(a[14] == '4');                                          // version
  BOOST_TEST(std::string("89ab").find(a[19]) != std::string::npos);  // variant 10xx
  BOOST_TEST(randomUuid() != a);
}

BOOST_AUTO_TEST_CASE(constant_time_equal_compares_content_and_length) {
  BOOST_TEST(constantTimeEqual(asBytes("abc"), asBytes("abc")));
  BOOST_TEST(!constantTimeEqual(asBytes("abc"), asBytes("abd")));
  BOOST_TEST(!constantTimeEqual(asBytes("abc"), asBytes("abcd")));
  BOOST_TEST(constantTimeEqual(asBytes(""), asBytes("")));
}

BOOST_AUTO_TEST_CASE(random_bytes_differ_between_calls) {
  BOOST_TEST((randomBytes(32) != randomBytes(32)));
  BOOST_TEST(randomBytes(0).empty());
}

BOOST_AUTO_TEST_SUITE_END()
