#include "vigil/ble/ble_gateway.hpp"

#include <gio/gio.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <ctime>
#include <map>
#include <mutex>
#include <thread>

#include "vigil/ble/racp.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/core/thread_name.hpp"
#include "vigil/devices/gatt.hpp"

namespace vigil::ble {
namespace {

constexpr const char* kBluez = "org.bluez";
constexpr const char* kAdapterIface = "org.bluez.Adapter1";
constexpr const char* kDeviceIface = "org.bluez.Device1";
constexpr const char* kCharIface = "org.bluez.GattCharacteristic1";
constexpr const char* kPropsIface = "org.freedesktop.DBus.Properties";
constexpr const char* kObjectManagerIface = "org.freedesktop.DBus.ObjectManager";
constexpr const char* kAgentPath = "/org/vigil/ble/agent";
constexpr int kPairTimeoutMs = 60'000;

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

const GVariantType* vtype(const char* s) {
  return reinterpret_cast<const GVariantType*>(s);
}

/// Owns a GVariant reference.
struct VariantRef {
  GVariant* v = nullptr;
  explicit VariantRef(GVariant* value) : v(value) {}
  ~VariantRef() {
    if (v) g_variant_unref(v);
  }
  VariantRef(const VariantRef&) = delete;
  VariantRef& operator=(const VariantRef&) = delete;
};

std::optional<bool> lookupBool(GVariant* dict, const char* key) {
  VariantRef v(g_variant_lookup_value(dict, key, vtype("b")));
  if (!v.v) return std::nullopt;
  return g_variant_get_boolean(v.v) != 0;
}

std::optional<std::string> lookupString(GVariant* dict, const char* key, const char* type = "s") {
  VariantRef v(g_variant_lookup_value(dict, key, vtype(type)));
  if (!v.v) return std::nullopt;
  return std::string(g_variant_get_string(v.v, nullptr));
}

std::optional<std::vector<std::string>> lookupStrings(GVariant* dict, const char* key) {
  VariantRef v(g_variant_lookup_value(dict, key, vtype("as")));
  if (!v.v) return std::nullopt;
  std::vector<std::string> out;
  GVariantIter it;
  g_variant_iter_init(&it, v.v);
  const gchar* s = nullptr;
  while (g_variant_iter_next(&it, "&s", &s)) out.emplace_back(s);
  return out;
}

std::optional<std::vector<std::uint8_t>> lookupBytes(GVariant* dict, const char* key) {
  VariantRef v(g_variant_lookup_value(dict, key, vtype("ay")));
  if (!v.v) return std::nullopt;
  gsize n = 0;
  auto* data = static_cast<const std::uint8_t*>(g_variant_get_fixed_array(v.v, &n, 1));
  return std::vector<std::uint8_t>(data, data + n);
}

GVariant* bytesVariant(const std::uint8_t* data, std::size_t n) {
  return g_variant_new_fixed_array(vtype("y"), data, n, 1);
}

/// "org.bluez.Error.AuthenticationFailed" → "AuthenticationFailed"; a timeout → "Timeout".
std::string shortError(const GError* error) {
  if (!error) return "unknown";
  if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) return "Timeout";
  gchar* remote = g_dbus_error_get_remote_error(error);
  std::string name = remote ? remote : "Failed";
  g_free(remote);
  auto dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

bool startsWith(const std::string& s, const std::string& prefix) {
  return s.size() > prefix.size() && s.compare(0, prefix.size(), prefix) == 0 &&
         s[prefix.size()] == '/';
}

Counter& counter(const char* name, const char* help, const char* result) {
  return Metrics::global().counter(name, help, {{"result", result}});
}

}  // namespace

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

struct BleGateway::Impl {
  // --- BlueZ objects as last reported (loop thread only) ---
  struct DeviceObj {
    std::string address;
    std::vector<std::string> uuids;
    bool paired = false;
    bool trusted = false;
    bool connected = false;
    bool servicesResolved = false;
    bool connecting = false;
    bool setUp = false;
    bool racpPending = false;
    int notifyPending = 0;
  };
  struct CharObj {
    std::uint16_t uuid = 0;
    std::string devicePath;
    std::vector<std::string> flags;
    bool has(const char* f) const {
      return std::find(flags.begin(), flags.end(), f) != flags.end();
    }
  };

