// `vigil-devtool simulate` end to end: the real executable, device bundles made by the real
// provisioner, a real Mosquitto with TLS and client certificates, a real vigild; the simulator's
// report must agree with what the box stored.
#define BOOST_TEST_MODULE fleet_simulate
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>
#include <fstream>

#include "vigil/store/sqlite.hpp"
#include "vigil/testsupport/box_fixture.hpp"

namespace fs = std::filesystem;
using namespace vigil;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> uids(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back("sim-" + std::to_string(i));
  return out;
}

struct Run {
  int exitCode = -1;
  Poco::JSON::Object::Ptr report;
  std::string stderrText;
};

Run simulate(testsupport::BoxFixture& box, std::vector<std::string> args) {
  testsupport::TempDir tmp("vigil-sim");
  std::vector<std::string> all{"simulate", "--bundles", box.bundlesDir().string(), "--json"};
  all.insert(all.end(), args.begin(), args.end());
  testsupport::Process p(DEVTOOL_PATH, {all, {}, tmp.path() / "out", tmp.path() / "err"});
  Run r;
  auto rc = p.wait(120s);
  r.exitCode = rc ? *rc : -1;
  r.stderrText = testsupport::readText(tmp.path() / "err");
  auto out = testsupport::readText(tmp.path() / "out");
  BOOST_TEST_REQUIRE(!out.empty(), "no report; stderr: " << r.stderrText);
  r.report = Poco::JSON::Parser().parse(out).extract<Poco::JSON::Object::Ptr>();
  return r;
}

std::uint64_t field(const Run& r, const std::string& k) {
  return r.report->getValue<std::uint64_t>(k);
}

