// Patient search through blind indexes (issue 21) and the record's canary: a unique string in
// every new field never reaches the database file or its WAL, the log, error messages or
// /metrics.

#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>

#include "security_fixture.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/patients/patient_record.hpp"
#include "vigil/patients/record_json.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/access_guard.hpp"

using vigil::ValidationError;
using vigil::security::Actor;
using vigil::security::Role;
using Ids = std::vector<std::int64_t>;

namespace {

struct SearchFixture : vigil::security::test::SecurityFixture {
  vigil::registry::PatientRepository registry{*db, keys->cipher(), keys->blindIndex(), clock};
  // Hand-chosen names (and one MRN without digits): shared prefixes (Ana/Anabel, Silva/Silvestri),
  // two-letter names (Jo, Li), a shared birth date (Ana Silva and Jo Li), punctuation and accented
  // letters.
  std::int64_t anaSilva = add("MRN-S1", "Ana", "Silva", "1956-03-02");
  std::int64_t anabelSmith = add("MRN-S2", "Anabel", "Smith", "1970-11-23");
  std::int64_t joLi = add("MRN-S3", "Jo", "Li", "1956-03-02");
  std::int64_t benOkoro = add("MRN-OKO", "Ben", "Okoro", "1961-07-19");
  std::int64_t annetteSilvestri = add("MRN-S5", "Annette", "Silvestri", "1980-01-01");
  std::int64_t liAnderson = add("MRN-S6", "Li", "Anderson", "1990-06-15");
  std::int64_t maryJane = add("MRN-S7", "Mary-Jane", "O'Brien", "1945-12-31");
  std::int64_t jose = add("MRN-S8", "Jos\xc3\xa9",
                          "N\xc3\xba\xc3\xb1"
                          "ez",
                          "1975-04-04");

