#define BOOST_TEST_MODULE patients
#include "vigil/patients/consent.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>

#include "security_fixture.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/access_guard.hpp"

using namespace std::chrono_literals;
using vigil::AccessDenied;
using vigil::NotFound;
using vigil::ValidationError;
using vigil::patients::ConsentConflict;
using vigil::patients::ConsentKind;
using vigil::patients::ConsentService;
using vigil::patients::NewConsentDocument;
using vigil::patients::SignRequest;
using vigil::security::Actor;
using vigil::security::Role;

namespace vigil::security {
inline std::ostream& operator<<(std::ostream& os, AuditOutcome o) {
  return os << toString(o);
}
}  // namespace vigil::security

namespace {

// SHA-256 of the exact bytes, computed by hand with `printf %s '<text>' | sha256sum` (and
// `printf '%s\n'` for the text that ends in a newline).
constexpr const char* kTextV1 = "I agree to receive care by video.";
constexpr const char* kShaV1 = "94b2cb73c19f93609c034babb9c57cfe48113b4a7284c722d1a3a148902adc38";
constexpr const char* kTextV2 = "I agree to receive care by video. Version 2.";
constexpr const char* kShaV2 = "1a466ed788b556dab5290a11116f299e7cc9af7ee1e1c6a39725328da3362960";
constexpr const char* kTextUtf8 = "Je consens aux soins par vid\xc3\xa9o.\n";
constexpr const char* kShaUtf8 = "c85d7ea40d3b4344857b390782ef4e2f77919288e28b79dd8ccc8bcd69ed295b";

struct ConsentFixture : vigil::security::test::SecurityFixture {
  vigil::registry::PatientRepository records{*db, keys->cipher(), keys->blindIndex(), clock};
  ConsentService consents{*db, *audit, keys->cipher(), records, clock};
  std::int64_t patientId = 0, otherPatientId = 0;
  Actor patient{0, Role::patient, std::nullopt};
  Actor otherPatient{0, Role::patient, std::nullopt};
  Actor provider{0, Role::provider, std::nullopt};
  Actor strangerProvider{0, Role::provider, std::nullopt};

  explicit ConsentFixture(const std::string& given = "Ana", const std::string& family = "Silva") {
    patientId = records.create({0, "MRN-C1", given, family, "1956-03-02", "UTC", "", {}, true});
    otherPatientId =
        records.create({0, "MRN-C2", "Ben", "Okoro", "1961-07-19", "UTC", "", {}, true});
    patient = {user(Role::patient, "ana@home.example", "patient passphrase 2026", patientId),
               Role::patient, patientId};
    otherPatient = {
        user(Role::patient, "ben@home.example", "other passphrase 2026", otherPatientId),
        Role::patient, otherPatientId};
    provider.id = user(Role::provider, "dr@clinic.example", "provider passphrase 2026");
    strangerProvider.id = user(Role::provider, "dr2@clinic.example", "provider2 passphrase 2026");
    db->writeSync([&](vigil::store::Connection& c) {
      vigil::security::SqliteCareTeam::assignIn(c, provider.id, patientId, admin.id, clock.now());
    });
  }

  vigil::patients::ConsentDocument publish(ConsentKind kind, const std::string& body,
                                           bool resign = false) {
    NewConsentDocument d;
    d.kind = kind;
    d.title = "Consent";
    d.body = body;
    d.requiresResign = resign;
    return consents.publish(admin, d);
  }

  SignRequest request(const vigil::patients::ConsentDocument& doc,
                      const std::string& name = "Ana Silva") const {
    SignRequest r;
    r.documentId = doc.id;
    r.documentSha256 = doc.sha256;
    r.typedName = name;
    r.agreed = true;
    r.signerIp = "192.0.2.10";
    return r;
  }

  bool active(ConsentKind kind = ConsentKind::telehealth) {
    return consents.hasActiveConsent(patientId, kind);
  }
  std::int64_t rows(const std::string& sql) {
    return db->read(
        [&](vigil::store::Connection& c) { return c.queryValue<std::int64_t>(sql).value_or(-1); });
  }
};

std::string fileBytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ConsentDocuments)

