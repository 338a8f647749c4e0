// ReadingQuery on a real store with the product schema: chart ranges with peak-preserving
// down-sampling, the latest reading per code, and the devices a patient has now.
#define BOOST_TEST_MODULE readings
#include "vigil/readings/reading_query.hpp"

#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>

#include "vigil/core/time.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/testsupport/manual_clock.hpp"
#include "vigil/testsupport/test_store.hpp"

using namespace vigil;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  fs::path dir = makeDir();
  testsupport::ManualClock clock;
  std::unique_ptr<store::Database> db = open(dir);
  std::unique_ptr<registry::DeviceRegistry> devices;
  std::int64_t patient = 0, other = 0, device = 0;
  readings::ReadingQuery query{*db};
  TimePoint t0 = clock.now() - 24h;
  int seq = 0;

  static fs::path makeDir() {
    static int n = 0;
    auto d = fs::temp_directory_path() /
             ("vigil-readings-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
    fs::create_directories(d);
    return d;
  }
  static std::unique_ptr<store::Database> open(const fs::path& d) {
    auto o = testsupport::testStoreOptions(d / "vigil.db");
    o.synchronousFull = false;
    return store::Database::open(o);
  }
  Fixture() {
    devices = std::make_unique<registry::DeviceRegistry>(*db, clock);
    db->writeSync([&](store::Connection& c) {
      c.execute("INSERT INTO patients (created_at) VALUES (0)");
      patient = c.lastInsertRowid();
      c.execute("INSERT INTO patients (created_at) VALUES (0)");
      other = c.lastInsertRowid();
    });
    device = devices->add({"bp-1", registry::DeviceKind::blood_pressure, "", "", ""}).id;
    devices->assign(device, patient);
  }
  ~Fixture() {
    db->close();
    fs::remove_all(dir);
  }
  void bp(std::int64_t p, TimePoint at, int sys, int dia) {
    db->writeSync([&](store::Connection& c) {
      c.execute(
          "INSERT INTO readings (device_id, patient_id, dedup_key, kind, loinc, unit, components, "
          "device_time, received_at, source) VALUES (?1, ?2, ?3, 'blood_pressure', '85354-9', "
          "'mm[Hg]', ?4, ?5, ?5, 'mqtt-json')",
          device, p, "k" + std::to_string(++seq),
          "{\"8462-4\":" + std::to_string(dia) + ",\"8480-6\":" + std::to_string(sys) + "}",
          core::toMillis(at));
    });
  }
  /// A glucose record with the meter's own sequence number, from `dev`.
  void glucose(std::int64_t dev, int recordSeq) {
    db->writeSync([&](store::Connection& c) {
      c.execute(
          "INSERT INTO readings (device_id, patient_id, dedup_key, kind, loinc, unit, value, "
          "received_at, seq, source) VALUES (?1, ?2, ?3, 'glucose', '2339-0', 'mg/dL', 100, ?4, "
          "?5, 'ble')",
          dev, patient, "seq:" + std::to_string(recordSeq) + ":glucose", core::toMillis(t0),
          recordSeq);
    });
  }
  /// A reading received at `received` with the device time given (nullopt: none), local or UTC.
  std::int64_t received(std::optional<std::int64_t> p, TimePoint received,
                        std::optional<TimePoint> deviceTime, bool local) {
    return db->writeSync([&](store::Connection& c) {
      std::optional<std::int64_t> dt;
      if (deviceTime) dt = core::toMillis(*deviceTime);
      c.execute(
          "INSERT INTO readings (device_id, patient_id, dedup_key, kind, loinc, unit, value, "
          "device_time, device_time_local, received_at, source) VALUES (?1, ?2, ?3, 'heart_rate', "
          "'8867-4', '/min', 64, ?4, ?5, ?6, 'mqtt-json')",
          device, p, "k" + std::to_string(++seq), dt, local ? 1 : 0, core::toMillis(received));
      // Through the readings view (0037): its trigger's insert does not set lastInsertRowid.
      return c.queryValue<std::int64_t>("SELECT max(id) FROM readings").value_or(0);
    });
  }
  void hr(TimePoint at, double v) {
    db->writeSync([&](store::Connection& c) {
      c.execute(
          "INSERT INTO readings (device_id, patient_id, dedup_key, kind, loinc, unit, value, "
          "device_time, received_at, source) VALUES (?1, ?2, ?3, 'heart_rate', '8867-4', '/min', "
          "?4, ?5, ?5, 'mqtt-json')",
          device, patient, "k" + std::to_string(++seq), v, core::toMillis(at));
    });
  }
};

