#include "security_subsystem.hpp"

#include <filesystem>

#include "store_subsystem.hpp"
#include "vigil/core/log.hpp"
#include "vigil/security/encrypted_fields.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::app {

std::string masterKeyPath(const Config& config) {
  const auto& p = config.string("security.master_key");
  if (!p.empty()) return p;
  return (std::filesystem::path(config.string("data.dir")) / "keys" / "master.key").string();
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
  auto path = masterKeyPath(config_);
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::filesystem::permissions(std::filesystem::path(path).parent_path(),
                               std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace);
  // Every column the encrypted-field list names must exist: a listed PHI column that a
  // migration never created means some feature writes its PHI somewhere else.
  store_.database().read([](store::Connection& c) { security::checkEncryptedFieldsExist(c); });
  keys_ = security::Keys::open(store_.database(), path, SystemClock::instance());
  audit_ = std::make_unique<security::AuditLog>(keys_->auditSigner(), SystemClock::instance(),
                                                auditConfig(config_), &keys_->cipher());
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
