#include "vigil/crypto/blind_index.hpp"

#include <boost/test/unit_test.hpp>

#include "vigil/crypto/random.hpp"

using namespace vigil::crypto;

BOOST_AUTO_TEST_SUITE(BlindIndex_)

BOOST_AUTO_TEST_CASE(equal_normalised_values_match_and_fields_are_separated) {
  BlindIndex index{randomKey()};
  auto a = index.compute("users.email", BlindIndex::normalizeEmail("  Ada@Example.ORG "));
  auto b = index.compute("users.email", BlindIndex::normalizeEmail("ada@example.org"));
  BOOST_TEST((a == b));
  BOOST_TEST((a != index.compute("patients.email", "ada@example.org")));
  BOOST_TEST((a != index.compute("users.email", "bob@example.org")));
}

BOOST_AUTO_TEST_CASE(is_hmac_sha256_of_field_nul_value) {
  Key256 key{Bytes(32, 7)};
  BlindIndex index{key};
  Bytes input{'f', 0, 'v'};
  BOOST_TEST((index.compute("f", "v") == hmacSha256(key.view(), input)));
}

BOOST_AUTO_TEST_CASE(different_keys_give_different_indexes) {
  BlindIndex a{randomKey()};
  BlindIndex b{randomKey()};
  BOOST_TEST((a.compute("f", "v") != b.compute("f", "v")));
}

BOOST_AUTO_TEST_CASE(normalises_identifiers) {
  BOOST_TEST(BlindIndex::normalizeIdentifier(" mrn-00 12a ") == "MRN0012A");
}

BOOST_AUTO_TEST_SUITE_END()
