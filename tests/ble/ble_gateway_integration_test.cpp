#define BOOST_TEST_MODULE vigil_ble_integration
// BleGateway against a real dbus-daemon (a private bus per test) and a scripted BlueZ stand-in
// (tests/ble/bluez_standin.py, python3-dbus): discovery with the health UUID filter, pairing
// (Just Works, passkey entry), every health characteristic ending as a stored reading through
// the real IngestService and SQLite store, glucose record transfer over the RACP, link loss,
// adapter removal, bluetoothd restarts, and no bus / no BlueZ / no adapter.
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <thread>

#include "bluez_standin.hpp"
#include "vigil/ble/ble_gateway.hpp"
#include "vigil/ble/ingest_bridge.hpp"
#include "vigil/ble/racp.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/ingest/devices_decoder.hpp"
#include "vigil/ingest/ingest_service.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/testsupport/deadline.hpp"

using namespace vigil;
using namespace vigil::ble;
using namespace std::chrono_literals;
using namespace vigil::bletest;
using testsupport::TempDir;

namespace {
/// Device kinds the stand-in knows, with the registry kind they become.
struct Kind {
  const char* standIn;
  registry::DeviceKind registryKind;
};

struct World : BlueZStandIn {
  TempDir dir{"vigil-ble"};
  std::unique_ptr<store::Database> db;
  std::unique_ptr<ingest::IngestService> ingest;
  std::unique_ptr<BleGateway> gateway;
  std::int64_t patient = 0;

  World() {
    store::Options o;
    o.path = dir.path() / "vigil.db";
    db = store::Database::open(o);
    patient = db->writeSync([](store::Connection& c) {
      c.prepare("INSERT INTO patients (created_at) VALUES (0)").run();
      return c.lastInsertRowid();
    });
    ingest = std::make_unique<ingest::IngestService>(
        *db, SystemClock::instance(), ingest::IngestOptions{}, ingest::makeDevicesDecoder(),
        [](const std::string&, const std::string&) {}, [](bool) {}, nullptr);
    ingest->start();
  }
  ~World() {
    testsupport::Deadline bound("stopping the BLE gateway and ingest", 30s);
    if (gateway) gateway->stop();
    ingest->stop();
  }

  void startGateway(std::string busAddress = {}) {
    BleOptions o;
    o.busAddress = busAddress.empty() ? bus.address() : busAddress;
    o.retryInterval = 300ms;
    o.callTimeout = 3s;
    gateway.reset();  // one gateway at a time: its metrics are process-wide
    gateway = std::make_unique<BleGateway>(o, SystemClock::instance(),
                                           ingestSink(*ingest, SystemClock::instance()),
                                           storedGlucoseSequence(*db));
    gateway->start();
  }

  std::optional<std::uint32_t> lastGlucoseSeq(const std::string& uid) {
    return storedGlucoseSequence(*db)(uid);
  }

  /// Registers the device as an admin would and assigns it to the patient.
  void registerDevice(const std::string& address, registry::DeviceKind kind) {
    registry::DeviceRegistry reg(*db, SystemClock::instance());
    auto d = reg.add({deviceUidForAddress(address).value(), kind});
    reg.assign(d.id, patient);
  }

  bool inState(const std::string& address, DeviceState state) {
    auto d = gateway->device(address);
    return d && d->state == state;
  }
  std::string stateOf(const std::string& address) {
    auto d = gateway->device(address);
    return d ? std::string(toString(d->state)) + "/" + d->reason : "absent";
  }

