#include "vigil/sync/envelope.hpp"

#include <boost/test/unit_test.hpp>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vigil/core/error.hpp"
#include "vigil/core/json_text.hpp"
#include "vigil/core/time.hpp"
#include "vigil/crypto/ed25519.hpp"
#include "vigil/crypto/hpke.hpp"
#include "vigil/crypto/random.hpp"

using namespace vigil;
using namespace vigil::sync;
using crypto::Bytes;
using crypto::hpke::X25519KeyPair;

namespace {

// The example envelope of docs/cloud-api.md, "The envelope".
Header contractHeader() {
  Header h;
  h.v = 1;
  h.id = "0f8e3c1e-6a4b-4c1f-9e2a-5b7d2f1a9c34";
  h.stream = "claims/2026-12";
  h.seq = 17;
  h.kind = "claim.submit";
  h.from = "box-7f3a";
  h.to = "clearinghouse";
  h.createdAt = "2026-12-04T16:10:00.000Z";
  h.recipientKid = "clearinghouse-enc-2026-1";
  h.senderKid = "box-7f3a-sig-1";
  return h;
}

// Its header bytes, written out from the contract's definition (v, id, stream, seq, kind, from,
// to, createdAt, recipientKid, senderKid joined by newlines).
const std::string kContractHeaderBytes =
    "1\n0f8e3c1e-6a4b-4c1f-9e2a-5b7d2f1a9c34\nclaims/2026-12\n17\nclaim.submit\nbox-7f3a\n"
    "clearinghouse\n2026-12-04T16:10:00.000Z\nclearinghouse-enc-2026-1\nbox-7f3a-sig-1";

// A payload that stands for PHI: no error message may ever show it.
const std::string kPayload =
    R"({"claimId":"c-1","patient":{"name":"SECRET-PATIENT-NAME"},"lines":[]})";

struct Link {
  X25519KeyPair clearinghouse = X25519KeyPair::generate();
  crypto::Ed25519Signer box = crypto::Ed25519Signer::generate();

  // The box's signing keys as the clearinghouse knows them, by key id.
  std::map<std::string, Bytes, std::less<>> boxKeys{{"box-7f3a-sig-1", box.publicKey()}};

  VerifyKeyLookup lookup() const {
    return [this](std::string_view kid) -> std::optional<Bytes> {
      auto it = boxKeys.find(kid);
      if (it == boxKeys.end()) return std::nullopt;
      return it->second;
    };
  }

  Envelope sealed(const Header& h = contractHeader()) const {
    return vigil::sync::seal(h, kPayload, clearinghouse.publicKey(), box);
  }

