#include "vigil/crypto/field_cipher.hpp"

#include <boost/test/unit_test.hpp>

#include "vigil/crypto/aead.hpp"
#include "vigil/crypto/random.hpp"

using namespace vigil::crypto;

namespace {

struct Fixture {
  MasterKey master{randomKey()};
  KeyRing ring;
  FieldCipher cipher{ring};
  FieldRef email{"patients", "email", "42"};
  Fixture() {
    ring.add(1, randomKey());
    ring.add(2, randomKey());
    ring.setActive(1);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(FieldCipher_, Fixture)

BOOST_AUTO_TEST_CASE(round_trips_with_versioned_header_and_fresh_nonce) {
  Bytes a = cipher.encrypt(email, "ada@example.org");
  Bytes b = cipher.encrypt(email, "ada@example.org");
  BOOST_TEST(a.size() == FieldCipher::kOverhead + 15);
  BOOST_TEST(a[0] == FieldCipher::kVersion);
  BOOST_TEST(FieldCipher::keyIdOf(a) == 1u);
  BOOST_TEST((a != b));  // fresh nonce per write
  BOOST_TEST(cipher.decryptText(email, a) == "ada@example.org");
  BOOST_TEST(cipher.decryptText(email, cipher.encrypt(email, "")) == "");
}

BOOST_AUTO_TEST_CASE(refuses_ciphertext_moved_to_another_row_column_or_table) {
  Bytes ct = cipher.encrypt(email, "ada@example.org");
  BOOST_CHECK_THROW(cipher.decrypt({"patients", "email", "43"}, ct), IntegrityError);
  BOOST_CHECK_THROW(cipher.decrypt({"patients", "phone", "42"}, ct), IntegrityError);
  BOOST_CHECK_THROW(cipher.decrypt({"users", "email", "42"}, ct), IntegrityError);
  // Length-prefixed fields: shifting a character between table and column does not collide.
  FieldRef ab{"ab", "c", "1"};
  FieldRef a_bc{"a", "bc", "1"};
  BOOST_CHECK_THROW(cipher.decrypt(a_bc, cipher.encrypt(ab, "x")), IntegrityError);
}

BOOST_AUTO_TEST_CASE(refuses_every_flipped_bit_with_a_typed_error) {
  Bytes ct = cipher.encrypt(email, "ada@example.org");
  for (std::size_t i = 0; i < ct.size(); ++i) {
    for (int bit = 0; bit < 8; bit += 3) {
      Bytes bad = ct;
      bad[i] = static_cast<std::uint8_t>(bad[i] ^ (1u << bit));
      // Key id bytes may name a missing key (UnknownKeyError); everything else IntegrityError.
      BOOST_CHECK_THROW(cipher.decrypt(email, bad), vigil::CryptoError);
    }
  }
  BOOST_CHECK_THROW(cipher.decrypt(email, Bytes(ct.begin(), ct.end() - 1)), IntegrityError);
  BOOST_CHECK_THROW(cipher.decrypt(email, Bytes(5, 1)), IntegrityError);
}

BOOST_AUTO_TEST_CASE(refuses_a_wrong_key_id) {
  Bytes ct = cipher.encrypt(email, "ada@example.org");
  Bytes otherKey = ct;
  otherKey[4] = 2;  // names key 2, which exists: the tag does not verify under it
  BOOST_CHECK_THROW(cipher.decrypt(email, otherKey), IntegrityError);
  Bytes missing = ct;
  missing[4] = 9;
  BOOST_CHECK_THROW(cipher.decrypt(email, missing), UnknownKeyError);
}

BOOST_AUTO_TEST_CASE(reads_old_key_data_after_rotation) {
  Bytes old = cipher.encrypt(email, "old");
  ring.setActive(2);
  Bytes fresh = cipher.encrypt(email, "new");
  BOOST_TEST(FieldCipher::keyIdOf(old) == 1u);
  BOOST_TEST(FieldCipher::keyIdOf(fresh) == 2u);
  BOOST_TEST(cipher.decryptText(email, old) == "old");
  BOOST_TEST(cipher.decryptText(email, fresh) == "new");
}

BOOST_AUTO_TEST_CASE(error_messages_name_the_place_not_the_value) {
  Bytes ct = cipher.encrypt(email, "ada@example.org");
  ct.back() ^= 1;
  try {
    cipher.decrypt(email, ct);
    BOOST_FAIL("expected IntegrityError");
  } catch (const IntegrityError& e) {
    std::string what = e.what();
    BOOST_TEST(what.find("patients.email row 42") != std::string::npos);
    BOOST_TEST(what.find("ada@") == std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()
