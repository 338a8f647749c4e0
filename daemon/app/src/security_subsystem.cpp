#include "security_subsystem.hpp"

#include <filesystem>

#include "store_subsystem.hpp"
#include "vigil/core/log.hpp"
#include "vigil/security/encrypted_fields.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::app {

namespace fs = std::filesystem;

fs::path dataDirOf(const Config& config) {
  auto data = fs::path(config.string("data.dir")).lexically_normal();
  if (!data.has_filename()) data = data.parent_path();  // "/var/lib/vigil/"
  return data;
}

std::string masterKeyPath(const Config& config) {
  const auto& p = config.string("security.master_key");
  if (!p.empty()) return p;
  // Beside the data directory, not in it: a copy or backup of the data directory must not carry
  // the key that opens it (/var/lib/vigil -> /var/lib/vigil-keys/master.key).
  const auto data = dataDirOf(config);
  return (data.parent_path() / (data.filename().string() + "-keys") / "master.key").string();
}

void moveLegacyMasterKey(const Config& config) {
  if (!config.string("security.master_key").empty()) return;  // the operator chose the place
  const auto legacy = dataDirOf(config) / "keys" / "master.key";
  const fs::path target = masterKeyPath(config);
  std::error_code ec;
  if (!fs::exists(legacy, ec)) return;
  if (fs::exists(target, ec)) {
    log::warn("keys.legacy_master_key_left", {{"path", legacy.string()}});
    return;
  }
  fs::create_directories(target.parent_path());
  fs::permissions(target.parent_path(), fs::perms::owner_all, fs::perm_options::replace);
  fs::rename(legacy, target, ec);
  if (ec) {
    // Another file system: copy, make it private, then remove the old one.
    fs::copy_file(legacy, target);
    fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write,
                    fs::perm_options::replace);
    fs::remove(legacy);
  }
  fs::remove(legacy.parent_path(), ec);  // the old keys/ directory, if now empty
  log::warn("keys.master_key_moved", {{"from", legacy.string()}, {"to", target.string()}});
}

security::AccountConfig accountConfig(const Config& config) {
  security::AccountConfig c;
  c.session.idleTimeout = std::chrono::minutes(config.integer("security.session_idle_minutes"));
  c.session.absoluteLifetime =
      std::chrono::hours(config.integer("security.session_absolute_hours"));
  c.maxFailures = static_cast<int>(config.integer("security.lockout_max_failures"));
  c.failureWindow = std::chrono::minutes(config.integer("security.lockout_window_minutes"));
  c.lockoutDuration = std::chrono::minutes(config.integer("security.lockout_duration_minutes"));
  c.stepUpWindow = std::chrono::minutes(config.integer("security.step_up_minutes"));
  c.decisionCacheTtl = std::chrono::milliseconds(config.integer("security.decision_cache_ms"));
  c.validate();
  return c;
}

security::AuditConfig auditConfig(const Config& config) {
  security::AuditConfig c;
  c.checkpointEvery = config.integer("audit.checkpoint_every");
  c.checkpointInterval = std::chrono::minutes(config.integer("audit.checkpoint_interval_minutes"));
  return c;
}

void SecuritySubsystem::initialize(Poco::Util::Application&) {
  moveLegacyMasterKey(config_);
  auto path = masterKeyPath(config_);
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::filesystem::permissions(std::filesystem::path(path).parent_path(),
                               std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace);
  // Every column the encrypted-field list names must exist: a listed PHI column that a
  // migration never created means some feature writes its PHI somewhere else.
  store_.database().read([](store::Connection& c) { security::checkEncryptedFieldsExist(c); });
  keys_ = security::Keys::open(store_.database(), path, SystemClock::instance());
  audit_ =
      std::make_unique<security::AuditLog>(*keys_, SystemClock::instance(), auditConfig(config_));
  // A log from before the keyed chain (migration 0015) gets its keyed start signed now.
  audit_->sealKeyedChain(store_.database());
  accounts_ = std::make_unique<security::AccountService>(
      store_.database(), *keys_, *audit_, SystemClock::instance(), accountConfig(config_));
  log::info("security.ready",
            {{"active_key", static_cast<std::uint64_t>(keys_->ring().activeId())}});
}

void SecuritySubsystem::uninitialize() {
  accounts_.reset();
  audit_.reset();
  keys_.reset();
}

}  // namespace vigil::app
