#pragma once
// Numbered schema migrations.
//
// The product schema is the files daemon/store/migrations/NNNN_name.sql, embedded into the
// binary at build time (embed_migrations.cmake generates product_migrations.cpp; adding a file
// re-runs it). Rules for a migration file:
// - NNNN is the next free number (0001, 0002 …, no gaps); the name is [a-z0-9_]+.
// - Never edit or renumber a file once merged: add a new one. A migration runs exactly once.
// - Plain SQL (DDL, data fixes); no BEGIN/COMMIT/VACUUM/PRAGMA foreign_keys: the runner wraps
//   each file in one transaction together with the PRAGMA user_version bump and its
//   schema_migrations row, so a migration either applies completely or not at all.
// - Foreign keys are not enforced while migrations run, so a table can be rebuilt the SQLite way
//   (CREATE TABLE x_new; INSERT INTO x_new SELECT …; DROP TABLE x; ALTER TABLE x_new RENAME TO
//   x); PRAGMA foreign_key_check must be clean at the end of each migration or it is rolled back.
// - The version lives in PRAGMA user_version; schema_migrations(version, name, applied_at) is
//   the human-readable history (created by the runner, not by a migration file).
// A database whose user_version is above the highest known migration was written by a newer
// vigild: it is refused and never modified.
//
// PostgreSQL (migrations/postgres/NNNN_name.sql): the first file is a baseline that creates the
// whole schema as SQLite has it after migration NNNN; every later migration comes as a pair,
// one file in each directory with the same number (tests/store checks the schemas agree). The
// runner keeps the version in schema_migrations (max(version)), applies each file in its own
// transaction holding an advisory lock, so nodes starting together migrate once.

#include <filesystem>
#include <string>
#include <vector>

namespace vigil::store {

class Connection;

/// One numbered schema step.
struct Migration {
  int version = 0;
  std::string name;
  std::string sql;
};

using MigrationList = std::vector<Migration>;

/// The product schema (every migrations/NNNN_name.sql in order), generated at build time.
const MigrationList& productMigrations();

/// The PostgreSQL schema (migrations/postgres/NNNN_name.sql in order), generated at build time.
const MigrationList& productPostgresMigrations();

/// Throws StoreError unless versions are exactly 1, 2, … n in order with non-empty names.
void validateMigrations(const MigrationList& migrations);
/// As validateMigrations, but the list may start above 1 (a baseline).
void validatePostgresMigrations(const MigrationList& migrations);
/// A list of simple SQLite migrations (tables, indexes, data) in PostgreSQL's dialect (see
/// sqliteDdlToPostgres): for tests that bring their own schema.
MigrationList postgresDialect(const MigrationList& migrations);

/// The PRAGMA user_version of a database file without modifying it: from the header when
/// there is no WAL (no -wal/-shm file is created), else through a read-only connection.
/// 0 when the file does not exist or is empty; StoreError when it is not a SQLite database.
int readSchemaVersion(const std::filesystem::path& path);

/// Throws StoreError("database schema N is newer than this vigild supports (M); refusing to
/// open") when version > highest.
void refuseNewerSchema(int version, int highest);

/// Applies every migration above the connection's user_version, each in its own IMMEDIATE
/// transaction; returns how many ran. Throws StoreError (refusing a newer schema, or the
/// failing migration's error after rolling it back: earlier ones stay applied).
int migrate(Connection& conn, const MigrationList& migrations);
/// The PostgreSQL runner: applies what is missing (the baseline on an empty database), each in
/// its own transaction under an advisory lock; returns how many ran. A database above the
/// list's highest is refused; one below the baseline (but not empty) too.
int migratePostgres(Connection& conn, const MigrationList& migrations);
/// max(version) of schema_migrations on PostgreSQL, 0 when there is none.
int postgresSchemaVersion(Connection& conn);

}  // namespace vigil::store
