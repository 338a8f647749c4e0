#include "vigil/testsupport/test_store.hpp"

#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>

#include "vigil/testsupport/postgres_server.hpp"

namespace vigil::testsupport {
namespace {

/// The binary's server, started by the first store a test asks for (on the main thread, which
/// outlives it) and stopped at exit. The library suites test SQL, not durability (that is
/// store-postgres' and postgres-box-integration's, with fsync on): without fsync a suite that
/// creates a database per test case does not spend its time, and its shutdown, in fsync.
PostgresServer& server() {
  static PostgresServer s(
      {{"fsync", "off"}, {"synchronous_commit", "off"}, {"full_page_writes", "off"}});
  return s;
}

std::atomic<int> databases{0};

/// The product schema, migrated once per binary into a template database: a test's database is
/// a copy of it (CREATE DATABASE … TEMPLATE), not a new run of the baseline's ~1,800 lines.
const std::string& productTemplate() {
  static const std::string name = [] {
    const std::string t = "product_template";
    store::Options o;
    o.backend = store::Backend::postgres;
    o.conninfo = server().createDatabase(t);
    o.readers = 1;
    store::Database::open(o)->close();  // migrated; no connection may stay on a template
    return t;
  }();
  return name;
}

std::string freshProductDatabase() {
  const auto& tmpl = productTemplate();
  const std::string name = "t" + std::to_string(++databases);
  server().execute("postgres", "CREATE DATABASE " + name + " TEMPLATE " + tmpl);
  return server().conninfo(name);
}

}  // namespace

bool testingOnPostgres() {
  const char* v = std::getenv("VIGIL_TEST_STORE");
  return v != nullptr && std::string(v) == "postgres";
}

std::string freshPostgresDatabase() {
  return server().createDatabase("t" + std::to_string(++databases));
}

store::Options testStoreOptions(const std::filesystem::path& sqlitePath,
                                std::optional<store::MigrationList> migrations) {
  store::Options o;
  o.path = sqlitePath;
  if (migrations) {
    o.migrations = *migrations;
    o.postgresMigrations = store::postgresDialect(*migrations);
  }
  if (testingOnPostgres()) {
    o.backend = store::Backend::postgres;
    o.conninfo = migrations ? freshPostgresDatabase() : freshProductDatabase();
  }
  return o;
}

}  // namespace vigil::testsupport
