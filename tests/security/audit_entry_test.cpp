#include "vigil/security/audit_entry.hpp"

#include <boost/test/unit_test.hpp>

using namespace vigil::security;
namespace crypto = vigil::crypto;

namespace {

AuditEntry sample() {
  AuditEntry e;
  e.seq = 7;
  e.time = fromMicros(1'800'000'000'123'456);
  e.event = {10,          "provider", "patient.get", "patient", "100", 100, AuditOutcome::success,
             "care_team", false};
  e.prevHash.fill(0x11);
  return e;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(AuditEntry_)

BOOST_AUTO_TEST_CASE(hash_covers_every_field) {
  AuditEntry base = sample();
  auto h = computeEntryHash(base);
  std::vector<AuditEntry> changed(13, base);
  changed[0].seq = 8;
  changed[1].time += std::chrono::microseconds{1};
  changed[2].event.actorId = 11;
  changed[3].event.actorRole = "nurse";
  changed[4].event.action = "patient.update";
  changed[5].event.objectType = "note";
  changed[6].event.objectId = "101";
  changed[7].event.patientId = 101;
  changed[8].event.patientId.reset();
  changed[9].event.outcome = AuditOutcome::denied;
  changed[10].event.reason = "break_glass";
  changed[11].event.breakGlass = true;
  changed[12].prevHash[31] ^= 1;
  for (const auto& c : changed) BOOST_TEST((computeEntryHash(c) != h));
  BOOST_TEST((computeEntryHash(base) == h));
}

BOOST_AUTO_TEST_CASE(length_prefixes_keep_field_boundaries) {
  AuditEntry a = sample();
  AuditEntry b = sample();
  a.event.objectType = "pa";
  a.event.objectId = "tient";
  b.event.objectType = "patient";
  b.event.objectId = "";
  BOOST_TEST((computeEntryHash(a) != computeEntryHash(b)));
}

BOOST_AUTO_TEST_CASE(checkpoint_signature_verifies_only_unchanged) {
  auto signer = crypto::Ed25519Signer::generate();
  auto h = computeEntryHash(sample());
  auto cp = signCheckpoint(signer, 7, h, fromMicros(1'800'000'000'000'000));
  BOOST_TEST(verifyCheckpoint(cp, signer.publicKey()));
  auto other = cp;
  other.seq = 8;
  BOOST_TEST(!verifyCheckpoint(other, signer.publicKey()));
  other = cp;
  other.hash[0] ^= 1;
  BOOST_TEST(!verifyCheckpoint(other, signer.publicKey()));
  other = cp;
  other.time += std::chrono::seconds{1};
  BOOST_TEST(!verifyCheckpoint(other, signer.publicKey()));
  BOOST_TEST(!verifyCheckpoint(cp, crypto::Ed25519Signer::generate().publicKey()));
}

BOOST_AUTO_TEST_CASE(formats_time_as_rfc3339_utc_with_microseconds) {
  BOOST_TEST(formatUtc(fromMicros(0)) == "1970-01-01T00:00:00.000000Z");
  BOOST_TEST(formatUtc(fromMicros(1'800'000'000'123'456)) == "2027-01-15T08:00:00.123456Z");
  BOOST_TEST(toMicros(fromMicros(42)) == 42);
}

BOOST_AUTO_TEST_CASE(outcomes_round_trip) {
  for (auto o : {AuditOutcome::success, AuditOutcome::denied, AuditOutcome::failure})
    BOOST_TEST((parseAuditOutcome(toString(o)) == o));
  BOOST_TEST(!parseAuditOutcome("maybe"));
}

BOOST_AUTO_TEST_SUITE_END()
