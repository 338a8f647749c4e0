// BlueZ as the gateway sees it: whether org.bluez is on the bus, its objects (adapters, devices,
// GATT characteristics) as last reported by GetManagedObjects, InterfacesAdded/Removed and
// PropertiesChanged, the adapter's power and filtered discovery, and each device's status.

#include "gateway_impl.hpp"
#include "vigil/core/log.hpp"

namespace vigil::ble {

using namespace detail;

// ------------------------------------------------------------------ status
void BleGateway::Impl::setStatus(const std::string& address, DeviceState state,
                                 const std::string& reason, const DeviceObj* flags) {
  auto uid = deviceUidForAddress(address);
  if (!uid) return;
  bool changed = false;
  BleDeviceStatus snapshot;
  {
    std::lock_guard lock(statusMutex);
    auto& s = statuses[address];
    s.address = address;
    s.uid = *uid;
    changed = s.state != state || s.reason != reason || s.changedAt == TimePoint{};
    s.state = state;
    s.reason = reason;
    if (changed) s.changedAt = clock.now();
    if (flags) applyFlags(s, *flags);
    snapshot = s;
  }
  if (!changed) return;
  // No device identifier (it carries the Bluetooth address): the admin list has the device.
  log::info("ble.device_state", {{"state", toString(state)}, {"reason", reason}});
  if (statusListener) statusListener(snapshot);
}

void BleGateway::Impl::updateStatusFlags(const DeviceObj& d) {
  std::lock_guard lock(statusMutex);
  auto it = statuses.find(d.address);
  if (it == statuses.end()) return;
  applyFlags(it->second, d);
}

void BleGateway::Impl::applyFlags(BleDeviceStatus& status, const DeviceObj& d) {
  status.paired = d.paired;
  status.trusted = d.trusted;
  status.services.clear();
  for (const auto& u : d.uuids)
    if (auto s = uuid16(u);
        s && std::find(kHealthServices.begin(), kHealthServices.end(), *s) != kHealthServices.end())
      status.services.push_back(*s);
}

std::optional<DeviceState> BleGateway::Impl::currentState(const std::string& address) const {
  std::lock_guard lock(statusMutex);
  auto it = statuses.find(address);
  if (it == statuses.end()) return std::nullopt;
  return it->second.state;
}

void BleGateway::Impl::markAllUnavailable(const std::string& reason) {
  std::vector<std::string> addresses;
  {
    std::lock_guard lock(statusMutex);
    for (const auto& [a, s] : statuses) addresses.push_back(a);
  }
  for (const auto& a : addresses) setStatus(a, DeviceState::unavailable, reason);
}

// ------------------------------------------------------------------ BlueZ presence
void BleGateway::Impl::onBluezAppeared(GDBusConnection*, const gchar*, const gchar* owner,
                                       gpointer data) {
  auto* self = static_cast<Impl*>(data);
  self->bluezOwner = owner;
  self->bluezUp = true;
  self->loggedNoBluez = false;
  log::info("ble.bluez_available");
  self->registerAgent();
  self->call("/", kObjectManagerIface, "GetManagedObjects", nullptr, "(a{oa{sa{sv}}})",
             [self](GVariant* reply, GError* e) {
               if (e) {
                 log::warn("ble.get_objects_failed", {{"reason", shortError(e)}});
                 return;
               }
               self->loadManagedObjects(reply);
             });
}

void BleGateway::Impl::loadManagedObjects(GVariant* reply) {
  VariantRef objects(g_variant_get_child_value(reply, 0));
  GVariantIter it;
  g_variant_iter_init(&it, objects.v);
  const gchar* path = nullptr;
  GVariant* ifaces = nullptr;
  // Adapters and devices first, so characteristics find their device.
  std::vector<std::pair<std::string, GVariant*>> all;
  while (g_variant_iter_next(&it, "{&o@a{sa{sv}}}", &path, &ifaces)) all.emplace_back(path, ifaces);
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [p, i] : all) {
    addInterfaces(p, i);
    g_variant_unref(i);
  }
  if (adapterPath.empty() && !loggedNoAdapter) {
    log::warn("ble.no_adapter", {{"adapter", options.adapter}});
    loggedNoAdapter = true;
  }
}

void BleGateway::Impl::onBluezVanished(GDBusConnection* c, const gchar*, gpointer data) {
  auto* self = static_cast<Impl*>(data);
  if (!c) return;
  if (self->bluezUp.exchange(false) || !self->loggedNoBluez) {
    log::warn("ble.bluez_unavailable");
    self->loggedNoBluez = true;
  }
  self->forgetBluez("bluez_unavailable");
}

