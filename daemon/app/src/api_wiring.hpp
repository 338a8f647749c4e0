#pragma once
// The portal API's services as vigild has them: the store, the security core, the alert
// subsystem (lifecycle, repository, rules, and the event bus the live stream reads), and the
// registry and reading queries built on the store (docs/api.md lists what each group needs).

#include <memory>

#include "vigil/readings/reading_query.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/web/api.hpp"

namespace vigil::app {

class Config;
class StoreSubsystem;
class SecuritySubsystem;
class AlertsSubsystem;

/// Owns the query objects the API needs and the ApiServices pointing at them.
class ApiWiring {
 public:
  /// `ble`: the BLE admin routes' gateway, when vigild runs one (else nullptr).
  ApiWiring(const Config& config, StoreSubsystem& store, SecuritySubsystem& security,
            AlertsSubsystem& alerting, web::BleAdmin* ble = nullptr);
  const web::ApiServices& services() const { return services_; }

 private:
  std::unique_ptr<registry::PatientRepository> patients_;
  std::unique_ptr<registry::DeviceRegistry> devices_;
  std::unique_ptr<readings::ReadingQuery> readings_;
  web::ApiServices services_;
};

}  // namespace vigil::app
