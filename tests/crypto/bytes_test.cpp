#include "vigil/crypto/bytes.hpp"

#include <boost/test/unit_test.hpp>

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
