// The cloud link's delivery rate to the cloud stand-in over real TLS, and the time to drain a
// backlog. Usage: bench_sync DEVTOOL [N] [BACKLOG] [STREAMS]
//   (defaults: 2000 entries for the rate, a backlog of 100000 in 100 streams)
//
// The stand-in (`DEVTOOL cloud serve`, no faults) runs as its own process; every acceptance it
// makes is one SQLite transaction with its record line, as in the tests.
//   baseline  a bare HTTPS client (the link's transport, one mutual-TLS session) posting the
//             same kind of sealed envelopes one after another: the stand-in's and TLS's cost
//             alone, without the box's outbox
//   link      the box's Link: the outbox's due heads, POST, the entry marked delivered (a write
//             job with synchronous=FULL per entry), as vigild's link thread does
//   drain     a backlog of BACKLOG entries in STREAMS streams written while the link was down,
//             delivered by the Link: the time until the outbox is empty
// Prints a Markdown table.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/progress.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/security/keys.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/sync/link.hpp"
#include "vigil/sync/outbox.hpp"
#include "vigil/sync/transport.hpp"
#include "vigil/testsupport/process.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace vigil;

namespace {

constexpr const char* kPayload =
    R"({"channel":"email","to":"patient@example.org","template":"visit.reminder",)"
    R"("params":{"when":"2026-12-06T10:00:00Z","clinic":"Riverside"}})";

// A new one-time enrolment code from the stand-in (`cloud code` also stores it in DIR).
std::string newCode(const std::string& devtool, const fs::path& cloudDir, const fs::path& dir) {
  testsupport::Process p(
      devtool,
      {{"cloud", "code", "--dir", cloudDir.string()}, {}, dir / "cmd.out", dir / "cmd.err"});
  if (p.wait(30s).value_or(-1) != 0)
    throw std::runtime_error("devtool failed: " + testsupport::readText(dir / "cmd.err"));
  auto code = testsupport::readText(cloudDir / "enrolment-code");
  while (!code.empty() && (code.back() == '\n' || code.back() == '\r')) code.pop_back();
  return code;
}

// One box: its own database, master key, audit log, outbox and link.
struct Box {
  std::unique_ptr<store::Database> db;
  std::unique_ptr<security::Keys> keys;
  std::unique_ptr<security::AuditLog> audit;
  std::unique_ptr<sync::Outbox> outbox;
  std::unique_ptr<sync::Link> link;

  Box(const fs::path& dir, const std::string& url, const std::string& ca) {
    fs::create_directories(dir);
    store::Options o;
    o.path = dir / "vigil.db";
    db = store::Database::open(o);
    auto& clock = SystemClock::instance();
    keys = security::Keys::open(*db, dir / "keys" / "master.key", clock);
    audit = std::make_unique<security::AuditLog>(*keys, clock);
    outbox = std::make_unique<sync::Outbox>(*db, *audit, clock);
    sync::LinkOptions lo;
    lo.url = url;
    lo.caFile = ca;
    lo.keysDir = dir / "keys";
    link = std::make_unique<sync::Link>(*db, *audit, *outbox, clock, lo);
  }

  void fill(long n, int streams, const char* label) {
    ProgressBar bar(label, static_cast<std::uint64_t>(n));
    for (long done = 0; done < n;) {
      const long chunk = std::min<long>(2000, n - done);
      db->writeSync([&](store::Connection& c) {
        for (long i = 0; i < chunk; ++i)
          link->enqueueIn(c, "reminders/" + std::to_string((done + i) % streams), "notify.send",
                          "notify", kPayload);
        return 0;
      });
      done += chunk;
      bar.update(static_cast<std::uint64_t>(done));
    }
    bar.finish();
  }

