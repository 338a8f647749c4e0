// Runs the security flows with canary values (a patient's name, e-mail, MRN, password, TOTP
// secret) and checks that none of them reaches the log output, the error messages or the
// database's files in clear (SQLite's file and WAL, or PostgreSQL's database and WAL).

#include <boost/test/unit_test.hpp>
#include <mutex>
#include <string>
#include <vector>

#include "security_fixture.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"

using namespace vigil;
using namespace vigil::security;
using namespace std::chrono_literals;
using vigil::security::test::SecurityFixture;

namespace {

const std::string kName = "Zebediah Quackenbush";
const std::string kEmail = "zebediah.canary@example.org";
const std::string kMrn = "CANARY-77331";
const std::string kPassword = "marmalade canary whistles loudly";
const std::string kBreakGlass = "Quackenbush collapsed";

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Every byte the store wrote to disk: SQLite's file and WAL, or what PostgreSQL holds.
std::string storeFilesAtRest(const SecurityFixture& f) {
  if (f.storeOptions.backend == store::Backend::postgres) {
    return security::test::postgresBytesAtRest(f.storeOptions);
  }
  return store::test::readFile(f.dir / "vigil.db") + store::test::readFile(f.dir / "vigil.db-wal");
}

struct CapturedLog {
  std::mutex mutex;
  std::vector<std::string> lines;
  CapturedLog() {
    log::setLevel(log::Level::debug);
    log::setSink([this](std::string_view line) {
      std::lock_guard lock(mutex);
      lines.emplace_back(line);
    });
  }
  ~CapturedLog() {
    log::setSink(nullptr);
    log::setLevel(log::Level::info);
  }
  std::string all() {
    std::lock_guard lock(mutex);
    std::string out;
    for (auto& l : lines) out += l + "\n";
    return out;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(NoPhiInLogs)

BOOST_AUTO_TEST_CASE(canary_values_never_reach_logs_errors_or_the_database_in_clear) {
  CapturedLog captured;
  std::vector<std::string> errors;
  {
    SecurityFixture f;
    auto pid = std::int64_t{100};
    auto ct = f.keys->cipher().encrypt({"patients", "mrn", "100"}, kMrn);
    f.db->writeSync([&](store::Connection& c) {
      c.execute("INSERT INTO patients (id, mrn_enc, created_at) VALUES (100, ?1, 0)",
                store::Blob(ct.begin(), ct.end()));
    });
    auto patientUser = f.user(Role::patient, kEmail, kPassword, pid, kName);
    auto doc = f.user(Role::provider, "doc@clinic.example", "quiet harbour lanterns glow");

    // Sign-in flows: wrong, unknown, right, lock-out, unlock.
    f.accounts->signIn(kEmail, kPassword + "x");
    f.accounts->signIn("nobody-" + kEmail, kPassword);
    auto ok = f.accounts->signIn(kEmail, kPassword);
    for (int i = 0; i < 6; ++i) f.accounts->signIn(kEmail, "wrong " + kPassword);
    f.accounts->unlockUser(f.admin, patientUser);
    ok = f.accounts->signIn(kEmail, kPassword);
    auto session = f.accounts->authenticate(ok.token);
    try {
      NewUser dup;
      dup.role = Role::patient;
      dup.email = kEmail;
      dup.displayName = kName;
      dup.password = kPassword;
      dup.patientId = pid;
      f.accounts->createUser(f.admin, dup);
    } catch (const Error& e) {
      errors.emplace_back(e.what());
    }
    try {
      f.accounts->changePassword(patientUser, kPassword, "basketball");
    } catch (const Error& e) {
      errors.emplace_back(e.what());
    }
    // Staff enrolment, TOTP sign-in.
    auto d = f.accounts->signIn("doc@clinic.example", "quiet harbour lanterns glow");
    auto enrol = f.accounts->beginTotpEnrolment(d.token);
    f.accounts->confirmTotpEnrolment(d.token,
                                     totpCode(base32Decode(enrol.secretBase32), f.clock.now()));
    // Access: allowed, denied, break-glass.
    Actor provider{doc, Role::provider, std::nullopt};
    try {
      f.guard->read(provider, operation("patient.get"), pid, {"patient", "100"},
                    [](store::Connection&) { return 0; });
    } catch (const Error& e) {
      errors.emplace_back(e.what());
    }
    f.guard->read(
        provider, operation("patient.get"), pid, {"patient", "100"},
        [](store::Connection&) { return 0; }, kBreakGlass);
    f.guard->read(session.actor, operation("patient.get"), pid, {"patient", "100"},
                  [](store::Connection&) { return 0; });
    // Tampered ciphertext.
    auto bad = ct;
    bad.back() ^= 1;
    try {
      f.keys->cipher().decrypt({"patients", "mrn", "100"}, bad);
    } catch (const Error& e) {
      errors.emplace_back(e.what());
    }
    // Keys and expiry.
    rotateDataKey(*f.db, *f.keys, *f.audit, f.admin, f.clock);
    reencryptAll(*f.db, *f.keys, *f.audit, f.admin);
    f.clock.advance(16min);
    try {
      f.accounts->authenticate(ok.token);
    } catch (const Error& e) {
      errors.emplace_back(e.what());
    }
    f.accounts->signOut(d.token);
    BOOST_TEST(f.audit->verify(*f.db).ok);
    f.db->close();

    // At rest: the database's files and its WAL hold none of the canaries in clear.
    std::string file = storeFilesAtRest(f);
    BOOST_TEST(!file.empty());
    for (const auto& canary : {kName, kEmail, kMrn, kPassword, kBreakGlass, enrol.secretBase32})
      BOOST_TEST(file.find(canary) == std::string::npos, "database holds a canary in clear");
  }
  std::string logText = lower(captured.all());
  BOOST_TEST(captured.lines.size() > 20u);
  BOOST_TEST(logText.find("event=signin.failed") != std::string::npos);
  BOOST_TEST(logText.find("event=access.break_glass") != std::string::npos);
  for (const auto& canary :
       {kName, kEmail, kMrn, kPassword, std::string("zebediah"), std::string("quackenbush")}) {
    BOOST_TEST(logText.find(lower(canary)) == std::string::npos, "log holds " << canary);
    for (const auto& e : errors)
      BOOST_TEST(lower(e).find(lower(canary)) == std::string::npos, "error holds " << canary);
  }
  BOOST_TEST(errors.size() == 5u);
}

BOOST_AUTO_TEST_SUITE_END()