  BleOptions options;
  Clock& clock;
  MessageSink sink;
  LastSequence lastSequence;
  StatusListener statusListener;  // set before start, read on the gateway thread

  GMainContext* context = nullptr;
  GMainLoop* loop = nullptr;
  GCancellable* cancellable = nullptr;
  std::thread thread;
  bool running = false;  // guarded by statusMutex

  GDBusConnection* conn = nullptr;
  GDBusNodeInfo* agentInfo = nullptr;
  guint agentRegistration = 0;
  guint nameWatch = 0;
  std::vector<guint> subscriptions;
  int outstanding = 0;  // async calls whose callback has not run yet
  std::string bluezOwner;

  std::string adapterPath;
  bool adapterPowered = false;
  bool discovering = false;
  std::map<std::string, bool> adapters;  // path → powered
  std::map<std::string, DeviceObj> deviceObjs;
  std::map<std::string, std::string> adapterOfAddress;  // address → adapter path last seen on
  std::map<std::string, CharObj> chars;
  std::map<std::string, std::optional<std::uint32_t>> pairRequests;  // address → passkey
  std::uint64_t lastMessageSeq = 0;
  bool loggedNoBus = false;
  bool loggedNoBluez = false;
  bool loggedNoAdapter = false;

  mutable std::mutex statusMutex;
  std::map<std::string, BleDeviceStatus> statuses;  // by address
  std::atomic<bool> busUp{false};
  std::atomic<bool> bluezUp{false};
  std::atomic<bool> adapterUp{false};
  std::atomic<std::uint64_t> racpDone{0};

  Impl(BleOptions o, Clock& c, MessageSink s, LastSequence l)
      : options(std::move(o)), clock(c), sink(std::move(s)), lastSequence(std::move(l)) {}

  // ------------------------------------------------------------------ async call plumbing
  using Reply = std::function<void(GVariant* reply, GError* error)>;
  struct CallData {
    Impl* self;
    Reply reply;
  };

  static void onCallDone(GObject* source, GAsyncResult* res, gpointer data) {
    auto* cd = static_cast<CallData*>(data);
    GError* error = nullptr;
    GVariant* reply =
        g_dbus_connection_call_finish(reinterpret_cast<GDBusConnection*>(source), res, &error);
    --cd->self->outstanding;
    bool cancelled = error && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    if (!cancelled && cd->reply) cd->reply(reply, error);
    if (reply) g_variant_unref(reply);
    if (error) g_error_free(error);
    delete cd;
  }

  void call(const std::string& path, const char* iface, const char* method, GVariant* params,
            const char* replyType, Reply reply, int timeoutMs = -1) {
    if (!conn) {
      if (params) g_variant_unref(g_variant_ref_sink(params));
      return;
    }
    ++outstanding;
    g_dbus_connection_call(
        conn, kBluez, path.c_str(), iface, method, params, replyType ? vtype(replyType) : nullptr,
        G_DBUS_CALL_FLAGS_NONE,
        timeoutMs > 0 ? timeoutMs : static_cast<int>(options.callTimeout.count()), cancellable,
        &Impl::onCallDone, new CallData{this, std::move(reply)});
  }

  void setProperty(const std::string& path, const char* iface, const char* name, GVariant* value,
                   Reply reply = {}) {
    call(path, kPropsIface, "Set", g_variant_new("(ssv)", iface, name, value), nullptr,
         std::move(reply));
  }

