#pragma once
// The portal API's services as vigild has them: the store, the security core, and the
// registry and reading queries built on them. Alerts and the event bus join ApiServices when
// their subsystem exists (see docs/api.md for what each group of routes needs).

#include <memory>

#include "vigil/events/event_bus.hpp"
#include "vigil/readings/reading_query.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/web/api.hpp"

namespace vigil::app {

class Config;
class StoreSubsystem;
class SecuritySubsystem;

/// Owns the query objects the API needs and the ApiServices pointing at them.
class ApiWiring {
 public:
  ApiWiring(const Config& config, StoreSubsystem& store, SecuritySubsystem& security);
  const web::ApiServices& services() const { return services_; }
  /// The bus the live stream (/api/v1/events) reads: ingest and the alert engine publish here.
  events::EventBus& bus() { return bus_; }

 private:
  std::unique_ptr<registry::PatientRepository> patients_;
  std::unique_ptr<registry::DeviceRegistry> devices_;
  std::unique_ptr<readings::ReadingQuery> readings_;
  events::EventBus bus_;
  web::ApiServices services_;
};

}  // namespace vigil::app
