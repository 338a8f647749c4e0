#define BOOST_TEST_MODULE vigil_store
#include "vigil/store/sqlite.hpp"

#include <sqlite3.h>

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "temp_dir.hpp"

using vigil::store::Blob;
using vigil::store::Connection;
using vigil::store::SqliteError;
using vigil::store::Transaction;
using vigil::store::test::TempDir;

namespace {
struct Fixture {
  TempDir dir;
  Connection conn{dir / "t.db", Connection::Mode::readWriteCreate};
  Fixture() {
    conn.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, b BLOB)");
  }
  std::int64_t count() { return *conn.queryValue<std::int64_t>("SELECT count(*) FROM t"); }
};
}  // namespace

BOOST_AUTO_TEST_SUITE(StatementTests)

BOOST_FIXTURE_TEST_CASE(binds_and_reads_every_type, Fixture) {
  auto ins = conn.prepare("INSERT INTO t(i, r, s, b) VALUES (?1, ?2, ?3, ?4)");
  const Blob blob{0x00, 0xff, 0x10};
  ins.bind(1, std::numeric_limits<std::int64_t>::min())
      .bind(2, 2.5)
      .bind(3, "tëxt\0x")
      .bind(4, blob);
  BOOST_TEST(ins.run() == 1);
  auto id = conn.lastInsertRowid();
  auto sel = conn.prepare("SELECT i, r, s, b FROM t WHERE id = ?1");
  sel.bind(1, id);
  BOOST_REQUIRE(sel.step());
  BOOST_TEST(sel.get<std::int64_t>(0) == std::numeric_limits<std::int64_t>::min());
  BOOST_TEST(sel.get<double>(1) == 2.5);
  BOOST_TEST(sel.get<std::string>(2) == "tëxt");
  BOOST_TEST(sel.get<Blob>(3) == blob, boost::test_tools::per_element());
  BOOST_TEST(!sel.step());
}

BOOST_FIXTURE_TEST_CASE(binds_null_and_optionals_and_reads_them_back, Fixture) {
  auto ins = conn.prepare("INSERT INTO t(i, r, s, b) VALUES (?1, ?2, ?3, ?4)");
  ins.bind(1, std::optional<int>{}).bind(2, nullptr).bind(3, std::optional<std::string>{"x"});
  ins.bind(4, Blob{});
  ins.run();
  auto sel = conn.prepare("SELECT i, r, s, b FROM t");
  BOOST_REQUIRE(sel.step());
  BOOST_TEST(sel.isNull(0));
  BOOST_TEST(sel.isNull(1));
  BOOST_TEST(!sel.get<std::optional<std::int64_t>>(0).has_value());
  BOOST_TEST(sel.get<std::optional<std::string>>(2).value() == "x");
  // An empty blob is an empty BLOB, not NULL.
  BOOST_TEST(!sel.isNull(3));
  BOOST_TEST(sel.get<Blob>(3).empty());
}

BOOST_FIXTURE_TEST_CASE(binds_by_name, Fixture) {
  auto ins = conn.prepare("INSERT INTO t(i, s) VALUES (:num, :label)");
  ins.bind(":label", std::string("named")).bind(":num", 42);
  ins.run();
  BOOST_TEST(conn.queryValue<std::string>("SELECT s FROM t WHERE i = ?1", 42).value() == "named");
  BOOST_CHECK_THROW(ins.bind(":missing", 1), vigil::StoreError);
}

BOOST_FIXTURE_TEST_CASE(resets_and_reuses_a_statement, Fixture) {
  auto ins = conn.prepare("INSERT INTO t(i) VALUES (?1)");
  for (int i = 0; i < 5; ++i) {
    ins.bind(1, i);
    ins.run();
    ins.reset();
  }
  BOOST_TEST(count() == 5);
  BOOST_TEST(conn.queryValue<std::int64_t>("SELECT sum(i) FROM t").value() == 10);
}

BOOST_FIXTURE_TEST_CASE(refuses_unsigned_values_above_int64, Fixture) {
  auto ins = conn.prepare("INSERT INTO t(i) VALUES (?1)");
  BOOST_CHECK_THROW(ins.bind(1, std::numeric_limits<std::uint64_t>::max()), vigil::StoreError);
  ins.bind(1, std::uint64_t{7});
  ins.run();
  BOOST_TEST(conn.queryValue<std::int64_t>("SELECT i FROM t").value() == 7);
}

BOOST_FIXTURE_TEST_CASE(turns_errors_into_sqlite_errors_with_codes_and_no_values, Fixture) {
  conn.exec("CREATE TABLE u(k TEXT UNIQUE)");
  conn.execute("INSERT INTO u VALUES (?1)", "secret-value");
  try {
    conn.execute("INSERT INTO u VALUES (?1)", "secret-value");
    BOOST_FAIL("expected a constraint error");
  } catch (const SqliteError& e) {
    BOOST_TEST(e.code() == SQLITE_CONSTRAINT);
    BOOST_TEST(e.extendedCode() == SQLITE_CONSTRAINT_UNIQUE);
    BOOST_TEST(e.isConstraint());
    BOOST_TEST(std::string(e.what()).find("secret-value") == std::string::npos);
    BOOST_TEST(std::string(e.what()).find("u.k") != std::string::npos);
  }
  // The cached statement stays usable after the failure.
  BOOST_TEST(conn.execute("INSERT INTO u VALUES (?1)", "other") == 1);
  BOOST_CHECK_THROW(conn.prepare("SELEKT 1"), SqliteError);
  BOOST_CHECK_THROW(conn.exec("INSERT INTO nope VALUES (1)"), vigil::StoreError);
}

BOOST_AUTO_TEST_CASE(fails_to_open_a_missing_file_read_only) {
  TempDir dir;
  BOOST_CHECK_THROW(Connection(dir / "missing.db", Connection::Mode::readOnly), SqliteError);
  BOOST_TEST(!std::filesystem::exists(dir / "missing.db"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(TransactionTests)

BOOST_FIXTURE_TEST_CASE(commits_when_told, Fixture) {
  {
    Transaction tx(conn);
    BOOST_TEST(conn.inTransaction());
    conn.execute("INSERT INTO t(i) VALUES (1)");
    tx.commit();
  }
  BOOST_TEST(!conn.inTransaction());
  BOOST_TEST(count() == 1);
}

BOOST_FIXTURE_TEST_CASE(rolls_back_when_left_by_an_exception, Fixture) {
  try {
    Transaction tx(conn);
    conn.execute("INSERT INTO t(i) VALUES (1)");
    throw std::runtime_error("job failed");
  } catch (const std::runtime_error&) {
  }
  BOOST_TEST(!conn.inTransaction());
  BOOST_TEST(count() == 0);
}

BOOST_FIXTURE_TEST_CASE(nests_as_savepoints_that_roll_back_alone, Fixture) {
  Transaction outer(conn);
  conn.execute("INSERT INTO t(i) VALUES (1)");
  {
    Transaction inner(conn);
    BOOST_TEST(inner.isSavepoint());
    conn.execute("INSERT INTO t(i) VALUES (2)");
  }  // rolled back
  {
    Transaction inner(conn);
    conn.execute("INSERT INTO t(i) VALUES (3)");
    inner.commit();
  }
  BOOST_TEST(conn.inTransaction());
  outer.commit();
  BOOST_TEST(conn.queryValue<std::int64_t>("SELECT sum(i) FROM t").value() == 4);
}

BOOST_AUTO_TEST_SUITE_END()
