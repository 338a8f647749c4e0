#define BOOST_TEST_MODULE vigil_store_crash
// Crash safety of the store: a writer process (crash_writer.cpp) appending numbered batches is
// killed with SIGKILL at random moments, from "still opening/migrating" to "deep in a stream of
// commits". After every kill the database must reopen, pass integrity_check, and hold exactly
// batches 1..m, each complete, where m covers every batch whose commit was acknowledged and no
// batch that was never queued.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <random>
#include <sstream>
#include <string>

#include "crash_schema.hpp"
#include "temp_dir.hpp"
#include "vigil/testsupport/deadline.hpp"

using namespace std::chrono_literals;
using vigil::store::Connection;
using vigil::store::Database;

namespace {

struct RunResult {
  std::int64_t maxBegun = 0;
  std::int64_t maxAcked = 0;
  bool killed = false;
};

/// Starts the writer on path, lets it run for `runFor`, kills it with SIGKILL, and returns what
/// it reported before dying.
RunResult runAndKill(const std::filesystem::path& path, std::chrono::microseconds runFor) {
  int fds[2];
  BOOST_REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  pid_t pid = ::fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) ::dup2(devnull, STDERR_FILENO);
    ::execl(VIGIL_STORE_CRASH_WRITER, VIGIL_STORE_CRASH_WRITER, path.c_str(),
            static_cast<char*>(nullptr));
    _exit(127);
  }
  ::close(fds[1]);
  std::string output;
  auto deadline = std::chrono::steady_clock::now() + runFor;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) > 0) {
      auto n = ::read(fds[0], buf, sizeof buf);
      if (n <= 0) break;  // the writer died on its own: reported below
      output.append(buf, static_cast<std::size_t>(n));
    }
  }
  RunResult r;
  r.killed = ::kill(pid, SIGKILL) == 0;
  // The killed writer's pipe ends and the writer is reaped at once; a Deadline says so if not.
  vigil::testsupport::Deadline bound("draining and reaping the SIGKILLed crash writer", 30s);
  for (;;) {  // what the writer printed before the kill is still in the pipe
    auto n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    output.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);  // bounded: SIGKILLed above, under the Deadline above
  BOOST_TEST_REQUIRE((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL),
                     "the writer exited by itself with status " << status);
  std::istringstream lines(output);
  char kind = 0;
  std::int64_t n = 0;
  while (lines >> kind >> n) {
    if (kind == 'B') r.maxBegun = std::max(r.maxBegun, n);
    if (kind == 'A') r.maxAcked = std::max(r.maxAcked, n);
  }
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(DatabaseCrash)

BOOST_AUTO_TEST_CASE(keeps_exactly_the_committed_batches_across_sigkills) {
  vigil::store::test::TempDir dir;
  const auto path = dir / "crash.db";
  const auto seed = std::random_device{}();
  BOOST_TEST_MESSAGE("seed " << seed);
  std::mt19937 rng(seed);
  std::int64_t ackedEver = 0;  // every batch up to here was acknowledged at some point
  std::int64_t stored = 0;
  int killsMidStream = 0;
  const auto budget = std::chrono::steady_clock::now() + 35s;
  constexpr int kRuns = 24;
  int runs = 0;
  for (; runs < kRuns && std::chrono::steady_clock::now() < budget; ++runs) {
    // A quarter of the kills land early (while opening, migrating or on the first commits).
    std::chrono::microseconds runFor = rng() % 4 == 0
                                           ? std::chrono::microseconds(rng() % 20'000)
                                           : std::chrono::microseconds(20'000 + rng() % 400'000);
    auto r = runAndKill(path, runFor);
    ackedEver = std::max(ackedEver, r.maxAcked);
    if (r.maxBegun > r.maxAcked) ++killsMidStream;

    if (!std::filesystem::exists(path)) continue;  // killed before the file was created
    auto db = Database::open(
        {.path = path, .migrations = vigil::store::test::crashSchema(), .readers = 1});
    auto problems = db->integrityCheck();
    BOOST_TEST_REQUIRE(problems.empty(), "run " << runs << ": integrity_check: "
                                                << (problems.empty() ? "ok" : problems.front()));
    struct Seen {
      std::int64_t batches = 0, minBatch = 0, maxBatch = 0, badBatches = 0, badRows = 0;
    };
    auto seen = db->read([](Connection& c) {
      Seen s;
      auto st =
          c.prepare("SELECT batch, count(*), sum(seq) FROM readings GROUP BY batch ORDER BY batch");
      constexpr int k = vigil::store::test::kCrashRowsPerBatch;
      while (st.step()) {
        auto b = st.getInt64(0);
        if (s.batches == 0) s.minBatch = b;
        s.maxBatch = b;
        ++s.batches;
        if (st.getInt64(1) != k || st.getInt64(2) != k * (k - 1) / 2) ++s.badBatches;
      }
      auto rows = c.prepare("SELECT batch, seq, payload FROM readings");
      while (rows.step()) {
        auto payload = rows.getBlob(2);
        auto expect = vigil::store::test::crashPayloadByte(rows.getInt64(0), rows.getInt64(1));
        if (payload.size() != vigil::store::test::kCrashPayloadBytes) ++s.badRows;
        for (auto byte : payload) {
          if (byte != expect) {
            ++s.badRows;
            break;
          }
        }
      }
      return s;
    });
    db->close();
    BOOST_TEST_INFO("run " << runs << " ran " << runFor.count() << "us, acked up to " << r.maxAcked
                           << ", queued up to " << r.maxBegun);
    BOOST_TEST_REQUIRE(seen.badBatches == 0);  // no torn batch
    BOOST_TEST_REQUIRE(seen.badRows == 0);
    if (seen.batches > 0) {
      BOOST_TEST_REQUIRE(seen.minBatch == 1);
      BOOST_TEST_REQUIRE(seen.maxBatch == seen.batches);  // 1..m without holes
    }
    // Nothing acknowledged is lost; nothing never queued appears.
    BOOST_TEST_REQUIRE(seen.batches >= ackedEver);
    BOOST_TEST_REQUIRE(seen.batches <= std::max(stored, r.maxBegun));
    BOOST_TEST_REQUIRE(seen.batches >= stored);  // committed batches of earlier runs stay
    stored = seen.batches;
  }
  BOOST_TEST_MESSAGE(runs << " kills, " << killsMidStream << " with batches in flight, " << stored
                          << " batches stored");
  BOOST_TEST(runs >= 20);
  BOOST_TEST(killsMidStream >= 5);
  BOOST_TEST(ackedEver > 0);
}

BOOST_AUTO_TEST_SUITE_END()
