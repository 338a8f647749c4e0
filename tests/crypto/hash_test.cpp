#include "vigil/crypto/hash.hpp"

#include <boost/test/unit_test.hpp>

using namespace vigil::crypto;

BOOST_AUTO_TEST_SUITE(Hash)

BOOST_AUTO_TEST_CASE(sha256_matches_fips_180_vectors) {
  BOOST_TEST(toHex(sha256(asBytes("abc"))) ==
             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  BOOST_TEST(toHex(sha256(asBytes(""))) ==
             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

BOOST_AUTO_TEST_CASE(hmac_sha256_matches_rfc4231_vectors) {
  BOOST_TEST(toHex(hmacSha256(asBytes("Jefe"), asBytes("what do ya want for nothing?"))) ==
             "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  Bytes key(20, 0x0b);
  BOOST_TEST(toHex(hmacSha256(key, asBytes("Hi There"))) ==
             "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

BOOST_AUTO_TEST_CASE(hkdf_sha256_matches_rfc5869_case_1) {
  Bytes ikm(22, 0x0b);
  Bytes salt = fromHex("000102030405060708090a0b0c");
  Bytes info = fromHex("f0f1f2f3f4f5f6f7f8f9");
  Bytes okm = hkdfSha256(ikm, salt, toString(info), 42);
  BOOST_TEST(
      toHex(okm) ==
      "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

BOOST_AUTO_TEST_SUITE_END()