void BleGateway::Impl::forgetBluez(const std::string& reason) {
  bluezOwner.clear();
  bluezUp = false;
  adapters.clear();
  deviceObjs.clear();
  chars.clear();
  if (!adapterPath.empty()) adapterUp = false;
  adapterPath.clear();
  adapterPowered = false;
  discovering = false;
  markAllUnavailable(reason);
}

// ------------------------------------------------------------------ objects
std::string BleGateway::Impl::adapterOf(const std::string& path) const {
  for (const auto& [a, p] : adapters)
    if (startsWith(path, a)) return a;
  return {};
}

std::string BleGateway::Impl::deviceOf(const std::string& path) const {
  for (const auto& [d, obj] : deviceObjs)
    if (startsWith(path, d)) return d;
  return {};
}

bool BleGateway::Impl::wantedAdapter(const std::string& path) const {
  if (options.adapter.empty()) return true;
  return path == "/org/bluez/" + options.adapter;
}

void BleGateway::Impl::addInterfaces(const std::string& path, GVariant* ifaces) {
  GVariantIter it;
  g_variant_iter_init(&it, ifaces);
  const gchar* iface = nullptr;
  GVariant* props = nullptr;
  while (g_variant_iter_next(&it, "{&s@a{sv}}", &iface, &props)) {
    std::string name = iface;
    if (name == kAdapterIface) {
      adapters[path] = lookupBool(props, "Powered").value_or(false);
      if (adapterPath.empty() && wantedAdapter(path)) selectAdapter(path);
    } else if (name == kDeviceIface) {
      DeviceObj d;
      d.address = lookupString(props, "Address").value_or("");
      auto& obj = deviceObjs[path] = d;
      updateDevice(path, obj, props);
    } else if (name == kCharIface) {
      CharObj c;
      auto u = lookupString(props, "UUID");
      c.uuid = u ? uuid16(*u).value_or(0) : 0;
      c.flags = lookupStrings(props, "Flags").value_or(std::vector<std::string>{});
      c.devicePath = deviceOf(path);
      chars[path] = c;
    }
    g_variant_unref(props);
  }
}

void BleGateway::Impl::removeInterfaces(const std::string& path, GVariant* names) {
  GVariantIter it;
  g_variant_iter_init(&it, names);
  const gchar* iface = nullptr;
  while (g_variant_iter_next(&it, "&s", &iface)) {
    std::string name = iface;
    if (name == kAdapterIface) {
      adapters.erase(path);
      if (path == adapterPath) {
        log::warn("ble.adapter_removed", {{"adapter", path.substr(path.rfind('/') + 1)}});
        adapterPath.clear();
        adapterUp = false;
        adapterPowered = false;
        discovering = false;
        // BlueZ removes the devices before their adapter: say why they went.
        for (const auto& [address, adapter] : adapterOfAddress)
          if (adapter == path && currentState(address))
            setStatus(address, DeviceState::unavailable, "adapter_removed");
        for (auto d = deviceObjs.begin(); d != deviceObjs.end();)
          d = startsWith(d->first, path) ? deviceObjs.erase(d) : std::next(d);
        for (auto c = chars.begin(); c != chars.end();)
          c = startsWith(c->first, path) ? chars.erase(c) : std::next(c);
        // Another adapter may take over.
        for (const auto& [a, powered] : adapters)
          if (wantedAdapter(a)) {
            selectAdapter(a);
            break;
          }
      }
    } else if (name == kDeviceIface) {
      auto d = deviceObjs.find(path);
      if (d != deviceObjs.end()) {
        setStatus(d->second.address, DeviceState::unavailable, "removed_from_bluez");
        deviceObjs.erase(d);
      }
    } else if (name == kCharIface) {
      chars.erase(path);
    }
  }
}

// ------------------------------------------------------------------ adapter and discovery
void BleGateway::Impl::selectAdapter(const std::string& path) {
  adapterPath = path;
  adapterUp = true;
  adapterPowered = adapters[path];
  loggedNoAdapter = false;
  log::info("ble.adapter_ready", {{"adapter", path.substr(path.rfind('/') + 1)}});
  ensureAdapterRunning();
}