  std::string openAsClearinghouse(const Envelope& e) const {
    return vigil::sync::open(e, clearinghouse, lookup(), "clearinghouse");
  }
};

// Runs `f` and returns the refusal reason it throws (fails the test if it throws none).
template <typename F>
std::optional<RefusalReason> refusalOf(F&& f) {
  try {
    f();
  } catch (const EnvelopeRefused& e) {
    BOOST_TEST(std::string(e.what()).find("SECRET") == std::string::npos);
    return e.reason();
  }
  BOOST_ERROR("no refusal");
  return std::nullopt;
}

// One way to change each header field after sealing (every result is still a valid header).
struct FieldChange {
  const char* field;
  std::function<void(Header&)> change;
};

const std::vector<FieldChange>& fieldChanges() {
  static const std::vector<FieldChange> changes = {
      {"id", [](Header& h) { h.id = "0f8e3c1e-6a4b-4c1f-9e2a-5b7d2f1a9c35"; }},
      {"stream", [](Header& h) { h.stream = "claims/2026-11"; }},
      {"seq", [](Header& h) { h.seq = 18; }},
      {"kind", [](Header& h) { h.kind = "rx.submit"; }},
      {"from", [](Header& h) { h.from = "box-7f3b"; }},
      {"to", [](Header& h) { h.to = "pharmacy"; }},
      {"createdAt", [](Header& h) { h.createdAt = "2026-12-04T16:10:00.001Z"; }},
      {"recipientKid", [](Header& h) { h.recipientKid = "clearinghouse-enc-2026-2"; }},
      {"senderKid", [](Header& h) { h.senderKid = "box-7f3a-sig-2"; }},
  };
  return changes;
}

// An envelope's JSON written field by field: `changes` replaces a field's raw JSON value, or
// drops the field (nullopt); names not among the fields are appended.
std::string jsonWith(const Envelope& e,
                     const std::map<std::string, std::optional<std::string>>& changes = {}) {
  const Header& h = e.header;
  const std::vector<std::pair<std::string, std::string>> fields = {
      {"v", std::to_string(h.v)},
      {"id", core::jsonString(h.id)},
      {"stream", core::jsonString(h.stream)},
      {"seq", std::to_string(h.seq)},
      {"kind", core::jsonString(h.kind)},
      {"from", core::jsonString(h.from)},
      {"to", core::jsonString(h.to)},
      {"createdAt", core::jsonString(h.createdAt)},
      {"recipientKid", core::jsonString(h.recipientKid)},
      {"senderKid", core::jsonString(h.senderKid)},
      {"enc", core::jsonString(e.enc)},
      {"ct", core::jsonString(e.ct)},
      {"sig", core::jsonString(e.sig)},
  };
  std::string out = "{";
  auto add = [&out](const std::string& name, const std::string& value) {
    if (out.size() > 1) out += ",";
    out += core::jsonString(name) + ":" + value;
  };
  for (const auto& [name, value] : fields) {
    auto it = changes.find(name);
    if (it == changes.end())
      add(name, value);
    else if (it->second)
      add(name, *it->second);
  }
  for (const auto& [name, value] : changes) {
    bool known = false;
    for (const auto& field : fields) known = known || field.first == name;
    if (!known && value) add(name, *value);
  }
  return out + "}";
}

// The ValidationError message fromJson throws for `json` (fails the test if it throws none).
std::string refusalMessage(const std::string& json) {
  try {
    Envelope::fromJson(json);
  } catch (const vigil::ValidationError& e) {
    return e.what();
  }
  BOOST_ERROR("fromJson accepted it");
  return {};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(EnvelopeFormat)

BOOST_AUTO_TEST_CASE(header_bytes_are_the_contract_fields_joined_by_newlines) {
  BOOST_TEST(headerBytes(contractHeader()) == kContractHeaderBytes);
}

BOOST_AUTO_TEST_CASE(created_at_text_is_rfc3339_utc_with_milliseconds) {
  auto t = core::parseRfc3339("2026-12-04T16:10:00Z");
  BOOST_REQUIRE(t.has_value());
  BOOST_TEST(createdAtText(*t) == "2026-12-04T16:10:00.000Z");
}

BOOST_AUTO_TEST_CASE(to_json_writes_the_contract_fields_in_order) {
  Envelope e{contractHeader(), "ZW5j", "Y3Q=", "c2ln"};
  BOOST_TEST(e.toJson() ==
             R"({"v":1,"id":"0f8e3c1e-6a4b-4c1f-9e2a-5b7d2f1a9c34","stream":"claims/2026-12",)"
             R"("seq":17,"kind":"claim.submit","from":"box-7f3a","to":"clearinghouse",)"
             R"("createdAt":"2026-12-04T16:10:00.000Z","recipientKid":"clearinghouse-enc-2026-1",)"
             R"("senderKid":"box-7f3a-sig-1","enc":"ZW5j","ct":"Y3Q=","sig":"c2ln"})");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(EnvelopeSealing)

BOOST_AUTO_TEST_CASE(round_trips_through_json_and_opens_to_the_payload) {
  Link link;
  Envelope e = link.sealed();
  BOOST_TEST((e.header == contractHeader()));
  BOOST_TEST(e.toJson().find("SECRET") == std::string::npos);
  Envelope parsed = Envelope::fromJson(e.toJson());
  BOOST_TEST((parsed == e));
  BOOST_TEST(link.openAsClearinghouse(parsed) == kPayload);
  // Two seals of one entry (a retry re-sealed) never share enc or ct.
  Envelope again = link.sealed();
  BOOST_TEST(again.enc != e.enc);
  BOOST_TEST(again.ct != e.ct);
}

BOOST_AUTO_TEST_CASE(seals_and_signs_exactly_as_the_contract_says) {
  // Checked with the primitives and the contract's byte strings, not with the envelope's code.
  Link link;
  Envelope e = link.sealed();
  Bytes enc = crypto::fromBase64(e.enc);
  Bytes ct = crypto::fromBase64(e.ct);
  Bytes sig = crypto::fromBase64(e.sig);
  BOOST_TEST(enc.size() == 32u);
  BOOST_TEST(sig.size() == 64u);
  BOOST_TEST(ct.size() == kPayload.size() + 16);
  std::string signedText = kContractHeaderBytes + "\n" + e.enc + "\n" + e.ct;
  BOOST_TEST(crypto::ed25519Verify(link.box.publicKey(), crypto::asBytes(signedText), sig));
  Bytes pt = crypto::hpke::openBase(link.clearinghouse, enc, crypto::asBytes("vigil.cloud.v1"),
                                    crypto::asBytes(kContractHeaderBytes), ct);
  BOOST_TEST(crypto::toString(pt) == kPayload);
}

BOOST_AUTO_TEST_CASE(a_header_field_changed_after_sealing_fails_the_signature) {
  Link link;
  link.boxKeys["box-7f3a-sig-2"] = link.box.publicKey();  // so a changed senderKid is known
  const Envelope good = link.sealed();
  for (const auto& [field, change] : fieldChanges()) {
    BOOST_TEST_CONTEXT(field) {
      Envelope e = good;
      change(e.header);
      // Opened as whoever the changed header names, so only the signature can refuse it.
      auto reason =
          refusalOf([&] { vigil::sync::open(e, link.clearinghouse, link.lookup(), e.header.to); });
      BOOST_TEST((reason == RefusalReason::badSignature));
    }
  }
  for (std::string Envelope::*part : {&Envelope::enc, &Envelope::ct}) {
    Envelope e = good;
    Bytes bytes = crypto::fromBase64(e.*part);
    bytes[0] ^= 0x01;
    e.*part = crypto::toBase64(bytes);
    BOOST_TEST((refusalOf([&] { link.openAsClearinghouse(e); }) == RefusalReason::badSignature));
  }
  Envelope otherSigner = good;
  otherSigner.sig = crypto::toBase64(
      crypto::Ed25519Signer::generate().sign(crypto::asBytes(signedBytes(otherSigner))));
  BOOST_TEST(
      (refusalOf([&] { link.openAsClearinghouse(otherSigner); }) == RefusalReason::badSignature));
  Envelope notBase64 = good;
  notBase64.sig = "not base64!";
  BOOST_TEST(
      (refusalOf([&] { link.openAsClearinghouse(notBase64); }) == RefusalReason::badSignature));
  // Another version is not a signature question: the header is refused as such.
  Envelope v2 = good;
  v2.header.v = 2;
  BOOST_CHECK_THROW(link.openAsClearinghouse(v2), vigil::ValidationError);
}

BOOST_AUTO_TEST_CASE(a_changed_header_signed_again_still_does_not_open) {
  // The sender's key signs a changed header over the old enc and ct (a confused or malicious
  // sender, or a stolen signing key): the header is the additional data, so nothing opens.
  Link link;
  link.boxKeys["box-7f3a-sig-2"] = link.box.publicKey();
  const Envelope good = link.sealed();
  for (const auto& [field, change] : fieldChanges()) {
    BOOST_TEST_CONTEXT(field) {
      Envelope e = good;
      change(e.header);
      e.sig = crypto::toBase64(link.box.sign(crypto::asBytes(signedBytes(e))));
      auto reason =
          refusalOf([&] { vigil::sync::open(e, link.clearinghouse, link.lookup(), e.header.to); });
      BOOST_TEST((reason == RefusalReason::doesNotOpen));
    }
  }
}

BOOST_AUTO_TEST_CASE(an_envelope_for_another_receiver_is_not_for_me) {
  Link link;
  Header h = contractHeader();
  h.to = "pharmacy";
  h.recipientKid = "pharmacy-enc-1";
  Envelope e = link.sealed(h);
  BOOST_TEST((refusalOf([&] { link.openAsClearinghouse(e); }) == RefusalReason::notForMe));
  // `to` is checked before anything is opened: the clearinghouse's key never meets the payload.
  auto pharmacy = X25519KeyPair::generate();
  BOOST_TEST((refusalOf([&] { vigil::sync::open(e, pharmacy, link.lookup(), "clearinghouse"); }) ==
              RefusalReason::notForMe));
}

BOOST_AUTO_TEST_CASE(an_unknown_sender_key_id_is_refused_before_the_signature) {
  Link link;
  Header h = contractHeader();
  h.senderKid = "box-7f3a-sig-9";
  Envelope e = link.sealed(h);
  BOOST_TEST((refusalOf([&] { link.openAsClearinghouse(e); }) == RefusalReason::unknownKey));
  e.sig = "AAAA";
  BOOST_TEST((refusalOf([&] { link.openAsClearinghouse(e); }) == RefusalReason::unknownKey));
  auto err = EnvelopeRefused(RefusalReason::unknownKey, e.header.id);
  BOOST_TEST(std::string(err.what()) ==
             "envelope 0f8e3c1e-6a4b-4c1f-9e2a-5b7d2f1a9c34: refused (unknown_key)");
}

BOOST_AUTO_TEST_CASE(a_captured_envelope_does_not_open_with_another_key) {
  Link link;
  const std::string captured = link.sealed().toJson();
  Envelope e = Envelope::fromJson(captured);
  auto eavesdropper = X25519KeyPair::generate();
  BOOST_TEST((refusalOf([&] {
                vigil::sync::open(e, eavesdropper, link.lookup(), "clearinghouse");
              }) == RefusalReason::doesNotOpen));
  BOOST_TEST(link.openAsClearinghouse(e) == kPayload);
}

BOOST_AUTO_TEST_CASE(reason_words_are_the_contracts) {
  BOOST_TEST(reasonText(RefusalReason::unknownKey) == "unknown_key");
  BOOST_TEST(reasonText(RefusalReason::badSignature) == "bad_signature");
  BOOST_TEST(reasonText(RefusalReason::doesNotOpen) == "does_not_open");
  BOOST_TEST(reasonText(RefusalReason::notForMe) == "not_for_me");
}

BOOST_AUTO_TEST_CASE(seal_refuses_a_bad_header_an_oversized_payload_or_a_bad_key) {
  Link link;
  Header h = contractHeader();
  h.stream = "claims\nSECRET";
  BOOST_CHECK_THROW(link.sealed(h), vigil::ValidationError);
  h = contractHeader();
  h.seq = 0;
  BOOST_CHECK_THROW(link.sealed(h), vigil::ValidationError);
  std::string big(kMaxPayloadBytes + 1, 'x');
  BOOST_CHECK_THROW(
      vigil::sync::seal(contractHeader(), big, link.clearinghouse.publicKey(), link.box),
      vigil::ValidationError);
  std::string largest(kMaxPayloadBytes, 'x');
  Envelope e =
      vigil::sync::seal(contractHeader(), largest, link.clearinghouse.publicKey(), link.box);
  BOOST_TEST(e.toJson().size() <= kMaxEnvelopeBytes);
  BOOST_TEST(link.openAsClearinghouse(Envelope::fromJson(e.toJson())) == largest);
  BOOST_CHECK_THROW(vigil::sync::seal(contractHeader(), kPayload, Bytes(31, 1), link.box),
                    vigil::CryptoError);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(EnvelopeFromJson)

BOOST_AUTO_TEST_CASE(accepts_the_contract_text_written_by_hand) {
  Link link;
  Envelope e = link.sealed();
  Envelope parsed = Envelope::fromJson(jsonWith(e));
  BOOST_TEST((parsed == e));
  // White space and field order are the writer's business.
  std::string spaced = jsonWith(e, {{"sig", std::nullopt}});
  spaced = "{ \"sig\" : " + core::jsonString(e.sig) + " , " + spaced.substr(1);
  BOOST_TEST((Envelope::fromJson(spaced) == e));
}

BOOST_AUTO_TEST_CASE(refuses_bad_fields_naming_the_field_never_the_content) {
  Link link;
  const Envelope e = link.sealed();
  const std::string b64_31 = core::jsonString(crypto::toBase64(Bytes(31, 1)));
  const std::string b64_15 = core::jsonString(crypto::toBase64(Bytes(15, 1)));
  const std::string b64_63 = core::jsonString(crypto::toBase64(Bytes(63, 1)));
  struct Case {
    std::map<std::string, std::optional<std::string>> changes;
    const char* field;  // the message starts with "envelope.<field>:"
  };
  const std::vector<Case> cases = {
      {{{"v", "2"}}, "v"},
      {{{"v", "\"1\""}}, "v"},
      {{{"v", "true"}}, "v"},
      {{{"v", "1.0"}}, "v"},
      {{{"v", std::nullopt}}, "v"},
      {{{"id", std::nullopt}}, "id"},
      {{{"id", "5"}}, "id"},
      {{{"id", "\"SECRET-not-a-uuid\""}}, "id"},
      {{{"id", "\"0f8e3c1e-6a4b-4c1f-9e2a-5b7d2f1a9c3\""}}, "id"},
      {{{"stream", "\"\""}}, "stream"},
      {{{"stream", "\"claims\\nSECRET\""}}, "stream"},
      {{{"stream", "\"claims SECRET\""}}, "stream"},
      {{{"stream", core::jsonString(std::string(129, 'S'))}}, "stream"},
      {{{"stream", "[\"SECRET\"]"}}, "stream"},
      {{{"seq", "\"17\""}}, "seq"},
      {{{"seq", "17.5"}}, "seq"},
      {{{"seq", "0"}}, "seq"},
      {{{"seq", "-3"}}, "seq"},
      {{{"seq", "false"}}, "seq"},
      {{{"seq", "null"}}, "seq"},
      {{{"seq", "18446744073709551615"}}, "seq"},
      {{{"seq", std::nullopt}}, "seq"},
      {{{"kind", "\"claim submit\""}}, "kind"},
      {{{"kind", "\"\""}}, "kind"},
      {{{"from", "\"box\\u0007SECRET\""}}, "from"},
      {{{"from", std::nullopt}}, "from"},
      {{{"to", "\"clearinghouse\\n\""}}, "to"},
      {{{"to", "{}"}}, "to"},
      {{{"createdAt", "\"SECRET yesterday\""}}, "createdAt"},
      {{{"createdAt", "\"2026-12-04T17:10:00.000+01:00\""}}, "createdAt"},
      {{{"createdAt", "\"2026-12-04\""}}, "createdAt"},
      {{{"recipientKid", core::jsonString(std::string(65, 'k'))}}, "recipientKid"},
      {{{"recipientKid", "\"\""}}, "recipientKid"},
      {{{"senderKid", "\"box/SECRET\""}}, "senderKid"},
      {{{"senderKid", std::nullopt}}, "senderKid"},
      {{{"enc", "\"SECRET!!\""}}, "enc"},
      {{{"enc", b64_31}}, "enc"},
      {{{"enc", std::nullopt}}, "enc"},
      {{{"enc", "32"}}, "enc"},
      {{{"ct", b64_15}}, "ct"},
      {{{"ct", "\"AAAA AAAA\""}}, "ct"},
      {{{"ct", "\"AA\""}}, "ct"},
      {{{"sig", b64_63}}, "sig"},
      {{{"sig", "\"-_-_\""}}, "sig"},
      {{{"sig", std::nullopt}}, "sig"},
  };
  for (const auto& c : cases) {
    std::string json = jsonWith(e, c.changes);
    BOOST_TEST_CONTEXT(json.substr(0, 160)) {
      std::string message = refusalMessage(json);
      BOOST_TEST(message.rfind(std::string("envelope.") + c.field + ":", 0) == 0,
                 "message: " << message);
      BOOST_TEST(message.find("SECRET") == std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(refuses_what_is_not_one_envelope_object) {
  Link link;
  const Envelope e = link.sealed();
  BOOST_TEST(refusalMessage("") == "envelope: not a JSON object");
  BOOST_TEST(refusalMessage("{\"v\":1,\"id\":\"SECRET") == "envelope: not a JSON object");
  BOOST_TEST(refusalMessage("[1]") == "envelope: not a JSON object");
  BOOST_TEST(refusalMessage("\"SECRET\"") == "envelope: not a JSON object");
  BOOST_TEST(refusalMessage("null") == "envelope: not a JSON object");
  BOOST_TEST(refusalMessage(jsonWith(e, {{"SECRET", "1"}})) == "envelope: unexpected field");
  BOOST_TEST(refusalMessage(jsonWith(e, {{"payload", "\"SECRET\""}})) ==
             "envelope: unexpected field");
  // A version 2 envelope with fields of its own is refused for its version, not its fields.
  BOOST_TEST(refusalMessage(jsonWith(e, {{"v", "2"}, {"aead", "2"}})).rfind("envelope.v:", 0) == 0);
  std::string oversized =
      jsonWith(e, {{"ct", core::jsonString(std::string(kMaxEnvelopeBytes, 'A'))}});
  BOOST_TEST(refusalMessage(oversized) == "envelope: larger than 1048576 bytes");
}

BOOST_AUTO_TEST_SUITE_END()
