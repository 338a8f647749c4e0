#include "vigil/store/migrations.hpp"

#include <array>
#include <cstdint>
#include <cstring>
#include <fstream>

#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/store/postgres.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::store {

void validateMigrations(const MigrationList& migrations) {
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    const auto& m = migrations[i];
    if (m.version != static_cast<int>(i) + 1) {
      throw StoreError("migration list is not numbered 1..n without gaps at position " +
                       std::to_string(i + 1) + " (found " + std::to_string(m.version) + ")");
    }
    if (m.name.empty()) {
      throw StoreError("migration " + std::to_string(m.version) + " has no name");
    }
  }
}

void validatePostgresMigrations(const MigrationList& migrations) {
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    const auto& m = migrations[i];
    const int expected = migrations.front().version + static_cast<int>(i);
    if (m.version != expected || m.version < 1) {
      throw StoreError("postgres migration list is not numbered without gaps at position " +
                       std::to_string(i + 1) + " (found " + std::to_string(m.version) + ")");
    }
    if (m.name.empty()) {
      throw StoreError("migration " + std::to_string(m.version) + " has no name");
    }
  }
}

MigrationList postgresDialect(const MigrationList& migrations) {
  MigrationList out = migrations;
  for (auto& m : out) m.sql = sqliteDdlToPostgres(m.sql);
  return out;
}

void refuseNewerSchema(int version, int highest) {
  if (version > highest) {
    throw StoreError("database schema " + std::to_string(version) +
                     " is newer than this vigild supports (" + std::to_string(highest) +
                     "); refusing to open");
  }
}

int readSchemaVersion(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return 0;
  auto wal = path;
  wal += "-wal";
  if (std::filesystem::exists(wal, ec) && std::filesystem::file_size(wal, ec) > 0) {
    // The newest user_version may be in the WAL: ask SQLite (read-only, the database and the
    // WAL are not written; a -shm index may be rebuilt).
    Connection conn(path, Connection::Mode::readOnly);
    return static_cast<int>(conn.queryValue<std::int64_t>("PRAGMA user_version").value_or(0));
  }
  // No WAL: the header is authoritative. Reading it directly creates no -wal/-shm files, so a
  // refused database stays exactly as it was.
  std::ifstream in(path, std::ios::binary);
  std::array<unsigned char, 100> header{};
  in.read(reinterpret_cast<char*>(header.data()), header.size());
  if (in.gcount() == 0) return 0;  // empty file: a database not yet initialised
  static constexpr char kMagic[] = "SQLite format 3";
  if (in.gcount() < 100 || std::memcmp(header.data(), kMagic, sizeof kMagic) != 0) {
    throw StoreError("not a SQLite database: " + path.string());
  }
  std::uint32_t v = (std::uint32_t{header[60]} << 24) | (std::uint32_t{header[61]} << 16) |
                    (std::uint32_t{header[62]} << 8) | std::uint32_t{header[63]};
  return static_cast<int>(v);
}

namespace {

/// Restores PRAGMA foreign_keys when migrations end, however they end.
class ForeignKeysOff {
 public:
  explicit ForeignKeysOff(Connection& conn) : conn_(conn) {
    wasOn_ = conn_.queryValue<std::int64_t>("PRAGMA foreign_keys").value_or(0) != 0;
    conn_.exec("PRAGMA foreign_keys=OFF");
  }
  ~ForeignKeysOff() {
    if (!wasOn_) return;
    try {
      conn_.exec("PRAGMA foreign_keys=ON");
    } catch (const StoreError&) {
      // Only fails on a broken connection, which the caller is about to report anyway.
    }
  }
  ForeignKeysOff(const ForeignKeysOff&) = delete;
  ForeignKeysOff& operator=(const ForeignKeysOff&) = delete;

 private:
  Connection& conn_;
  bool wasOn_ = false;
};

/// Throws unless PRAGMA foreign_key_check is clean (names the first table, no values).
void requireForeignKeysIntact(Connection& conn, const Migration& m) {
  auto st = conn.prepare("PRAGMA foreign_key_check");
  if (st.step()) {
    throw StoreError("migration " + std::to_string(m.version) + " (" + m.name +
                     ") left rows in table " + st.getText(0) +
                     " referring to missing rows of table " + st.getText(2));
  }
}

}  // namespace

