// Signed artefacts (issue 27): key ids, the signature file's round trip, and each refusal
// (an untrusted key, a key id that names another key, a flipped byte, another purpose, a
// malformed file). Key ids are checked against SHA-256 of the public key computed here from
// the definition in the header, not read back from the code's own output.
#include "vigil/crypto/signed_artefact.hpp"

#include <boost/test/unit_test.hpp>

#include "vigil/crypto/hash.hpp"
#include "vigil/crypto/random.hpp"

using namespace vigil::crypto;

namespace {

Digest256 digestOf(std::string_view data) {
  return sha256(asBytes(data));
}

struct Keys {
  Key256 seedA = randomKey(), seedB = randomKey();
  Ed25519Signer a{seedA}, b{seedB};
  TrustedKey trustedA{keyIdOf(a.publicKey()), a.publicKey()};
  TrustedKey trustedB{keyIdOf(b.publicKey()), b.publicKey()};
};

SignatureRefusal refusal(const ArtefactSignature& s, std::string_view purpose,
                         std::string_view data, std::span<const TrustedKey> trusted) {
  try {
    verifyArtefact(s, purpose, data.size(), digestOf(data), trusted);
  } catch (const SignatureError& e) {
    return e.reason;
  }
  BOOST_FAIL("accepted");
  return SignatureRefusal::malformed;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(SignedArtefact)

BOOST_AUTO_TEST_CASE(key_id_is_the_first_eight_bytes_of_the_keys_sha256) {
  Keys k;
  auto pub = k.a.publicKey();
  auto d = sha256(pub);
  BOOST_TEST(keyIdOf(pub) == toHex(ByteView(d.data(), 8)));
  BOOST_TEST(keyIdOf(pub).size() == 16u);
  auto parsed = parsePublicKey(formatPublicKey(pub));
  BOOST_TEST(parsed.id == keyIdOf(pub));
  BOOST_TEST((parsed.publicKey == pub));
  auto seed = parseSigningKey(formatSigningKey(k.seedA));
  BOOST_TEST((Ed25519Signer(seed).publicKey() == pub));
}

BOOST_AUTO_TEST_CASE(a_signature_round_trips_and_verifies) {
  Keys k;
  const std::string data = "firmware image bytes \x01\x02\x03";
  auto s = signArtefact(k.a, "firmware", "cuff-fw-1.4.3.bin", data.size(), digestOf(data));
  auto text = formatSignature(s);
  BOOST_TEST(text.starts_with("vigil-signature v1\nkey-id: " + k.trustedA.id + "\n"));
  auto back = parseSignature(text);
  std::vector<TrustedKey> trusted{k.trustedB, k.trustedA};
  const auto& by = verifyArtefact(back, "firmware", data.size(), digestOf(data), trusted);
  BOOST_TEST(by.id == k.trustedA.id);
  BOOST_TEST(back.name == "cuff-fw-1.4.3.bin");
}

BOOST_AUTO_TEST_CASE(each_refusal_has_its_reason) {
  Keys k;
  const std::string data(4096, 'x');
  auto s = signArtefact(k.a, "release", "vigil_0.2.0_amd64.deb", data.size(), digestOf(data));
  std::vector<TrustedKey> onlyB{k.trustedB}, both{k.trustedA, k.trustedB};
  // Signed by a key the box does not trust.
  BOOST_TEST((refusal(s, "release", data, onlyB) == SignatureRefusal::untrustedKey));
  // A flipped byte in the file.
  auto flipped = data;
  flipped[100] = 'y';
  BOOST_TEST((refusal(s, "release", flipped, both) == SignatureRefusal::digestMismatch));
  // A byte more.
  BOOST_TEST((refusal(s, "release", data + "!", both) == SignatureRefusal::digestMismatch));
  // The key id changed to another trusted key's: the signature is not that key's.
  auto wrongId = s;
  wrongId.keyId = k.trustedB.id;
  BOOST_TEST((refusal(wrongId, "release", data, both) == SignatureRefusal::badSignature));
  // The purpose edited in the file: covered by the signature.
  auto edited = s;
  edited.purpose = "firmware";
  BOOST_TEST((refusal(edited, "firmware", data, both) == SignatureRefusal::badSignature));
  // A release signature offered as firmware.
  BOOST_TEST((refusal(s, "firmware", data, both) == SignatureRefusal::wrongPurpose));
  // A flipped bit in the signature itself.
  auto badSig = s;
  badSig.signature[10] ^= 0x01;
  BOOST_TEST((refusal(badSig, "release", data, both) == SignatureRefusal::badSignature));
}

BOOST_AUTO_TEST_CASE(malformed_files_are_refused) {
  Keys k;
  auto text = formatSignature(signArtefact(k.a, "firmware", "fw.bin", 3, digestOf("abc")));
  auto refuse = [](const std::string& t) {
    try {
      parseSignature(t);
    } catch (const SignatureError& e) {
      return e.reason == SignatureRefusal::malformed;
    }
    return false;
  };
  BOOST_TEST(refuse(""));
  BOOST_TEST(refuse("vigil-signature v2\n" + text.substr(text.find('\n') + 1)));
  BOOST_TEST(refuse(text + "extra: field\n"));
  BOOST_TEST(refuse(text.substr(0, text.find("signature: "))));
  std::string badSize = text;
  badSize.replace(badSize.find("size: 3"), 7, "size: 3x");
  BOOST_TEST(refuse(badSize));
  // A public key file whose id is not its key's.
  auto pub = formatPublicKey(k.a.publicKey());
  pub.replace(pub.find(k.trustedA.id), 16, k.trustedB.id);
  BOOST_CHECK_THROW(parsePublicKey(pub), SignatureError);
}

BOOST_AUTO_TEST_SUITE_END()