  /// Readings stored for the device (kind, source, seq or -1, patient or -1).
  std::vector<std::tuple<std::string, std::string, std::int64_t, std::int64_t>> readings(
      const std::string& address) {
    ingest->waitIdle(5s);
    return db->read([&](store::Connection& c) {
      auto st = c.prepare(
          "SELECT r.kind, r.source, coalesce(r.seq, -1), coalesce(r.patient_id, -1) "
          "FROM readings r JOIN devices d ON d.id = r.device_id WHERE d.uid = ? ORDER BY r.id");
      st.bindAll(deviceUidForAddress(address).value());
      std::vector<std::tuple<std::string, std::string, std::int64_t, std::int64_t>> out;
      while (st.step())
        out.emplace_back(st.getText(0), st.getText(1), st.getInt64(2), st.getInt64(3));
      return out;
    });
  }
  std::size_t countKind(const std::string& address, const std::string& kind) {
    auto rs = readings(address);
    return static_cast<std::size_t>(
        std::count_if(rs.begin(), rs.end(), [&](const auto& r) { return std::get<0>(r) == kind; }));
  }
};

// Characteristic values (Bluetooth SIG field layouts; the same vectors as tests/devices).
const Bytes kBloodPressure = {0x1E, 0x78, 0x00, 0x50, 0x00, 0x5D, 0x00, 0xE4, 0x07, 0x0B,
                              0x1D, 0x0A, 0x0F, 0x00, 0x48, 0x00, 0x01, 0x04, 0x00};
const Bytes kHeartRate = {0x16, 0x48, 0x01, 0x04, 0x00, 0x02};
const Bytes kPlxSpotCheck = {0x03, 0x62, 0x00, 0x40, 0x00, 0xE5, 0x07,
                             0x03, 0x04, 0x05, 0x06, 0x07, 0x00, 0x02};
const Bytes kWeight = {0x0E, 0xE2, 0x36, 0xEA, 0x07, 0x0C, 0x1F, 0x17,
                       0x3B, 0x3B, 0x01, 0xE5, 0x00, 0xD6, 0x06};
const Bytes kTemperature = {0x00, 0x6E, 0x01, 0x00, 0xFF};  // 36.6 Cel

/// A glucose record (capillary whole blood, finger) with sequence number `seq`.
Bytes glucose(std::uint16_t seq) {
  return {0x02,
          static_cast<std::uint8_t>(seq & 0xFF),
          static_cast<std::uint8_t>(seq >> 8),
          0xEA,
          0x07,
          0x0B,
          0x1D,
          0x07,
          0x1E,
          static_cast<std::uint8_t>(seq % 60),
          0x5F,
          0xB0,
          0x11};
}

void setRecords(World& w, const std::string& address, std::uint16_t upTo) {
  GVariantBuilder b;
  g_variant_builder_init(&b, vtype("a(qay)"));
  for (std::uint16_t s = 1; s <= upTo; ++s)
    g_variant_builder_add(&b, "(q@ay)", s, bytes(glucose(s)));
  w.bus.controlVoid("SetRecords", g_variant_new("(sa(qay))", address.c_str(), &b));
}

std::string hex(const Bytes& b) {
  std::string out;
  char buf[4];
  for (auto x : b) {
    std::snprintf(buf, sizeof buf, "%02X ", x);
    out += buf;
  }
  return out;
}

const std::string kCuff = "C4:7C:8D:6A:12:34";
const std::string kMeter = "C4:7C:8D:6A:00:08";

/// The resilience cases' starting point: a heart-rate strap, registered and assigned, paired
/// earlier, connected to a running gateway.
struct ConnectedStrap : World {
  ConnectedStrap() {
    startStandIn();
    registerDevice(kCuff, registry::DeviceKind::heart_rate);
    addDevice(kCuff, "hr", "justworks", true);
    startGateway();
    BOOST_TEST_REQUIRE(eventually([&] { return inState(kCuff, DeviceState::connected); }));
  }
  /// bluetoothd is back (it remembers the pairing).
  void restartStandIn() {
    startStandIn();
    addDevice(kCuff, "hr", "justworks", true);
  }
  /// The strap reconnects and its next notification is stored.
  void expectConnectedAndStoring() {
    BOOST_TEST_REQUIRE(eventually([&] { return inState(kCuff, DeviceState::connected); }),
                       stateOf(kCuff));
    BOOST_TEST(notify(kCuff, 0x2A37, kHeartRate));
    BOOST_TEST(eventually([&] { return countKind(kCuff, "heart_rate") == 1; }));
  }
};

/// A glucose meter, registered and assigned, paired earlier, holding records 1..`records`;
/// the gateway starts with it in range.
struct PairedMeter : World {
  explicit PairedMeter(std::uint16_t records) {
    startStandIn();
    registerDevice(kMeter, registry::DeviceKind::glucometer);
    addDevice(kMeter, "glucose", "justworks", true);
    setRecords(*this, kMeter, records);
    startGateway();
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(BleGatewayIntegration)

BOOST_AUTO_TEST_CASE(discovers_health_devices_with_the_service_filter) {
  World w;
  w.startStandIn();
  w.startGateway();
  BOOST_TEST_REQUIRE(eventually([&] { return w.standInBool("AdapterState", "", "Discovering"); }));
  BOOST_TEST(w.standInBool("AdapterState", "", "Powered"));
  GVariant* r = w.bus.control("AdapterState", nullptr, "(a{sv})");
  GVariant* dict = g_variant_get_child_value(r, 0);
  const gchar** uuids = nullptr;
  BOOST_TEST_REQUIRE(g_variant_lookup(dict, "FilterUUIDs", "^a&s", &uuids));
  std::vector<std::string> filter(uuids, uuids + g_strv_length(const_cast<gchar**>(uuids)));
  g_free(uuids);
  const gchar* transport = nullptr;
  g_variant_lookup(dict, "Transport", "&s", &transport);
  BOOST_TEST(std::string(transport) == "le");
  g_variant_unref(dict);
  g_variant_unref(r);
  std::sort(filter.begin(), filter.end());
  auto expected = healthServiceFilter();
  std::sort(expected.begin(), expected.end());
  BOOST_TEST(filter == expected, boost::test_tools::per_element());

  w.addDevice(kCuff, "bp", "justworks", false);
  w.addDevice("C4:7C:8D:6A:99:99", "hid", "justworks", false);  // a keyboard
  BOOST_TEST(eventually([&] { return w.inState(kCuff, DeviceState::discovered); }),
             w.stateOf(kCuff));
  auto cuff = w.gateway->device(kCuff);
  BOOST_TEST_REQUIRE(cuff.has_value());
  BOOST_TEST(cuff->uid == "ble-C47C8D6A1234");
  BOOST_TEST(cuff->services == std::vector<std::uint16_t>{uuid::kBloodPressureService});
  BOOST_TEST(!cuff->paired);
  BOOST_TEST(!w.standInBool("DeviceState", "C4:7C:8D:6A:99:99", "Exported"));
  BOOST_TEST(!w.gateway->device("C4:7C:8D:6A:99:99").has_value());
  BOOST_TEST(w.gateway->devices().size() == 1U);
}

BOOST_AUTO_TEST_CASE(pairs_just_works_then_trusts_and_connects) {
  World w;
  w.startStandIn();
  w.startGateway();
  w.addDevice(kCuff, "bp", "justworks", false);
  BOOST_TEST_REQUIRE(eventually([&] { return w.inState(kCuff, DeviceState::discovered); }));
  BOOST_TEST(!w.standInBool("DeviceState", kCuff, "Connected"));  // not before an admin asks
  BOOST_TEST(w.gateway->requestPairing(kCuff, std::nullopt));
  BOOST_TEST(eventually([&] { return w.inState(kCuff, DeviceState::connected); }),
             w.stateOf(kCuff));
  BOOST_TEST(w.standInBool("DeviceState", kCuff, "Paired"));
  BOOST_TEST(w.standInBool("DeviceState", kCuff, "Trusted"));
  BOOST_TEST(w.standInBool("DeviceState", kCuff, "Connected"));
  BOOST_TEST(w.gateway->device(kCuff)->paired);
}

BOOST_AUTO_TEST_CASE(pairs_with_the_passkey_the_device_displays) {
  World w;
  w.startStandIn();
  w.startGateway();
  w.addDevice(kCuff, "bp", "passkey:123456", false);
  BOOST_TEST_REQUIRE(eventually([&] { return w.inState(kCuff, DeviceState::discovered); }));
  GVariant* r = w.bus.control("AdapterState", nullptr, "(a{sv})");
  GVariant* dict = g_variant_get_child_value(r, 0);
  const gchar* capability = nullptr;
  g_variant_lookup(dict, "Agent", "&s", &capability);
  BOOST_TEST(std::string(capability ? capability : "") == "KeyboardOnly");
  g_variant_unref(dict);
  g_variant_unref(r);

  BOOST_TEST(w.gateway->requestPairing(kCuff, 111111U));  // mistyped
  BOOST_TEST(eventually([&] { return w.inState(kCuff, DeviceState::pairingFailed); }),
             w.stateOf(kCuff));
  BOOST_TEST(w.gateway->device(kCuff)->reason == "AuthenticationFailed");
  BOOST_TEST(!w.standInBool("DeviceState", kCuff, "Paired"));

  BOOST_TEST(w.gateway->requestPairing(kCuff, std::nullopt));  // no passkey: the agent refuses
  BOOST_TEST(eventually([&] {
               auto d = w.gateway->device(kCuff);
               return d && d->state == DeviceState::pairingFailed &&
                      d->reason == "AuthenticationRejected";
             }),
             w.stateOf(kCuff));

  BOOST_TEST(w.gateway->requestPairing(kCuff, 123456U));
  BOOST_TEST(eventually([&] { return w.inState(kCuff, DeviceState::connected); }),
             w.stateOf(kCuff));
  BOOST_TEST(w.standInBool("DeviceState", kCuff, "Paired"));
  BOOST_TEST(!w.gateway->requestPairing("not-an-address", std::nullopt));
}

BOOST_AUTO_TEST_CASE(stores_a_notification_of_each_health_characteristic) {
  World w;
  const std::vector<
      std::tuple<std::string, const char*, registry::DeviceKind, std::uint16_t, Bytes, const char*>>
      cases = {
          {"C4:7C:8D:6A:00:01", "bp", registry::DeviceKind::blood_pressure, 0x2A35, kBloodPressure,
           "blood_pressure"},
          {"C4:7C:8D:6A:00:02", "hr", registry::DeviceKind::heart_rate, 0x2A37, kHeartRate,
           "heart_rate"},
          {"C4:7C:8D:6A:00:03", "plx", registry::DeviceKind::pulse_oximeter, 0x2A5E, kPlxSpotCheck,
           "spo2"},
          {"C4:7C:8D:6A:00:04", "weight", registry::DeviceKind::weight_scale, 0x2A9D, kWeight,
           "body_weight"},
          {"C4:7C:8D:6A:00:05", "thermo", registry::DeviceKind::thermometer, 0x2A1C, kTemperature,
           "body_temperature"},
          {"C4:7C:8D:6A:00:06", "glucose", registry::DeviceKind::glucometer, 0x2A18, glucose(42),
           "glucose"},
      };
  w.startStandIn();
  for (const auto& [address, kind, regKind, uuid, value, stored] : cases) {
    w.registerDevice(address, regKind);
    w.addDevice(address, kind, "justworks", true);  // paired earlier
  }
  w.startGateway();
  for (const auto& [address, kind, regKind, uuid, value, stored] : cases) {
    BOOST_TEST_REQUIRE(eventually([&] { return w.inState(address, DeviceState::connected); }),
                       address << " " << w.stateOf(address));
    BOOST_TEST(w.notify(address, uuid, value), address << " not subscribed to " << uuid);
  }
  for (const auto& [address, kind, regKind, uuid, value, stored] : cases) {
    BOOST_TEST(eventually([&] { return w.countKind(address, stored) == 1; }), address);
    for (const auto& r : w.readings(address)) {
      BOOST_TEST(std::get<1>(r) == "ble");
      BOOST_TEST(std::get<3>(r) == w.patient);  // attributed to the assigned patient
    }
  }
  // The other characteristics of the cuff and the oximeter are subscribed too.
  BOOST_TEST(w.notify("C4:7C:8D:6A:00:01", 0x2A36,
                      {0x04, 0x96, 0x00, 0xFF, 0x07, 0xFF, 0x07, 0x46, 0x00}));
  BOOST_TEST(eventually([&] { return w.countKind("C4:7C:8D:6A:00:01", "cuff_pressure") == 1; }));
  // The blood pressure cuff has a Current Time characteristic: the box set it on connect.
  auto cts = w.writes("C4:7C:8D:6A:00:01", uuid::kCurrentTime);
  BOOST_TEST_REQUIRE(cts.size() == 1U);
  BOOST_TEST(cts[0].size() == 10U);
  BOOST_TEST((cts[0][0] | (cts[0][1] << 8)) >= 2026);
  BOOST_TEST(w.ingest->stats().rejected == 0U);
}

BOOST_AUTO_TEST_CASE(quarantines_readings_of_a_device_nobody_registered) {
  World w;
  w.startStandIn();
  w.addDevice(kCuff, "hr", "justworks", true);  // paired, but not in the registry
  w.startGateway();
  BOOST_TEST_REQUIRE(eventually([&] { return w.inState(kCuff, DeviceState::connected); }));
  BOOST_TEST(w.notify(kCuff, 0x2A37, kHeartRate));
  BOOST_TEST(eventually([&] { return w.ingest->stats().rejected == 1; }));
  BOOST_TEST(w.ingest->stats().rejectedByReason["unknown_device"] == 1U);
  auto quarantined = w.db->read([](store::Connection& c) {
    return c.queryValue<std::string>(
        "SELECT device_uid || ' ' || topic_kind || ' ' || reason FROM quarantine");
  });
  BOOST_TEST(quarantined.value_or("") == "ble-C47C8D6A1234 gatt unknown_device");
}

BOOST_AUTO_TEST_CASE(fetches_all_glucose_records_then_only_those_after_the_last_stored) {
  PairedMeter w(3);
  BOOST_TEST_REQUIRE(eventually([&] { return w.countKind(kMeter, "glucose") == 3; }),
                     w.stateOf(kMeter));
  BOOST_TEST(eventually([&] { return w.gateway->racpTransfersDone() == 1; }));
  auto requests = w.writes(kMeter, uuid::kRecordAccessControlPoint);
  BOOST_TEST_REQUIRE(requests.size() == 1U);
  BOOST_TEST(hex(requests[0]) == hex(racpReportAll()));
  BOOST_TEST(w.lastGlucoseSeq("ble-C47C8D6A0008").value() == 3U);

  // Two more measurements while the meter was away; it comes back in range.
  setRecords(w, kMeter, 5);
  w.bus.controlVoid("SetInRange", g_variant_new("(sb)", kMeter.c_str(), FALSE));
  BOOST_TEST_REQUIRE(eventually([&] { return w.inState(kMeter, DeviceState::disconnected); }));
  w.bus.controlVoid("SetInRange", g_variant_new("(sb)", kMeter.c_str(), TRUE));
  BOOST_TEST_REQUIRE(eventually([&] { return w.countKind(kMeter, "glucose") == 5; }),
                     w.stateOf(kMeter));
  BOOST_TEST(eventually([&] { return w.gateway->racpTransfersDone() == 2; }));
  requests = w.writes(kMeter, uuid::kRecordAccessControlPoint);
  BOOST_TEST_REQUIRE(requests.size() == 2U);
  BOOST_TEST(hex(requests[1]) == hex(racpReportFrom(4)));
  std::vector<std::int64_t> seqs;
  for (const auto& r : w.readings(kMeter)) seqs.push_back(std::get<2>(r));
  BOOST_TEST(seqs == (std::vector<std::int64_t>{1, 2, 3, 4, 5}), boost::test_tools::per_element());
  BOOST_TEST(w.ingest->stats().duplicates == 0U);  // nothing was sent twice

  // Back again with nothing new: the meter answers "no records found", nothing is stored.
  w.bus.controlVoid("SetInRange", g_variant_new("(sb)", kMeter.c_str(), FALSE));
  BOOST_TEST_REQUIRE(eventually([&] { return w.inState(kMeter, DeviceState::disconnected); }));
  w.bus.controlVoid("SetInRange", g_variant_new("(sb)", kMeter.c_str(), TRUE));
  BOOST_TEST(eventually([&] { return w.gateway->racpTransfersDone() == 3; }), w.stateOf(kMeter));
  requests = w.writes(kMeter, uuid::kRecordAccessControlPoint);
  BOOST_TEST_REQUIRE(requests.size() == 3U);
  BOOST_TEST(hex(requests[2]) == hex(racpReportFrom(6)));
  BOOST_TEST(w.countKind(kMeter, "glucose") == 5U);
}

BOOST_AUTO_TEST_CASE(stores_a_large_record_transfer_beyond_the_per_device_burst) {
  // A meter's memory (hundreds of records) arrives as fast as the radio goes: more than the
  // per-device burst MQTT devices get (ingest.device_burst, 200), and every record is kept.
  PairedMeter w(300);
  BOOST_TEST(eventually([&] { return w.gateway->racpTransfersDone() == 1; }, 15s));
  BOOST_TEST(eventually([&] { return w.countKind(kMeter, "glucose") == 300; }, 15s),
             w.countKind(kMeter, "glucose"));
  BOOST_TEST(w.ingest->stats().rejected == 0U);
}

BOOST_FIXTURE_TEST_CASE(reconnects_when_a_device_comes_back_in_range, ConnectedStrap) {
  bus.controlVoid("SetInRange", g_variant_new("(sb)", kCuff.c_str(), FALSE));
  BOOST_TEST(eventually([&] { return inState(kCuff, DeviceState::disconnected); }));
  std::this_thread::sleep_for(800ms);  // a few reconnect attempts fail meanwhile
  BOOST_TEST(inState(kCuff, DeviceState::disconnected), stateOf(kCuff));
  auto metrics = Metrics::global().render();
  BOOST_TEST(metrics.find("vigil_ble_devices{state=\"disconnected\"} 1") != std::string::npos,
             metrics);
  BOOST_TEST(metrics.find("C47C8D6A1234") == std::string::npos);  // no device ids in metrics
  bus.controlVoid("SetInRange", g_variant_new("(sb)", kCuff.c_str(), TRUE));
  expectConnectedAndStoring();
}

BOOST_FIXTURE_TEST_CASE(survives_a_bluetoothd_restart, ConnectedStrap) {
  killStandIn();
  BOOST_TEST(eventually([&] { return !gateway->bluezAvailable(); }));
  BOOST_TEST(eventually([&] { return inState(kCuff, DeviceState::unavailable); }));
  BOOST_TEST(gateway->device(kCuff)->reason == "bluez_unavailable");
  BOOST_TEST(!gateway->adapterPresent());

  restartStandIn();
  expectConnectedAndStoring();
  BOOST_TEST(gateway->bluezAvailable());
}

BOOST_FIXTURE_TEST_CASE(reconnects_when_the_system_bus_restarts, ConnectedStrap) {
  killStandIn();
  bus.restartDaemon();
  BOOST_TEST(eventually([&] { return !gateway->busConnected() || !gateway->bluezAvailable(); }));
  BOOST_TEST(eventually([&] { return inState(kCuff, DeviceState::unavailable); }));
  restartStandIn();
  expectConnectedAndStoring();
  BOOST_TEST(gateway->busConnected());
}

BOOST_FIXTURE_TEST_CASE(survives_the_adapter_being_removed_and_plugged_back, ConnectedStrap) {
  bus.controlVoid("RemoveAdapter", nullptr);
  BOOST_TEST(eventually([&] { return !gateway->adapterPresent(); }));
  BOOST_TEST(eventually([&] { return inState(kCuff, DeviceState::unavailable); }));
  BOOST_TEST(gateway->device(kCuff)->reason == "adapter_removed");
  auto metrics = Metrics::global().render();
  BOOST_TEST(metrics.find("vigil_ble_adapter_present 0") != std::string::npos);
  bus.controlVoid("AddAdapter", nullptr);
  expectConnectedAndStoring();
  BOOST_TEST(standInBool("AdapterState", "", "Powered"));
}

BOOST_AUTO_TEST_CASE(keeps_running_without_a_bus_bluez_or_adapter) {
  World w;
  // No bus at all: the gateway starts, says so, and stops cleanly.
  w.startGateway("unix:path=" + (w.dir.path() / "no-such-bus").string());
  std::this_thread::sleep_for(700ms);
  BOOST_TEST(!w.gateway->busConnected());
  {
    testsupport::Deadline bound("stopping the BLE gateway", 30s);
    w.gateway->stop();
  }

  // A bus but no BlueZ; then BlueZ without an adapter; then the adapter is plugged in.
  w.startGateway();
  BOOST_TEST(eventually([&] { return w.gateway->busConnected(); }));
  BOOST_TEST(!w.gateway->bluezAvailable());
  w.startStandIn(false);
  BOOST_TEST(eventually([&] { return w.gateway->bluezAvailable(); }));
  BOOST_TEST(!w.gateway->adapterPresent());
  w.bus.controlVoid("AddAdapter", nullptr);
  BOOST_TEST(eventually([&] { return w.gateway->adapterPresent(); }));
  BOOST_TEST(eventually([&] { return w.standInBool("AdapterState", "", "Discovering"); }));
}

BOOST_AUTO_TEST_SUITE_END()