void checkBoxIsClean(testsupport::BoxFixture& box) {
  std::string out;
  BOOST_TEST(box.runCommand({"store", "check"}, &out) == 0, out);
  BOOST_TEST(box.runCommand({"audit", "verify"}, &out) == 0, out);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(SimulateCommand)

BOOST_AUTO_TEST_CASE(json_fleet_of_every_kind_is_stored_and_acknowledged_exactly_once) {
  testsupport::BoxFixture box({uids(6)});
  auto run = simulate(box, {"--rate", "25", "--count", "300", "--seed", "3", "--quiet"});
  BOOST_TEST(run.exitCode == 0, run.stderrText);
  BOOST_TEST(field(run, "connected") == 6u);
  BOOST_TEST(field(run, "sent") == 300u);
  BOOST_TEST(field(run, "acknowledged") == 300u);
  BOOST_TEST(field(run, "unacknowledged") == 0u);
  BOOST_TEST(field(run, "rejected") == 0u);
  BOOST_TEST(run.report->getObject("latency_ms")->getValue<double>("p99") > 0);
  box.stop();
  auto counts = box.countReadings();
  BOOST_TEST(counts.rows == counts.distinct);
  // Cuffs and oximeters send two readings a message (a panel or SpO2, and the pulse).
  BOOST_TEST(counts.rows > 300);
  BOOST_TEST(counts.rows < 600);
  for (const auto& [uid, n] : box.readingsByDevice()) BOOST_TEST(n > 0, uid);
  checkBoxIsClean(box);
}

BOOST_AUTO_TEST_CASE(gatt_hubs_offline_bursts_and_skewed_clocks_lose_nothing) {
  testsupport::BoxFixture box({uids(6)});
  auto run = simulate(box, {"--mode", "gatt", "--rate", "20", "--count", "360", "--offline-prob",
                            "0.05", "--offline-min", "0.2", "--offline-max", "0.8", "--skew", "600",
                            "--seed", "4", "--quiet"});
  BOOST_TEST(run.exitCode == 0, run.stderrText);
  BOOST_TEST(field(run, "acknowledged") == 360u);
  BOOST_TEST(field(run, "catch_up_bursts") > 0u);
  BOOST_TEST(field(run, "offline_held") > 0u);
  box.stop();
  auto counts = box.countReadings();
  BOOST_TEST(counts.rows == counts.distinct);
  BOOST_TEST(counts.rows > 360);
  checkBoxIsClean(box);
}

BOOST_AUTO_TEST_CASE(a_second_run_stores_new_readings_not_duplicates) {
  testsupport::BoxFixture box({uids(2)});
  auto first = simulate(box, {"--rate", "20", "--count", "40", "--quiet"});
  auto second = simulate(box, {"--rate", "20", "--count", "40", "--quiet"});
  BOOST_TEST(first.exitCode == 0);
  BOOST_TEST(second.exitCode == 0);
  BOOST_TEST(field(second, "duplicates") == 0u);
  box.stop();
  auto counts = box.countReadings();
  BOOST_TEST(counts.rows == counts.distinct);
}

BOOST_AUTO_TEST_CASE(a_device_sending_as_fast_as_it_can_never_repeats_a_timestamp) {
  // Readings without a sequence number are told apart by device time: at full speed several
  // measurements fall in one millisecond, and the box would take them for resends.
  testsupport::BoxFixture box({uids(1)});
  auto run = simulate(box, {"--kinds", "heart_rate", "--rate", "0", "--count", "500", "--quiet"});
  BOOST_TEST(run.exitCode == 0, run.stderrText);
  BOOST_TEST(field(run, "acknowledged") == 500u);
  BOOST_TEST(field(run, "duplicates") == 0u);
  box.stop();
  BOOST_TEST(box.countReadings().rows == 500);
}

BOOST_AUTO_TEST_CASE(progress_goes_to_stderr_and_a_text_report_to_stdout) {
  testsupport::BoxFixture box({uids(1)});
  testsupport::TempDir tmp("vigil-sim");
  testsupport::Process p(DEVTOOL_PATH, {{"simulate", "--bundles", box.bundlesDir().string(),
                                         "--rate", "20", "--count", "20"},
                                        {},
                                        tmp.path() / "out",
                                        tmp.path() / "err"});
  BOOST_TEST(p.wait(60s).value_or(-1) == 0);
  auto out = testsupport::readText(tmp.path() / "out");
  BOOST_TEST_MESSAGE(out);
  BOOST_TEST(out.find("acknowledged   20") != std::string::npos, out);
  BOOST_TEST(out.find("p95") != std::string::npos);
  BOOST_TEST(testsupport::readText(tmp.path() / "err").find("acknowledged") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(fleet_file_gives_each_device_its_persona_and_kind) {
  // The format `vigild demo seed` writes (bundles/fleet.txt): uid persona kind bundle, and the
  // patient's UTC offset in minutes (optional).
  testsupport::BoxFixture box({{"demo-bp-1", "demo-spo2-2"}});
  auto fleetFile = box.bundlesDir() / "fleet.txt";
  std::ofstream(fleetFile) << "# uid persona kind bundle [utc offset]\n"
                           << "demo-bp-1 hypertensive blood_pressure demo-bp-1 -360\n"
                           << "demo-spo2-2 copd pulse_oximeter "
                           << box.bundle("demo-spo2-2").string() << "\n";
  testsupport::TempDir tmp("vigil-sim");
  testsupport::Process p(DEVTOOL_PATH, {{"simulate", "--fleet", fleetFile.string(), "--rate", "20",
                                         "--count", "40", "--json", "--quiet"},
                                        {},
                                        tmp.path() / "out",
                                        tmp.path() / "err"});
  BOOST_TEST(p.wait(60s).value_or(-1) == 0, testsupport::readText(tmp.path() / "err"));
  box.stop();
  store::Connection c(box.databasePath(), store::Connection::Mode::readOnly);
  auto kinds = c.prepare(
      "SELECT d.uid, group_concat(DISTINCT r.kind) FROM readings r JOIN devices d ON d.id = "
      "r.device_id GROUP BY d.uid ORDER BY d.uid");
  std::map<std::string, std::string> got;
  while (kinds.step()) got[kinds.get<std::string>(0)] = kinds.get<std::string>(1);
  BOOST_TEST(got["demo-bp-1"].find("blood_pressure") != std::string::npos);
  BOOST_TEST(got["demo-spo2-2"].find("spo2") != std::string::npos);
  BOOST_TEST(got["demo-spo2-2"].find("blood_pressure") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_fleet_line_with_a_bad_utc_offset_exits_2_naming_the_line) {
  testsupport::TempDir tmp("vigil-sim");
  for (const char* offset : {"-900", "abc", "60x"}) {
    std::ofstream(tmp.path() / "fleet.txt", std::ios::trunc)
        << "# a comment\ndemo-bp-1 normal blood_pressure demo-bp-1 " << offset << "\n";
    testsupport::Process p(DEVTOOL_PATH,
                           {{"simulate", "--fleet", (tmp.path() / "fleet.txt").string()},
                            {},
                            tmp.path() / "out",
                            tmp.path() / "err"});
    BOOST_TEST(p.wait(30s).value_or(-1) == 2, offset);
    BOOST_TEST(testsupport::readText(tmp.path() / "err").find("fleet.txt:2: the UTC offset") !=
                   std::string::npos,
               testsupport::readText(tmp.path() / "err"));
  }
}

BOOST_AUTO_TEST_CASE(bad_options_exit_2_with_a_message) {
  testsupport::TempDir tmp("vigil-sim");
  testsupport::Process p(
      DEVTOOL_PATH,
      {{"simulate", "--bundles", tmp.path().string()}, {}, tmp.path() / "out", tmp.path() / "err"});
  BOOST_TEST(p.wait(30s).value_or(-1) == 2);
  BOOST_TEST(testsupport::readText(tmp.path() / "err").find("no device bundles") !=
             std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
