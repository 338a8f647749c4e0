#pragma once
// MQTT ingest as a vigild subsystem: the box's broker connection (gateway::MqttClient) feeding
// the IngestService, which stores readings through the store subsystem and acks them after the
// commit. Pausing for back-pressure is wired from the service to the client here.

#include <memory>

#include "service_subsystem.hpp"
#include "vigil/app/config.hpp"
#include "vigil/gateway/mqtt_client.hpp"
#include "vigil/ingest/ingest_service.hpp"

namespace vigil::app {

class StoreSubsystem;
class SecuritySubsystem;
class AlertsSubsystem;

/// Owns the broker connection and the ingest pipeline.
class IngestSubsystem final : public ServiceSubsystem {
 public:
  /// The quarantine's payloads are encrypted with the security subsystem's field cipher.
  IngestSubsystem(const Config& config, StoreSubsystem& store, SecuritySubsystem& security,
                  AlertsSubsystem& alerting);
  const char* name() const override { return "ingest"; }
  /// Connected to the broker and not paused by a failing store.
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
};

}  // namespace vigil::app