  std::int64_t add(const std::string& mrn, const std::string& given, const std::string& family,
                   const std::string& birth) {
    return registry.create({0, mrn, given, family, birth, "UTC", "", {}, true});
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

BOOST_AUTO_TEST_SUITE(PatientSearch)

BOOST_FIXTURE_TEST_CASE(queries_find_the_expected_patients, SearchFixture) {
  // query -> expected ids, ascending (written by hand from the names above)
  const std::vector<std::pair<std::string, Ids>> cases = {
      {"ana", {anaSilva, anabelSmith}},
      {"Anab", {anabelSmith}},
      {"ANA", {anaSilva, anabelSmith}},
      {"sil", {anaSilva, annetteSilvestri}},
      {"silv", {anaSilva, annetteSilvestri}},
      {"silva", {anaSilva}},
      {"silvestri", {annetteSilvestri}},
      {"li", {joLi, liAnderson}},
      {"jo", {joLi}},
      {"1956-03-02", {anaSilva, joLi}},
      {"ana 1956-03-02", {anaSilva}},
      {"Silva, Ana", {anaSilva}},
      {"MRN-OKO", {benOkoro}},  // an MRN without digits
      {"mrn oko", {}},          // two words, and "mrn" is neither a name nor an MRN
      {"mrnoko", {benOkoro}},   // MRNs compare without dashes
      {"MRN-S3", {joLi}},
      {"obrien", {maryJane}},
      {"O'Brien", {maryJane}},
      {"mary", {maryJane}},
      {"maryjane", {maryJane}},
      {"mary-jane o'br", {maryJane}},
      {"mary-jane o'b", {}},  // "ob": two letters match a whole name only
      {"Jos\xc3\xa9", {jose}},
      {"jos", {jose}},
      {"n\xc3\xba\xc3\xb1", {jose}},
      {"smith anabel", {anabelSmith}},
      {"smith ana", {anabelSmith}},
      {"anderson li", {liAnderson}},
      {"silva ben", {}},
      {"xyz", {}},
      {"an", {}},
      {"1999-01-01", {}},
  };
  for (const auto& [q, expected] : cases) BOOST_TEST(registry.search(q) == expected, "q=" << q);
}

BOOST_FIXTURE_TEST_CASE(a_search_within_some_patients_finds_only_them, SearchFixture) {
  BOOST_TEST(registry.search("ana", Ids{anabelSmith, benOkoro}) == Ids{anabelSmith});
  BOOST_TEST(registry.search("1956-03-02", Ids{joLi}) == Ids{joLi});
  BOOST_TEST(registry.search("silva", Ids{}).empty());
}

BOOST_FIXTURE_TEST_CASE(malformed_queries_are_refused, SearchFixture) {
  for (const std::string& q : {std::string(""), std::string("  , "), std::string("a b c d e"),
                               std::string(101, 'a'), std::string("- '")})
    BOOST_CHECK_THROW(registry.search(q), ValidationError);
}

BOOST_FIXTURE_TEST_CASE(rows_from_before_the_migration_get_their_indexes_at_start, SearchFixture) {
  db->writeSync([&](vigil::store::Connection& c) {
    c.execute(
        "UPDATE patients SET given_name_bidx = NULL, family_name_bidx = NULL, "
        "birth_date_bidx = NULL, given_prefix_bidx = NULL, family_prefix_bidx = NULL "
        "WHERE id = ?1",
        benOkoro);
  });
  BOOST_TEST(registry.search("okoro").empty());
  BOOST_TEST(registry.fillSearchIndexes() == 1u);
  BOOST_TEST(registry.fillSearchIndexes() == 0u);
  BOOST_TEST(registry.search("okoro") == Ids{benOkoro});
  BOOST_TEST(registry.search("1961-07-19") == Ids{benOkoro});
}

BOOST_FIXTURE_TEST_CASE(what_the_indexes_reveal_is_equality_only, SearchFixture) {
  // docs/security.md: equal 3-letter prefixes (Silva, Silvestri) give equal prefix indexes;
  // different names differ; a given name and a family name with equal letters ("Li") do not
  // match across fields (different labels).
  BOOST_TEST(rows("SELECT count(*) FROM patients a JOIN patients b ON a.family_prefix_bidx = "
                  "b.family_prefix_bidx WHERE a.id = " +
                  std::to_string(anaSilva) + " AND b.id = " + std::to_string(annetteSilvestri)) ==
             1);
  BOOST_TEST(rows("SELECT count(*) FROM patients a JOIN patients b ON a.family_name_bidx = "
                  "b.family_name_bidx WHERE a.id = " +
                  std::to_string(anaSilva) + " AND b.id = " + std::to_string(annetteSilvestri)) ==
             0);
  BOOST_TEST(rows("SELECT count(*) FROM patients a JOIN patients b ON a.family_name_bidx = "
                  "b.given_name_bidx WHERE a.id = " +
                  std::to_string(joLi) + " AND b.id = " + std::to_string(liAnderson)) == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(PatientRecordCanary)

namespace {

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

// One canary per new field (and the demographics the record edits).
const std::vector<std::string> kCanaries = {
    "Qzgivencanary",
    "Qzfamilycanary",
    "qzmail@qzcanary.example",
    "+1 555 017 3391",
    "7 Qzlineone St",
    "Qzlinetwo Apt",
    "Qzcitycanary",
    "Qzregioncanary",
    "QZ7C4N",
    "en-qzcanary",
    "Qzemergencyname",
    "Qzrelationcanary",
    "+1 555 018 4402",
    "Qzpayercanary",
    "Qzplancanary",
    "QZMEMBER71",
    "QZGROUP82",
    "Qzsubscribercanary",
    "Qzpharmacycanary",
    "7319024",
    "+1 555 019 5513",
    "9 Qzpharmacyline Rd",
    "Qzproblemcanary",
    "Qzmedicationcanary",
    "8675309",
    "Qzinstructioncanary",
    "Qzallergencanary",
    "Qzreactioncanary",
};

std::string canaryBody() {
  const auto& k = kCanaries;
  return R"({"demographics":{"givenName":")" + k[0] + R"(","familyName":")" + k[1] +
         R"(","birthDate":"1956-03-02"},"contact":{"email":")" + k[2] + R"(","phone":")" + k[3] +
         R"(","address":{"line1":")" + k[4] + R"(","line2":")" + k[5] + R"(","city":")" + k[6] +
         R"(","region":")" + k[7] + R"(","postalCode":")" + k[8] + R"(","country":"US"}},)" +
         R"("language":")" + k[9] + R"(","emergencyContact":{"name":")" + k[10] +
         R"(","relationship":")" + k[11] + R"(","phone":")" + k[12] + R"("},)" +
         R"("insurance":{"primary":{"payer":")" + k[13] + R"(","plan":")" + k[14] +
         R"(","memberId":")" + k[15] + R"(","groupNumber":")" + k[16] + R"(","subscriberName":")" +
         k[17] + R"(","subscriberBirthDate":"1956-03-02","relationship":"self"}},)" +
         R"("pharmacy":{"name":")" + k[18] + R"(","ncpdpId":")" + k[19] + R"(","phone":")" + k[20] +
         R"(","address":{"line1":")" + k[21] + R"(","city":"Springfield"}},)" +
         R"("problems":[{"code":"I10","description":")" + k[22] + R"("}],)" +
         R"("medications":[{"name":")" + k[23] + R"(","rxcui":")" + k[24] +
         R"(","instructions":")" + k[25] + R"("}],)" + R"("allergies":[{"substance":")" + k[26] +
         R"(","reaction":")" + k[27] + R"(","severity":"severe"}]})";
}

