#pragma once
// BLE ingest as a vigild subsystem (built with VIGIL_WITH_BLE): the BleGateway on the box's
// adapter, feeding the MQTT ingest's IngestService so BLE readings get the same decoding,
// dedup, quarantine, patient attribution and alerts. Started after ingest, stopped before it.

#include <memory>

#include "service_subsystem.hpp"
#include "vigil/app/config.hpp"
#include "vigil/ble/ble_gateway.hpp"
#include "vigil/web/ble_admin.hpp"

namespace vigil::store {
class Database;
}

namespace vigil::app {

class StoreSubsystem;
class IngestSubsystem;

/// Owns the BLE gateway.
class BleSubsystem final : public ServiceSubsystem {
 public:
  BleSubsystem(const Config& config, StoreSubsystem& store, IngestSubsystem& ingest);
  const char* name() const override { return "ble"; }
  /// nullptr before start and after stop.
  ble::BleGateway* gateway() { return gateway_.get(); }
  /// The store the gateway keeps link states in.
  store::Database& database();
  /// The admin routes' view of the gateway (valid for the subsystem's lifetime; empty and
  /// refusing pairing while the gateway is not running).
  web::BleAdmin& admin() { return *admin_; }

 protected:
  void initialize(Poco::Util::Application& app) override;
  void uninitialize() override;

 private:
  const Config& config_;
  StoreSubsystem& store_;
  IngestSubsystem& ingest_;
  std::unique_ptr<ble::BleGateway> gateway_;
  std::unique_ptr<web::BleAdmin> admin_;
};

}  // namespace vigil::app
