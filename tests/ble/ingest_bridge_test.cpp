// The BLE gateway's link states kept in the store (ingest_bridge: persistLinkStatus,
// pruneRetiredLinks, storedLinks) on a real SQLite store, without a bus: the listener is called
// as the gateway calls it.
#include "vigil/ble/ingest_bridge.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>

#include "vigil/registry/registry.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/testsupport/process.hpp"
#include "vigil/testsupport/test_store.hpp"

using namespace vigil;
using namespace vigil::ble;
using namespace std::chrono_literals;

namespace {

const std::string kStrap = "C4:7C:8D:6A:12:34";
const std::string kStrapUid = "ble-C47C8D6A1234";
const std::string kCuff = "C4:7C:8D:6A:56:78";
const std::string kCuffUid = "ble-C47C8D6A5678";

struct LinkStore {
  testsupport::TempDir dir{"vigil-ble-links"};
  std::unique_ptr<store::Database> db;
  BleGateway::StatusListener listener;

  LinkStore() {
    auto o = testsupport::testStoreOptions(dir.path() / "vigil.db");
    db = store::Database::open(o);
    listener = persistLinkStatus(*db);
  }

  /// The gateway reports a paired device in `state`; waits until the store has it.
  void report(const std::string& address, const std::string& uid, DeviceState state) {
    BleDeviceStatus s;
    s.address = address;
    s.uid = uid;
    s.state = state;
    s.paired = true;
    s.changedAt = SystemClock::instance().now();
    listener(s);
    db->writeSync([](store::Connection&) { return 0; });  // after the listener's job
  }

  std::vector<std::string> keptAddresses() {
    std::vector<std::string> out;
    for (const auto& l : storedLinks(*db)) out.push_back(l.address + "=" + l.state);
    return out;
  }

  std::int64_t registerDevice(const std::string& uid) {
    registry::DeviceRegistry reg(*db, SystemClock::instance());
    return reg.add({uid, registry::DeviceKind::heart_rate}).id;
  }
  void retire(std::int64_t id) {
    registry::DeviceRegistry reg(*db, SystemClock::instance());
    reg.retire(id);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(IngestBridgeLinks)

BOOST_AUTO_TEST_CASE(prunes_the_links_of_retired_devices_only) {
  LinkStore s;
  auto strap = s.registerDevice(kStrapUid);
  s.registerDevice(kCuffUid);
  s.report(kStrap, kStrapUid, DeviceState::connected);
  s.report(kCuff, kCuffUid, DeviceState::connected);
  s.report("C4:7C:8D:6A:00:01", "ble-C47C8D6A0001", DeviceState::disconnected);  // unregistered
  BOOST_TEST(s.keptAddresses().size() == 3U);
  BOOST_TEST(pruneRetiredLinks(*s.db) == 0U);

  s.retire(strap);
  BOOST_TEST(pruneRetiredLinks(*s.db) == 1U);
  auto kept = s.keptAddresses();
  BOOST_TEST(
      kept == (std::vector<std::string>{"C4:7C:8D:6A:00:01=disconnected", kCuff + "=connected"}),
      boost::test_tools::per_element());
  BOOST_TEST(pruneRetiredLinks(*s.db) == 0U);
}

BOOST_AUTO_TEST_CASE(drops_a_retired_devices_link_on_its_next_change_instead_of_writing_it) {
  LinkStore s;
  auto strap = s.registerDevice(kStrapUid);
  s.report(kStrap, kStrapUid, DeviceState::connected);
  BOOST_TEST(s.keptAddresses() == std::vector<std::string>{kStrap + "=connected"},
             boost::test_tools::per_element());
  s.retire(strap);
  // Still paired in BlueZ: it goes out of range; the change removes the row.
  s.report(kStrap, kStrapUid, DeviceState::disconnected);
  BOOST_TEST(s.keptAddresses().empty());
  s.report(kStrap, kStrapUid, DeviceState::connected);
  BOOST_TEST(s.keptAddresses().empty());
}

BOOST_AUTO_TEST_SUITE_END()
