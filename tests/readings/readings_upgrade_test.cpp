// Migration 0037 (compact readings, issue 28): a box upgrading from schema 0036 keeps every
// reading, the readings view answers as the 0036 table did, and ReadingQuery's answers on the
// upgraded store are those the readings call for (chart time, effective time, reception order
// with a backfill, a clock without offset, a message-keyed and a hand-keyed reading).
// SQLite only: a PostgreSQL store starts at the 0043 baseline, so it never holds schema 0036
// (its run of ReadingQuery is reading_query_test's).
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>

#include "vigil/core/time.hpp"
#include "vigil/readings/reading_query.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/migrations.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/testsupport/test_store.hpp"

using namespace vigil;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kT = 1767225600000;  // 2026-01-01T00:00:00Z
constexpr std::int64_t kH = 3600000;
constexpr std::int64_t kDay = 24 * kH;

/// Every column of every reading, as text, in id order.
std::vector<std::string> snapshot(store::Connection& c) {
  std::vector<std::string> out;
  auto st = c.prepare(
      "SELECT id || '|' || device_id || '|' || quote(patient_id) || '|' || dedup_key || '|' || "
      "kind || '|' || loinc || '|' || unit || '|' || quote(value) || '|' || quote(components) "
      "|| '|' || quote(special) || '|' || quote(original_value) || '|' || "
      "quote(original_unit) || '|' || flags || '|' || quote(device_time) || '|' || "
      "device_time_local || '|' || received_at || '|' || quote(seq) || '|' || source "
      "FROM readings ORDER BY id");
  while (st.step()) out.push_back(st.get<std::string>(0));
  return out;
}

struct Upgraded {
  fs::path dir;
  std::vector<std::string> before;
  std::unique_ptr<store::Database> db;

  Upgraded() {
    dir = fs::temp_directory_path() / ("vigil-readings-upgrade-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    {
      store::Connection c(dir / "vigil.db", store::Connection::Mode::readWriteCreate);
      const auto& all = store::productMigrations();
      BOOST_REQUIRE(all.size() >= 37);
      store::MigrationList upTo36(all.begin(), all.begin() + 36);
      store::migrate(c, upTo36);
      seed(c);
      before = snapshot(c);
    }
    store::Options o;
    o.path = dir / "vigil.db";
    o.synchronousFull = false;
    db = store::Database::open(o);  // migrates 0036 -> current
  }
  ~Upgraded() {
    db->close();
    fs::remove_all(dir);
  }

  static void seed(store::Connection& c) {
    c.exec(
        "INSERT INTO patients (id, created_at) VALUES (1, 0), (2, 0);"
        "INSERT INTO devices (id, uid, kind, created_at) VALUES (1, 'cuff', 'blood_pressure', 0),"
        " (2, 'meter', 'glucometer', 0), (3, 'scale', 'weight_scale', 0);");
    auto add = [&](const std::string& values) {
      c.exec(
          "INSERT INTO readings (id, device_id, patient_id, dedup_key, kind, loinc, unit, value, "
          "components, original_value, original_unit, flags, device_time, device_time_local, "
          "received_at, seq, source) VALUES (" +
          values + ")");
    };
    const auto t = [](std::int64_t ms) { return std::to_string(kT + ms); };
    // 1, 2: a blood pressure panel and its pulse, same device time (same integer key).
    add("1, 1, 1, 'time:" + t(0) +
        ":blood_pressure', 'blood_pressure', '85354-9', 'mm[Hg]', "
        "NULL, '{\"8462-4\":82,\"8478-0\":97,\"8480-6\":128}', NULL, NULL, '', " +
        t(0) + ", 0, " + t(2000) + ", NULL, 'mqtt-json'");
    add("2, 1, 1, 'time:" + t(0) +
        ":heart_rate', 'heart_rate', '8867-4', '/min', 64, NULL, "
        "NULL, NULL, '', " +
        t(0) + ", 0, " + t(2000) + ", NULL, 'mqtt-json'");
    // 3: a meter's record (seq 7) from a clock without offset, received two hours later.
    add("3, 2, 1, 'seq:7:glucose', 'glucose', '2339-0', 'mg/dL', 110, NULL, NULL, NULL, '', " +
        t(kH) + ", 1, " + t(3 * kH) + ", 7, 'ble'");
    // 4: no device time, no seq: keyed by the message.
    add("4, 1, 1, 'msg:5:0:heart_rate', 'heart_rate', '8867-4', '/min', 70, NULL, NULL, NULL, "
        "'', NULL, 0, " +
        t(2 * kH) + ", NULL, 'mqtt-json'");
    // 5: converted from pounds.
    add("5, 3, 2, 'time:" + t(kH) +
        ":body_weight', 'body_weight', '29463-7', 'kg', 81.6, NULL, "
        "180, '[lb_av]', '', " +
        t(kH) + ", 0, " + t(kH + 500) + ", NULL, 'mqtt-json'");
    // 6: unassigned, with a key written by hand.
    add("6, 3, NULL, 'k-hand', 'body_weight', '29463-7', 'kg', 80, NULL, NULL, NULL, '', " +
        t(4 * kH) + ", 0, " + t(4 * kH) + ", NULL, 'test'");
    // 7: a backfill: stored after the others, received before them, taken a month earlier.
    add("7, 1, 1, 'time:" + t(-30 * kDay) +
        ":heart_rate', 'heart_rate', '8867-4', '/min', 61, "
        "NULL, NULL, NULL, '', " +
        t(-30 * kDay) + ", 0, " + t(-kH) + ", NULL, 'mqtt-json'");
    // 8: a panel with a missing component, a flag and a seq.
    add("8, 1, 1, 'seq:12:blood_pressure', 'blood_pressure', '85354-9', 'mm[Hg]', NULL, "
        "'{\"8462-4\":90,\"8478-0\":null,\"8480-6\":150}', NULL, NULL, 'irregular_pulse', " +
        t(6 * kH) + ", 0, " + t(6 * kH + 1000) + ", 12, 'mqtt-json'");
  }

