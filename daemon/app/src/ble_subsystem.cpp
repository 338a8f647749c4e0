#include "ble_subsystem.hpp"

#include <cassert>
#include <map>

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
  /// The gateway's devices, with when each was last connected, and the kept links of devices
  /// the gateway has not seen since start (BlueZ or the adapter away, device out of range).
  std::vector<Device> devices() const override {
    std::vector<Device> out;
    auto* g = owner_.gateway();
    if (!g) return out;
    std::map<std::string, ble::StoredLink> kept;
    for (auto& l : ble::storedLinks(owner_.database())) kept.emplace(l.address, std::move(l));
    for (const auto& d : g->devices()) {
      out.push_back(
          {d.address, d.uid, ble::toString(d.state), d.reason, d.paired, d.services, d.changedAt});
      if (auto k = kept.find(d.address); k != kept.end()) {
        out.back().lastConnectedAt = k->second.lastConnectedAt;
        kept.erase(k);
      }
    }
    for (auto& [address, l] : kept) {
      Device d{address, l.uid, l.state, l.reason, l.state != "pairing_failed", {}, l.changedAt};
      d.lastConnectedAt = l.lastConnectedAt;
      d.live = false;
      out.push_back(std::move(d));
    }
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
  ble::pruneRetiredLinks(store_.database());
  gateway_->setStatusListener(ble::persistLinkStatus(store_.database()));
  gateway_->start();
  log::info("ble.started", {{"adapter", o.adapter.empty() ? "first" : o.adapter}});
}

store::Database& BleSubsystem::database() {
  return store_.database();
}

void BleSubsystem::uninitialize() {
  if (gateway_) gateway_->stop();
  gateway_.reset();
}

}  // namespace vigil::app
