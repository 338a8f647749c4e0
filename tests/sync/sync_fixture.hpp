#pragma once
// A real store (SQLite file in a temp dir, the product schema) with keys, the audit log and an
// Outbox on a ManualClock, and a private metrics registry.

#include <memory>
#include <optional>
#include <string>

#include "temp_dir.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/security/keys.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/settings_repository.hpp"
#include "vigil/sync/outbox.hpp"
#include "vigil/testsupport/manual_clock.hpp"
#include "vigil/testsupport/test_store.hpp"

namespace vigil::sync::test {

struct SyncFixture {
  store::test::TempDir dir;
  testsupport::ManualClock clock;
  Metrics metrics;
  std::unique_ptr<store::Database> db;
  std::unique_ptr<security::Keys> keys;
  std::unique_ptr<security::AuditLog> audit;
  std::unique_ptr<Outbox> outbox;
  security::Actor admin{7, security::Role::admin, std::nullopt};

  SyncFixture() {
    auto o = testsupport::testStoreOptions(dir / "vigil.db");
    o.synchronousFull = false;
    o.metrics = &metrics;
    db = store::Database::open(o);
    keys = security::Keys::open(*db, dir / "keys" / "master.key", clock);
    audit = std::make_unique<security::AuditLog>(*keys, clock);
    outbox = std::make_unique<Outbox>(*db, *audit, clock, BackoffPolicy{}, &metrics);
    outbox->setSkipSealer([](const OutboxEntry& cancelled, std::string_view newId) {
      return envelopeFor(newId, cancelled.seq);
    });
  }

  /// The envelope text tests store: names the id and seq it was made for.
  static std::string envelopeFor(std::string_view id, std::int64_t seq) {
    return "{\"v\":1,\"id\":\"" + std::string(id) + "\",\"seq\":" + std::to_string(seq) +
           ",\"ct\":\"c2VhbGVk\"}";
  }

  /// One entry in its own write job.
  std::string enqueue(const std::string& stream, const std::string& kind = "claim.submit",
                      const std::string& recipient = "clearinghouse") {
    return db->writeSync([&](store::Connection& c) {
      return outbox->enqueueIn(c, stream, kind, recipient, envelopeFor);
    });
  }

  std::int64_t count(const std::string& sql) {
    return db->read(
        [&](store::Connection& c) { return c.queryValue<std::int64_t>(sql).value_or(-1); });
  }

  std::optional<security::AuditEntry> lastAudit(const std::string& action) {
    auto last = db->read([](store::Connection& c) { return security::AuditLog::lastSeqIn(c); });
    for (auto seq = last; seq > 0; --seq) {
      auto e = db->read([&](store::Connection& c) { return security::AuditLog::entryIn(c, seq); });
      if (e && e->event.action == action) return e;
    }
    return std::nullopt;
  }
};

}  // namespace vigil::sync::test
