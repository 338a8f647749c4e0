#include "vigil/crypto/ed25519.hpp"

#include <boost/test/unit_test.hpp>

using namespace vigil::crypto;

BOOST_AUTO_TEST_SUITE(Ed25519)

BOOST_AUTO_TEST_CASE(matches_rfc8032_test_1) {
  Ed25519Signer signer{
      Key256{fromHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")}};
  BOOST_TEST(toHex(signer.publicKey()) ==
             "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  Bytes sig = signer.sign({});
  BOOST_TEST(toHex(sig) ==
             "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e"
             "39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
  BOOST_TEST(ed25519Verify(signer.publicKey(), {}, sig));
}

BOOST_AUTO_TEST_CASE(verify_refuses_changed_message_signature_or_key) {
  auto signer = Ed25519Signer::generate();
  Bytes sig = signer.sign(asBytes("checkpoint 42"));
  BOOST_TEST(ed25519Verify(signer.publicKey(), asBytes("checkpoint 42"), sig));
  BOOST_TEST(!ed25519Verify(signer.publicKey(), asBytes("checkpoint 43"), sig));
  Bytes bad = sig;
  bad[10] ^= 1;
  BOOST_TEST(!ed25519Verify(signer.publicKey(), asBytes("checkpoint 42"), bad));
  BOOST_TEST(!ed25519Verify(Ed25519Signer::generate().publicKey(), asBytes("checkpoint 42"), sig));
  BOOST_TEST(!ed25519Verify(Bytes(5, 0), asBytes("checkpoint 42"), sig));
}

BOOST_AUTO_TEST_SUITE_END()
