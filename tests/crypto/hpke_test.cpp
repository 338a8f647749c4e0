#include "vigil/crypto/hpke.hpp"

#include <boost/test/unit_test.hpp>
#include <string>

using namespace vigil::crypto;

namespace {

// RFC 9180 appendix A.1.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, Base mode
// (mode 0, kem_id 32, kdf_id 1, aead_id 1), every value as the RFC prints it.
const char* const kInfo = "4f6465206f6e2061204772656369616e2055726e";  // "Ode on a Grecian Urn"
const char* const kIkmE = "7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234";
const char* const kPkEm = "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431";
const char* const kSkEm = "52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736";
const char* const kIkmR = "6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037";
const char* const kPkRm = "3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d";
const char* const kSkRm = "4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8";
const char* const kSharedSecret =
    "fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc";
const char* const kKey = "4531685d41d65f03dc48f6b8302c05b0";
const char* const kBaseNonce = "56d890e5accaaf011cff4b7d";
const char* const kPt = "4265617574792069732074727574682c20747275746820626561757479";

struct Encryption {
  std::uint64_t seq;
  const char* aad;
  const char* nonce;
  const char* ct;
};

// A.1.1.1, Encryptions.
const Encryption kEncryptions[] = {
    {0, "436f756e742d30", "56d890e5accaaf011cff4b7d",
     "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a"},
    {1, "436f756e742d31", "56d890e5accaaf011cff4b7c",
     "af2d7e9ac9ae7e270f46ba1f975be53c09f8d875bdc8535458c2494e8a6eab251c03d0c22a56b8ca42c2063b84"},
    {2, "436f756e742d32", "56d890e5accaaf011cff4b7f",
     "498dfcabd92e8acedc281e85af1cb4e3e31c7dc394a1ca20e173cb72516491588d96a19ad4a683518973dcc180"},
    {4, "436f756e742d34", "56d890e5accaaf011cff4b79",
     "583bd32bc67a5994bb8ceaca813d369bca7b2a42408cddef5e22f880b631215a09fc0012bc69fccaa251c0246d"},
    {255, "436f756e742d323535", "56d890e5accaaf011cff4b82",
     "7175db9717964058640a3a11fb9007941a5d1757fda1a6935c805c21af32505bf106deefec4a49ac38d71c9e0a"},
    {256, "436f756e742d323536", "56d890e5accaaf011cff4a7d",
     "957f9800542b0b8891badb026d79cc54597cb2d225b54c00c5238c25d05c30e3fbeda97d2e0e1aba483a2df9f2"},
};

hpke::X25519KeyPair recipient() {
  return hpke::X25519KeyPair{Key256{fromHex(kSkRm)}};
}

hpke::Sealed sealVector() {
  return hpke::detail::sealBaseWith(hpke::deriveKeyPair(fromHex(kIkmE)), fromHex(kPkRm),
                                    fromHex(kInfo), fromHex(kEncryptions[0].aad), fromHex(kPt));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(Hpke)

BOOST_AUTO_TEST_CASE(derive_key_pair_matches_rfc9180_a_1_1) {
  auto ephemeral = hpke::deriveKeyPair(fromHex(kIkmE));
  BOOST_TEST(toHex(ephemeral.privateKey().view()) == kSkEm);
  BOOST_TEST(toHex(ephemeral.publicKey()) == kPkEm);
  auto r = hpke::deriveKeyPair(fromHex(kIkmR));
  BOOST_TEST(toHex(r.privateKey().view()) == kSkRm);
  BOOST_TEST(toHex(r.publicKey()) == kPkRm);
  // The public key of a raw private key, as a key file would load it.
  BOOST_TEST(toHex(recipient().publicKey()) == kPkRm);
}

BOOST_AUTO_TEST_CASE(encap_and_decap_give_the_rfc_shared_secret) {
  auto e = hpke::encap(fromHex(kPkRm), hpke::deriveKeyPair(fromHex(kIkmE)));
  BOOST_TEST(toHex(e.enc) == kPkEm);
  BOOST_TEST(toHex(e.sharedSecret) == kSharedSecret);
  BOOST_TEST(toHex(hpke::decap(fromHex(kPkEm), recipient())) == kSharedSecret);
}

BOOST_AUTO_TEST_CASE(key_schedule_gives_the_rfc_key_and_base_nonce) {
  auto ctx = hpke::Context::keySchedule(fromHex(kSharedSecret), fromHex(kInfo));
  BOOST_TEST(toHex(ctx.key()) == kKey);
  BOOST_TEST(toHex(ctx.baseNonce()) == kBaseNonce);
  BOOST_TEST(ctx.seq() == 0u);
}

BOOST_AUTO_TEST_CASE(context_nonces_and_ciphertexts_match_every_rfc_sequence_number) {
  auto sender = hpke::Context::keySchedule(fromHex(kSharedSecret), fromHex(kInfo));
  auto receiver = hpke::Context::keySchedule(fromHex(kSharedSecret), fromHex(kInfo));
  std::size_t next = 0;
  for (std::uint64_t seq = 0; seq <= 256; ++seq) {
    BOOST_TEST_CONTEXT("seq " << seq) {
      const bool listed = next < std::size(kEncryptions) && kEncryptions[next].seq == seq;
      // Sequence numbers the RFC does not list still advance both contexts, as RFC 9180 5.2 says.
      Bytes aad = listed ? fromHex(kEncryptions[next].aad) : Bytes{};
      Bytes ct = sender.seal(aad, fromHex(kPt));
      Bytes pt = receiver.open(aad, ct);
      BOOST_TEST(toHex(pt) == kPt);
      if (listed) {
        BOOST_TEST(toHex(sender.nonce(seq)) == kEncryptions[next].nonce);
        BOOST_TEST(toHex(ct) == kEncryptions[next].ct);
        ++next;
      }
    }
  }
  BOOST_TEST(next == std::size(kEncryptions));
  BOOST_TEST(sender.seq() == 257u);
}

BOOST_AUTO_TEST_CASE(single_shot_seal_and_open_match_the_first_rfc_encryption) {
  auto sealed = sealVector();
  BOOST_TEST(toHex(sealed.enc) == kPkEm);
  BOOST_TEST(toHex(sealed.ct) == kEncryptions[0].ct);
  Bytes pt = hpke::openBase(recipient(), fromHex(kPkEm), fromHex(kInfo),
                            fromHex(kEncryptions[0].aad), fromHex(kEncryptions[0].ct));
  BOOST_TEST(toHex(pt) == kPt);
}

BOOST_AUTO_TEST_CASE(open_refuses_wrong_key_aad_info_ciphertext_or_enc) {
  const Bytes enc = fromHex(kPkEm);
  const Bytes info = fromHex(kInfo);
  const Bytes aad = fromHex(kEncryptions[0].aad);
  const Bytes ct = fromHex(kEncryptions[0].ct);

  BOOST_CHECK_THROW(hpke::openBase(hpke::X25519KeyPair::generate(), enc, info, aad, ct),
                    IntegrityError);
  Bytes otherAad = aad;
  otherAad.back() ^= 0x01;
  BOOST_CHECK_THROW(hpke::openBase(recipient(), enc, info, otherAad, ct), IntegrityError);
  Bytes otherInfo = info;
  otherInfo[0] ^= 0x01;
  BOOST_CHECK_THROW(hpke::openBase(recipient(), enc, otherInfo, aad, ct), IntegrityError);
  for (std::size_t i = 0; i < ct.size(); ++i) {
    Bytes bad = ct;
    bad[i] ^= 0x01;
    BOOST_CHECK_THROW(hpke::openBase(recipient(), enc, info, aad, bad), IntegrityError);
  }
  for (std::size_t i = 0; i < enc.size(); ++i) {
    Bytes bad = enc;
    bad[i] ^= 0x01;
    BOOST_CHECK_THROW(hpke::openBase(recipient(), bad, info, aad, ct), IntegrityError);
  }
  // Malformed: a short enc, a ciphertext shorter than its tag, an all-zero (low-order) enc.
  BOOST_CHECK_THROW(hpke::openBase(recipient(), Bytes(31, 7), info, aad, ct), IntegrityError);
  BOOST_CHECK_THROW(hpke::openBase(recipient(), enc, info, aad, Bytes(15, 0)), IntegrityError);
  BOOST_CHECK_THROW(hpke::openBase(recipient(), Bytes(32, 0), info, aad, ct), IntegrityError);
}

BOOST_AUTO_TEST_CASE(seal_refuses_an_unusable_recipient_key) {
  BOOST_CHECK_THROW(hpke::sealBase(Bytes(31, 1), {}, {}, asBytes("x")), vigil::CryptoError);
  BOOST_CHECK_THROW(hpke::sealBase(Bytes(32, 0), {}, {}, asBytes("x")), vigil::CryptoError);
}

BOOST_AUTO_TEST_CASE(fresh_seals_round_trip_and_differ_each_time) {
  auto r = hpke::X25519KeyPair::generate();
  auto a = hpke::sealBase(r.publicKey(), asBytes("vigil.cloud.v1"), asBytes("h"), asBytes("{}"));
  auto b = hpke::sealBase(r.publicKey(), asBytes("vigil.cloud.v1"), asBytes("h"), asBytes("{}"));
  BOOST_TEST(a.enc != b.enc);
  BOOST_TEST(a.ct != b.ct);
  BOOST_TEST(toString(hpke::openBase(r, a.enc, asBytes("vigil.cloud.v1"), asBytes("h"), a.ct)) ==
             "{}");
  // An empty payload seals to the tag alone and opens to nothing.
  auto empty = hpke::sealBase(r.publicKey(), {}, {}, {});
  BOOST_TEST(empty.ct.size() == hpke::kTagSize);
  BOOST_TEST(hpke::openBase(r, empty.enc, {}, {}, empty.ct).empty());
}

BOOST_AUTO_TEST_SUITE_END()