BOOST_FIXTURE_TEST_CASE(versions_count_per_kind_and_hash_the_exact_text, ConsentFixture) {
  auto v1 = publish(ConsentKind::telehealth, kTextV1);
  auto v2 = publish(ConsentKind::telehealth, kTextV2);
  auto rpm = publish(ConsentKind::rpm, kTextUtf8);
  BOOST_TEST(v1.version == 1);
  BOOST_TEST(v2.version == 2);
  BOOST_TEST(rpm.version == 1);
  BOOST_TEST(v1.sha256 == kShaV1);
  BOOST_TEST(v2.sha256 == kShaV2);
  BOOST_TEST(rpm.sha256 == kShaUtf8);  // the trailing newline and the é's two bytes count
  auto read = consents.document(patient, v1.id);
  BOOST_TEST(read.body == kTextV1);
  BOOST_TEST(read.publishedBy == admin.id);
  auto all = consents.documents(provider);
  BOOST_TEST(all.size() == 3u);
  BOOST_CHECK_THROW(consents.document(patient, 9999), NotFound);
}

BOOST_FIXTURE_TEST_CASE(only_admins_publish_and_bad_text_is_refused, ConsentFixture) {
  NewConsentDocument d;
  d.title = "Telehealth consent";
  d.body = kTextV1;
  BOOST_CHECK_THROW(consents.publish(provider, d), AccessDenied);
  BOOST_CHECK_THROW(consents.publish(patient, d), AccessDenied);
  d.body = "  \n ";
  BOOST_CHECK_THROW(consents.publish(admin, d), ValidationError);
  d.body = kTextV1;
  d.title = "";
  BOOST_CHECK_THROW(consents.publish(admin, d), ValidationError);
  BOOST_TEST(rows("SELECT count(*) FROM consent_documents") == 0);
  auto denied = lastAudit("consent_document.publish");
  BOOST_REQUIRE(denied.has_value());
  BOOST_TEST(denied->event.outcome == vigil::security::AuditOutcome::denied);
}

