#define BOOST_TEST_MODULE vigil_security
#include "vigil/security/password.hpp"

#include <boost/test/unit_test.hpp>

#include "vigil/core/error.hpp"
#include "vigil/crypto/bytes.hpp"

using namespace vigil::security;
using vigil::crypto::asBytes;
using vigil::crypto::fromHex;
using vigil::crypto::toBase64Url;

namespace {
// Small parameters keep the suite fast; production uses the defaults (ln=15).
const ScryptParams kFast{10, 8, 1};
}  // namespace

BOOST_AUTO_TEST_SUITE(PasswordHasher_)

BOOST_AUTO_TEST_CASE(matches_rfc7914_scrypt_vector) {
  // RFC 7914 section 12: P="pleaseletmein", S="SodiumChloride", N=16384, r=8, p=1, dkLen=64.
  std::string stored =
      "$scrypt$ln=14,r=8,p=1$" + toBase64Url(asBytes("SodiumChloride")) + "$" +
      toBase64Url(fromHex("7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2"
                          "d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887"));
  PasswordHasher hasher{ScryptParams{14, 8, 1}};
  BOOST_TEST(hasher.verify("pleaseletmein", stored).ok);
  BOOST_TEST(!hasher.verify("pleaseletmeIn", stored).ok);
}

BOOST_AUTO_TEST_CASE(verifies_right_password_and_refuses_wrong_one) {
  PasswordHasher hasher{kFast};
  std::string stored = hasher.hash("correct horse battery staple");
  BOOST_TEST(stored.rfind("$scrypt$ln=10,r=8,p=1$", 0) == 0u);
  BOOST_TEST(stored.find("horse") == std::string::npos);
  auto ok = hasher.verify("correct horse battery staple", stored);
  BOOST_TEST(ok.ok);
  BOOST_TEST(!ok.needsRehash);
  BOOST_TEST(!hasher.verify("correct horse battery stapler", stored).ok);
  BOOST_TEST(!hasher.verify("", stored).ok);
}

BOOST_AUTO_TEST_CASE(salts_each_hash) {
  PasswordHasher hasher{kFast};
  BOOST_TEST(hasher.hash("same password here") != hasher.hash("same password here"));
}

BOOST_AUTO_TEST_CASE(reports_rehash_when_parameters_changed) {
  PasswordHasher old{ScryptParams{10, 8, 1}};
  PasswordHasher current{ScryptParams{11, 8, 1}};
  std::string stored = old.hash("a long enough passphrase");
  auto check = current.verify("a long enough passphrase", stored);
  BOOST_TEST(check.ok);
  BOOST_TEST(check.needsRehash);
  BOOST_TEST(!current.verify("wrong passphrase", stored).needsRehash);
  std::string upgraded = current.hash("a long enough passphrase");
  BOOST_TEST(PasswordHasher::paramsOf(upgraded).logN == 11u);
  BOOST_TEST(!current.verify("a long enough passphrase", upgraded).needsRehash);
}

BOOST_AUTO_TEST_CASE(refuses_malformed_stored_hashes_and_out_of_range_parameters) {
  PasswordHasher hasher{kFast};
  for (const char* bad :
       {"", "plain", "$pbkdf2$x$y$z", "$scrypt$ln=10,r=8$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=40,r=8,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=10,r=8,p=1$!!!$AAAA"})
    BOOST_CHECK_THROW(hasher.verify("x", bad), vigil::AuthError);
  BOOST_CHECK_THROW(PasswordHasher(ScryptParams{0, 8, 1}), vigil::ConfigError);
}

BOOST_AUTO_TEST_CASE(refuses_overlong_input) {
  PasswordHasher hasher{kFast};
  std::string huge(PasswordHasher::kMaxPasswordBytes + 1, 'a');
  BOOST_CHECK_THROW(hasher.hash(huge), vigil::AuthError);
  BOOST_TEST(!hasher.verify(huge, hasher.hash("something long")).ok);
}

BOOST_AUTO_TEST_SUITE_END()
