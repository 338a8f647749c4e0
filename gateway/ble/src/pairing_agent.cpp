// Pairing: the org.bluez.Agent1 the gateway exports (capability KeyboardOnly) answers BlueZ only
// for devices an admin asked to pair (the passkey the admin typed, Just Works confirmation);
// pairing, trusting and connecting a device.

#include "gateway_impl.hpp"
#include "vigil/core/log.hpp"

namespace vigil::ble {
namespace detail {
namespace {

constexpr const char* kAgentXml =
    "<node><interface name='org.bluez.Agent1'>"
    "<method name='Release'/>"
    "<method name='RequestPinCode'><arg type='o' direction='in'/>"
    "<arg type='s' direction='out'/></method>"
    "<method name='DisplayPinCode'><arg type='o' direction='in'/>"
    "<arg type='s' direction='in'/></method>"
    "<method name='RequestPasskey'><arg type='o' direction='in'/>"
    "<arg type='u' direction='out'/></method>"
    "<method name='DisplayPasskey'><arg type='o' direction='in'/><arg type='u' direction='in'/>"
    "<arg type='q' direction='in'/></method>"
    "<method name='RequestConfirmation'><arg type='o' direction='in'/>"
    "<arg type='u' direction='in'/></method>"
    "<method name='RequestAuthorization'><arg type='o' direction='in'/></method>"
    "<method name='AuthorizeService'><arg type='o' direction='in'/>"
    "<arg type='s' direction='in'/></method>"
    "<method name='Cancel'/>"
    "</interface></node>";

}  // namespace

GDBusNodeInfo* agentIntrospection() {
  GError* error = nullptr;
  return g_dbus_node_info_new_for_xml(kAgentXml, &error);
}

}  // namespace detail

using namespace detail;

// ------------------------------------------------------------------ agent
void BleGateway::Impl::exportAgent() {
  GError* error = nullptr;
  static const GDBusInterfaceVTable vtable = {&Impl::onAgentCall, nullptr, nullptr, {}};
  agentRegistration = g_dbus_connection_register_object(conn, kAgentPath, agentInfo->interfaces[0],
                                                        &vtable, this, nullptr, &error);
  if (!agentRegistration) {
    log::error("ble.agent_export_failed", {{"reason", error ? error->message : ""}});
    g_clear_error(&error);
  }
}

void BleGateway::Impl::registerAgent() {
  call("/org/bluez", "org.bluez.AgentManager1", "RegisterAgent",
       g_variant_new("(os)", kAgentPath, "KeyboardOnly"), nullptr, [this](GVariant*, GError* e) {
         if (e) {
           log::warn("ble.agent_register_failed", {{"reason", shortError(e)}});
           return;
         }
         call("/org/bluez", "org.bluez.AgentManager1", "RequestDefaultAgent",
              g_variant_new("(o)", kAgentPath), nullptr, {});
       });
}

bool BleGateway::Impl::pairingRequested(const std::string& devicePath,
                                        std::optional<std::uint32_t>* passkey) const {
  auto d = deviceObjs.find(devicePath);
  if (d == deviceObjs.end()) return false;
  auto r = pairRequests.find(d->second.address);
  if (r == pairRequests.end()) return false;
  if (passkey) *passkey = r->second;
  return true;
}

void BleGateway::Impl::onAgentCall(GDBusConnection*, const gchar* sender, const gchar*,
                                   const gchar*, const gchar* method, GVariant* params,
                                   GDBusMethodInvocation* inv, gpointer data) {
  auto* self = static_cast<Impl*>(data);
  std::string m = method;
  auto reject = [inv](const char* why) {
    g_dbus_method_invocation_return_dbus_error(inv, "org.bluez.Error.Rejected", why);
  };
  if (self->bluezOwner.empty() || !sender || self->bluezOwner != sender)
    return reject("not from BlueZ");
  if (m == "Release" || m == "Cancel" || m == "DisplayPinCode" || m == "DisplayPasskey") {
    g_dbus_method_invocation_return_value(inv, nullptr);
    return;
  }
  const gchar* device = nullptr;
  g_variant_get_child(params, 0, "&o", &device);
  std::optional<std::uint32_t> passkey;
  bool requested = self->pairingRequested(device, &passkey);
  if (m == "RequestPasskey") {
    if (!requested || !passkey) return reject("no passkey entered for this device");
    log::info("ble.agent_passkey_given");
    g_dbus_method_invocation_return_value(inv, g_variant_new("(u)", *passkey));
  } else if (m == "RequestConfirmation" || m == "RequestAuthorization") {
    if (!requested) return reject("pairing not requested by an admin");
    g_dbus_method_invocation_return_value(inv, nullptr);
  } else if (m == "AuthorizeService") {
    auto d = self->deviceObjs.find(device);
    if (!requested && (d == self->deviceObjs.end() || !d->second.paired))
      return reject("device not paired");
    g_dbus_method_invocation_return_value(inv, nullptr);
  } else {  // RequestPinCode: legacy PIN pairing is not offered
    reject("PIN pairing not supported");
  }
}

// ------------------------------------------------------------------ pairing / connecting
void BleGateway::Impl::pair(const std::string& address, std::optional<std::uint32_t> passkey) {
  std::string path;
  for (const auto& [p, d] : deviceObjs)
    if (g_ascii_strcasecmp(d.address.c_str(), address.c_str()) == 0) path = p;
  if (path.empty()) {
    setStatus(address, DeviceState::pairingFailed, "not_discovered");
    return;
  }
  auto addr = deviceObjs[path].address;
  pairRequests[addr] = passkey;
  setStatus(addr, DeviceState::pairing, passkey ? "passkey_entry" : "just_works");
  call(
      path, kDeviceIface, "Pair", nullptr, nullptr,
      [this, path, addr](GVariant*, GError* e) {
        pairRequests.erase(addr);
        if (e && shortError(e) != "AlreadyExists") {
          counter("vigil_ble_pairings_total", "BLE pairings, by result", "failed").inc();
          setStatus(addr, DeviceState::pairingFailed, shortError(e));
          return;
        }
        counter("vigil_ble_pairings_total", "BLE pairings, by result", "paired").inc();
        setStatus(addr, DeviceState::paired, "");
        auto d = deviceObjs.find(path);
        if (d != deviceObjs.end()) {
          d->second.paired = true;
          updateStatusFlags(d->second);
          connectDevice(path);
        }
      },
      kPairTimeoutMs);
}

void BleGateway::Impl::connectDevice(const std::string& path) {
  auto it = deviceObjs.find(path);
  if (it == deviceObjs.end() || it->second.connecting || it->second.connected) return;
  auto& d = it->second;
  d.connecting = true;
  if (!d.trusted) setProperty(path, kDeviceIface, "Trusted", g_variant_new_boolean(TRUE));
  auto prior = currentState(d.address);
  if (prior != DeviceState::disconnected && prior != DeviceState::pairingFailed)
    setStatus(d.address, DeviceState::connecting, "");
  call(path, kDeviceIface, "Connect", nullptr, nullptr, [this, path](GVariant*, GError* e) {
    auto dd = deviceObjs.find(path);
    if (dd == deviceObjs.end()) return;
    dd->second.connecting = false;
    if (e) {
      counter("vigil_ble_connects_total", "BLE connection attempts, by result", "failed").inc();
      if (currentState(dd->second.address) != DeviceState::disconnected)
        setStatus(dd->second.address, DeviceState::disconnected, "unreachable");
      return;
    }
    counter("vigil_ble_connects_total", "BLE connection attempts, by result", "connected").inc();
    dd->second.connected = true;
    if (dd->second.servicesResolved && !dd->second.setUp) setUpDevice(path, dd->second);
  });
}

}  // namespace vigil::ble