void BleGateway::Impl::ensureAdapterRunning() {
  if (adapterPath.empty()) return;
  if (!adapterPowered) {
    std::string path = adapterPath;
    setProperty(path, kAdapterIface, "Powered", g_variant_new_boolean(TRUE),
                [this, path](GVariant*, GError* e) {
                  if (e) {
                    log::warn("ble.power_on_failed", {{"reason", shortError(e)}});
                    return;
                  }
                  if (path == adapterPath) {
                    adapterPowered = true;
                    startDiscovery();
                  }
                });
    return;
  }
  startDiscovery();
}

void BleGateway::Impl::startDiscovery() {
  if (!options.discover || discovering || adapterPath.empty()) return;
  discovering = true;  // until a failure says otherwise
  GVariantBuilder uuids;
  g_variant_builder_init(&uuids, vtype("as"));
  for (const auto& u : healthServiceFilter()) g_variant_builder_add(&uuids, "s", u.c_str());
  GVariantBuilder filter;
  g_variant_builder_init(&filter, vtype("a{sv}"));
  g_variant_builder_add(&filter, "{sv}", "UUIDs", g_variant_builder_end(&uuids));
  g_variant_builder_add(&filter, "{sv}", "Transport", g_variant_new_string("le"));
  std::string path = adapterPath;
  call(path, kAdapterIface, "SetDiscoveryFilter", g_variant_new("(a{sv})", &filter), nullptr,
       [this, path](GVariant*, GError* e) {
         if (e) {
           log::warn("ble.discovery_filter_failed", {{"reason", shortError(e)}});
           discovering = false;
           return;
         }
         call(path, kAdapterIface, "StartDiscovery", nullptr, nullptr,
              [this](GVariant*, GError* e2) {
                if (e2 && shortError(e2) != "InProgress") {
                  log::warn("ble.discovery_failed", {{"reason", shortError(e2)}});
                  discovering = false;
                  return;
                }
                log::info("ble.discovery_started");
              });
       });
}

// ------------------------------------------------------------------ property changes
void BleGateway::Impl::updateDevice(const std::string& path, DeviceObj& d, GVariant* props) {
  bool wasConnected = d.connected;
  if (auto a = lookupString(props, "Address")) d.address = *a;
  if (auto v = lookupStrings(props, "UUIDs")) d.uuids = *v;
  if (auto v = lookupBool(props, "Paired")) d.paired = *v;
  if (auto v = lookupBool(props, "Trusted")) d.trusted = *v;
  if (auto v = lookupBool(props, "Connected")) d.connected = *v;
  if (auto v = lookupBool(props, "ServicesResolved")) d.servicesResolved = *v;
  if (!validAddress(d.address)) return;
  if (!d.paired && !offersHealthService(d.uuids)) return;  // not a device of ours
  if (auto a = adapterOf(path); !a.empty()) adapterOfAddress[d.address] = a;

  auto state = currentState(d.address);
  if (!state || *state == DeviceState::unavailable) {
    if (d.connected)
      setStatus(d.address, DeviceState::connecting, "", &d);
    else if (d.paired)
      setStatus(d.address, DeviceState::paired, "", &d);
    else
      setStatus(d.address, DeviceState::discovered, "", &d);
  }
  updateStatusFlags(d);

  if (wasConnected && !d.connected) {
    d.setUp = false;
    d.servicesResolved = false;
    d.racpPending = false;
    counter("vigil_ble_disconnects_total", "BLE device links lost", "lost").inc();
    setStatus(d.address, DeviceState::disconnected, "link_lost");
  }
  if (d.connected && d.servicesResolved && !d.setUp) setUpDevice(path, d);
  if (d.paired && !d.connected && !d.connecting && !adapterPath.empty() &&
      currentState(d.address) != DeviceState::pairing)
    connectDevice(path);
}

void BleGateway::Impl::propertiesChanged(const std::string& path, const std::string& iface,
                                         GVariant* changed) {
  if (iface == kAdapterIface) {
    auto it = adapters.find(path);
    if (it == adapters.end()) return;
    if (auto p = lookupBool(changed, "Powered")) {
      it->second = *p;
      if (path == adapterPath) {
        adapterPowered = *p;
        if (!*p) {
          log::warn("ble.adapter_powered_off");
          discovering = false;
        }
      }
    }
    if (auto disc = lookupBool(changed, "Discovering"); disc && path == adapterPath)
      discovering = *disc;
  } else if (iface == kDeviceIface) {
    auto it = deviceObjs.find(path);
    if (it != deviceObjs.end()) updateDevice(path, it->second, changed);
  } else if (iface == kCharIface) {
    if (auto v = lookupBytes(changed, "Value")) onValue(path, *v);
  }
}

}  // namespace vigil::ble
