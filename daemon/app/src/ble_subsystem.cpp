#include "ble_subsystem.hpp"

#include <cassert>

#include "ingest_subsystem.hpp"
#include "store_subsystem.hpp"
#include "vigil/ble/ingest_bridge.hpp"
#include "vigil/core/log.hpp"

namespace vigil::app {
namespace {

/// web::BleAdmin over the subsystem's gateway.
class GatewayAdmin final : public web::BleAdmin {
 public:
  explicit GatewayAdmin(BleSubsystem& owner) : owner_(owner) {}
  Status status() const override {
    auto* g = owner_.gateway();
    if (!g) return {};
    return {g->busConnected(), g->bluezAvailable(), g->adapterPresent()};
  }
  std::vector<Device> devices() const override {
    std::vector<Device> out;
    auto* g = owner_.gateway();
    if (!g) return out;
    for (const auto& d : g->devices())
      out.push_back(
          {d.address, d.uid, ble::toString(d.state), d.reason, d.paired, d.services, d.changedAt});
    return out;
  }
  bool requestPairing(const std::string& address, std::optional<std::uint32_t> passkey) override {
    auto* g = owner_.gateway();
    return g && g->requestPairing(address, passkey);
  }

 private:
  BleSubsystem& owner_;
};

}  // namespace

BleSubsystem::BleSubsystem(const Config& config, StoreSubsystem& store, IngestSubsystem& ingest)
    : config_(config),
      store_(store),
      ingest_(ingest),
      admin_(std::make_unique<GatewayAdmin>(*this)) {}

void BleSubsystem::initialize(Poco::Util::Application&) {
  auto* service = ingest_.service();
  assert(service && "the ingest subsystem starts before BLE");
  ble::BleOptions o;
  o.busAddress = config_.string("ble.bus_address");
  o.adapter = config_.string("ble.adapter");
  o.retryInterval = std::chrono::milliseconds(config_.integer("ble.retry_ms"));
  o.discover = config_.boolean("ble.discover");
  gateway_ = std::make_unique<ble::BleGateway>(o, SystemClock::instance(),
                                               ble::ingestSink(*service, SystemClock::instance()),
                                               ble::storedGlucoseSequence(store_.database()));
  gateway_->start();
  log::info("ble.started", {{"adapter", o.adapter.empty() ? "first" : o.adapter}});
}

void BleSubsystem::uninitialize() {
  if (gateway_) gateway_->stop();
  gateway_.reset();
}

}  // namespace vigil::app