int migrate(Connection& conn, const MigrationList& migrations) {
  validateMigrations(migrations);
  const int highest = static_cast<int>(migrations.size());
  int current = static_cast<int>(conn.queryValue<std::int64_t>("PRAGMA user_version").value_or(0));
  refuseNewerSchema(current, highest);
  int applied = 0;
  if (current >= highest) return 0;  // nothing to do: write nothing, not even a PRAGMA
  // Foreign keys are off while migrating (they cannot change inside a transaction), so a
  // migration may rebuild a table the SQLite way (create new, copy, drop old, rename) without
  // the DROP cascading or failing; each migration is checked with foreign_key_check instead.
  ForeignKeysOff fkOff(conn);
  for (const auto& m : migrations) {
    if (m.version <= current) continue;
    try {
      Transaction tx(conn);
      // Re-read inside the write lock: another process may have migrated meanwhile.
      int now = static_cast<int>(conn.queryValue<std::int64_t>("PRAGMA user_version").value_or(0));
      refuseNewerSchema(now, highest);
      if (now >= m.version) {
        tx.commit();
        current = now;
        continue;
      }
      conn.exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations ("
          " version INTEGER PRIMARY KEY,"
          " name TEXT NOT NULL,"
          " applied_at TEXT NOT NULL)");
      conn.exec(m.sql);
      requireForeignKeysIntact(conn, m);
      conn.execute(
          "INSERT INTO schema_migrations(version, name, applied_at)"
          " VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
          m.version, m.name);
      // PRAGMA takes no parameters; the version is our own integer.
      conn.exec("PRAGMA user_version = " + std::to_string(m.version));
      tx.commit();
    } catch (const SqliteError& e) {
      log::error("store.migration_failed",
                 {{"version", m.version}, {"name", m.name}, {"reason", e.what()}});
      throw SqliteError(e.extendedCode(), "migration " + std::to_string(m.version) + " (" + m.name +
                                              ") failed: " + e.what());
    }
    log::info("store.migrated", {{"version", m.version}, {"name", m.name}});
    current = m.version;
    ++applied;
  }
  return applied;
}

namespace {

/// Any number, the same in every vigild: the advisory lock nodes take to migrate one at a time.
constexpr std::int64_t kMigrationLock = 0x76696731;  // "vig1"

}  // namespace

int postgresSchemaVersion(Connection& conn) {
  auto exists = conn.queryValue<std::int64_t>(
      "SELECT count(*) FROM information_schema.tables"
      " WHERE table_schema = current_schema() AND table_name = 'schema_migrations'");
  if (exists.value_or(0) == 0) return 0;
  return static_cast<int>(
      conn.queryValue<std::int64_t>("SELECT coalesce(max(version), 0) FROM schema_migrations")
          .value_or(0));
}

int migratePostgres(Connection& conn, const MigrationList& migrations) {
  validatePostgresMigrations(migrations);
  if (migrations.empty()) return 0;
  const int highest = migrations.back().version;
  const int baseline = migrations.front().version;
  int applied = 0;
  // A session lock, taken before any transaction: a transaction's snapshot dates from its first
  // statement, so a lock taken inside one would not show what the node before us committed.
  conn.execute("SELECT pg_advisory_lock(?1)", kMigrationLock);
  struct Unlock {
    Connection& c;
    ~Unlock() {
      try {
        c.execute("SELECT pg_advisory_unlock(?1)", kMigrationLock);
      } catch (const StoreError&) {
        // The lock goes with the session if the connection is broken.
      }
    }
  } unlock{conn};
  for (const auto& m : migrations) {
    try {
      Transaction tx(conn);
      const int now = postgresSchemaVersion(conn);
      refuseNewerSchema(now, highest);
      if (now >= m.version) {
        tx.commit();
        continue;
      }
      if (now != 0 && now < baseline) {
        throw StoreError("database schema " + std::to_string(now) +
                         " predates this vigild's PostgreSQL baseline (" +
                         std::to_string(baseline) + "); refusing to open");
      }
      conn.exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations ("
          " version BIGINT PRIMARY KEY,"
          " name TEXT NOT NULL,"
          " applied_at TEXT NOT NULL)");
      conn.exec(m.sql);
      conn.execute(
          "INSERT INTO schema_migrations(version, name, applied_at)"
          " VALUES (?1, ?2, to_char(now() AT TIME ZONE 'UTC', "
          "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'))",
          m.version, m.name);
      tx.commit();
    } catch (const DbError& e) {
      log::error("store.migration_failed",
                 {{"version", m.version}, {"name", m.name}, {"reason", e.what()}});
      throw StoreError("migration " + std::to_string(m.version) + " (" + m.name +
                       ") failed: " + e.what());
    }
    log::info("store.migrated",
              {{"version", m.version}, {"name", m.name}, {"backend", "postgres"}});
    ++applied;
  }
  return applied;
}

}  // namespace vigil::store
