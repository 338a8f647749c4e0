// The gateway's D-Bus plumbing: GVariant helpers, asynchronous calls to org.bluez (each one
// counted in `outstanding` so shutdown can wait for its callback), the system bus connection
// and the dispatch of BlueZ's signals to the object model.

#include "gateway_impl.hpp"
#include "vigil/core/log.hpp"

namespace vigil::ble {
namespace detail {

std::optional<bool> lookupBool(GVariant* dict, const char* key) {
  VariantRef v(g_variant_lookup_value(dict, key, vtype("b")));
  if (!v.v) return std::nullopt;
  return g_variant_get_boolean(v.v) != 0;
}

std::optional<std::string> lookupString(GVariant* dict, const char* key, const char* type) {
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

}  // namespace detail

using namespace detail;

// ------------------------------------------------------------------ async call plumbing
void BleGateway::Impl::onCallDone(GObject* source, GAsyncResult* res, gpointer data) {
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

void BleGateway::Impl::call(const std::string& path, const char* iface, const char* method,
                            GVariant* params, const char* replyType, Reply reply, int timeoutMs) {
  if (!conn) {
    if (params) g_variant_unref(g_variant_ref_sink(params));
    return;
  }
  ++outstanding;
  g_dbus_connection_call(conn, kBluez, path.c_str(), iface, method, params,
                         replyType ? vtype(replyType) : nullptr, G_DBUS_CALL_FLAGS_NONE,
                         timeoutMs > 0 ? timeoutMs : static_cast<int>(options.callTimeout.count()),
                         cancellable, &Impl::onCallDone, new CallData{this, std::move(reply)});
}

void BleGateway::Impl::setProperty(const std::string& path, const char* iface, const char* name,
                                   GVariant* value, Reply reply) {
  call(path, kPropsIface, "Set", g_variant_new("(ssv)", iface, name, value), nullptr,
       std::move(reply));
}

// ------------------------------------------------------------------ bus
void BleGateway::Impl::connectBus() {
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

  exportAgent();
  subscriptions.push_back(g_dbus_connection_signal_subscribe(
      conn, kBluez, kObjectManagerIface, "InterfacesAdded", nullptr, nullptr,
      G_DBUS_SIGNAL_FLAGS_NONE, &Impl::onSignal, this, nullptr));
  subscriptions.push_back(g_dbus_connection_signal_subscribe(
      conn, kBluez, kObjectManagerIface, "InterfacesRemoved", nullptr, nullptr,
      G_DBUS_SIGNAL_FLAGS_NONE, &Impl::onSignal, this, nullptr));
  subscriptions.push_back(g_dbus_connection_signal_subscribe(
      conn, kBluez, kPropsIface, "PropertiesChanged", nullptr, nullptr, G_DBUS_SIGNAL_FLAGS_NONE,
      &Impl::onSignal, this, nullptr));
  nameWatch =
      g_bus_watch_name_on_connection(conn, kBluez, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                     &Impl::onBluezAppeared, &Impl::onBluezVanished, this, nullptr);
}

void BleGateway::Impl::releaseBusObjects() {
  if (nameWatch) g_bus_unwatch_name(nameWatch);
  nameWatch = 0;
  for (auto id : subscriptions) g_dbus_connection_signal_unsubscribe(conn, id);
  subscriptions.clear();
  if (agentRegistration) g_dbus_connection_unregister_object(conn, agentRegistration);
  agentRegistration = 0;
  g_signal_handlers_disconnect_by_data(conn, this);
}

void BleGateway::Impl::dropBus() {
  if (!conn) return;
  releaseBusObjects();
  g_object_unref(conn);
  conn = nullptr;
  busUp = false;
  forgetBluez("bus_lost");
}

void BleGateway::Impl::onClosed(GDBusConnection*, gboolean, GError*, gpointer data) {
  auto* self = static_cast<Impl*>(data);
  log::warn("ble.bus_lost");
  self->dropBus();
}

// ------------------------------------------------------------------ signals
void BleGateway::Impl::onSignal(GDBusConnection*, const gchar* sender, const gchar* path,
                                const gchar* iface, const gchar* signal, GVariant* params,
                                gpointer data) {
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

}  // namespace vigil::ble
