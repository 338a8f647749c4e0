// The cloud link inside a real vigild, against the cloud stand-in as a real process: vigild is
// SIGKILLed five times while 2,000 entries are being delivered under --fail-rate 0.3
// --drop-responses, and every entry is accepted exactly once, in order within its stream (the
// stand-in's record). With the cloud unreachable, the box is ready and its portal answers.
#define BOOST_TEST_MODULE sync_link_process
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <signal.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <set>
#include <sstream>
#include <thread>

#include "../x12/sample_batch.hpp"
#include "standin.hpp"
#include "vigil/core/clock.hpp"
#include "vigil/core/json_text.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/security/keys.hpp"
#include "vigil/store/database.hpp"
#include "vigil/sync/link.hpp"
#include "vigil/sync/outbox.hpp"
#include "vigil/testsupport/deadline.hpp"
#include "vigil/testsupport/process.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace vigil;
using vigil::sync::test::StandIn;
using vigil::testsupport::Process;
using vigil::testsupport::readText;
using vigil::testsupport::TempDir;

namespace {

std::vector<std::string> boxArgs(const TempDir& dir, const std::string& url,
                                 const std::string& ca) {
  return {"--set", "data.dir=" + (dir.path() / "data").string(),
          "--set", "mqtt.enabled=false",
          "--set", "web.port=0",
          "--set", "web.port_file=" + (dir.path() / "port").string(),
          "--set", "sync.url=" + url,
          "--set", "sync.ca_file=" + ca,
          "--set", "sync.retry_base_ms=50",
          "--set", "sync.retry_cap_seconds=2",
          "--set", "sync.inbox_interval_seconds=1",
          "--set", "sync.request_timeout_seconds=5"};
}

Process startVigild(const TempDir& dir, const std::vector<std::string>& args) {
  fs::remove(dir.path() / "port");
  Process p(VIGILD_PATH, {args, {}, "", dir.path() / "vigild.err"});
  testsupport::Deadline deadline("vigild to listen", 30s);
  while (readText(dir.path() / "port").empty()) {
    if (!p.running()) BOOST_FAIL("vigild exited: " + readText(dir.path() / "vigild.err"));
    std::this_thread::sleep_for(20ms);
  }
  return p;
}

int runVigild(const TempDir& dir, std::vector<std::string> args,
              const std::vector<std::string>& command) {
  args.insert(args.end(), command.begin(), command.end());
  Process p(VIGILD_PATH, {args, {}, dir.path() / "cmd.out", dir.path() / "cmd.err"});
  return p.wait(60s).value_or(-1);
}

std::pair<int, std::string> httpGet(int port, const std::string& path) {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
  session.setTimeout(Poco::Timespan(5, 0));
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, path);
  session.sendRequest(req);
  Poco::Net::HTTPResponse resp;
  auto& is = session.receiveResponse(resp);
  std::stringstream ss;
  ss << is.rdbuf();
  return {static_cast<int>(resp.getStatus()), ss.str()};
}

// Writes `n` entries into the stopped box's outbox the way a domain change does (sealed by the
// box's own keys, which `vigild sync enrol` left beside the data directory).
std::set<std::string> enqueue(const TempDir& dir, const std::string& url, const std::string& ca,
                              int n) {
  store::Options o;
  o.path = dir.path() / "data" / "vigil.db";
  o.synchronousFull = false;
  auto db = store::Database::open(o);
  auto& clock = SystemClock::instance();
  auto keys = security::Keys::open(*db, dir.path() / "data-keys" / "master.key", clock);
  security::AuditLog audit(*keys, clock);
  sync::Outbox outbox(*db, audit, clock);
  sync::LinkOptions options;
  options.url = url;
  options.caFile = ca;
  options.keysDir = dir.path() / "data-keys";
  sync::Link link(*db, audit, outbox, clock, options);
  BOOST_REQUIRE(link.enrolled());
  std::set<std::string> ids;
  // The clearinghouse's contract: the batch id and its 837P (docs/cloud-api.md).
  const std::string claim =
      R"({"batch":"b","x12":)" + core::jsonString(x12::write837p(x12test::oneClaimBatch())) + "}";
  db->writeSync([&](store::Connection& c) {
    for (int i = 0; i < n; ++i)
      ids.insert(link.enqueueIn(c, "claims/batch-" + std::to_string(i % 20), "claim.submit",
                                "clearinghouse", claim));
    return 0;
  });
  db->close();
  return ids;
}

}  // namespace

