#include "vigil/store/migrations.hpp"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <optional>
#include <string>

#include "temp_dir.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"

using vigil::store::Connection;
using vigil::store::Database;
using vigil::store::MigrationList;
using vigil::store::Options;
using vigil::store::test::readFile;
using vigil::store::test::TempDir;

namespace {

MigrationList threeSteps() {
  return {
      {1, "first", "CREATE TABLE a(x INTEGER);"},
      {2, "second", "CREATE TABLE b(y TEXT); INSERT INTO a VALUES (1);"},
      {3, "third", "ALTER TABLE b ADD COLUMN z INTEGER;"},
  };
}

Options optionsFor(const std::filesystem::path& path, MigrationList list) {
  Options o;
  o.path = path;
  o.migrations = std::move(list);
  o.readers = 1;
  return o;
}

bool hasTable(Connection& c, const std::string& name) {
  return c.queryValue<std::int64_t>("SELECT count(*) FROM sqlite_schema WHERE name = ?1", name)
             .value() == 1;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(Migrations)

BOOST_AUTO_TEST_CASE(migrates_an_empty_file_to_the_highest_version) {
  TempDir dir;
  auto db = Database::open(optionsFor(dir / "v.db", threeSteps()));
  BOOST_TEST(db->schemaVersion() == 3);
  db->read([](Connection& c) {
    BOOST_TEST(c.queryValue<std::int64_t>("PRAGMA user_version").value() == 3);
    BOOST_TEST(hasTable(c, "a"));
    BOOST_TEST(hasTable(c, "b"));
    BOOST_TEST(c.queryValue<std::int64_t>("SELECT count(*) FROM a").value() == 1);
    auto st = c.prepare("SELECT version, name, applied_at FROM schema_migrations ORDER BY version");
    std::vector<std::string> names;
    while (st.step()) {
      names.push_back(st.getText(1));
      BOOST_TEST(!st.getText(2).empty());
    }
    BOOST_TEST(names == (std::vector<std::string>{"first", "second", "third"}),
               boost::test_tools::per_element());
    BOOST_TEST(c.queryValue<std::string>("PRAGMA journal_mode").value() == "wal");
  });
}

BOOST_AUTO_TEST_CASE(reopening_at_the_same_version_is_a_no_op) {
  TempDir dir;
  auto path = dir / "v.db";
  Database::open(optionsFor(path, threeSteps()))->close();
  const auto before = readFile(path);
  BOOST_REQUIRE(!before.empty());
  auto db = Database::open(optionsFor(path, threeSteps()));
  BOOST_TEST(db->schemaVersion() == 3);
  db->read([](Connection& c) {
    BOOST_TEST(c.queryValue<std::int64_t>("SELECT count(*) FROM schema_migrations").value() == 3);
    // Migration 2's INSERT did not run again.
    BOOST_TEST(c.queryValue<std::int64_t>("SELECT count(*) FROM a").value() == 1);
  });
  db->close();
  BOOST_TEST((readFile(path) == before), "the file changed on a no-op reopen");
}

BOOST_AUTO_TEST_CASE(applies_only_the_new_migrations_of_an_older_database) {
  TempDir dir;
  auto path = dir / "v.db";
  auto list = threeSteps();
  Database::open(optionsFor(path, {list[0]}))->close();
  auto db = Database::open(optionsFor(path, list));
  BOOST_TEST(db->schemaVersion() == 3);
  db->read([](Connection& c) {
    BOOST_TEST(c.queryValue<std::int64_t>("SELECT count(*) FROM schema_migrations").value() == 3);
    BOOST_TEST(c.queryValue<std::int64_t>("SELECT count(*) FROM a").value() == 1);
  });
}

BOOST_AUTO_TEST_CASE(refuses_a_newer_schema_and_leaves_the_file_untouched) {
  TempDir dir;
  auto path = dir / "v.db";
  Database::open(optionsFor(path, threeSteps()))->close();
  const auto before = readFile(path);
  const auto filesBefore = std::distance(std::filesystem::directory_iterator(dir.path()), {});
  auto older = threeSteps();
  older.pop_back();
  try {
    Database::open(optionsFor(path, older));
    BOOST_FAIL("a newer schema was opened");
  } catch (const vigil::StoreError& e) {
    BOOST_TEST(std::string(e.what()) ==
               "database schema 3 is newer than this vigild supports (2); refusing to open");
  }
  BOOST_TEST((readFile(path) == before), "the refused file was modified");
  BOOST_TEST(std::distance(std::filesystem::directory_iterator(dir.path()), {}) == filesBefore);
  BOOST_TEST(vigil::store::readSchemaVersion(path) == 3);
}

BOOST_AUTO_TEST_CASE(rolls_back_a_failing_migration_and_keeps_the_earlier_ones) {
  TempDir dir;
  auto path = dir / "v.db";
  MigrationList list = {
      {1, "good", "CREATE TABLE a(x);"},
      {2, "bad", "CREATE TABLE half(y); INSERT INTO missing VALUES (1);"},
  };
  BOOST_CHECK_EXCEPTION(
      Database::open(optionsFor(path, list)), vigil::StoreError, [](const vigil::StoreError& e) {
        return std::string(e.what()).find("migration 2 (bad) failed") != std::string::npos;
      });
  BOOST_TEST(vigil::store::readSchemaVersion(path) == 1);
  Connection c(path, Connection::Mode::readOnly);
  BOOST_TEST(hasTable(c, "a"));
  BOOST_TEST(!hasTable(c, "half"));
}

BOOST_AUTO_TEST_CASE(lets_a_migration_rebuild_a_referenced_table_and_enforces_keys_after) {
  TempDir dir;
  MigrationList list = {
      {1, "tables",
       "CREATE TABLE parent(id INTEGER PRIMARY KEY);"
       "CREATE TABLE child(pid INTEGER NOT NULL REFERENCES parent(id));"
       "INSERT INTO parent VALUES (1); INSERT INTO child VALUES (1);"},
      {2, "rebuild_parent",
       "CREATE TABLE parent_new(id INTEGER PRIMARY KEY, extra INTEGER NOT NULL DEFAULT 0);"
       "INSERT INTO parent_new(id) SELECT id FROM parent;"
       "DROP TABLE parent;"
       "ALTER TABLE parent_new RENAME TO parent;"},
  };
  auto db = Database::open(optionsFor(dir / "fk.db", list));
  BOOST_TEST(db->schemaVersion() == 2);
  BOOST_TEST(db->read([](Connection& c) {
    return c.queryValue<std::int64_t>("SELECT count(*) FROM child JOIN parent ON parent.id = pid")
        .value();
  }) == 1);
  // Outside migrations the writer enforces foreign keys.
  BOOST_CHECK_EXCEPTION(
      db->writeSync([](Connection& c) { c.exec("INSERT INTO child VALUES (42)"); }),
      vigil::store::SqliteError,
      [](const vigil::store::SqliteError& e) { return e.isConstraint(); });
}

BOOST_AUTO_TEST_CASE(rolls_back_a_migration_that_leaves_dangling_references) {
  TempDir dir;
  auto path = dir / "fk.db";
  MigrationList list = {
      {1, "tables",
       "CREATE TABLE parent(id INTEGER PRIMARY KEY);"
       "CREATE TABLE child(pid INTEGER NOT NULL REFERENCES parent(id));"},
      {2, "orphan", "INSERT INTO child VALUES (7);"},
  };
  BOOST_CHECK_EXCEPTION(Database::open(optionsFor(path, list)), vigil::StoreError,
                        [](const vigil::StoreError& e) {
                          return std::string(e.what()) ==
                                 "migration 2 (orphan) left rows in table child referring to "
                                 "missing rows of table parent";
                        });
  BOOST_TEST(vigil::store::readSchemaVersion(path) == 1);
  Connection c(path, Connection::Mode::readOnly);
  BOOST_TEST(c.queryValue<std::int64_t>("SELECT count(*) FROM child").value() == 0);
}

BOOST_AUTO_TEST_CASE(rejects_a_list_with_gaps_or_duplicates) {
  BOOST_CHECK_THROW(vigil::store::validateMigrations({{1, "a", ""}, {3, "c", ""}}),
                    vigil::StoreError);
  BOOST_CHECK_THROW(vigil::store::validateMigrations({{1, "a", ""}, {1, "b", ""}}),
                    vigil::StoreError);
  BOOST_CHECK_THROW(vigil::store::validateMigrations({{1, "", ""}}), vigil::StoreError);
  BOOST_CHECK_NO_THROW(vigil::store::validateMigrations({}));
}

BOOST_AUTO_TEST_CASE(embeds_the_product_migrations_in_order) {
  const auto& list = vigil::store::productMigrations();
  BOOST_REQUIRE(!list.empty());
  BOOST_TEST(list[0].version == 1);
  BOOST_TEST(list[0].name == "core");
  BOOST_TEST(list[0].sql.find("CREATE TABLE settings") != std::string::npos);
  BOOST_CHECK_NO_THROW(vigil::store::validateMigrations(list));
  TempDir dir;
  Options o;
  o.path = dir / "product.db";
  auto db = Database::open(o);
  BOOST_TEST(db->schemaVersion() == static_cast<int>(list.size()));
  BOOST_TEST(db->integrityCheck().empty());
}

// Issue 21: 0021 rebuilds users so its CHECK admits the front desk. A database at schema 20 with
// accounts and rows that refer to them (a session, MFA, a care team) keeps every row, id and
// reference, and the rebuilt table keeps its constraints (the role list, the unique e-mail index).
BOOST_AUTO_TEST_CASE(front_desk_migration_keeps_every_user_and_what_refers_to_them) {
  const auto& all = vigil::store::productMigrations();
  BOOST_REQUIRE(all.size() >= 21u);
  BOOST_REQUIRE_EQUAL(all[20].name, "front_desk");
  TempDir dir;
  const auto path = dir / "before.db";
  auto addUser = [](Connection& c, std::int64_t id, const std::string& role, int bidx) {
    c.execute(
        "INSERT INTO users (id, role, email_bidx, email_enc, patient_id, password_hash, "
        "password_changed_at, status, created_at) VALUES (?1, ?2, ?3, x'aa', ?4, 'h', 5, "
        "'disabled', 7)",
        id, role, vigil::store::Blob{static_cast<unsigned char>(bidx)},
        role == "patient" ? std::optional<std::int64_t>(100) : std::nullopt);
  };
  {
    auto db = Database::open(optionsFor(path, MigrationList(all.begin(), all.begin() + 20)));
    BOOST_REQUIRE_EQUAL(db->schemaVersion(), 20);
    db->writeSync([&](Connection& c) {
      addUser(c, 1, "admin", 1);
      addUser(c, 2, "nurse", 2);
      addUser(c, 3, "patient", 3);
      BOOST_CHECK_THROW(addUser(c, 4, "front_desk", 4), vigil::store::SqliteError);
      c.execute(
          "INSERT INTO sessions (token_hash, user_id, stage, created_at, last_seen_at) VALUES "
          "(x'01', 2, 'full', 1, 1)");
      c.execute("INSERT INTO user_mfa (user_id, totp_secret_enc, created_at) VALUES (2, x'02', 1)");
      c.execute("INSERT INTO care_team (patient_id, user_id, assigned_at) VALUES (100, 2, 1)");
    });
  }
  auto db = Database::open(optionsFor(path, all));
  BOOST_TEST(db->schemaVersion() == static_cast<int>(all.size()));
  db->writeSync([&](Connection& c) {
    BOOST_TEST(c.queryValue<std::int64_t>("SELECT count(*) FROM users").value() == 3);
    BOOST_TEST(c.queryValue<std::string>("SELECT role FROM users WHERE id = 2").value() == "nurse");
    BOOST_TEST(c.queryValue<std::int64_t>("SELECT patient_id FROM users WHERE id = 3").value() ==
               100);
    BOOST_TEST(c.queryValue<std::string>("SELECT status FROM users WHERE id = 1").value() ==
               "disabled");
    BOOST_TEST(c.queryValue<std::int64_t>("SELECT user_id FROM sessions").value() == 2);
    BOOST_TEST(c.queryValue<std::int64_t>("SELECT user_id FROM user_mfa").value() == 2);
    BOOST_TEST(c.queryValue<std::int64_t>("SELECT user_id FROM care_team").value() == 2);
    BOOST_TEST(!c.prepare("PRAGMA foreign_key_check").step());
    BOOST_CHECK_NO_THROW(addUser(c, 4, "front_desk", 4));
    BOOST_CHECK_THROW(addUser(c, 5, "receptionist", 5), vigil::store::SqliteError);
    BOOST_CHECK_THROW(addUser(c, 6, "nurse", 2), vigil::store::SqliteError);  // e-mail taken
    // References still hold: a session of a user that does not exist is refused.
    BOOST_CHECK_THROW(c.execute("INSERT INTO sessions (token_hash, user_id, stage, created_at, "
                                "last_seen_at) VALUES (x'03', 99, 'full', 1, 1)"),
                      vigil::store::SqliteError);
  });
  BOOST_TEST(db->integrityCheck().empty());
}

BOOST_AUTO_TEST_CASE(reads_version_zero_for_a_missing_file_without_creating_it) {
  TempDir dir;
  BOOST_TEST(vigil::store::readSchemaVersion(dir / "none.db") == 0);
  BOOST_TEST(!std::filesystem::exists(dir / "none.db"));
}

BOOST_AUTO_TEST_CASE(refuses_a_file_that_is_not_a_database_without_changing_it) {
  TempDir dir;
  auto path = dir / "text.db";
  {
    std::ofstream out(path);
    out << std::string(200, 'x');
  }
  Options o = optionsFor(path, {{1, "a", "CREATE TABLE a(x);"}});
  BOOST_CHECK_THROW(Database::open(o), vigil::StoreError);
  BOOST_TEST(readFile(path) == std::string(200, 'x'));
}

BOOST_AUTO_TEST_SUITE_END()
