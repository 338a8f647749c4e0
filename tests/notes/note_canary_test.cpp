// The notes' canary (issue 23): a distinctive string in every field a clinician writes (the
// four SOAP sections, every saved draft, an addendum, a referral's specialist, contact and
// reason) is readable through the service but never in the database file or its WAL (on
// PostgreSQL: its files, the WAL and every stored value), the log, an error message or
// /metrics, refusals included.

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>

#include "note_fixture.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/metrics.hpp"

using namespace vigil;
using namespace vigil::notes;
using namespace vigil::notes::test;

namespace {

struct CapturedLog {
  std::mutex mutex;
  std::string text;
  CapturedLog() {
    log::setLevel(log::Level::debug);
    log::setSink([this](std::string_view line) {
      std::lock_guard lock(mutex);
      text.append(line).append("\n");
    });
  }
  ~CapturedLog() {
    log::setSink(nullptr);
    log::setLevel(log::Level::info);
  }
};

std::string fileBytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

const std::vector<std::string> kCanaries = {
    "Qzsubjectivecanary", "Qzobjectivecanary", "Qzassessmentcanary", "Qzplancanary",
    "Qzdraftcanary",      "Qzaddendumcanary",  "Qzspecialistcanary", "Qzspecialtycanary",
    "Qzcontactcanary",    "Qzreasoncanary",
};

}  // namespace

BOOST_AUTO_TEST_SUITE(NoteCanary)

BOOST_AUTO_TEST_CASE(no_note_field_reaches_the_database_file_logs_errors_or_metrics) {
  CapturedLog captured;
  std::string files, errors;
  {
    NoteFixture f;
    const auto& k = kCanaries;
    auto n = f.written(f.provider, f.patientA, {k[4], "", "", ""});
    n = f.notes.update(f.provider, f.patientA, n.id, n.version, {k[0], k[1], k[2], k[3]});
    n = f.notes.sign(f.provider, f.patientA, n.id, n.version);
    f.notes.addAddendum(f.provider, f.patientA, n.id, k[5]);
    auto r = f.notes.refer(f.provider, f.patientA, n.id, {k[6], k[7], k[8], k[9]});
    auto read = f.notes.get(f.provider, f.patientA, n.id);
    BOOST_TEST(read.soap.plan == k[3]);  // really stored
    BOOST_TEST(read.addenda.at(0).text == k[5]);
    BOOST_TEST(f.notes.history(f.provider, f.patientA, n.id).back().soap.subjective.empty());
    BOOST_TEST(f.notes.letter(f.provider, f.patientA, r.id).referral.letter.reason == k[9]);
    // Refusals carrying the canaries: a signed note edited, a stranger, a patient, too long.
    auto attempt = [&](auto&& fn) {
      try {
        fn();
      } catch (const std::exception& e) {
        errors += e.what();
        errors += "\n";
      }
    };
    attempt([&] {
      f.notes.update(f.provider, f.patientA, n.id, n.version, {k[0], k[1], k[2], k[3]});
    });
    attempt([&] { f.notes.addAddendum(f.stranger, f.patientA, n.id, k[5]); });
    attempt([&] { f.notes.addAddendum(f.patient, f.patientA, n.id, k[5]); });
    attempt([&] { f.notes.refer(f.nurse, f.patientA, n.id, {k[6], k[7], k[8], k[9]}); });
    attempt([&] {
      f.notes.update(f.provider, f.patientA, n.id, n.version,
                     {k[0] + std::string(kMaxSectionBytes, 'x'), "", "", ""});
    });
    attempt([&] {
      f.notes.refer(f.provider, f.patientA, n.id, {k[6] + std::string(300, 'x'), k[7], k[8], k[9]});
    });
    attempt([&] {
      f.db->writeSync([&](store::Connection& c) {
        c.execute("UPDATE notes SET soap_enc = ?1 WHERE id = ?2", k[0], n.id);
      });
    });
    if (std::filesystem::exists(f.dir / "vigil.db-wal")) files += fileBytes(f.dir / "vigil.db-wal");
    f.db->close();
    // PostgreSQL: the database's files, the WAL and every stored value.
    if (f.storeOptions.backend == store::Backend::postgres)
      files += security::test::postgresBytesAtRest(f.storeOptions);
    for (const auto& name : {"vigil.db", "vigil.db-wal"})
      if (std::filesystem::exists(f.dir / name)) files += fileBytes(f.dir / name);
    BOOST_TEST(files.find("note_addenda") != std::string::npos);  // the store's bytes
  }
  const std::string metrics = Metrics::global().render();
  for (const auto& canary : kCanaries) {
    BOOST_TEST(files.find(canary) == std::string::npos, canary << " in the database bytes");
    BOOST_TEST(captured.text.find(canary) == std::string::npos, canary << " in the log");
    BOOST_TEST(errors.find(canary) == std::string::npos, canary << " in an error message");
    BOOST_TEST(metrics.find(canary) == std::string::npos, canary << " in /metrics");
  }
  BOOST_TEST(errors.find("soap.subjective") != std::string::npos);  // the field, named
  BOOST_TEST(errors.find("specialistName") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
