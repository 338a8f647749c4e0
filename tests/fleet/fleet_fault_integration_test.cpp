// Fault cases driven by the fleet simulator against a real box (Mosquitto + vigild):
//  - vigild's wall clock jumps forward and back mid-stream (libfaketime preloaded into the vigild
//    process only, its offset changed through a file while it runs: the daemon's binary is
//    unchanged and its system_clock, OpenSSL and SQLite all see the jump);
//  - one device floods: the per-device rate limit refuses its excess, the other devices are not
//    affected.
// After each: every acknowledged reading stored exactly once, `vigild store check` and
// `vigild audit verify` exit 0.
// And the benchmarks' raw baseline (issue 28): with completeOnPuback the simulator counts the
// broker's PUBACKs, with no box running; without it the same messages stay unacknowledged.
#define BOOST_TEST_MODULE fleet_faults
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <thread>

#include "vigil/fleet/device_payload.hpp"
#include "vigil/fleet/simulation.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/testsupport/box_fixture.hpp"
#include "vigil/testsupport/box_fleet.hpp"
#include "vigil/testsupport/deadline.hpp"

namespace fs = std::filesystem;
using namespace vigil;
using namespace std::chrono_literals;

namespace {

constexpr const char* kFaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

void checkBoxIsClean(testsupport::BoxFixture& box) {
  if (box.running()) box.stop();
  auto counts = box.countReadings();
  BOOST_TEST(counts.rows == counts.distinct);
  std::string out;
  BOOST_TEST(box.runCommand({"store", "check"}, &out) == 0, out);
  BOOST_TEST(box.runCommand({"audit", "verify"}, &out) == 0, out);
}

void writeOffset(const fs::path& file, const std::string& offset) {
  std::ofstream(file, std::ios::trunc) << offset << "\n";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(FleetFaults)

BOOST_AUTO_TEST_CASE(wall_clock_jumping_forward_and_back_loses_and_doubles_nothing) {
  BOOST_TEST_REQUIRE(fs::exists(kFaketime), "libfaketime missing: scripts/deps/simulator.txt");
  testsupport::TempDir tmp("vigil-clock");
  auto offsetFile = tmp.path() / "offset";
  writeOffset(offsetFile, "+0");
  testsupport::BoxFixture::Options o;
  o.deviceUids = testsupport::deviceUids("clock-", 4);
  // A rate limit the devices stay under: it must keep refilling when the clock goes back.
  o.settings = {"ingest.device_rate=40", "ingest.device_burst=60"};
  o.env = {{"LD_PRELOAD", kFaketime},
           {"FAKETIME_TIMESTAMP_FILE", offsetFile.string()},
           {"FAKETIME_NO_CACHE", "1"},
           {"FAKETIME_DONT_FAKE_MONOTONIC", "1"}};
  testsupport::BoxFixture box(o);

  fleet::SimulationOptions so;
  so.ratePerDevice = 25;
  so.duration = 10s;
  so.seed = 21;
  so.resendAfter = 2s;
  so.drainTimeout = 20s;
  fleet::Simulation sim(testsupport::fleetOf(box, o.deviceUids), so);
  std::thread faults([&] {
    std::this_thread::sleep_for(3s);
    writeOffset(offsetFile, "+6h");
    std::this_thread::sleep_for(2s);
    writeOffset(offsetFile, "-5m");  // within ingest.future_slack_minutes of the devices
  });
  auto report = sim.run();
  testsupport::joinWithin(faults, 30s, "joining the thread moving vigild's clock");
  BOOST_TEST(report.connected == 4u);
  BOOST_TEST(report.sent > 500u);
  BOOST_TEST(report.acknowledged == report.sent, report.text());
  BOOST_TEST(report.rejected == 0u, report.text());

  // vigild really saw its clock jump: receive times span the six hours.
  box.stop();
  // Nothing doubled: each stored reading is there once, and every message left at least one.
  // A "duplicate" ack is no fault in itself (under a loaded run a hub resends after 2 s while
  // the first copy is still on its way, and the box recognises the copy), but it can only
  // answer a resend.
  auto counts = box.countReadings();
  BOOST_TEST(counts.distinct == counts.rows);
  BOOST_TEST(counts.rows >= static_cast<std::int64_t>(report.sent), report.text());
  BOOST_TEST((report.duplicates == 0u || report.resent > 0u), report.text());
  store::Connection c(box.databasePath(), store::Connection::Mode::readOnly);
  auto s = c.prepare("SELECT max(received_at) - min(received_at) FROM readings");
  s.step();
  BOOST_TEST(s.get<std::int64_t>(0) > 5 * 3600 * 1000);
  checkBoxIsClean(box);
}

BOOST_AUTO_TEST_CASE(flooding_device_is_rate_limited_and_the_others_are_unaffected) {
  testsupport::BoxFixture::Options o;
  o.deviceUids = testsupport::deviceUids("calm-", 5);
  o.deviceUids.push_back("flooder");
  o.settings = {"ingest.device_rate=20", "ingest.device_burst=40"};
  testsupport::BoxFixture box(o);

  // The flooder: 3,000 messages as fast as the connection takes them. Messages over its limit
  // are not acknowledged (nothing is lost: they stay with the device, which resends later, again
  // within the limit); resends are held off for this test.
  auto flood = fleet::deviceFromBundle(box.bundle("flooder"));
  fleet::PublisherOptions po;
  po.mqtt = flood.mqtt;
  po.deviceUid = "flooder";
  po.maxInFlight = 5000;
  po.resendAfter = 120s;
  fleet::DevicePublisher flooder(po);
  BOOST_TEST_REQUIRE(flooder.start(10s));

  fleet::SimulationOptions so;
  so.ratePerDevice = 5;
  so.duration = 4s;
  so.seed = 8;
  fleet::Simulation calm(testsupport::fleetOf(box, testsupport::deviceUids("calm-", 5)), so);
  auto floodStart = std::chrono::steady_clock::now();
  std::thread floodThread([&] {
    fleet::Persona p(fleet::PersonaKind::normal, 1, fleet::DeviceClockTime{});
    auto t0 =
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    for (std::uint64_t i = 0; i < 3000; ++i) {
      auto at = t0 + std::chrono::milliseconds(i);
      flooder.send(i,
                   fleet::readingsPayload(i, p.measure(fleet::VitalDevice::heartRate, at), at, at));
    }
  });
  auto report = calm.run();
  testsupport::joinWithin(floodThread, 60s, "joining the thread flooding the broker");
  std::this_thread::sleep_for(1s);
  auto floodSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - floodStart).count();
  auto fs = flooder.stats();

  // The calm devices: everything stored, nothing refused, latency of a quiet box.
  BOOST_TEST(report.acknowledged == report.sent, report.text());
  BOOST_TEST(report.rejected == 0u, report.text());
  BOOST_TEST(report.p99Ms < 2000, report.text());
  // The flooder: its burst and its rate got through, no more.
  BOOST_TEST(fs.sent == 3000u);
  BOOST_TEST(fs.acked >= 40u);
  BOOST_TEST(double(fs.acked) <= 40 + 20 * floodSeconds + 5, "acked " << fs.acked);
  BOOST_TEST(flooder.pending() == 3000u - fs.acked);
  auto metrics = box.get("/metrics").second;
  BOOST_TEST(metrics.find("reason=\"rate_limited\"") != std::string::npos);
  flooder.stop();
  box.stop();
  auto byDevice = box.readingsByDevice();
  BOOST_TEST(byDevice["flooder"] == static_cast<std::int64_t>(fs.acked));
  for (const auto& uid : testsupport::deviceUids("calm-", 5)) BOOST_TEST(byDevice[uid] > 0, uid);
  checkBoxIsClean(box);
}

BOOST_AUTO_TEST_CASE(the_raw_baseline_is_done_at_the_brokers_puback_and_never_counts_as_stored) {
  testsupport::BoxFixture::Options o;
  o.deviceUids = testsupport::deviceUids("raw-", 3);
  o.start = false;  // no vigild: nothing can store or ack a reading
  testsupport::BoxFixture box(o);
  auto run = [&](bool puback) {
    fleet::SimulationOptions so;
    so.ratePerDevice = 0;
    so.count = puback ? 300 : 12;  // 12: each device's window of 4, once (send() would block)
    so.maxInFlightPerDevice = 4;
    so.completeOnPuback = puback;
    so.drainTimeout = puback ? 30s : 1s;
    so.resendAfter = 60s;
    fleet::Simulation sim(testsupport::fleetOf(box, testsupport::deviceUids("raw-", 3)), so);
    return sim.run();
  };
  auto raw = run(true);
  BOOST_TEST(raw.connected == 3u, raw.text());
  BOOST_TEST(raw.sent == 300u, raw.text());
  BOOST_TEST(raw.acknowledged == 300u, raw.text());
  BOOST_TEST(raw.unacknowledged == 0u, raw.text());
  BOOST_TEST(raw.resent == 0u, raw.text());
  // Waiting for the box's acks instead: the same windows stay full, nothing is done.
  auto boxAcks = run(false);
  BOOST_TEST(boxAcks.acknowledged == 0u, boxAcks.text());
  BOOST_TEST(boxAcks.sent == 12u, boxAcks.text());
  BOOST_TEST(boxAcks.unacknowledged == 12u, boxAcks.text());
}

BOOST_AUTO_TEST_SUITE_END()
