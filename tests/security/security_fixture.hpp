#pragma once
// A real store on a temp dir with the product schema, keys, audit log and account service,
// driven by a ManualClock. Small scrypt parameters keep the suite fast.

#include <memory>
#include <ostream>

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
