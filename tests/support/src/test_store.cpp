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

}  // namespace

bool testingOnPostgres() {
  const char* v = std::getenv("VIGIL_TEST_STORE");
  return v != nullptr && std::string(v) == "postgres";
}

std::string freshPostgresDatabase() {
  static std::atomic<int> n{0};
  return server().createDatabase("t" + std::to_string(++n));
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
    o.conninfo = freshPostgresDatabase();
  }
  return o;
}

}  // namespace vigil::testsupport