  // ------------------------------------------------------------------ status
  /// `flags`, when given, also sets paired, trusted and services in the same step, so that
  /// nobody sees a newly found device without its services.
  void setStatus(const std::string& address, DeviceState state, const std::string& reason,
                 const DeviceObj* flags = nullptr) {
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

  void updateStatusFlags(const DeviceObj& d) {
    std::lock_guard lock(statusMutex);
    auto it = statuses.find(d.address);
    if (it == statuses.end()) return;
    applyFlags(it->second, d);
  }

  static void applyFlags(BleDeviceStatus& status, const DeviceObj& d) {
    status.paired = d.paired;
    status.trusted = d.trusted;
    status.services.clear();
    for (const auto& u : d.uuids)
      if (auto s = uuid16(u); s && std::find(kHealthServices.begin(), kHealthServices.end(), *s) !=
                                       kHealthServices.end())
        status.services.push_back(*s);
  }

  std::optional<DeviceState> currentState(const std::string& address) const {
    std::lock_guard lock(statusMutex);
    auto it = statuses.find(address);
    if (it == statuses.end()) return std::nullopt;
    return it->second.state;
  }

  /// Every known device whose objects went away (adapter removed, BlueZ gone).
  void markAllUnavailable(const std::string& reason) {
    std::vector<std::string> addresses;
    {
      std::lock_guard lock(statusMutex);
      for (const auto& [a, s] : statuses) addresses.push_back(a);
    }
    for (const auto& a : addresses) setStatus(a, DeviceState::unavailable, reason);
  }

  // ------------------------------------------------------------------ bus
  void connectBus() {
    GError* error = nullptr;
    std::string address = options.busAddress;
    if (address.empty()) {
      gchar* a = g_dbus_address_get_for_bus_sync(G_BUS_TYPE_SYSTEM, nullptr, &error);
      if (a) {
        address = a;
        g_free(a);
      }
      if (error) g_clear_error(&error);
    }
    if (!address.empty()) {
      conn = g_dbus_connection_new_for_address_sync(
          address.c_str(),
          static_cast<GDBusConnectionFlags>(G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                            G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION),
          nullptr, cancellable, &error);
    }
    if (!conn) {
      if (!loggedNoBus) {
        log::warn("ble.no_system_bus",
                  {{"reason", error ? error->message : "no bus address"},
                   {"retry_ms", static_cast<std::int64_t>(options.retryInterval.count())}});
        loggedNoBus = true;
      }
      if (error) g_error_free(error);
      return;
    }
    loggedNoBus = false;
    busUp = true;
    log::info("ble.bus_connected");
    g_dbus_connection_set_exit_on_close(conn, FALSE);
    g_signal_connect(conn, "closed", reinterpret_cast<GCallback>(&Impl::onClosed), this);

    static const GDBusInterfaceVTable vtable = {&Impl::onAgentCall, nullptr, nullptr, {}};
    agentRegistration = g_dbus_connection_register_object(
        conn, kAgentPath, agentInfo->interfaces[0], &vtable, this, nullptr, &error);
    if (!agentRegistration) {
      log::error("ble.agent_export_failed", {{"reason", error ? error->message : ""}});
      g_clear_error(&error);
    }
    subscriptions.push_back(g_dbus_connection_signal_subscribe(
        conn, kBluez, kObjectManagerIface, "InterfacesAdded", nullptr, nullptr,
        G_DBUS_SIGNAL_FLAGS_NONE, &Impl::onSignal, this, nullptr));
    subscriptions.push_back(g_dbus_connection_signal_subscribe(
        conn, kBluez, kObjectManagerIface, "InterfacesRemoved", nullptr, nullptr,
        G_DBUS_SIGNAL_FLAGS_NONE, &Impl::onSignal, this, nullptr));
    subscriptions.push_back(g_dbus_connection_signal_subscribe(
        conn, kBluez, kPropsIface, "PropertiesChanged", nullptr, nullptr, G_DBUS_SIGNAL_FLAGS_NONE,
        &Impl::onSignal, this, nullptr));
    nameWatch = g_bus_watch_name_on_connection(conn, kBluez, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                               &Impl::onBluezAppeared, &Impl::onBluezVanished, this,
                                               nullptr);
  }

  void dropBus() {
    if (!conn) return;
    if (nameWatch) g_bus_unwatch_name(nameWatch);
    nameWatch = 0;
    for (auto id : subscriptions) g_dbus_connection_signal_unsubscribe(conn, id);
    subscriptions.clear();
    if (agentRegistration) g_dbus_connection_unregister_object(conn, agentRegistration);
    agentRegistration = 0;
    g_signal_handlers_disconnect_by_data(conn, this);
    g_object_unref(conn);
    conn = nullptr;
    busUp = false;
    forgetBluez("bus_lost");
  }

  static void onClosed(GDBusConnection*, gboolean, GError*, gpointer data) {
    auto* self = static_cast<Impl*>(data);
    log::warn("ble.bus_lost");
    self->dropBus();
  }

  // ------------------------------------------------------------------ BlueZ presence
  static void onBluezAppeared(GDBusConnection*, const gchar*, const gchar* owner, gpointer data) {
    auto* self = static_cast<Impl*>(data);
    self->bluezOwner = owner;
    self->bluezUp = true;
    self->loggedNoBluez = false;
    log::info("ble.bluez_available");
    self->call("/org/bluez", "org.bluez.AgentManager1", "RegisterAgent",
               g_variant_new("(os)", kAgentPath, "KeyboardOnly"), nullptr,
               [self](GVariant*, GError* e) {
                 if (e) {
                   log::warn("ble.agent_register_failed", {{"reason", shortError(e)}});
                   return;
                 }
                 self->call("/org/bluez", "org.bluez.AgentManager1", "RequestDefaultAgent",
                            g_variant_new("(o)", kAgentPath), nullptr, {});
               });
    self->call("/", kObjectManagerIface, "GetManagedObjects", nullptr, "(a{oa{sa{sv}}})",
               [self](GVariant* reply, GError* e) {
                 if (e) {
                   log::warn("ble.get_objects_failed", {{"reason", shortError(e)}});
                   return;
                 }
                 VariantRef objects(g_variant_get_child_value(reply, 0));
                 GVariantIter it;
                 g_variant_iter_init(&it, objects.v);
                 const gchar* path = nullptr;
                 GVariant* ifaces = nullptr;
                 // Adapters and devices first, so characteristics find their device.
                 std::vector<std::pair<std::string, GVariant*>> all;
                 while (g_variant_iter_next(&it, "{&o@a{sa{sv}}}", &path, &ifaces))
                   all.emplace_back(path, ifaces);
                 std::sort(all.begin(), all.end(),
                           [](const auto& a, const auto& b) { return a.first < b.first; });
                 for (auto& [p, i] : all) {
                   self->addInterfaces(p, i);
                   g_variant_unref(i);
                 }
                 if (self->adapterPath.empty() && !self->loggedNoAdapter) {
                   log::warn("ble.no_adapter", {{"adapter", self->options.adapter}});
                   self->loggedNoAdapter = true;
                 }
               });
  }

  static void onBluezVanished(GDBusConnection* c, const gchar*, gpointer data) {
    auto* self = static_cast<Impl*>(data);
    if (!c) return;
    if (self->bluezUp.exchange(false) || !self->loggedNoBluez) {
      log::warn("ble.bluez_unavailable");
      self->loggedNoBluez = true;
    }
    self->forgetBluez("bluez_unavailable");
  }

  void forgetBluez(const std::string& reason) {
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
  std::string adapterOf(const std::string& path) const {
    for (const auto& [a, p] : adapters)
      if (startsWith(path, a)) return a;
    return {};
  }

  std::string deviceOf(const std::string& path) const {
    for (const auto& [d, obj] : deviceObjs)
      if (startsWith(path, d)) return d;
    return {};
  }

  bool wantedAdapter(const std::string& path) const {
    if (options.adapter.empty()) return true;
    return path == "/org/bluez/" + options.adapter;
  }

  void addInterfaces(const std::string& path, GVariant* ifaces) {
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

  void removeInterfaces(const std::string& path, GVariant* names) {
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

  void selectAdapter(const std::string& path) {
    adapterPath = path;
    adapterUp = true;
    adapterPowered = adapters[path];
    loggedNoAdapter = false;
    log::info("ble.adapter_ready", {{"adapter", path.substr(path.rfind('/') + 1)}});
    ensureAdapterRunning();
  }

  void ensureAdapterRunning() {
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

  void startDiscovery() {
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

  void updateDevice(const std::string& path, DeviceObj& d, GVariant* props) {
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

  // ------------------------------------------------------------------ pairing / connecting
  void pair(const std::string& address, std::optional<std::uint32_t> passkey) {
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

  void connectDevice(const std::string& path) {
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

  // ------------------------------------------------------------------ GATT
  void setUpDevice(const std::string& path, DeviceObj& d) {
    d.setUp = true;
    d.notifyPending = 0;
    bool hasGlucose = false;
    std::string racpPath;
    for (auto& [cp, c] : chars) {
      if (c.devicePath.empty()) c.devicePath = deviceOf(cp);
      if (c.devicePath != path) continue;
      bool notifies = c.has("notify") || c.has("indicate");
      if (c.uuid == uuid::kCurrentTime && (c.has("write") || c.has("write-without-response"))) {
        writeCurrentTime(cp);
      } else if ((isMeasurementCharacteristic(c.uuid) ||
                  c.uuid == uuid::kRecordAccessControlPoint) &&
                 notifies) {
        if (c.uuid == devices::gatt::kGlucoseMeasurement) hasGlucose = true;
        if (c.uuid == uuid::kRecordAccessControlPoint) racpPath = cp;
        ++d.notifyPending;
        call(cp, kCharIface, "StartNotify", nullptr, nullptr, [this, path](GVariant*, GError* e) {
          if (e && shortError(e) != "InProgress")
            log::warn("ble.subscribe_failed", {{"reason", shortError(e)}});
          auto dd = deviceObjs.find(path);
          if (dd == deviceObjs.end()) return;
          if (--dd->second.notifyPending == 0) subscribed(path, dd->second);
        });
      }
    }
    d.racpPending = hasGlucose && !racpPath.empty();
    if (d.notifyPending == 0) subscribed(path, d);
  }

  void subscribed(const std::string& path, DeviceObj& d) {
    setStatus(d.address, DeviceState::connected, "");
    if (!d.racpPending) return;
    d.racpPending = false;
    for (const auto& [cp, c] : chars)
      if (c.devicePath == path && c.uuid == uuid::kRecordAccessControlPoint) {
        auto uid = deviceUidForAddress(d.address).value_or("");
        std::optional<std::uint32_t> last;
        try {
          if (lastSequence) last = lastSequence(uid);
        } catch (const std::exception&) {
          log::warn("ble.last_sequence_failed");  // device identifiers stay out of logs
        }
        auto request = racpRequestAfter(last);
        log::info("ble.racp_request",
                  {{"device", uid}, {"from", last ? std::int64_t(*last) + 1 : std::int64_t(0)}});
        writeValue(cp, request.data(), request.size(), "request");
      }
  }

  void writeCurrentTime(const std::string& charPath) {
    std::time_t t = std::chrono::system_clock::to_time_t(clock.now());
    std::tm local{};
    localtime_r(&t, &local);
    auto wall = std::chrono::sys_days{std::chrono::year{local.tm_year + 1900} /
                                      std::chrono::month{static_cast<unsigned>(local.tm_mon + 1)} /
                                      std::chrono::day{static_cast<unsigned>(local.tm_mday)}} +
                std::chrono::hours{local.tm_hour} + std::chrono::minutes{local.tm_min} +
                std::chrono::seconds{local.tm_sec};
    auto value = encodeCurrentTime(std::chrono::time_point_cast<std::chrono::milliseconds>(wall));
    writeValue(charPath, value.data(), value.size(), "request");
  }

  void writeValue(const std::string& charPath, const std::uint8_t* data, std::size_t n,
                  const char* type) {
    GVariantBuilder opts;
    g_variant_builder_init(&opts, vtype("a{sv}"));
    g_variant_builder_add(&opts, "{sv}", "type", g_variant_new_string(type));
    call(charPath, kCharIface, "WriteValue",
         g_variant_new("(@aya{sv})", bytesVariant(data, n), &opts), nullptr,
         [](GVariant*, GError* e) {
           if (e) log::warn("ble.write_failed", {{"reason", shortError(e)}});
         });
  }

  void onValue(const std::string& charPath, const std::vector<std::uint8_t>& value) {
    auto c = chars.find(charPath);
    if (c == chars.end()) return;
    if (c->second.devicePath.empty()) c->second.devicePath = deviceOf(charPath);
    auto d = deviceObjs.find(c->second.devicePath);
    if (d == deviceObjs.end()) return;
    auto uid = deviceUidForAddress(d->second.address);
    if (!uid) return;
    if (c->second.uuid == uuid::kRecordAccessControlPoint) {
      auto r = parseRacpResponse(value);
      if (r && r->transferDone()) {
        ++racpDone;
        counter("vigil_ble_racp_transfers_total", "Glucose record transfers, by result", "done")
            .inc();
        log::info("ble.racp_done",
                  {{"device", *uid}, {"records", r->code == racp::kSuccess ? "some" : "none"}});
      } else if (r && r->kind == RacpResponse::Kind::responseCode) {
        counter("vigil_ble_racp_transfers_total", "Glucose record transfers, by result", "failed")
            .inc();
        log::warn("ble.racp_failed", {{"code", int(r->code)}});
      }
      return;
    }
    if (!isMeasurementCharacteristic(c->second.uuid)) return;
    Notification n;
    n.address = d->second.address;
    n.characteristic = c->second.uuid;
    n.value = value;
    n.receivedAt = std::chrono::time_point_cast<std::chrono::milliseconds>(clock.now());
    // Message sequence numbers: unique per device for its lifetime (docs/device-protocol.md),
    // here from the wall clock in ms, strictly increasing within the process.
    auto ms = static_cast<std::uint64_t>(n.receivedAt.time_since_epoch().count());
    lastMessageSeq = std::max(lastMessageSeq + 1, ms);
    counter("vigil_ble_notifications_total", "BLE measurement notifications received", "received")
        .inc();
    if (sink) sink(*uid, gattPayload(n, lastMessageSeq));
  }

  static void onSignal(GDBusConnection*, const gchar* sender, const gchar* path, const gchar* iface,
                       const gchar* signal, GVariant* params, gpointer data) {
    auto* self = static_cast<Impl*>(data);
    if (self->bluezOwner.empty() || !sender || self->bluezOwner != sender) return;
    std::string name = signal;
    if (std::string(iface) == kObjectManagerIface && name == "InterfacesAdded") {
      const gchar* objPath = nullptr;
      GVariant* ifaces = nullptr;
      g_variant_get(params, "(&o@a{sa{sv}})", &objPath, &ifaces);
      self->addInterfaces(objPath, ifaces);
      g_variant_unref(ifaces);
    } else if (std::string(iface) == kObjectManagerIface && name == "InterfacesRemoved") {
      const gchar* objPath = nullptr;
      GVariant* names = nullptr;
      g_variant_get(params, "(&o@as)", &objPath, &names);
      self->removeInterfaces(objPath, names);
      g_variant_unref(names);
    } else if (name == "PropertiesChanged") {
      const gchar* changedIface = nullptr;
      GVariant* changed = nullptr;
      GVariant* invalidated = nullptr;
      g_variant_get(params, "(&s@a{sv}@as)", &changedIface, &changed, &invalidated);
      self->propertiesChanged(path, changedIface, changed);
      g_variant_unref(changed);
      g_variant_unref(invalidated);
    }
  }

  void propertiesChanged(const std::string& path, const std::string& iface, GVariant* changed) {
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

  // ------------------------------------------------------------------ agent
  bool pairingRequested(const std::string& devicePath,
                        std::optional<std::uint32_t>* passkey = nullptr) const {
    auto d = deviceObjs.find(devicePath);
    if (d == deviceObjs.end()) return false;
    auto r = pairRequests.find(d->second.address);
    if (r == pairRequests.end()) return false;
    if (passkey) *passkey = r->second;
    return true;
  }

  static void onAgentCall(GDBusConnection*, const gchar* sender, const gchar*, const gchar*,
                          const gchar* method, GVariant* params, GDBusMethodInvocation* inv,
                          gpointer data) {
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

  // ------------------------------------------------------------------ loop
  static gboolean onRetry(gpointer data) {
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

  void run() {
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
      if (nameWatch) g_bus_unwatch_name(nameWatch);
      nameWatch = 0;
      for (auto id : subscriptions) g_dbus_connection_signal_unsubscribe(conn, id);
      subscriptions.clear();
      if (agentRegistration) g_dbus_connection_unregister_object(conn, agentRegistration);
      agentRegistration = 0;
      g_signal_handlers_disconnect_by_data(conn, this);
      g_dbus_connection_close_sync(conn, nullptr, nullptr);
      g_object_unref(conn);
      conn = nullptr;
    }
    while (g_main_context_iteration(context, FALSE)) {
    }
    g_main_context_pop_thread_default(context);
  }
};

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
  GError* error = nullptr;
  impl->agentInfo = g_dbus_node_info_new_for_xml(kAgentXml, &error);
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
