#include "api_wiring.hpp"

#include "alerts_subsystem.hpp"
#include "security_subsystem.hpp"
#include "store_subsystem.hpp"
#include "vigil/app/config.hpp"
#include "vigil/core/clock.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/keys.hpp"

namespace vigil::app {

ApiWiring::ApiWiring(const Config& config, StoreSubsystem& store, SecuritySubsystem& security,
                     AlertsSubsystem& alerting, web::BleAdmin* ble) {
  auto& db = store.database();
  auto& clock = SystemClock::instance();
  patients_ = std::make_unique<registry::PatientRepository>(db, security.keys().cipher(),
                                                            security.keys().blindIndex(), clock);
  devices_ = std::make_unique<registry::DeviceRegistry>(db, clock);
  readings_ = std::make_unique<readings::ReadingQuery>(db);
  services_.db = &db;
  services_.ble = ble;
  services_.accounts = &security.accounts();
  services_.audit = &security.audit();
  services_.clock = &clock;
  services_.patients = patients_.get();
  services_.devices = devices_.get();
  services_.readings = readings_.get();
  services_.alerts = &alerting.lifecycle();
  services_.alertStore = &alerting.repository();
  services_.rules = &alerting.rules();
  services_.events = &alerting.bus();
  // Plain HTTP is only allowed on loopback (Config::checkCombinations); there the browser
  // refuses Secure/__Host- cookies, so they are used exactly when TLS is on.
  services_.secureCookies = !config.string("web.tls.cert").empty();
  services_.idleTimeoutSeconds =
      static_cast<int>(config.integer("security.session_idle_minutes") * 60);
  services_.absoluteLifetimeSeconds =
      static_cast<int>(config.integer("security.session_absolute_hours") * 3600);
}

}  // namespace vigil::app
