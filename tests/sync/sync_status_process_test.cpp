// `vigild sync status [--json]` as a real process on a store with outbox entries: it opens the
// store only (no ports) and prints the backlog per stream, the oldest entry's age, what holds
// each stream, the last success and the last error. `vigild sync retry|cancel ID`: the
// console's answer to a refused entry, audited.
#define BOOST_TEST_MODULE sync_process
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "vigil/core/time.hpp"
#include "vigil/store/database.hpp"
#include "vigil/testsupport/process.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using vigil::testsupport::Process;
using vigil::testsupport::readText;
using vigil::testsupport::TempDir;

namespace {

struct Run {
  int exitCode;
  std::string out;
  std::string err;
};

Run vigild(const TempDir& dir, const std::vector<std::string>& command) {
  std::vector<std::string> args{"--set", "data.dir=" + dir.path().string(), "--set",
                                "mqtt.enabled=false"};
  args.insert(args.end(), command.begin(), command.end());
  const auto out = dir.path() / "stdout";
  const auto err = dir.path() / "stderr";
  fs::remove(out);
  fs::remove(err);
  Process p(VIGILD_PATH, {args, {}, out, err});
  int rc = p.wait(30s).value_or(-1);
  return {rc, readText(out), readText(err)};
}

// Runs the service once (creating the store and the master key) and stops it.
void startAndStop(const TempDir& dir) {
  const auto portFile = dir.path() / "port";
  Process p(VIGILD_PATH,
            {{"--set", "data.dir=" + dir.path().string(), "--set", "mqtt.enabled=false", "--set",
              "web.port=0", "--set", "web.port_file=" + portFile.string()},
             {},
             "",
             dir.path() / "service.stderr"});
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (readText(portFile).empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  BOOST_REQUIRE_MESSAGE(!readText(portFile).empty(), readText(dir.path() / "service.stderr"));
  BOOST_REQUIRE_EQUAL(p.stop(), 0);
}

// The product schema with two streams written the way vigil::sync writes them: claims with two
// entries waiting (created 2 h ago), rx with its head refused.
void seedOutbox(const fs::path& dbPath) {
  vigil::store::Options o;
  o.path = dbPath;
  auto db = vigil::store::Database::open(o);
  const auto now = vigil::core::toMillis(std::chrono::system_clock::now());
  const auto twoHoursAgo = now - 2 * 3600 * 1000;
  db->writeSync([&](vigil::store::Connection& c) {
    c.execute(
        "INSERT INTO sync_streams (stream, next_seq, blocked_by) VALUES "
        "('claims/2026-12', 3, NULL), ('rx/88', 2, 'rx-entry-1')");
    auto insert = [&](const char* id, const char* stream, int seq, const char* kind,
                      const char* state, std::int64_t created, const char* error) {
      c.execute(
          "INSERT INTO sync_outbox (id, stream, seq, kind, recipient, envelope, created_at, "
          "state, attempts, next_attempt_at, last_error) VALUES (?1, ?2, ?3, ?4, 'svc', "
          "'{\"ct\":\"sealed\"}', ?5, ?6, 1, ?5, ?7)",
          id, stream, seq, kind, created, state, error);
    };
    insert("claims-entry-1", "claims/2026-12", 1, "claim.submit", "pending", twoHoursAgo,
           "timeout");
    insert("claims-entry-2", "claims/2026-12", 2, "claim.submit", "pending", now, "");
    insert("rx-entry-1", "rx/88", 1, "rx.submit", "refused", now, "invalid_payload");
    c.execute(
        "INSERT INTO sync_state (key, value) VALUES ('link.last_error', 'timeout'), "
        "('link.last_error_at', ?1)",
        std::to_string(now));
  });
  db->close();
}

}  // namespace

BOOST_AUTO_TEST_CASE(sync_status_prints_the_outbox_as_json_and_text) {
  TempDir dir;
  {
    auto r = vigild(dir, {"sync", "status"});
    BOOST_TEST(r.exitCode == 66, r.err);
    BOOST_TEST(r.err.find("database does not exist") != std::string::npos, r.err);
  }
  seedOutbox(dir.path() / "vigil.db");
  {
    auto r = vigild(dir, {"sync", "status", "--json"});
    BOOST_REQUIRE_MESSAGE(r.exitCode == 0, r.err);
    Poco::JSON::Parser parser;
    auto root = parser.parse(r.out).extract<Poco::JSON::Object::Ptr>();
    BOOST_TEST(root->getValue<int>("backlog") == 3);
    const auto age = root->getValue<int>("oldestEntryAgeSeconds");
    BOOST_TEST((age >= 7200 && age < 7200 + 60));
    BOOST_TEST(root->isNull("lastSuccessAt"));
    BOOST_TEST(root->getValue<std::string>("lastError") == "timeout");
    auto streams = root->getArray("streams");
    BOOST_REQUIRE_EQUAL(streams->size(), 2u);
    auto claims = streams->getObject(0);
    BOOST_TEST(claims->getValue<std::string>("stream") == "claims/2026-12");
    BOOST_TEST(claims->getValue<int>("backlog") == 2);
    BOOST_TEST(!claims->getValue<bool>("blocked"));
    BOOST_TEST(claims->getObject("head")->getValue<std::string>("id") == "claims-entry-1");
    auto rx = streams->getObject(1);
    BOOST_TEST(rx->getValue<bool>("blocked"));
    BOOST_TEST(rx->getObject("head")->getValue<std::string>("lastError") == "invalid_payload");
    BOOST_TEST(r.out.find("sealed") == std::string::npos);  // never the envelope
  }
  {
    auto r = vigild(dir, {"sync", "status"});
    BOOST_REQUIRE_MESSAGE(r.exitCode == 0, r.err);
    BOOST_TEST(
        r.out.find("cloud link outbox: 3 entries waiting in 2 stream(s), oldest 2h 0m old") !=
            std::string::npos,
        r.out);
    BOOST_TEST(r.out.find("rx/88: 1 waiting") != std::string::npos, r.out);
    BOOST_TEST(r.out.find("REFUSED: invalid_payload") != std::string::npos, r.out);
  }
}

BOOST_AUTO_TEST_CASE(sync_cancel_and_retry_from_the_console_are_audited) {
  TempDir dir;
  startAndStop(dir);
  seedOutbox(dir.path() / "vigil.db");
  {
    // Cancelling needs the box's cloud keys (its stream.skip is signed): without an enrolment
    // it is a clear error and changes nothing.
    auto r = vigild(dir, {"sync", "cancel", "rx-entry-1"});
    BOOST_TEST(r.exitCode == 65, r.err);
    BOOST_TEST(r.err.find("not enrolled") != std::string::npos, r.err);
  }
  {
    auto r = vigild(dir, {"sync", "retry", "rx-entry-1"});
    BOOST_REQUIRE_MESSAGE(r.exitCode == 0, r.err);
  }
  {
    // Pending again is not final; a delivered or cancelled one would be.
    auto r = vigild(dir, {"sync", "retry", "no-such-entry"});
    BOOST_TEST(r.exitCode == 65, r.err);
  }
  {
    auto r = vigild(dir, {"sync", "retry", "claims-entry-1"});
    BOOST_REQUIRE_MESSAGE(r.exitCode == 0, r.err);
  }
  {
    auto r = vigild(dir, {"sync", "status", "--json"});
    BOOST_REQUIRE_MESSAGE(r.exitCode == 0, r.err);
    Poco::JSON::Parser parser;
    auto root = parser.parse(r.out).extract<Poco::JSON::Object::Ptr>();
    BOOST_TEST(root->getValue<int>("backlog") == 3);
    BOOST_TEST(root->getArray("streams")->size() == 2u);
    BOOST_TEST(!root->getArray("streams")->getObject(1)->getValue<bool>("blocked"));
  }
  vigil::store::Options o;
  o.path = dir.path() / "vigil.db";
  auto db = vigil::store::Database::open(o);
  auto actions = db->read([](vigil::store::Connection& c) {
    std::string out;
    auto st = c.prepare(
        "SELECT action || ':' || object_id FROM audit_log WHERE action LIKE 'sync.%' ORDER BY seq");
    while (st.step()) out += st.getText(0) + " ";
    return out;
  });
  BOOST_TEST(actions == "sync.retry:rx-entry-1 sync.retry:claims-entry-1 ");
  db->close();
  {
    auto r = vigild(dir, {"audit", "verify"});
    BOOST_TEST(r.exitCode == 0, r.err << r.out);
  }
}
