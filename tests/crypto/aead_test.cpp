#define BOOST_TEST_MODULE vigil_crypto
#include "vigil/crypto/aead.hpp"

#include <boost/test/unit_test.hpp>

using namespace vigil::crypto;

namespace {

struct GcmVector {
  const char* key;
  const char* iv;
  const char* aad;
  const char* plaintext;
  const char* ciphertext;
  const char* tag;
};

// The AES-256 cases (13-16) of McGrew & Viega, "The Galois/Counter Mode of Operation", which
// NIST's GCM validation suite includes.
const GcmVector kVectors[] = {
    {"0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000",
     "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {"0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000",
     "", "00000000000000000000000000000000", "cea7403d4d606b6e074ec5d3baf39d18",
     "d0d1c8a799996bf0265b98b5d48ab919"},
    {"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
     "",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(Aes256Gcm)

BOOST_AUTO_TEST_CASE(matches_known_answer_vectors) {
  for (const auto& v : kVectors) {
    Key256 key{fromHex(v.key)};
    Bytes sealed = aes256GcmSeal(key, fromHex(v.iv), fromHex(v.aad), fromHex(v.plaintext));
    BOOST_TEST(toHex(sealed) == std::string(v.ciphertext) + v.tag);
    Bytes opened = aes256GcmOpen(key, fromHex(v.iv), fromHex(v.aad), sealed);
    BOOST_TEST(toHex(opened) == v.plaintext);
  }
}

BOOST_AUTO_TEST_CASE(refuses_a_flipped_bit_anywhere_with_integrity_error) {
  const auto& v = kVectors[3];
  Key256 key{fromHex(v.key)};
  Bytes sealed = aes256GcmSeal(key, fromHex(v.iv), fromHex(v.aad), fromHex(v.plaintext));
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    Bytes bad = sealed;
    bad[i] ^= 0x01;
    BOOST_CHECK_THROW(aes256GcmOpen(key, fromHex(v.iv), fromHex(v.aad), bad), IntegrityError);
  }
  Bytes aad = fromHex(v.aad);
  aad[0] ^= 0x80;
  BOOST_CHECK_THROW(aes256GcmOpen(key, fromHex(v.iv), aad, sealed), IntegrityError);
}

BOOST_AUTO_TEST_CASE(refuses_truncated_ciphertext_and_bad_nonce_length) {
  Key256 key{fromHex(kVectors[1].key)};
  Bytes shortBlob(10, 0);
  BOOST_CHECK_THROW(aes256GcmOpen(key, fromHex(kVectors[1].iv), {}, shortBlob), IntegrityError);
  BOOST_CHECK_THROW(aes256GcmSeal(key, Bytes(8, 0), {}, Bytes(4, 0)), vigil::CryptoError);
}

BOOST_AUTO_TEST_SUITE_END()