BOOST_AUTO_TEST_CASE(sigkill_five_times_while_delivering_2000_entries_loses_and_repeats_none) {
  TempDir dir("vigil-link");
  StandIn cloud(dir.path() / "cloud");
  cloud.start({"--fail-rate", "0.3", "--drop-responses"});
  const auto args = boxArgs(dir, cloud.url(), cloud.caFile());
  startVigild(dir, args).stop();  // creates the store and the master key
  BOOST_REQUIRE_EQUAL(runVigild(dir, args, {"sync", "enrol", cloud.code(), "Test clinic"}), 0);
  const auto sent = enqueue(dir, cloud.url(), cloud.caFile(), 2000);
  auto delivered = [&] {
    std::vector<sync::test::Recorded> claims;
    for (auto& r : cloud.recorded())
      if (r.stream.rfind("claims/", 0) == 0) claims.push_back(r);
    return claims;
  };
  for (int kill = 0; kill < 5; ++kill) {
    auto box = startVigild(dir, args);
    const auto before = delivered().size();
    testsupport::Deadline deadline("deliveries before kill " + std::to_string(kill + 1), 60s);
    while (delivered().size() < before + 150 && delivered().size() < sent.size()) {
      std::this_thread::sleep_for(20ms);
    }
    box.signal(SIGKILL);
    box.wait(20s);
  }
  BOOST_TEST_MESSAGE("delivered before the last start: " << delivered().size());
  BOOST_TEST(delivered().size() < sent.size());  // the kills fell in the middle of delivery
  auto box = startVigild(dir, args);
  testsupport::Deadline deadline("the backlog to drain", 180s);
  while (delivered().size() < sent.size()) {
    std::this_thread::sleep_for(100ms);
  }
  std::this_thread::sleep_for(1s);  // nothing more may arrive
  BOOST_TEST(box.stop() == 0);
  // The stand-in drops responses: the last entries may be accepted there while the box still
  // waits to retry them when it stops (a retry is answered as already accepted). Start it again
  // until its own status has nothing left; nothing may arrive twice meanwhile.
  {
    testsupport::Deadline settle("the box to record its last deliveries", 90s);
    for (;;) {
      BOOST_REQUIRE_EQUAL(runVigild(dir, args, {"sync", "status", "--json"}), 0);
      if (readText(dir.path() / "cmd.out").find("\"backlog\":0") != std::string::npos) break;
      auto again = startVigild(dir, args);
      std::this_thread::sleep_for(3s);  // longer than the retry cap (2 s)
      BOOST_TEST(again.stop() == 0);
    }
  }
  auto problem = sync::test::exactlyOnceInOrder(delivered(), sent);
  BOOST_TEST(problem.empty(), problem);
  BOOST_TEST(delivered().size() == sent.size());
}

BOOST_AUTO_TEST_CASE(with_the_cloud_unreachable_the_box_is_ready_and_serves) {
  TempDir dir("vigil-link");
  StandIn cloud(dir.path() / "cloud");
  cloud.start();
  const auto args = boxArgs(dir, cloud.url(), cloud.caFile());
  startVigild(dir, args).stop();
  BOOST_REQUIRE_EQUAL(runVigild(dir, args, {"sync", "enrol", cloud.code(), "Test clinic"}), 0);
  cloud.stop();  // the WAN goes down
  auto box = startVigild(dir, args);
  const int port = std::stoi(readText(dir.path() / "port"));
  auto ready = httpGet(port, "/readyz");
  BOOST_TEST(ready.first == 200, ready.second);
  BOOST_TEST(httpGet(port, "/healthz").first == 200);
  // The daily license check is waiting, and the link says why.
  testsupport::Deadline deadline("a failed attempt to show in /metrics", 30s);
  while (httpGet(port, "/metrics").second.find("vigil_sync_attempts_failed_total 0") !=
         std::string::npos) {
    std::this_thread::sleep_for(100ms);
  }
  BOOST_TEST(httpGet(port, "/readyz").first == 200);
  BOOST_TEST(box.stop() == 0);
  BOOST_REQUIRE_EQUAL(runVigild(dir, args, {"sync", "status", "--json"}), 0);
  const auto status = readText(dir.path() / "cmd.out");
  BOOST_TEST(status.find("\"lastError\":\"connect_failed\"") != std::string::npos, status);
  BOOST_TEST(status.find("\"backlog\":1") != std::string::npos, status);
}