  // Sends until the outbox is empty; returns the seconds it took.
  double drain(const char* label) {
    const auto total = outbox->status().backlog;
    ProgressBar bar(label, static_cast<std::uint64_t>(total));
    const auto t0 = std::chrono::steady_clock::now();
    std::int64_t left = total;
    while (left > 0) {
      link->sendDue();
      left = outbox->status().backlog;
      bar.update(static_cast<std::uint64_t>(total - left));
    }
    bar.finish();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
};

void row(const char* name, long n, double seconds, const char* what) {
  std::printf("| %s | %ld | %.2f | %.0f | %s |\n", name, n, seconds,
              static_cast<double>(n) / seconds, what);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_sync DEVTOOL [N] [BACKLOG] [STREAMS]\n");
    return 64;
  }
  const std::string devtool = argv[1];
  const long n = argc > 2 ? std::atol(argv[2]) : 2000;
  const long backlog = argc > 3 ? std::atol(argv[3]) : 100000;
  const int streams = argc > 4 ? std::atoi(argv[4]) : 100;
  log::setLevel(log::Level::error);

  testsupport::TempDir dir("vigil-bench-sync");
  const fs::path cloudDir = dir.path() / "cloud";
  const int port = testsupport::freePort();
  testsupport::Process cloud(
      devtool, {{"cloud", "serve", "--dir", cloudDir.string(), "--port", std::to_string(port),
                 "--record", (dir.path() / "record.txt").string()},
                {},
                dir.path() / "cloud.out",
                dir.path() / "cloud.err"});
  for (int i = 0; i < 300 && testsupport::readText(cloudDir / "url").empty(); ++i)
    std::this_thread::sleep_for(50ms);
  const std::string url = testsupport::readText(cloudDir / "url");
  if (url.empty()) {
    std::fprintf(stderr, "the stand-in did not start: %s\n",
                 testsupport::readText(dir.path() / "cloud.err").c_str());
    return 1;
  }
  const std::string ca = (cloudDir / "ca.crt").string();
  const security::Actor admin{1, security::Role::admin, std::nullopt};

  std::printf("| case | entries | seconds | entries/s | what is measured |\n");
  std::printf("| --- | --- | --- | --- | --- |\n");

  // Baseline: the same envelopes, posted by a bare client on one mutual-TLS session.
  {
    Box box(dir.path() / "baseline", url, ca);
    box.link->enrol(admin, newCode(devtool, cloudDir, dir.path()), "baseline");
    box.fill(n, 10, "baseline: sealing");
    std::vector<std::string> envelopes;
    box.db->read([&](store::Connection& c) {
      auto st = c.prepare("SELECT envelope FROM sync_outbox ORDER BY seq, stream");
      while (st.step()) envelopes.push_back(st.getText(0));
      return 0;
    });
    sync::TransportOptions t;
    t.baseUrl = url;
    t.caFile = (dir.path() / "baseline" / "keys" / "sync-cloud-ca.crt").string();
    t.clientCertFile = (dir.path() / "baseline" / "keys" / "sync-client.crt").string();
    t.clientKeyFile = (dir.path() / "baseline" / "keys" / "sync-client.key").string();
    sync::HttpsTransport client(t);
    const auto t0 = std::chrono::steady_clock::now();
    long accepted = 0;
    for (const auto& e : envelopes)
      if (client.post("/v1/outbox", e).status == 202) ++accepted;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    row("baseline: bare HTTPS client", accepted, s,
        "POST of sealed envelopes on one session, nothing recorded on the box");
  }
  // The link, then the backlog drain, on one enrolled box.
  Box box(dir.path() / "box", url, ca);
  box.link->enrol(admin, newCode(devtool, cloudDir, dir.path()), "bench box");
  box.fill(n, 10, "link: writing entries");
  const double linkSeconds = box.drain("link: delivering");
  row("link", n, linkSeconds,
      "outbox heads, POST each, accepted ones marked delivered in one fsync'd commit per round");
  box.fill(backlog, streams, "drain: writing the backlog");
  const double drainSeconds = box.drain("drain: delivering the backlog");
  char what[128];
  std::snprintf(what, sizeof what, "a backlog of %ld entries in %d streams until empty", backlog,
                streams);
  row("drain", backlog, drainSeconds, what);
  cloud.stop();
  return 0;
}