vigil::patients::RecordUpdate updateFrom(const std::string& json) {
  Poco::JSON::Parser parser;
  return vigil::patients::recordUpdateFromJson(
      parser.parse(json).extract<Poco::JSON::Object::Ptr>());
}

}  // namespace

BOOST_AUTO_TEST_CASE(no_record_field_reaches_the_database_file_logs_errors_or_metrics) {
  CapturedLog captured;
  std::string files, errors;
  {
    SearchFixture f;
    vigil::patients::PatientRecordService records{*f.db, *f.audit, f.keys->cipher(), f.registry,
                                                  f.clock};
    Actor patient{f.user(Role::patient, "p@home.example", "patient passphrase 2026", f.anaSilva),
                  Role::patient, f.anaSilva};
    Actor stranger{f.user(Role::provider, "dr@clinic.example", "provider passphrase 2026"),
                   Role::provider, std::nullopt};
    records.update(patient, f.anaSilva, updateFrom(canaryBody()));
    auto read = records.get(patient, f.anaSilva);
    BOOST_TEST(read.medications.at(0).instructions == kCanaries[25]);  // really stored
    BOOST_TEST(read.contact.email == kCanaries[2]);
    BOOST_TEST(f.registry.search("qzfam") == Ids{f.anaSilva});
    // Refusals that carry the canaries: a bad value next to them, a stranger, a denied read.
    for (const auto& bad : {R"("code":"I10")", R"("severity":"severe")"}) {
      auto body = canaryBody();
      body.replace(
          body.find(bad), std::string(bad).size(),
          std::string(bad).substr(0, std::string(bad).find(':') + 1) + "\"" + kCanaries[26] + "\"");
      try {
        records.update(patient, f.anaSilva, updateFrom(body));
      } catch (const std::exception& e) {
        errors += e.what();
      }
    }
    try {
      records.update(stranger, f.anaSilva, updateFrom(canaryBody()));
    } catch (const std::exception& e) {
      errors += e.what();
    }
    try {
      f.registry.search(kCanaries[1] + " a b c d");
    } catch (const std::exception& e) {
      errors += e.what();
    }
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
    BOOST_TEST(files.find("patient_record_versions") != std::string::npos);  // the store's bytes
  }
  const std::string metrics = vigil::Metrics::global().render();
  for (const auto& canary : kCanaries) {
    BOOST_TEST(files.find(canary) == std::string::npos, canary << " in the database bytes");
    BOOST_TEST(captured.text.find(canary) == std::string::npos, canary << " in the log");
    BOOST_TEST(errors.find(canary) == std::string::npos, canary << " in an error message");
    BOOST_TEST(metrics.find(canary) == std::string::npos, canary << " in /metrics");
  }
  BOOST_TEST(errors.find("problems[0].code") != std::string::npos);
  BOOST_TEST(errors.find("allergies[0].severity") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