readings::ReadingPoint point(TimePoint t, double v) {
  readings::ReadingPoint p;
  p.at = t;
  p.values = {v};
  return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ReadingQuery)

BOOST_AUTO_TEST_CASE(panel_components_come_in_display_order) {
  Fixture f;
  f.bp(f.patient, f.t0 + 1h, 150, 95);
  auto s = f.query.range(f.patient, "85354-9", f.t0, f.clock.now(), 100);
  BOOST_REQUIRE_EQUAL(s.points.size(), 1u);
  BOOST_TEST(s.components == (std::vector<std::string>{"8480-6", "8462-4"}),
             boost::test_tools::per_element());
  BOOST_TEST(*s.points[0].values[0] == 150);
  BOOST_TEST(*s.points[0].values[1] == 95);
  BOOST_TEST(s.unit == "mm[Hg]");
  BOOST_TEST(!s.downsampled);
}

BOOST_AUTO_TEST_CASE(range_holds_only_the_patients_readings_in_time_order) {
  Fixture f;
  f.bp(f.patient, f.t0 + 3h, 130, 80);
  f.bp(f.patient, f.t0 + 1h, 120, 80);
  f.bp(f.other, f.t0 + 2h, 190, 110);
  f.bp(f.patient, f.t0 - 1h, 100, 60);  // before the range
  auto s = f.query.range(f.patient, "85354-9", f.t0, f.clock.now(), 100);
  BOOST_REQUIRE_EQUAL(s.points.size(), 2u);
  BOOST_TEST(*s.points[0].values[0] == 120);
  BOOST_TEST(*s.points[1].values[0] == 130);
  BOOST_TEST(s.total == 2u);
}

BOOST_AUTO_TEST_CASE(patient_readings_are_the_newest_up_to_the_limit_oldest_first) {
  Fixture f;
  f.bp(f.patient, f.t0 + 3h, 130, 80);
  f.bp(f.patient, f.t0 + 1h, 120, 80);
  f.bp(f.other, f.t0 + 2h, 190, 110);
  f.bp(f.patient, f.t0 + 2h, 125, 80);
  auto all = f.db->read([&](store::Connection& c) {
    return readings::ReadingQuery::patientReadingsIn(c, f.patient, 10);
  });
  BOOST_REQUIRE_EQUAL(all.size(), 3u);  // the other patient's reading is not there
  BOOST_TEST(*all[0].components == R"({"8462-4":80,"8480-6":120})");
  BOOST_TEST(*all[2].components == R"({"8462-4":80,"8480-6":130})");
  BOOST_TEST(all[0].code == "85354-9");
  BOOST_TEST(all[0].unit == "mm[Hg]");
  auto newest = f.db->read([&](store::Connection& c) {
    return readings::ReadingQuery::patientReadingsIn(c, f.patient, 2);
  });
  BOOST_REQUIRE_EQUAL(newest.size(), 2u);
  BOOST_TEST(*newest[0].components == R"({"8462-4":80,"8480-6":125})");
  BOOST_TEST(*newest[1].components == R"({"8462-4":80,"8480-6":130})");
}

BOOST_AUTO_TEST_CASE(downsampling_keeps_the_extremes_and_the_point_budget) {
  std::vector<readings::ReadingPoint> pts;
  TimePoint from{};
  for (int i = 0; i < 1000; ++i) pts.push_back(point(from + std::chrono::seconds(i), 100 + i % 7));
  pts[500].values[0] = 220;
  pts[731].values[0] = 40;
  auto out = readings::downsampleMinMax(pts, from, from + 1000s, 100);
  BOOST_TEST(out.size() <= 100u);
  BOOST_TEST(out.size() >= 90u);
  bool high = false, low = false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    high = high || *out[i].values[0] == 220;
    low = low || *out[i].values[0] == 40;
    if (i) BOOST_TEST((out[i - 1].at <= out[i].at));
  }
  BOOST_TEST(high);
  BOOST_TEST(low);
}