BOOST_FIXTURE_TEST_CASE(a_published_version_is_never_edited_or_deleted, ConsentFixture) {
  auto v1 = publish(ConsentKind::telehealth, kTextV1);
  BOOST_CHECK_THROW(db->writeSync([&](vigil::store::Connection& c) {
    c.execute("UPDATE consent_documents SET body = 'changed' WHERE id = ?1", v1.id);
  }),
                    vigil::StoreError);
  BOOST_CHECK_THROW(db->writeSync([&](vigil::store::Connection& c) {
    c.execute("DELETE FROM consent_documents WHERE id = ?1", v1.id);
  }),
                    vigil::StoreError);
  BOOST_TEST(consents.document(admin, v1.id).body == kTextV1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(ConsentSignatures)

BOOST_FIXTURE_TEST_CASE(signing_keeps_version_hash_time_and_the_typed_name_and_ip, ConsentFixture) {
  auto v1 = publish(ConsentKind::telehealth, kTextV1);
  BOOST_TEST(!active());
  const auto signedAt = clock.now();
  auto sig = consents.sign(patient, patientId, request(v1, "Ana Silva"));
  BOOST_TEST(active());
  BOOST_TEST(!active(ConsentKind::rpm));
  BOOST_TEST(!consents.hasActiveConsent(otherPatientId, ConsentKind::telehealth));
  auto mine = consents.consents(patient, patientId);
  BOOST_REQUIRE(mine.signatures.size() == 1u);
  const auto& s = mine.signatures.front();
  BOOST_TEST(s.id == sig.id);
  BOOST_TEST(s.documentId == v1.id);
  BOOST_TEST(s.version == 1);
  BOOST_TEST(s.documentSha256 == kShaV1);
  BOOST_TEST(s.signedBy == patient.id);
  BOOST_TEST(vigil::core::toMillis(s.signedAt) == vigil::core::toMillis(signedAt));
  BOOST_TEST(s.typedName == "Ana Silva");
  BOOST_TEST(s.signerIp == "192.0.2.10");
  BOOST_TEST(!s.withdrawnAt.has_value());
  BOOST_REQUIRE(mine.kinds.size() == 4u);
  BOOST_TEST(mine.kinds[0].active);   // telehealth
  BOOST_TEST(!mine.kinds[1].active);  // rpm: nothing published
  BOOST_TEST(!mine.kinds[1].current.has_value());
  // Stored only as ciphertexts bound to the row: moved to another row they do not decrypt.
  BOOST_TEST(rows("SELECT count(*) FROM consents WHERE typed_name_enc IS NOT NULL AND "
                  "signer_ip_enc IS NOT NULL") == 1);
  auto typedName = db->read([](vigil::store::Connection& c) {
    return *c.queryValue<vigil::store::Blob>("SELECT typed_name_enc FROM consents");
  });
  BOOST_TEST(std::string(typedName.begin(), typedName.end()).find("Ana") == std::string::npos);
  auto signedEntry = lastAudit("consent.sign");
  BOOST_REQUIRE(signedEntry.has_value());
  BOOST_TEST(signedEntry->event.outcome == vigil::security::AuditOutcome::success);
  BOOST_TEST(signedEntry->event.patientId.value_or(0) == patientId);
  BOOST_TEST(lastAudit("consent.list").has_value());
}

BOOST_FIXTURE_TEST_CASE(the_typed_name_must_be_the_record_s_name, ConsentFixture) {
  auto v1 = publish(ConsentKind::telehealth, kTextV1);
  BOOST_CHECK_THROW(consents.sign(patient, patientId, request(v1, "Ana Silvia")), ValidationError);
  BOOST_CHECK_THROW(consents.sign(patient, patientId, request(v1, "Silva Ana")), ValidationError);
  BOOST_CHECK_THROW(consents.sign(patient, patientId, request(v1, "   ")), ValidationError);
  auto unticked = request(v1);
  unticked.agreed = false;
  BOOST_CHECK_THROW(consents.sign(patient, patientId, unticked), ValidationError);
  BOOST_TEST(rows("SELECT count(*) FROM consents") == 0);
  BOOST_TEST(!active());
  // Trimmed, runs of blanks as one, letters case-insensitive.
  consents.sign(patient, patientId, request(v1, "  aNA   SILVA\t"));
  BOOST_TEST(active());
}

BOOST_FIXTURE_TEST_CASE(a_patient_signs_only_their_own_and_only_the_current_text, ConsentFixture) {
  auto v1 = publish(ConsentKind::telehealth, kTextV1);
  BOOST_CHECK_THROW(consents.sign(otherPatient, patientId, request(v1)), AccessDenied);
  BOOST_CHECK_THROW(consents.sign(provider, patientId, request(v1)), AccessDenied);
  BOOST_CHECK_THROW(consents.sign(admin, patientId, request(v1)), AccessDenied);
  auto wrongHash = request(v1);
  wrongHash.documentSha256 = kShaV2;
  try {
    consents.sign(patient, patientId, wrongHash);
    BOOST_FAIL("a signature of another text was accepted");
  } catch (const ConsentConflict& e) {
    BOOST_TEST(e.code() == "document_changed");
  }
  auto v2 = publish(ConsentKind::telehealth, kTextV2);
  try {
    consents.sign(patient, patientId, request(v1));
    BOOST_FAIL("a superseded version was signed");
  } catch (const ConsentConflict& e) {
    BOOST_TEST(e.code() == "document_superseded");
  }
  consents.sign(patient, patientId, request(v2));
  try {
    consents.sign(patient, patientId, request(v2));
    BOOST_FAIL("the same version was signed twice");
  } catch (const ConsentConflict& e) {
    BOOST_TEST(e.code() == "already_signed");
  }
  BOOST_TEST(rows("SELECT count(*) FROM consents") == 1);
}

BOOST_FIXTURE_TEST_CASE(a_new_version_that_requires_it_asks_for_a_new_signature, ConsentFixture) {
  auto v1 = publish(ConsentKind::telehealth, kTextV1);
  consents.sign(patient, patientId, request(v1));
  BOOST_TEST(active());
  // A new version without the flag: the signature of v1 stays in force.
  auto v2 = publish(ConsentKind::telehealth, kTextV2, false);
  BOOST_TEST(active());
  // A new version that requires re-signing: no active consent until it is signed.
  auto v3 = publish(ConsentKind::telehealth, "Version 3 of the telehealth consent.", true);
  BOOST_TEST(v3.version == 3);
  BOOST_TEST(!active());
  auto status = consents.consents(provider, patientId);
  BOOST_TEST(!status.kinds[0].active);
  BOOST_TEST(status.kinds[0].resignRequired);
  BOOST_TEST(status.kinds[0].current->version == 3);
  BOOST_CHECK_THROW(consents.sign(patient, patientId, request(v2)), ConsentConflict);
  consents.sign(patient, patientId, request(v3));
  BOOST_TEST(active());
  // A later version without the flag leaves v3's signature in force.
  publish(ConsentKind::telehealth, "Version 4: typo fixed.", false);
  BOOST_TEST(active());
}

BOOST_FIXTURE_TEST_CASE(withdrawal_is_recorded_and_ends_the_consent, ConsentFixture) {
  auto v1 = publish(ConsentKind::telehealth, kTextV1);
  consents.sign(patient, patientId, request(v1));
  BOOST_CHECK_THROW(consents.withdraw(provider, patientId, ConsentKind::telehealth), AccessDenied);
  BOOST_CHECK_THROW(consents.withdraw(otherPatient, patientId, ConsentKind::telehealth),
                    AccessDenied);
  BOOST_TEST(active());
  clock.advance(5min);
  const auto at = clock.now();
  BOOST_TEST(consents.withdraw(patient, patientId, ConsentKind::telehealth) == 1u);
  BOOST_TEST(!active());
  auto mine = consents.consents(patient, patientId);
  BOOST_REQUIRE(mine.signatures.size() == 1u);
  BOOST_REQUIRE(mine.signatures[0].withdrawnAt.has_value());
  BOOST_TEST(vigil::core::toMillis(*mine.signatures[0].withdrawnAt) == vigil::core::toMillis(at));
  BOOST_TEST(mine.signatures[0].withdrawnBy.value_or(0) == patient.id);
  BOOST_TEST(!mine.kinds[0].resignRequired);
  try {
    consents.withdraw(patient, patientId, ConsentKind::telehealth);
    BOOST_FAIL("a second withdrawal was accepted");
  } catch (const ConsentConflict& e) {
    BOOST_TEST(e.code() == "not_signed");
  }
  // A withdrawal is recorded once and a signature is never edited.
  BOOST_CHECK_THROW(db->writeSync([&](vigil::store::Connection& c) {
    c.execute("UPDATE consents SET withdrawn_at = NULL");
  }),
                    vigil::StoreError);
  BOOST_CHECK_THROW(db->writeSync([&](vigil::store::Connection& c) {
    c.execute("UPDATE consents SET document_sha256 = ?1", std::string(kShaV2));
  }),
                    vigil::StoreError);
  // Signing again gives a new signature; the withdrawn one stays on record.
  consents.sign(patient, patientId, request(v1));
  BOOST_TEST(active());
  BOOST_TEST(consents.consents(patient, patientId).signatures.size() == 2u);
  BOOST_TEST(lastAudit("consent.withdraw").has_value());
}

BOOST_FIXTURE_TEST_CASE(the_care_team_and_admins_read_others_do_not, ConsentFixture) {
  auto v1 = publish(ConsentKind::telehealth, kTextV1);
  consents.sign(patient, patientId, request(v1));
  BOOST_TEST(consents.consents(provider, patientId).signatures.size() == 1u);
  BOOST_TEST(consents.consents(admin, patientId).signatures.size() == 1u);
  BOOST_CHECK_THROW(consents.consents(otherPatient, patientId), AccessDenied);
  BOOST_CHECK_THROW(consents.consents(strangerProvider, patientId), AccessDenied);
  // Emergency access with a reason: allowed, flagged.
  BOOST_TEST(
      consents.consents(strangerProvider, patientId, "patient unresponsive").signatures.size() ==
      1u);
  auto entry = lastAudit("consent.list");
  BOOST_REQUIRE(entry.has_value());
  BOOST_TEST(entry->event.breakGlass);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(ConsentCanary)

namespace {
const std::string kCanaryGiven = "Philomena";
const std::string kCanaryFamily = "Zwickelbrecht";
const std::string kCanaryIp = "198.51.100.213";

struct CapturedLog {
  std::mutex mutex;
  std::string text;
  CapturedLog() {
    vigil::log::setLevel(vigil::log::Level::debug);
    vigil::log::setSink([this](std::string_view line) {
      std::lock_guard lock(mutex);
      text.append(line).append("\n");
    });
  }
  ~CapturedLog() {
    vigil::log::setSink(nullptr);
    vigil::log::setLevel(vigil::log::Level::info);
  }
};
}  // namespace

BOOST_AUTO_TEST_CASE(the_typed_name_and_ip_never_reach_the_database_file_logs_or_metrics) {
  CapturedLog captured;
  std::string files;
  std::string errors;
  {
    ConsentFixture f(kCanaryGiven, kCanaryFamily);
    auto v1 = f.publish(ConsentKind::telehealth, kTextV1);
    auto req = f.request(v1, kCanaryGiven + " " + kCanaryFamily);
    req.signerIp = kCanaryIp;
    f.consents.sign(f.patient, f.patientId, req);
    auto wrong = req;
    wrong.typedName = kCanaryGiven + " " + kCanaryFamily + "x";
    try {
      f.consents.sign(f.patient, f.patientId, wrong);
    } catch (const std::exception& e) {
      errors += e.what();
    }
    try {
      f.consents.sign(f.otherPatient, f.patientId, req);
    } catch (const std::exception& e) {
      errors += e.what();
    }
    auto read = f.consents.consents(f.provider, f.patientId);
    BOOST_TEST(read.signatures.at(0).signerIp == kCanaryIp);  // the canary is really stored
    f.consents.withdraw(f.patient, f.patientId, ConsentKind::telehealth);
    // The WAL as it stands, then the database file after closing (the close checkpoints it).
    if (f.storeOptions.backend == vigil::store::Backend::postgres) {
      f.db->close();
      files += vigil::security::test::postgresBytesAtRest(f.storeOptions);
    } else {
      if (std::filesystem::exists(f.dir / "vigil.db-wal"))
        files += fileBytes(f.dir / "vigil.db-wal");
      f.db->close();
      for (const auto& name : {"vigil.db", "vigil.db-wal"})
        if (std::filesystem::exists(f.dir / name)) files += fileBytes(f.dir / name);
    }
    // The bytes read are the store's: the document's text (stored in clear) is in them.
    BOOST_TEST(files.find(kTextV1) != std::string::npos);
  }
  const std::string metrics = vigil::Metrics::global().render();
  for (const auto& canary : {kCanaryFamily, kCanaryIp}) {
    BOOST_TEST(files.find(canary) == std::string::npos, canary << " in the database bytes");
    BOOST_TEST(captured.text.find(canary) == std::string::npos, canary << " in the log");
    BOOST_TEST(errors.find(canary) == std::string::npos, canary << " in an error message");
    BOOST_TEST(metrics.find(canary) == std::string::npos, canary << " in /metrics");
  }
  BOOST_TEST(!errors.empty());
}

BOOST_AUTO_TEST_SUITE_END()
