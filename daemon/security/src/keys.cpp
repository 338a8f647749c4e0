#include "vigil/security/keys.hpp"

#include <algorithm>
#include <limits>

#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/time.hpp"
#include "vigil/crypto/random.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/security/encrypted_fields.hpp"
#include "vigil/store/database.hpp"

namespace vigil::security {
namespace {

using store::Connection;

using core::toMillis;

bool tableHasColumn(Connection& c, std::string_view table, const std::string& column) {
  auto st = c.prepare("SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2");
  st.bindAll(table, column);
  return st.step();
}

store::Blob keyIdBytes(std::uint32_t id) {
  return {static_cast<std::uint8_t>(id >> 24), static_cast<std::uint8_t>(id >> 16),
          static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id)};
}

}  // namespace

Keys::Keys(crypto::MasterKey master)
    : master_(std::move(master)),
      index_(master_.derive(crypto::BlindIndex::kPurpose)),
      signer_(master_.derive(kAuditSigningPurpose)),
      chainKey_(master_.derive(kAuditChainPurpose)) {}

std::unique_ptr<Keys> Keys::open(store::Database& db, const std::filesystem::path& masterKeyPath,
                                 Clock& clock) {
  bool created = false;
  auto master = crypto::MasterKey::loadOrCreate(masterKeyPath, &created);
  if (created) log::warn("keys.master_created", {{"path", masterKeyPath.string()}});
  return openWith(db, std::move(master), clock);
}

std::unique_ptr<Keys> Keys::openWith(store::Database& db, crypto::MasterKey master, Clock& clock) {
  std::unique_ptr<Keys> keys{new Keys(std::move(master))};
  keys->loadFrom(db, clock);
  return keys;
}

void Keys::loadFrom(store::Database& db, Clock& clock) {
  // First start: make data key 1 (in the writer, so two starts cannot both make one).
  db.writeSync([&](Connection& c) {
    if (c.queryValue<std::int64_t>("SELECT count(*) FROM data_keys").value_or(0) == 0) {
      auto id = insertActiveKeyIn(c, master_.wrap(1, crypto::randomKey()), clock.now());
      log::info("keys.data_key_created", {{"key_id", static_cast<std::int64_t>(id)}});
    }
  });
  std::uint32_t active = 0;
  auto wrapped = db.read([&](Connection& c) { return loadIn(c, active); });
  // A master key that does not unwrap the stored keys is the wrong file: refuse to start.
  ring_.load(master_, wrapped, active);
}

void Keys::reload(store::Database& db) {
  std::uint32_t active = 0;
  auto wrapped = db.read([&](Connection& c) { return loadIn(c, active); });
  ring_.load(master_, wrapped, active);
  log::info("keys.reloaded", {{"keys", static_cast<std::int64_t>(wrapped.size())},
                              {"active", static_cast<std::int64_t>(active)}});
}

std::uint32_t Keys::insertActiveKeyIn(Connection& c, const crypto::WrappedDataKey& key,
                                      TimePoint now) {
  c.execute("UPDATE data_keys SET active = 0 WHERE active = 1");
  c.execute("INSERT INTO data_keys (id, wrapped, created_at, active) VALUES (?1, ?2, ?3, 1)",
            static_cast<std::int64_t>(key.id), store::Blob(key.wrapped.begin(), key.wrapped.end()),
            toMillis(now));
  return key.id;
}

std::vector<crypto::WrappedDataKey> Keys::loadIn(Connection& c, std::uint32_t& activeId) {
  std::vector<crypto::WrappedDataKey> out;
  auto st = c.prepare("SELECT id, wrapped, active FROM data_keys ORDER BY id");
  activeId = 0;
  while (st.step()) {
    crypto::WrappedDataKey k;
    k.id = static_cast<std::uint32_t>(st.getInt64(0));
    store::Blob w = st.getBlob(1);
    k.wrapped.assign(w.begin(), w.end());
    if (st.getInt64(2) != 0) activeId = k.id;
    out.push_back(std::move(k));
  }
  return out;
}

