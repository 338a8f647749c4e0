// BleLinkRepository (ble_links) on a real store: what the BLE gateway's bridge needs of it:
// an upsert that keeps the last connection time unless given a new one, a retired device's link
// dropped instead of written, pruning the links of retired devices, and the list by address.
#include "vigil/registry/ble_links.hpp"

#include <boost/test/unit_test.hpp>
#include <future>

#include "temp_dir.hpp"
#include "vigil/core/time.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/testsupport/deadline.hpp"
#include "vigil/testsupport/manual_clock.hpp"
#include "vigil/testsupport/test_store.hpp"

using namespace vigil;
using namespace vigil::registry;
using namespace std::chrono_literals;

namespace {

struct LinksFixture {
  store::test::TempDir dir;
  std::unique_ptr<store::Database> db;
  testsupport::ManualClock clock;
  std::unique_ptr<DeviceRegistry> devices;
  std::unique_ptr<BleLinkRepository> links;
  TimePoint t0 = core::fromMillis(1'700'000'000'000);

  LinksFixture() {
    auto o = testsupport::testStoreOptions(dir / "vigil.db");
    db = store::Database::open(o);
    devices = std::make_unique<DeviceRegistry>(*db, clock);
    links = std::make_unique<BleLinkRepository>(*db);
  }
  std::int64_t registerDevice(const std::string& uid) {
    return devices->add({uid, DeviceKind::heart_rate}).id;
  }
  bool record(const BleLink& link) {
    return db->writeSync(
        [&](store::Connection& c) { return BleLinkRepository::recordIn(c, link); });
  }
  static BleLink link(const std::string& address, const std::string& uid, const std::string& state,
                      TimePoint at, std::optional<TimePoint> connectedAt = std::nullopt) {
    return BleLink{address, uid, state, "", at, connectedAt};
  }
};

const std::string kStrap = "C4:7C:8D:6A:12:34";
const std::string kStrapUid = "ble-C47C8D6A1234";
const std::string kCuff = "C4:7C:8D:6A:56:78";
const std::string kCuffUid = "ble-C47C8D6A5678";

}  // namespace

BOOST_FIXTURE_TEST_SUITE(BleLinkRepositoryBehaviour, LinksFixture)

BOOST_AUTO_TEST_CASE(records_a_link_and_keeps_the_last_connection_time_until_a_new_one) {
  BOOST_TEST(record(link(kStrap, kStrapUid, "connected", t0, t0)));
  BleLink lost = link(kStrap, kStrapUid, "disconnected", t0 + 5s);
  lost.reason = "link_lost";
  BOOST_TEST(record(lost));
  auto kept = links->list();
  BOOST_TEST_REQUIRE(kept.size() == 1U);
  BOOST_TEST(kept[0].address == kStrap);
  BOOST_TEST(kept[0].uid == kStrapUid);
  BOOST_TEST(kept[0].state == "disconnected");
  BOOST_TEST(kept[0].reason == "link_lost");
  BOOST_TEST((kept[0].changedAt == t0 + 5s));
  BOOST_TEST_REQUIRE(kept[0].lastConnectedAt.has_value());
  BOOST_TEST((*kept[0].lastConnectedAt == t0));

  BOOST_TEST(record(link(kStrap, kStrapUid, "connected", t0 + 9s, t0 + 9s)));
  kept = links->list();
  BOOST_TEST((*kept[0].lastConnectedAt == t0 + 9s));
  BOOST_TEST(kept[0].reason.empty());
}

BOOST_AUTO_TEST_CASE(a_link_never_connected_has_no_connection_time) {
  BOOST_TEST(record(link(kCuff, kCuffUid, "pairing_failed", t0)));
  auto kept = links->list();
  BOOST_TEST_REQUIRE(kept.size() == 1U);
  BOOST_TEST(!kept[0].lastConnectedAt.has_value());
}

BOOST_AUTO_TEST_CASE(lists_links_by_address_including_unregistered_devices) {
  registerDevice(kStrapUid);
  BOOST_TEST(record(link(kCuff, kCuffUid, "paired", t0)));  // not in the registry
  BOOST_TEST(record(link(kStrap, kStrapUid, "connected", t0, t0)));
  auto kept = links->list();
  BOOST_TEST_REQUIRE(kept.size() == 2U);
  BOOST_TEST(kept[0].address == kStrap);
  BOOST_TEST(kept[1].address == kCuff);
}

BOOST_AUTO_TEST_CASE(a_retired_devices_link_is_deleted_instead_of_written) {
  auto strap = registerDevice(kStrapUid);
  BOOST_TEST(record(link(kStrap, kStrapUid, "connected", t0, t0)));
  devices->retire(strap);
  BOOST_TEST(!record(link(kStrap, kStrapUid, "disconnected", t0 + 1s)));
  BOOST_TEST(links->list().empty());
  BOOST_TEST(!record(link(kStrap, kStrapUid, "connected", t0 + 2s, t0 + 2s)));
  BOOST_TEST(links->list().empty());
}

BOOST_AUTO_TEST_CASE(prunes_the_links_of_retired_devices_only) {
  auto strap = registerDevice(kStrapUid);
  registerDevice(kCuffUid);
  record(link(kStrap, kStrapUid, "connected", t0, t0));
  record(link(kCuff, kCuffUid, "connected", t0, t0));
  record(link("C4:7C:8D:6A:00:01", "ble-C47C8D6A0001", "disconnected", t0));  // unregistered
  BOOST_TEST(links->pruneRetired() == 0U);
  devices->retire(strap);
  BOOST_TEST(links->pruneRetired() == 1U);
  auto kept = links->list();
  BOOST_TEST_REQUIRE(kept.size() == 2U);
  BOOST_TEST(kept[0].address == "C4:7C:8D:6A:00:01");
  BOOST_TEST(kept[1].address == kCuff);
  BOOST_TEST(links->pruneRetired() == 0U);
}

BOOST_AUTO_TEST_CASE(try_record_queues_without_blocking_and_reports_the_commit) {
  std::promise<std::exception_ptr> committed;
  BOOST_TEST(links->tryRecord(link(kStrap, kStrapUid, "paired", t0),
                              [&](std::exception_ptr e) { committed.set_value(e); }));
  BOOST_TEST(!testsupport::getWithin(committed.get_future(), std::chrono::seconds(30),
                                     "the queued BLE link write to commit"));
  BOOST_TEST(links->list().size() == 1U);
}

BOOST_AUTO_TEST_CASE(try_record_refuses_when_the_store_is_closed) {
  db->close();
  BOOST_TEST(!links->tryRecord(link(kStrap, kStrapUid, "paired", t0), {}));
}

BOOST_AUTO_TEST_SUITE_END()
