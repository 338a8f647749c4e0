#pragma once
// The security core as a vigild subsystem: the key hierarchy (master key file + wrapped data
// keys in the store), the audit log and the account service (users, sign-in, sessions). Other
// subsystems get the field cipher and the audit log from here.

#include <filesystem>
#include <memory>

#include "service_subsystem.hpp"
#include "vigil/app/config.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/security/keys.hpp"

namespace vigil::app {

class StoreSubsystem;

/// Owns Keys, AuditLog and AccountService.
class SecuritySubsystem final : public ServiceSubsystem {
 public:
  SecuritySubsystem(const Config& config, StoreSubsystem& store) : config_(config), store_(store) {}
  const char* name() const override { return "security"; }
  security::Keys& keys() { return *keys_; }
  security::AuditLog& audit() { return *audit_; }
  security::AccountService& accounts() { return *accounts_; }

 protected:
  void initialize(Poco::Util::Application& app) override;
  void uninitialize() override;

 private:
  const Config& config_;
  StoreSubsystem& store_;
  std::unique_ptr<security::Keys> keys_;
  std::unique_ptr<security::AuditLog> audit_;
  std::unique_ptr<security::AccountService> accounts_;
};

/// data.dir without a trailing slash ("/var/lib/vigil/" -> "/var/lib/vigil").
std::filesystem::path dataDirOf(const Config& config);
/// The master key path the configuration names: security.master_key, or by default
/// <data.dir>-keys/master.key, beside the data directory and not in it.
std::string masterKeyPath(const Config& config);
/// Boxes set up before issue 18 kept the default key in <data.dir>/keys/master.key: moves it to
/// the default place (once; logged). Nothing when security.master_key is set.
void moveLegacyMasterKey(const Config& config);
/// Account settings from the configuration.
security::AccountConfig accountConfig(const Config& config);
security::AuditConfig auditConfig(const Config& config);

}  // namespace vigil::app
