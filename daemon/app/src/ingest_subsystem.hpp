#pragma once
// Ingest as a vigild subsystem: the IngestService, which stores readings through the store
// subsystem and acks them after the commit, fed by the box's broker connection
// (gateway::MqttClient) when mqtt.enabled, and by BLE (BleSubsystem) when that runs. Pausing for
// back-pressure is wired from the service to the client here.
//
// Without the broker (mqtt.enabled=false, a clinic with BLE devices only) the service runs on
// its own: acks have nowhere to go and are dropped (BLE devices take none), and back-pressure
// has no client to pause (the BLE sink counts and drops what a full queue refuses).

#include <memory>

#include "periodic_task.hpp"
#include "service_subsystem.hpp"
#include "vigil/app/config.hpp"
#include "vigil/gateway/mqtt_client.hpp"
#include "vigil/ingest/ingest_service.hpp"
#include "vigil/update/firmware.hpp"

namespace vigil::app {

class StoreSubsystem;
class SecuritySubsystem;
class AlertsSubsystem;

/// Owns the ingest pipeline and, when mqtt.enabled, the broker connection.
class IngestSubsystem final : public ServiceSubsystem {
 public:
  /// The quarantine's payloads are encrypted with the security subsystem's field cipher.
  IngestSubsystem(const Config& config, StoreSubsystem& store, SecuritySubsystem& security,
                  AlertsSubsystem& alerting);
  const char* name() const override { return "ingest"; }
  /// Not paused by a failing store, and connected to the broker when there is one.
  bool ready() const;
  ingest::IngestService* service() { return ingest_.get(); }

 protected:
  void initialize(Poco::Util::Application& app) override;
  void uninitialize() override;

 private:
  const Config& config_;
  StoreSubsystem& store_;
  SecuritySubsystem& security_;
  AlertsSubsystem& alerting_;
  std::unique_ptr<ingest::IngestService> ingest_;
  std::unique_ptr<gateway::MqttClient> client_;
  // Firmware offers on the devices' config topics (docs/device-protocol.md, "Firmware").
  std::unique_ptr<update::FirmwareCatalog> firmware_;
  std::unique_ptr<update::FirmwareOffers> offers_;
  std::unique_ptr<PeriodicTask> offerTask_;
  bool withBroker_ = true;
};

}  // namespace vigil::app
