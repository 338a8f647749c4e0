#pragma once
// A real store on a temp dir with the product schema, keys, audit log and account service,
// driven by a ManualClock. Small scrypt parameters keep the suite fast.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <ostream>
#include <string>

#include "temp_dir.hpp"
#include "vigil/core/clock.hpp"
#include "vigil/crypto/random.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/security/keys.hpp"
#include "vigil/store/database.hpp"
#include "vigil/testsupport/manual_clock.hpp"
#include "vigil/testsupport/test_store.hpp"

namespace vigil::security {
inline std::ostream& operator<<(std::ostream& os, SignInStatus s) {
  return os << toString(s);
}
}  // namespace vigil::security

namespace vigil::security::test {

inline const ScryptParams kTestScrypt{10, 8, 1};

/// What a PostgreSQL store holds at rest, for the "no canary in clear" checks: after a
/// CHECKPOINT, the database's files (base/<oid>) and the cluster's WAL, then every text and
/// bytea value as the server holds it (bytea in `escape` form: printable bytes as they are),
/// since long values are compressed on disk (TOAST) and would hide a canary from the file scan.
inline std::string postgresBytesAtRest(const store::Options& o) {
  auto c = store::Connection::openPostgres(o.conninfo, store::Connection::Mode::readWrite);
  c->exec("CHECKPOINT");
  std::filesystem::path data =
      *c->queryValue<std::string>("SELECT setting FROM pg_settings WHERE name = 'data_directory'");
  auto oid = *c->queryValue<std::string>(
      "SELECT CAST(oid AS TEXT) FROM pg_database WHERE datname = current_database()");
  std::string all;
  // The WAL written since this database was made (its PG_VERSION file dates from then): the
  // segments before it hold other tests' databases, and reading the whole of pg_wal in every
  // test made a suite quadratic in its number of tests.
  const auto since = std::filesystem::last_write_time(data / "base" / oid / "PG_VERSION") -
                     std::chrono::seconds(2);
  for (const auto& dir : {data / "base" / oid, data / "pg_wal"}) {
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
      if (!e.is_regular_file()) continue;
      if (dir.filename() == "pg_wal" && e.last_write_time() < since) continue;
      std::ifstream in(e.path(), std::ios::binary);
      all.append(std::istreambuf_iterator<char>(in), {});
    }
  }
  auto cols = c->prepare(
      "SELECT table_name, column_name, data_type FROM information_schema.columns "
      "WHERE table_schema = 'public' AND data_type IN ('text', 'bytea')");
  while (cols.step()) {
    const std::string col = "\"" + cols.getText(1) + "\"";
    const std::string value = cols.getText(2) == "bytea" ? "encode(" + col + ", 'escape')" : col;
    auto rows = c->prepare("SELECT " + value + " FROM \"" + cols.getText(0) + "\"");
    while (rows.step()) {
      if (!rows.isNull(0)) all += rows.getText(0) + "\n";
    }
  }
  return all;
}

struct SecurityFixture {
  store::test::TempDir dir;
  testsupport::ManualClock clock;
  /// The store's options (SQLite file or PostgreSQL database): reopen the same store with them.
  store::Options storeOptions;
  std::unique_ptr<store::Database> db;
  std::unique_ptr<Keys> keys;
  std::unique_ptr<AuditLog> audit;
  std::unique_ptr<AccountService> accounts;
  std::unique_ptr<AccessGuard> guard;
  Actor admin{0, Role::admin, std::nullopt};

  explicit SecurityFixture(AuditConfig auditConfig = {},
                           AccountConfig accountConfig = testConfig()) {
    storeOptions = testsupport::testStoreOptions(dir / "vigil.db");
    storeOptions.synchronousFull = false;
    db = store::Database::open(storeOptions);
    keys = Keys::open(*db, dir / "keys" / "master.key", clock);
    audit = std::make_unique<AuditLog>(*keys, clock, auditConfig);
    accounts = std::make_unique<AccountService>(*db, *keys, *audit, clock, accountConfig);
    guard = std::make_unique<AccessGuard>(*db, *audit);
    NewUser first;
    first.role = Role::admin;
    first.email = "root@clinic.example";
    first.displayName = "Admin";
    first.password = "bootstrap admin passphrase";
    admin.id = accounts->bootstrapAdmin(first);
  }

  static AccountConfig testConfig() {
    AccountConfig c;
    c.scrypt = kTestScrypt;
    return c;
  }

  std::int64_t user(Role role, const std::string& email, const std::string& password,
                    std::optional<std::int64_t> patientId = std::nullopt,
                    const std::string& name = "Test User") {
    NewUser u;
    u.role = role;
    u.email = email;
    u.displayName = name;
    u.password = password;
    u.patientId = patientId;
    return accounts->createUser(admin, u);
  }

  std::int64_t auditCount() {
    return db->read([](store::Connection& c) { return AuditLog::lastSeqIn(c); });
  }
  std::optional<AuditEntry> auditEntry(std::int64_t seq) {
    return db->read([&](store::Connection& c) { return AuditLog::entryIn(c, seq); });
  }
  /// The latest entry whose action is `action`.
  std::optional<AuditEntry> lastAudit(const std::string& action) {
    for (auto seq = auditCount(); seq > 0; --seq) {
      auto e = auditEntry(seq);
      if (e && e->event.action == action) return e;
    }
    return std::nullopt;
  }
};

}  // namespace vigil::security::test
