// The PostgreSQL fixture (issue 29) against a real server from the Debian package: it starts,
// keeps databases apart, stops cleanly, keeps committed rows across a restart and across a
// SIGKILL of the whole server (crash recovery), and fails loudly when the binaries are missing.
#define BOOST_TEST_MODULE postgres_fixture
#include "vigil/testsupport/postgres_server.hpp"

#include <libpq-fe.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace fs = std::filesystem;
using vigil::testsupport::PostgresServer;

namespace {

using Conn = std::unique_ptr<PGconn, void (*)(PGconn*)>;

Conn connect(const std::string& conninfo) {
  Conn c(PQconnectdb((conninfo + " connect_timeout=10").c_str()), PQfinish);
  BOOST_REQUIRE_MESSAGE(PQstatus(c.get()) == CONNECTION_OK,
                        "connect " << conninfo << ": " << PQerrorMessage(c.get()));
  return c;
}

/// Runs `sql` on `c`; the first value of the first row when it returns rows.
std::optional<std::string> run(PGconn* c, const std::string& sql) {
  std::unique_ptr<PGresult, void (*)(PGresult*)> r(PQexec(c, sql.c_str()), PQclear);
  auto status = PQresultStatus(r.get());
  BOOST_REQUIRE_MESSAGE(status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK,
                        sql << ": " << PQerrorMessage(c));
  if (status == PGRES_TUPLES_OK && PQntuples(r.get()) > 0 && !PQgetisnull(r.get(), 0, 0)) {
    return std::string(PQgetvalue(r.get(), 0, 0));
  }
  return std::nullopt;
}

bool answers(int port) {
  std::string info = "host=127.0.0.1 port=" + std::to_string(port) + " connect_timeout=5";
  return PQping(info.c_str()) == PQPING_OK;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(PostgresServerFixture)

BOOST_AUTO_TEST_CASE(serves_two_databases_apart_on_its_own_port) {
  PostgresServer pg;
  BOOST_TEST(pg.running());
  BOOST_TEST(pg.port() > 0);
  BOOST_TEST(fs::exists(pg.dataDir() / "PG_VERSION"));
  BOOST_TEST(fs::exists(pg.socketDir() / (".s.PGSQL." + std::to_string(pg.port()))));

  std::string alpha = pg.createDatabase("alpha");
  std::string beta = pg.createDatabase("beta");
  BOOST_TEST(alpha ==
             "host=127.0.0.1 port=" + std::to_string(pg.port()) + " user=vigil dbname=alpha");
  BOOST_TEST(beta ==
             "host=127.0.0.1 port=" + std::to_string(pg.port()) + " user=vigil dbname=beta");

  auto a = connect(alpha);
  BOOST_TEST(*run(a.get(), "SELECT 1") == "1");
  BOOST_TEST(run(a.get(), "SHOW server_version_num")->substr(0, 2) == "15");
  BOOST_TEST(*run(a.get(), "SHOW fsync") == "on");
  BOOST_TEST(*run(a.get(), "SHOW server_encoding") == "UTF8");
  BOOST_TEST(*run(a.get(), "SELECT current_user") == "vigil");
  run(a.get(), "CREATE TABLE only_in_alpha (id integer PRIMARY KEY)");
  run(a.get(), "INSERT INTO only_in_alpha VALUES (1), (2)");
  BOOST_TEST(*run(a.get(), "SELECT count(*) FROM only_in_alpha") == "2");

  auto b = connect(beta);
  BOOST_TEST(!run(b.get(), "SELECT to_regclass('public.only_in_alpha')::text").has_value());
  BOOST_TEST(pg.queryValue("beta", "SELECT current_database()") == "beta");
  BOOST_TEST(pg.queryValue("alpha", "SELECT count(*) FROM only_in_alpha") == "2");
}

BOOST_AUTO_TEST_CASE(destructor_stops_the_server_and_removes_its_directory) {
  fs::path dir;
  int port = 0;
  {
    PostgresServer pg;
    dir = pg.socketDir();
    port = pg.port();
    BOOST_TEST(answers(port));
    BOOST_TEST(fs::exists(dir));
  }
  BOOST_TEST(!answers(port));
  BOOST_TEST(!fs::exists(dir));
}

BOOST_AUTO_TEST_CASE(restart_on_the_same_data_directory_keeps_committed_rows) {
  PostgresServer pg;
  pg.createDatabase("kept");
  pg.execute("kept", "CREATE TABLE t (id integer PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3)");
  int port = pg.port();

  pg.stop();
  BOOST_TEST(!pg.running());
  BOOST_TEST(!answers(port));
  BOOST_TEST(fs::exists(pg.dataDir() / "PG_VERSION"));

  pg.start();
  BOOST_TEST(pg.running());
  BOOST_TEST(pg.queryValue("kept", "SELECT string_agg(id::text, ',' ORDER BY id) FROM t") ==
             "1,2,3");
  // A clean stop writes a shutdown checkpoint: no recovery at the next start.
  BOOST_TEST(pg.log().find("automatic recovery in progress") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(kill9_then_start_recovers_committed_rows_only) {
  PostgresServer pg;
  std::string info = pg.createDatabase("crash");
  pg.execute("crash", "CREATE TABLE t (id integer PRIMARY KEY); INSERT INTO t VALUES (1), (2)");
  auto open = connect(info);
  run(open.get(), "BEGIN");
  run(open.get(), "INSERT INTO t VALUES (3)");  // never committed

  pg.kill9();
  BOOST_TEST(!pg.running());
  BOOST_TEST(!answers(pg.port()));
  // The backend of the open transaction went with the postmaster.
  std::unique_ptr<PGresult, void (*)(PGresult*)> commit(PQexec(open.get(), "COMMIT"), PQclear);
  BOOST_TEST(PQresultStatus(commit.get()) != PGRES_COMMAND_OK);
  BOOST_TEST(PQstatus(open.get()) == CONNECTION_BAD);

  pg.start();
  BOOST_TEST(pg.log().find("automatic recovery in progress") != std::string::npos);
  BOOST_TEST(pg.queryValue("crash", "SELECT string_agg(id::text, ',' ORDER BY id) FROM t") ==
             "1,2");
}

BOOST_AUTO_TEST_CASE(two_servers_side_by_side_have_their_own_port_and_directory) {
  PostgresServer one;
  PostgresServer two;
  BOOST_TEST(one.port() != two.port());
  BOOST_TEST(one.dataDir() != two.dataDir());
  one.createDatabase("same_name");
  two.createDatabase("same_name");
  one.execute("same_name", "CREATE TABLE mark (server text); INSERT INTO mark VALUES ('one')");
  two.execute("same_name", "CREATE TABLE mark (server text); INSERT INTO mark VALUES ('two')");
  BOOST_TEST(one.queryValue("same_name", "SELECT server FROM mark") == "one");
  BOOST_TEST(two.queryValue("same_name", "SELECT server FROM mark") == "two");
}

BOOST_AUTO_TEST_CASE(refuses_a_database_name_that_is_not_a_plain_identifier) {
  PostgresServer pg;
  BOOST_CHECK_THROW(pg.createDatabase("x; DROP DATABASE postgres"), std::invalid_argument);
  BOOST_CHECK_THROW(pg.createDatabase("1abc"), std::invalid_argument);
  BOOST_CHECK_THROW(pg.createDatabase(""), std::invalid_argument);
  BOOST_CHECK_THROW(pg.execute("postgres", "SELECT * FROM no_such_table"), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(missing_binaries_fail_loudly_naming_the_package) {
  ::setenv("VIGIL_PG_BINDIR", "/nonexistent/postgresql/bin", 1);
  std::string message;
  try {
    PostgresServer pg;
  } catch (const std::runtime_error& e) {
    message = e.what();
  }
  ::unsetenv("VIGIL_PG_BINDIR");
  BOOST_TEST(message.find("/nonexistent/postgresql/bin") != std::string::npos, message);
  BOOST_TEST(message.find("postgresql-15") != std::string::npos, message);
}

BOOST_AUTO_TEST_SUITE_END()
