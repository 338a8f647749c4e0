// BleGateway itself: the GLib main loop on the gateway's thread (the periodic retry and an
// orderly shutdown), and the public methods, which reach the loop through the status snapshot
// (a mutex), atomics, or g_main_context_invoke.

#include "vigil/ble/ble_gateway.hpp"

#include <cassert>

#include "gateway_impl.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/thread_name.hpp"

namespace vigil::ble {

using namespace detail;

const char* toString(DeviceState state) {
  switch (state) {
    case DeviceState::discovered:
      return "discovered";
    case DeviceState::pairing:
      return "pairing";
    case DeviceState::pairingFailed:
      return "pairing_failed";
    case DeviceState::paired:
      return "paired";
    case DeviceState::connecting:
      return "connecting";
    case DeviceState::connected:
      return "connected";
    case DeviceState::disconnected:
      return "disconnected";
    case DeviceState::unavailable:
      return "unavailable";
  }
  return "unknown";
}

// ------------------------------------------------------------------ loop
gboolean BleGateway::Impl::onRetry(gpointer data) {
  auto* self = static_cast<Impl*>(data);
  if (!self->conn) {
    self->connectBus();
  } else if (self->bluezUp && !self->adapterPath.empty()) {
    self->ensureAdapterRunning();
    std::vector<std::string> paths;
    for (const auto& [p, d] : self->deviceObjs)
      if (d.paired && !d.connected && !d.connecting) paths.push_back(p);
    for (const auto& p : paths) {
      counter("vigil_ble_reconnect_attempts_total", "Reconnect attempts to paired devices",
              "attempted")
          .inc();
      self->connectDevice(p);
    }
  }
  return G_SOURCE_CONTINUE;
}

void BleGateway::Impl::run() {
  g_main_context_push_thread_default(context);
  connectBus();
  GSource* retry = g_timeout_source_new(static_cast<guint>(options.retryInterval.count()));
  g_source_set_callback(retry, &Impl::onRetry, this, nullptr);
  g_source_attach(retry, context);
  g_main_loop_run(loop);
  g_source_destroy(retry);
  g_source_unref(retry);
  // Shut down: stop discovery politely, cancel what is in flight and let callbacks run.
  if (conn && !adapterPath.empty() && discovering)
    call(adapterPath, kAdapterIface, "StopDiscovery", nullptr, nullptr, {}, 1000);
  if (conn && bluezUp)
    call("/org/bluez", "org.bluez.AgentManager1", "UnregisterAgent",
         g_variant_new("(o)", kAgentPath), nullptr, {}, 1000);
  bool expired = false;
  GSource* deadline = g_timeout_source_new(2000);
  g_source_set_callback(
      deadline,
      [](gpointer flag) -> gboolean {
        *static_cast<bool*>(flag) = true;
        return G_SOURCE_REMOVE;
      },
      &expired, nullptr);
  g_source_attach(deadline, context);
  while (outstanding > 0 && !expired) g_main_context_iteration(context, TRUE);
  g_source_destroy(deadline);
  g_source_unref(deadline);
  g_cancellable_cancel(cancellable);
  while (outstanding > 0) g_main_context_iteration(context, TRUE);
  if (conn) {
    releaseBusObjects();
    g_dbus_connection_close_sync(conn, nullptr, nullptr);
    g_object_unref(conn);
    conn = nullptr;
  }
  while (g_main_context_iteration(context, FALSE)) {
  }
  g_main_context_pop_thread_default(context);
}

BleGateway::BleGateway(BleOptions options, Clock& clock, MessageSink sink,
                       LastSequence lastSequence)
    : impl_(std::make_unique<Impl>(std::move(options), clock, std::move(sink),
                                   std::move(lastSequence))) {
  auto* impl = impl_.get();
  auto& m = Metrics::global();
  m.callbackGauge("vigil_ble_bus_connected", "1 while the BLE gateway is on the system D-Bus",
                  [impl] { return impl->busUp.load() ? 1.0 : 0.0; });
  m.callbackGauge("vigil_ble_bluez_available", "1 while BlueZ (org.bluez) is on the bus",
                  [impl] { return impl->bluezUp.load() ? 1.0 : 0.0; });
  m.callbackGauge("vigil_ble_adapter_present", "1 while the configured Bluetooth adapter exists",
                  [impl] { return impl->adapterUp.load() ? 1.0 : 0.0; });
  for (std::size_t i = 0; i < kDeviceStateCount; ++i) {
    auto state = static_cast<DeviceState>(i);
    m.callbackGauge("vigil_ble_devices", "BLE health devices known to the gateway, by state",
                    [impl, state] {
                      std::lock_guard lock(impl->statusMutex);
                      return static_cast<double>(std::count_if(
                          impl->statuses.begin(), impl->statuses.end(),
                          [state](const auto& s) { return s.second.state == state; }));
                    },
                    {{"state", toString(state)}});
  }
}

BleGateway::~BleGateway() {
  stop();
  auto& m = Metrics::global();
  m.callbackGauge("vigil_ble_bus_connected", "", [] { return 0.0; });
  m.callbackGauge("vigil_ble_bluez_available", "", [] { return 0.0; });
  m.callbackGauge("vigil_ble_adapter_present", "", [] { return 0.0; });
  for (std::size_t i = 0; i < kDeviceStateCount; ++i)
    m.callbackGauge("vigil_ble_devices", "", [] { return 0.0; },
                    {{"state", toString(static_cast<DeviceState>(i))}});
}

void BleGateway::setStatusListener(StatusListener listener) {
  {
    std::lock_guard lock(impl_->statusMutex);
    assert(!impl_->running && "setStatusListener before start()");
  }
  impl_->statusListener = std::move(listener);
}

void BleGateway::start() {
  auto* impl = impl_.get();
  {
    std::lock_guard lock(impl->statusMutex);
    if (impl->running) return;
    impl->running = true;
  }
  impl->agentInfo = agentIntrospection();
  assert(impl->agentInfo && "agent introspection XML is a constant");
  impl->context = g_main_context_new();
  impl->loop = g_main_loop_new(impl->context, FALSE);
  impl->cancellable = g_cancellable_new();
  impl->thread = std::thread([impl] {
    nameThisThread("vigil-ble");
    impl->run();
  });
}

void BleGateway::stop() {
  auto* impl = impl_.get();
  {
    std::lock_guard lock(impl->statusMutex);
    if (!impl->running) return;
    impl->running = false;
  }
  g_main_context_invoke(
      impl->context,
      [](gpointer data) -> gboolean {
        g_main_loop_quit(static_cast<GMainLoop*>(data));
        return G_SOURCE_REMOVE;
      },
      impl->loop);
  if (impl->thread.joinable()) impl->thread.join();
  g_main_loop_unref(impl->loop);
  g_main_context_unref(impl->context);
  g_object_unref(impl->cancellable);
  g_dbus_node_info_unref(impl->agentInfo);
  impl->loop = nullptr;
  impl->context = nullptr;
  impl->cancellable = nullptr;
  impl->agentInfo = nullptr;
  impl->busUp = false;
  impl->bluezUp = false;
  impl->adapterUp = false;
}

bool BleGateway::requestPairing(const std::string& address, std::optional<std::uint32_t> passkey) {
  if (!validAddress(address) || (passkey && *passkey > 999'999)) return false;
  auto* impl = impl_.get();
  {
    std::lock_guard lock(impl->statusMutex);
    if (!impl->running) return false;
  }
  struct Request {
    Impl* impl;
    std::string address;
    std::optional<std::uint32_t> passkey;
  };
  g_main_context_invoke_full(
      impl->context, G_PRIORITY_DEFAULT,
      [](gpointer data) -> gboolean {
        auto* r = static_cast<Request*>(data);
        log::info("ble.pairing_requested",
                  {{"device", deviceUidForAddress(r->address).value_or("")},
                   {"method", r->passkey ? "passkey" : "just_works"}});
        r->impl->pair(r->address, r->passkey);
        return G_SOURCE_REMOVE;
      },
      new Request{impl, address, passkey},
      [](gpointer data) { delete static_cast<Request*>(data); });
  return true;
}

std::vector<BleDeviceStatus> BleGateway::devices() const {
  std::lock_guard lock(impl_->statusMutex);
  std::vector<BleDeviceStatus> out;
  for (const auto& [a, s] : impl_->statuses) out.push_back(s);
  return out;
}

std::optional<BleDeviceStatus> BleGateway::device(const std::string& address) const {
  std::lock_guard lock(impl_->statusMutex);
  for (const auto& [a, s] : impl_->statuses)
    if (g_ascii_strcasecmp(a.c_str(), address.c_str()) == 0) return s;
  return std::nullopt;
}

bool BleGateway::busConnected() const {
  return impl_->busUp.load();
}
bool BleGateway::bluezAvailable() const {
  return impl_->bluezUp.load();
}
bool BleGateway::adapterPresent() const {
  return impl_->adapterUp.load();
}
std::uint64_t BleGateway::racpTransfersDone() const {
  return impl_->racpDone.load();
}

}  // namespace vigil::ble