BOOST_AUTO_TEST_CASE(small_ranges_are_returned_whole) {
  std::vector<readings::ReadingPoint> pts;
  TimePoint from{};
  for (int i = 0; i < 10; ++i) pts.push_back(point(from + std::chrono::seconds(i), i));
  BOOST_TEST(readings::downsampleMinMax(pts, from, from + 10s, 10).size() == 10u);
}

BOOST_AUTO_TEST_CASE(range_reports_downsampling) {
  Fixture f;
  for (int i = 0; i < 300; ++i) f.hr(f.t0 + std::chrono::minutes(i), 60 + i % 10);
  auto s = f.query.range(f.patient, "8867-4", f.t0, f.clock.now(), 50);
  BOOST_TEST(s.downsampled);
  BOOST_TEST(s.total == 300u);
  BOOST_TEST(s.points.size() <= 50u);
  BOOST_TEST(s.components.empty());
}

BOOST_AUTO_TEST_CASE(latest_is_the_newest_reading_per_code) {
  Fixture f;
  f.bp(f.patient, f.t0 + 2h, 160, 100);
  f.bp(f.patient, f.t0 + 1h, 120, 80);
  f.hr(f.t0 + 3h, 71);
  auto latest = f.query.latest(f.patient);
  BOOST_REQUIRE_EQUAL(latest.size(), 2u);
  BOOST_TEST(*latest.at("85354-9").values[0] == 160);
  BOOST_TEST(*latest.at("8867-4").values[0] == 71);
  BOOST_TEST(f.query.latest(f.other).empty());
}

BOOST_AUTO_TEST_CASE(current_devices_follow_assignment) {
  Fixture f;
  auto now = f.query.currentDevices(f.patient);
  BOOST_REQUIRE_EQUAL(now.size(), 1u);
  BOOST_TEST(now[0].device.uid == "bp-1");
  BOOST_TEST(f.query.currentAssignments().at(f.device) == f.patient);
  f.devices->assign(f.device, f.other);
  BOOST_TEST(f.query.currentDevices(f.patient).empty());
  BOOST_TEST(f.query.currentDevices(f.other).size() == 1u);
  f.devices->retire(f.device);
  BOOST_TEST(f.query.currentDevices(f.other).empty());
}

BOOST_AUTO_TEST_CASE(last_sequence_is_the_devices_highest_record_number_of_the_kind) {
  Fixture f;
  auto meter = f.devices->add({"ble-C47C8D6A9ABC", registry::DeviceKind::glucometer}).id;
  auto otherMeter = f.devices->add({"ble-C47C8D6A0DEF", registry::DeviceKind::glucometer}).id;
  BOOST_TEST(!f.query.lastSequence("ble-C47C8D6A9ABC", "glucose").has_value());
  f.glucose(meter, 7);
  f.glucose(meter, 12);
  f.glucose(meter, 9);
  f.glucose(otherMeter, 40);
  f.hr(f.t0, 70);  // another kind, another device
  BOOST_TEST(f.query.lastSequence("ble-C47C8D6A9ABC", "glucose").value_or(0) == 12);
  BOOST_TEST(f.query.lastSequence("ble-C47C8D6A0DEF", "glucose").value_or(0) == 40);
  BOOST_TEST(!f.query.lastSequence("ble-C47C8D6A9ABC", "heart_rate").has_value());
  BOOST_TEST(!f.query.lastSequence("no-such-device", "glucose").has_value());
}

