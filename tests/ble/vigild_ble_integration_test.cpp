// vigild with BLE on, as installed: a real vigild (BoxFixture: broker, data dir, a registered
// and assigned device) pointed at a private D-Bus through ble.bus_address. A notification from
// the BlueZ stand-in ends as a stored reading in vigild's database, with or without the broker
// (mqtt.enabled=false); with no bus, no BlueZ or no adapter vigild runs on, ready, and says so
// once.
#include <boost/test/unit_test.hpp>

#include "bluez_standin.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/testsupport/box_fixture.hpp"

using namespace vigil;
using namespace vigil::bletest;
using testsupport::BoxFixture;

namespace {

const std::string kStrap = "C4:7C:8D:6A:12:34";
const std::string kStrapUid = "ble-C47C8D6A1234";

std::size_t countOf(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1))
    ++n;
  return n;
}

/// The device's ble_links row as "state|reason|connected-ever", or "" when there is none.
std::string keptLink(const BoxFixture& box, const std::string& address) {
  store::Connection c(box.databasePath(), store::Connection::Mode::readOnly);
  auto s = c.prepare(
      "SELECT state, reason, last_connected_at IS NOT NULL, uid FROM ble_links WHERE address = ?");
  s.bindAll(address);
  if (!s.step()) return "";
  return s.get<std::string>(0) + "|" + s.get<std::string>(1) + "|" +
         std::to_string(s.get<std::int64_t>(2)) + "|" + s.get<std::string>(3);
}

BoxFixture::Options boxOn(const std::string& busAddress) {
  BoxFixture::Options o;
  o.deviceUids = {kStrapUid};  // registered and assigned to a patient, as an admin would
  o.settings = {"ble.bus_address=" + busAddress, "ble.retry_ms=300"};
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(VigildBle)

BOOST_AUTO_TEST_CASE(stores_a_reading_from_a_paired_ble_device) {
  BlueZStandIn bluez;
  bluez.startStandIn();
  bluez.addDevice(kStrap, "hr", "justworks", true);
  BoxFixture box(boxOn(bluez.bus.address()));
  BOOST_TEST_REQUIRE(
      eventually([&] { return bluez.standInBool("DeviceState", kStrap, "Connected"); }, 15s),
      box.log());
  BOOST_TEST_REQUIRE(eventually([&] {
    return bluez.notify(kStrap, 0x2A37, {0x00, 0x48});  // once subscribed
  }));
  BOOST_TEST(eventually([&] { return box.readingsByDevice()[kStrapUid] == 1; }), box.log());
  auto metrics = box.get("/metrics").second;
  BOOST_TEST(metrics.find("vigil_ble_devices{state=\"connected\"} 1") != std::string::npos);
  BOOST_TEST(metrics.find("vigil_ble_adapter_present 1") != std::string::npos);
  BOOST_TEST(metrics.find("C47C8D6A1234") == std::string::npos);
  BOOST_TEST(box.stop() == 0);
}

BOOST_AUTO_TEST_CASE(stores_ble_readings_with_mqtt_disabled_and_no_broker) {
  // A clinic with BLE devices only: no broker connection at all, readings still stored.
  BlueZStandIn bluez;
  bluez.startStandIn();
  bluez.addDevice(kStrap, "hr", "justworks", true);
  auto options = boxOn(bluez.bus.address());
  options.settings.push_back("mqtt.enabled=false");
  options.start = false;
  BoxFixture box(options);
  box.broker().stop();  // nothing to connect to: ingest must not need it
  box.start();
  BOOST_TEST_REQUIRE(
      eventually([&] { return bluez.standInBool("DeviceState", kStrap, "Connected"); }, 15s),
      box.log());
  BOOST_TEST_REQUIRE(eventually([&] { return bluez.notify(kStrap, 0x2A37, {0x00, 0x48}); }));
  BOOST_TEST(eventually([&] { return box.readingsByDevice()[kStrapUid] == 1; }), box.log());
  BOOST_TEST(box.get("/readyz").first == 200, box.log());
  BOOST_TEST(box.log().find("event=ble.off") == std::string::npos, box.log());
  BOOST_TEST(box.stop() == 0);
}

BOOST_AUTO_TEST_CASE(keeps_each_paired_device_link_state_across_restarts) {
  BlueZStandIn bluez;
  bluez.startStandIn();
  bluez.addDevice(kStrap, "hr", "justworks", true);
  bluez.addDevice("C4:7C:8D:6A:99:99", "bp", "justworks", false);  // discovered only
  BoxFixture box(boxOn(bluez.bus.address()));
  BOOST_TEST_REQUIRE(
      eventually([&] { return keptLink(box, kStrap) == "connected||1|" + kStrapUid; }, 15s),
      box.log());
  BOOST_TEST(keptLink(box, "C4:7C:8D:6A:99:99").empty());  // passers-by are not kept

  bluez.bus.controlVoid("SetInRange", g_variant_new("(sb)", kStrap.c_str(), FALSE));
  BOOST_TEST(eventually([&] { return keptLink(box, kStrap).rfind("disconnected|", 0) == 0; }),
             keptLink(box, kStrap));
  BOOST_TEST(keptLink(box, kStrap).find("|1|") != std::string::npos);  // last connected kept
  BOOST_TEST(box.stop() == 0);

  bluez.killStandIn();  // after the restart, BlueZ is away: the kept row is all there is
  box.start();
  BOOST_TEST_REQUIRE(
      eventually([&] { return countOf(box.log(), "event=ble.bluez_unavailable") > 0; }), box.log());
  BOOST_TEST(keptLink(box, kStrap).find("|1|" + kStrapUid) != std::string::npos,
             keptLink(box, kStrap));
  BOOST_TEST(box.stop() == 0);
}

BOOST_AUTO_TEST_CASE(runs_on_without_an_adapter_and_says_so_once) {
  BlueZStandIn bluez;
  bluez.startStandIn(false);
  BoxFixture box(boxOn(bluez.bus.address()));
  BOOST_TEST_REQUIRE(eventually([&] { return countOf(box.log(), "event=ble.no_adapter") > 0; }),
                     box.log());
  std::this_thread::sleep_for(1500ms);  // several retry intervals
  BOOST_TEST(countOf(box.log(), "event=ble.no_adapter") == 1U, box.log());
  BOOST_TEST(box.running());
  BOOST_TEST(box.get("/readyz").first == 200);
  BOOST_TEST(box.get("/metrics").second.find("vigil_ble_adapter_present 0") != std::string::npos);

  bluez.killStandIn();  // bluetoothd stops too
  BOOST_TEST(eventually([&] { return countOf(box.log(), "event=ble.bluez_unavailable") == 1; }),
             box.log());
  std::this_thread::sleep_for(1000ms);
  BOOST_TEST(countOf(box.log(), "event=ble.bluez_unavailable") == 1U);
  BOOST_TEST(box.running());
  BOOST_TEST(box.stop() == 0);
}

BOOST_AUTO_TEST_CASE(runs_on_without_a_system_bus_and_says_so_once) {
  TempDir nowhere("vigil-ble-nobus");
  BoxFixture box(boxOn("unix:path=" + (nowhere.path() / "no-bus").string()));
  BOOST_TEST_REQUIRE(eventually([&] { return countOf(box.log(), "event=ble.no_system_bus") > 0; }),
                     box.log());
  std::this_thread::sleep_for(1500ms);
  BOOST_TEST(countOf(box.log(), "event=ble.no_system_bus") == 1U, box.log());
  BOOST_TEST(box.get("/readyz").first == 200);
  BOOST_TEST(box.stop() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