  template <typename F>
  auto read(F&& f) {
    return db->read(std::forward<F>(f));
  }
};

TimePoint at(std::int64_t ms) {
  return core::fromMillis(kT + ms);
}

template <typename Rows>
std::vector<std::int64_t> ids(const Rows& rows) {
  std::vector<std::int64_t> out;
  for (const auto& r : rows) out.push_back(r.readingId);
  return out;
}

/// The upgrade exists on SQLite only.
boost::test_tools::assertion_result onSqlite(boost::unit_test::test_unit_id) {
  boost::test_tools::assertion_result r(!testsupport::testingOnPostgres());
  r.message() << "the 0036 -> 0037 upgrade is SQLite's; PostgreSQL starts at the 0043 baseline";
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ReadingsUpgrade, *boost::unit_test::precondition(onSqlite))

BOOST_AUTO_TEST_CASE(every_reading_survives_with_the_same_columns) {
  Upgraded u;
  BOOST_TEST(u.before.size() == 8u);
  auto after = u.read([](store::Connection& c) { return snapshot(c); });
  BOOST_TEST(after == u.before, boost::test_tools::per_element());
  auto version = u.read(
      [](store::Connection& c) { return c.queryValue<std::int64_t>("PRAGMA user_version"); });
  BOOST_TEST(*version >= 37);
  // Stored compactly: a panel's values as an array in its code's component order, the codes
  // once in reading_codes.
  auto stored = u.read([](store::Connection& c) {
    return c.queryValue<std::string>(
        "SELECT r.components || ' ' || k.component_keys FROM reading_rows r "
        "JOIN reading_codes k ON k.id = r.code_id WHERE r.id = 1");
  });
  BOOST_TEST(stored.value_or("") == "[82,97,128] [\"8462-4\",\"8478-0\",\"8480-6\"]");
}

BOOST_AUTO_TEST_CASE(charts_and_latest_go_by_device_time_else_receipt) {
  Upgraded u;
  auto hr = u.read([](store::Connection& c) {
    return readings::ReadingQuery::rangeIn(c, 1, "8867-4", at(-31 * kDay), at(kDay), 100);
  });
  BOOST_TEST(ids(hr.points) == (std::vector<std::int64_t>{7, 2, 4}),
             boost::test_tools::per_element());
  BOOST_TEST(hr.unit == "/min");
  auto bp = u.read([](store::Connection& c) {
    return readings::ReadingQuery::rangeIn(c, 1, "85354-9", at(-kDay), at(kDay), 100);
  });
  BOOST_REQUIRE(bp.points.size() == 2u);
  BOOST_TEST(bp.points[1].readingId == 8);
  BOOST_TEST(bp.points[1].flags == "irregular_pulse");
  BOOST_TEST(*bp.points[1].values[0] == 150.0);  // systolic first
  BOOST_TEST(*bp.points[1].values[1] == 90.0);   // diastolic
  // The meter's clock had no offset: charted at its own time (one hour in), not at receipt.
  auto glucose = u.read([](store::Connection& c) {
    return readings::ReadingQuery::rangeIn(c, 1, "2339-0", at(kH), at(kH), 100);
  });
  BOOST_TEST(ids(glucose.points) == (std::vector<std::int64_t>{3}),
             boost::test_tools::per_element());
  auto latest = u.read([](store::Connection& c) { return readings::ReadingQuery::latestIn(c, 1); });
  BOOST_REQUIRE(latest.size() == 3u);
  BOOST_TEST(latest.at("85354-9").readingId == 8);
  BOOST_TEST(latest.at("8867-4").readingId == 4);
  BOOST_TEST(latest.at("2339-0").readingId == 3);
}