BOOST_AUTO_TEST_CASE(received_since_goes_by_reception_time_and_skips_unassigned_readings) {
  Fixture f;
  auto late = f.received(f.patient, f.t0 + 2h, f.t0 - 5h, false);  // stored first, received late
  auto early = f.received(f.patient, f.t0 + 1h, f.t0 + 1h - 1min, true);
  f.received(std::nullopt, f.t0 + 1h, std::nullopt, false);  // device unassigned
  f.received(f.patient, f.t0 - 1h, std::nullopt, false);     // before `since`
  auto noClock = f.received(f.other, f.t0 + 3h, std::nullopt, false);
  auto got = f.query.receivedSince(f.t0, 0, 10);
  BOOST_REQUIRE_EQUAL(got.size(), 3u);
  BOOST_TEST(got[0].readingId == early);
  BOOST_TEST(got[0].deviceTimeLocal);
  BOOST_TEST((got[0].deviceTime == f.t0 + 1h - 1min));
  BOOST_TEST(got[1].readingId == late);
  BOOST_TEST(!got[1].deviceTimeLocal);
  BOOST_TEST((got[1].receivedAt == f.t0 + 2h));
  BOOST_TEST(got[1].patientId == f.patient);
  BOOST_TEST(got[1].code == "8867-4");
  BOOST_TEST(got[1].unit == "/min");
  BOOST_TEST(*got[1].value == 64);
  BOOST_TEST(!got[1].components.has_value());
  BOOST_TEST(got[2].readingId == noClock);
  BOOST_TEST(got[2].patientId == f.other);
  BOOST_TEST(!got[2].deviceTime.has_value());
  // After a reading id, and at most `limit`.
  auto after = f.query.receivedSince(f.t0, early, 10);
  BOOST_REQUIRE_EQUAL(after.size(), 1u);
  BOOST_TEST(after[0].readingId == noClock);
  BOOST_TEST(f.query.receivedSince(f.t0, 0, 1).size() == 1u);
}

BOOST_AUTO_TEST_CASE(received_since_keeps_a_panels_components_as_stored) {
  Fixture f;
  f.bp(f.patient, f.t0 + 1h, 150, 95);
  auto got = f.query.receivedSince(f.t0, 0, 10);
  BOOST_REQUIRE_EQUAL(got.size(), 1u);
  BOOST_TEST(!got[0].value.has_value());
  BOOST_TEST(*got[0].components == "{\"8462-4\":95,\"8480-6\":150}");
  BOOST_TEST(got[0].code == "85354-9");
}

BOOST_AUTO_TEST_CASE(the_alert_nodes_queue_is_read_lowest_id_first_and_emptied_by_id) {
  Fixture f;
  for (int i = 0; i < 600; ++i) f.bp(f.patient, f.t0 + i * 1s, 100 + i % 50, 70);
  std::vector<std::int64_t> ids;
  f.db->read([&](store::Connection& c) {
    auto st = c.prepare("SELECT id FROM reading_rows ORDER BY id");
    while (st.step()) ids.push_back(st.get<std::int64_t>(0));
  });
  BOOST_REQUIRE_EQUAL(ids.size(), 600u);
  f.db->writeSync([&](store::Connection& c) {
    for (auto it = ids.rbegin(); it != ids.rend(); ++it)  // queued highest first
      c.execute("INSERT INTO readings_to_judge (reading_id) VALUES (?1)", *it);
    c.execute("DELETE FROM reading_rows WHERE id = ?1", ids[5]);  // gone before it was judged
  });

  auto batch =
      f.db->read([](store::Connection& c) { return readings::ReadingQuery::toJudgeIn(c, 300); });
  BOOST_REQUIRE_EQUAL(batch.size(), 300u);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    BOOST_TEST(batch[i].readingId == ids[i]);
    BOOST_TEST(batch[i].reading.has_value() == (i != 5));
  }
  BOOST_TEST(batch[7].reading->readingId == ids[7]);
  BOOST_TEST(batch[7].reading->patientId == f.patient);
  BOOST_TEST(batch[7].reading->code == "85354-9");
  BOOST_TEST(*batch[7].reading->components == "{\"8462-4\":70,\"8480-6\":107}");

  // 301 ids: one full delete of 256 and one short one.
  std::vector<std::int64_t> done(ids.begin(), ids.begin() + 300);
  done.push_back(ids[599]);
  f.db->writeSync([&](store::Connection& c) { readings::ReadingQuery::judgedIn(c, done); });
  auto left = f.db->read(
      [](store::Connection& c) { return readings::ReadingQuery::toJudgeIn(c, 1000, false); });
  BOOST_REQUIRE_EQUAL(left.size(), 299u);
  BOOST_TEST(left.front().readingId == ids[300]);
  BOOST_TEST(left.back().readingId == ids[598]);
  BOOST_TEST(!left.front().reading.has_value());
  BOOST_TEST(f.db->read([](store::Connection& c) {
    return readings::ReadingQuery::toJudgeCountIn(c);
  }) == 299);
}

BOOST_AUTO_TEST_SUITE_END()
