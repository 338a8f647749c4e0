#pragma once
// The store a test opens, on either engine (issue 29: "the store suite runs against both
// backends"). By default a SQLite file at the path the test chose; when the environment says
// VIGIL_TEST_STORE=postgres (the `-pg` variants of the suites, ctest label postgres), a fresh
// database on a PostgreSQL server the test binary starts once (testsupport::PostgresServer).

#include <filesystem>
#include <optional>
#include <string>

#include "vigil/store/database.hpp"

namespace vigil::testsupport {

/// True when this run's stores are PostgreSQL databases.
bool testingOnPostgres();

/// Options for a test's store: SQLite at sqlitePath, or (on PostgreSQL) a new empty database.
/// `migrations`: the test's own schema (SQLite DDL; translated for PostgreSQL with
/// store::postgresDialect), or the product's when absent.
store::Options testStoreOptions(const std::filesystem::path& sqlitePath,
                                std::optional<store::MigrationList> migrations = std::nullopt);

/// A fresh PostgreSQL database (conninfo) on this binary's server, for tests that open raw
/// connections or several nodes on one database.
std::string freshPostgresDatabase();

}  // namespace vigil::testsupport
