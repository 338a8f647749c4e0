// A whole box on PostgreSQL (issue 29, label postgres): a real PostgreSQL 15 server, a real
// Mosquitto and a real vigild with store.backend = postgres; simulated devices publish; every
// acknowledged reading is stored exactly once; `vigild store check`, `vigild store backup`
// (pg_dump) and `vigild audit verify` succeed; a SIGKILL mid-stream loses nothing acknowledged.
#define BOOST_TEST_MODULE postgres_box
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <thread>

#include "vigil/fleet/device_payload.hpp"
#include "vigil/fleet/simulation.hpp"
#include "vigil/testsupport/box_fixture.hpp"
#include "vigil/testsupport/box_fleet.hpp"
#include "vigil/testsupport/deadline.hpp"
#include "vigil/testsupport/postgres_server.hpp"

namespace fs = std::filesystem;
using namespace vigil;
using namespace std::chrono_literals;

namespace {}  // namespace

BOOST_AUTO_TEST_SUITE(PostgresBox)

BOOST_AUTO_TEST_CASE(every_acknowledged_reading_is_stored_once_on_postgres) {
  testsupport::PostgresServer pg;
  testsupport::BoxFixture::Options o;
  o.deviceUids = testsupport::deviceUids("pg-", 12);
  o.postgresConninfo = pg.createDatabase("vigil");
  testsupport::BoxFixture box(o);

  fleet::SimulationOptions so;
  so.ratePerDevice = 10;
  so.duration = 8s;
  so.seed = 29;
  so.resendAfter = 3s;
  so.drainTimeout = 30s;
  fleet::Simulation sim(testsupport::fleetOf(box, o.deviceUids), so);
  std::thread killer([&] {
    std::this_thread::sleep_for(4s);
    box.kill9();  // mid-stream: what was acknowledged is committed; the rest is resent
    box.start();
  });
  auto report = sim.run();
  testsupport::joinWithin(killer, 60s, "joining the thread that kills vigild");
  BOOST_TEST(report.connected == 12u);
  BOOST_TEST(report.sent > 300u);
  BOOST_TEST(report.acknowledged == report.sent, report.text());
  box.stop();

  auto counts = box.countReadings();
  BOOST_TEST(counts.rows == counts.distinct);
  BOOST_TEST(counts.rows >= static_cast<std::int64_t>(report.sent), report.text());
  std::string out;
  BOOST_TEST(box.runCommand({"store", "check"}, &out) == 0, out);
  BOOST_TEST(out.find("store ok") != std::string::npos, out);
  BOOST_TEST(box.runCommand({"audit", "verify"}, &out) == 0, out);
  const auto dump = box.dataDir() / "store.dump";
  BOOST_TEST(box.runCommand({"store", "backup", dump.string()}, &out) == 0, out);
  BOOST_TEST(fs::file_size(dump) > 0u);
}

BOOST_AUTO_TEST_SUITE_END()