std::uint32_t rotateDataKey(store::Database& db, Keys& keys, AuditLog& audit, const Actor& actor,
                            Clock& clock) {
  crypto::Key256 fresh = crypto::randomKey();
  std::uint32_t id = db.writeSync([&](Connection& c) {
    auto next = static_cast<std::uint32_t>(
        c.queryValue<std::int64_t>("SELECT coalesce(max(id), 0) + 1 FROM data_keys").value_or(1));
    Keys::insertActiveKeyIn(c, keys.master().wrap(next, fresh), clock.now());
    audit.append(c, auditEventFor(actor, "keys.rotate", "data_key", std::to_string(next),
                                  std::nullopt, AuditOutcome::success, "new_active_key"));
    return next;
  });
  // Only now that the key is durable may new writes use it.
  keys.ring().add(id, fresh);
  keys.ring().setActive(id);
  log::info("keys.rotated", {{"key_id", static_cast<std::int64_t>(id)}});
  return id;
}

ReencryptResult reencryptAll(store::Database& db, Keys& keys, AuditLog& audit, const Actor& actor,
                             const KeyProgress& progress, std::size_t batchSize) {
  if (batchSize == 0) batchSize = 1;
  ReencryptResult result;
  result.activeKeyId = keys.ring().activeId();
  store::Blob active = keyIdBytes(result.activeKeyId);

  // The encrypted columns that exist in this schema (later features add their tables).
  struct Target {
    std::string table, column, physical, idColumn;
  };
  std::vector<Target> targets;
  std::uint64_t total = 0;
  db.read([&](Connection& c) {
    for (const auto& f : encryptedFields()) {
      Target t{std::string(f.table), std::string(f.column), std::string(f.column) + "_enc",
               std::string(f.idColumn)};
      if (!tableHasColumn(c, t.table, t.physical) || !tableHasColumn(c, t.table, t.idColumn))
        continue;
      // Identifiers come from the compiled-in list, never from input: safe to splice.
      total += static_cast<std::uint64_t>(
          c.queryValue<std::int64_t>("SELECT count(*) FROM " + t.table + " WHERE " + t.physical +
                                         " IS NOT NULL AND substr(" + t.physical + ", 2, 4) != ?1",
                                     active)
              .value_or(0));
      targets.push_back(std::move(t));
    }
  });
  if (progress) progress(0, total);

  for (const auto& t : targets) {
    std::int64_t after = std::numeric_limits<std::int64_t>::min();
    for (;;) {
      // One batch = one write job: select old-key rows after the last id seen, rewrite them.
      auto [count, lastId] = db.writeSync([&](Connection& c) {
        auto sel =
            c.prepare("SELECT " + t.idColumn + ", " + t.physical + " FROM " + t.table + " WHERE " +
                      t.idColumn + " > ?1 AND " + t.physical + " IS NOT NULL AND substr(" +
                      t.physical + ", 2, 4) != ?2 ORDER BY " + t.idColumn + " LIMIT ?3");
        sel.bindAll(after, active, static_cast<std::int64_t>(batchSize));
        std::vector<std::pair<std::int64_t, store::Blob>> rows;
        while (sel.step()) rows.emplace_back(sel.getInt64(0), sel.getBlob(1));
        auto upd = c.prepare("UPDATE " + t.table + " SET " + t.physical + " = ?1 WHERE " +
                             t.idColumn + " = ?2");
        for (auto& [id, ct] : rows) {
          crypto::FieldRef where{t.table, t.column, std::to_string(id)};
          crypto::Bytes plain = keys.cipher().decrypt(where, ct);
          crypto::Bytes fresh = keys.cipher().encrypt(where, plain);
          crypto::secureWipe(plain.data(), plain.size());
          upd.bindAll(store::Blob(fresh.begin(), fresh.end()), id);
          upd.run();
          upd.reset();
        }
        return std::pair<std::size_t, std::int64_t>{rows.size(),
                                                    rows.empty() ? after : rows.back().first};
      });
      result.rewritten += count;
      after = lastId;
      if (progress && count > 0) progress(result.rewritten, total);
      if (count < batchSize) break;
    }
  }
  audit.record(
      db, auditEventFor(actor, "keys.reencrypt", "data_key", std::to_string(result.activeKeyId),
                        std::nullopt, AuditOutcome::success,
                        "rewritten=" + std::to_string(result.rewritten)));
  log::info("keys.reencrypted", {{"rows", result.rewritten},
                                 {"key_id", static_cast<std::int64_t>(result.activeKeyId)}});
  if (progress) progress(result.rewritten, std::max(total, result.rewritten));
  return result;
}

}  // namespace vigil::security