BOOST_AUTO_TEST_CASE(warm_up_goes_by_reception_time_across_a_backfill) {
  Upgraded u;
  auto since = [&](std::int64_t ms) {
    return ids(u.read([&](store::Connection& c) {
      return readings::ReadingQuery::receivedSinceIn(c, at(ms), 0, 100);
    }));
  };
  using V = std::vector<std::int64_t>;
  BOOST_TEST(since(0) == (V{1, 2, 5, 4, 3, 8}), boost::test_tools::per_element());
  BOOST_TEST(since(-2 * kH) == (V{7, 1, 2, 5, 4, 3, 8}), boost::test_tools::per_element());
  BOOST_TEST(since(kH + 1) == (V{5, 4, 3, 8}), boost::test_tools::per_element());
  BOOST_TEST(since(7 * kH).empty());
}

BOOST_AUTO_TEST_CASE(fhir_search_goes_by_effective_time) {
  Upgraded u;
  readings::ObservationSearch s;
  s.patientId = 1;
  s.limit = 10;
  auto all =
      u.read([&](store::Connection& c) { return readings::ReadingQuery::observationsIn(c, s); });
  // The meter's reading (no UTC offset) is effective at its receipt, three hours in.
  BOOST_TEST(ids(all) == (std::vector<std::int64_t>{7, 1, 2, 4, 3, 8}),
             boost::test_tools::per_element());
  s.codes = {"8867-4"};
  s.newestFirst = true;
  s.limit = 2;
  auto hr =
      u.read([&](store::Connection& c) { return readings::ReadingQuery::observationsIn(c, s); });
  BOOST_TEST(ids(hr) == (std::vector<std::int64_t>{4, 2}), boost::test_tools::per_element());
  auto n = u.read(
      [&](store::Connection& c) { return readings::ReadingQuery::countObservationsIn(c, s); });
  BOOST_TEST(n == 3);
  auto one = u.read([](store::Connection& c) { return readings::ReadingQuery::readingIn(c, 5); });
  BOOST_REQUIRE(one.has_value());
  BOOST_TEST(one->code == "29463-7");
  BOOST_TEST(one->unit == "kg");
  BOOST_TEST(*one->value == 81.6);
  BOOST_TEST(core::toMillis(one->receivedAt) == kT + kH + 500);
}

BOOST_AUTO_TEST_CASE(device_lookups_find_seq_and_time_keys) {
  Upgraded u;
  auto seq = u.read([](store::Connection& c) {
    return readings::ReadingQuery::lastSequenceIn(c, "meter", "glucose");
  });
  BOOST_TEST(seq.value_or(-1) == 7);
  auto byTime = u.read(
      [](store::Connection& c) { return readings::ReadingQuery::idAtIn(c, 1, "8867-4", at(0)); });
  BOOST_TEST(byTime.value_or(-1) == 2);
  auto bySeqRow = u.read([](store::Connection& c) {
    return readings::ReadingQuery::idAtIn(c, 1, "85354-9", at(6 * kH));
  });
  BOOST_TEST(bySeqRow.value_or(-1) == 8);
  auto days = u.read([](store::Connection& c) {
    return readings::ReadingQuery::transmittedIn(c, 1, at(-kDay), at(kDay));
  });
  BOOST_REQUIRE(days.size() == 5u);
  BOOST_TEST((days[2].at == at(kH) && days[2].local));
  BOOST_TEST((days[4].at == at(6 * kH) && !days[4].local));
}

BOOST_AUTO_TEST_SUITE_END()
