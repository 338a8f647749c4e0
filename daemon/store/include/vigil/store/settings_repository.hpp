#pragma once
// The repository pattern of the store, shown on the smallest repository (settings).
//
// Every area that persists something follows it:
// 1. An abstract interface in vigil/<area>/<thing>_repository.hpp speaking domain types only
//    (no SQL, no Connection): what the rest of the code calls, and what a PostgreSQL backend
//    would implement later with the same test suite.
// 2. An implementation Sqlite<Thing>Repository holding a Database&:
//    - queries go through db.read(...), writes through db.write(...)/writeSync(...);
//    - the SQL lives in static functions taking a Connection& (e.g. setIn(conn, …) below), so
//      several repositories can be combined in ONE write job and commit atomically (a PHI
//      write and its audit entry in the same transaction: db.writeSync([&](Connection& c) {
//      SqlitePatientRepository::insertIn(c, …); SqliteAuditLog::appendIn(c, …); })).
// 3. The tables come from that area's own migrations/NNNN_<area>.sql.
// 4. Tests run the interface against the SQLite implementation on a temp-dir database.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace vigil::store {

class Connection;
class Database;

/// Appliance-wide key/value settings (never PHI): install id, feature flags, job state.
class SettingsRepository {
 public:
  virtual ~SettingsRepository() = default;
  virtual std::optional<std::string> get(std::string_view key) = 0;
  /// Inserts or replaces; durable when it returns.
  virtual void set(std::string_view key, std::string_view value) = 0;
  /// true when the key existed.
  virtual bool erase(std::string_view key) = 0;
  virtual std::map<std::string, std::string> all() = 0;
};

/// SettingsRepository on the SQLite store (table `settings`, migration 0001_core).
class SqliteSettingsRepository final : public SettingsRepository {
 public:
  explicit SqliteSettingsRepository(Database& db) : db_(db) {}

  std::optional<std::string> get(std::string_view key) override;
  void set(std::string_view key, std::string_view value) override;
  bool erase(std::string_view key) override;
  std::map<std::string, std::string> all() override;

  /// The SQL, for composing with other writes inside one job.
  static std::optional<std::string> getIn(Connection& conn, std::string_view key);
  static void setIn(Connection& conn, std::string_view key, std::string_view value);
  static bool eraseIn(Connection& conn, std::string_view key);
  /// A progress mark that only moves forward: stores `value` unless the key already holds a
  /// larger integer (a job's "done through id N" that late or repeated writes cannot move back).
  static void raiseIn(Connection& conn, std::string_view key, std::int64_t value);

 private:
  Database& db_;
};

}  // namespace vigil::store
