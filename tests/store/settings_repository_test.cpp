#include "vigil/store/settings_repository.hpp"

#include <boost/test/unit_test.hpp>

#include "temp_dir.hpp"
#include "vigil/store/database.hpp"

using vigil::store::Connection;
using vigil::store::Database;
using vigil::store::SqliteSettingsRepository;
using vigil::store::test::TempDir;

namespace {
struct Fixture {
  TempDir dir;
  vigil::Metrics metrics;
  std::unique_ptr<Database> db;
  Fixture() { open(); }
  void open() {
    vigil::store::Options o;
    o.path = dir / "vigil.db";  // product schema
    o.metrics = &metrics;
    db = Database::open(o);
  }
};
}  // namespace

BOOST_AUTO_TEST_SUITE(SqliteSettingsRepositoryTests)

BOOST_FIXTURE_TEST_CASE(stores_replaces_and_erases_values, Fixture) {
  SqliteSettingsRepository settings(*db);
  BOOST_TEST(!settings.get("install.id").has_value());
  settings.set("install.id", "abc");
  settings.set("install.id", "def");
  settings.set("feature.video", "on");
  BOOST_TEST(settings.get("install.id").value() == "def");
  auto all = settings.all();
  BOOST_TEST(all.size() == 2u);
  BOOST_TEST(all.at("feature.video") == "on");
  BOOST_TEST(settings.erase("feature.video"));
  BOOST_TEST(!settings.erase("feature.video"));
  BOOST_TEST(settings.all().size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(keeps_values_across_a_restart, Fixture) {
  SqliteSettingsRepository(*db).set("k", "v");
  db->close();
  open();
  BOOST_TEST(SqliteSettingsRepository(*db).get("k").value() == "v");
}

BOOST_FIXTURE_TEST_CASE(composes_with_other_writes_in_one_transaction, Fixture) {
  SqliteSettingsRepository settings(*db);
  BOOST_CHECK_THROW(db->writeSync([](Connection& c) {
    SqliteSettingsRepository::setIn(c, "a", "1");
    SqliteSettingsRepository::setIn(c, "b", "2");
    throw std::runtime_error("second half failed");
  }),
                    std::runtime_error);
  BOOST_TEST(settings.all().empty());
  db->writeSync([](Connection& c) {
    SqliteSettingsRepository::setIn(c, "a", "1");
    SqliteSettingsRepository::setIn(c, "b", "2");
  });
  BOOST_TEST(settings.all().size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(a_progress_mark_only_moves_forward, Fixture) {
  SqliteSettingsRepository settings(*db);
  db->writeSync([](Connection& c) { SqliteSettingsRepository::raiseIn(c, "job.done", 41); });
  BOOST_TEST(settings.get("job.done").value() == "41");
  db->writeSync([](Connection& c) { SqliteSettingsRepository::raiseIn(c, "job.done", 1000); });
  db->writeSync([](Connection& c) { SqliteSettingsRepository::raiseIn(c, "job.done", 999); });
  db->writeSync([](Connection& c) { SqliteSettingsRepository::raiseIn(c, "job.done", 7); });
  BOOST_TEST(settings.get("job.done").value() == "1000");
}

BOOST_AUTO_TEST_SUITE_END()
