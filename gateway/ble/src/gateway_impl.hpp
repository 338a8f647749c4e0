#pragma once
// BleGateway's private state and the GDBus helpers its parts share (not installed).
//
// The gateway is one object (BleGateway::Impl) living on one GLib thread; its code is split by
// mechanism, each file defining the Impl members of its part:
// - dbus_calls.cpp:     GVariant helpers, the async call plumbing, the bus connection and the
//                       signal dispatch;
// - bluez_objects.cpp:  BlueZ presence, the object model (adapters, devices, characteristics),
//                       the adapter's power and discovery, device status;
// - pairing_agent.cpp:  the org.bluez.Agent1 export, pairing and connecting;
// - gatt_session.cpp:   subscriptions, Current Time, notifications and the RACP;
// - ble_gateway.cpp:    the main loop, retry, and the public BleGateway methods.

#include <gio/gio.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "vigil/ble/ble_gateway.hpp"
#include "vigil/core/metrics.hpp"

namespace vigil::ble::detail {

inline constexpr const char* kBluez = "org.bluez";
inline constexpr const char* kAdapterIface = "org.bluez.Adapter1";
inline constexpr const char* kDeviceIface = "org.bluez.Device1";
inline constexpr const char* kCharIface = "org.bluez.GattCharacteristic1";
inline constexpr const char* kPropsIface = "org.freedesktop.DBus.Properties";
inline constexpr const char* kObjectManagerIface = "org.freedesktop.DBus.ObjectManager";
inline constexpr const char* kAgentPath = "/org/vigil/ble/agent";
inline constexpr int kPairTimeoutMs = 60'000;

inline const GVariantType* vtype(const char* s) {
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

std::optional<bool> lookupBool(GVariant* dict, const char* key);
std::optional<std::string> lookupString(GVariant* dict, const char* key, const char* type = "s");
std::optional<std::vector<std::string>> lookupStrings(GVariant* dict, const char* key);
std::optional<std::vector<std::uint8_t>> lookupBytes(GVariant* dict, const char* key);
GVariant* bytesVariant(const std::uint8_t* data, std::size_t n);
/// "org.bluez.Error.AuthenticationFailed" → "AuthenticationFailed"; a timeout → "Timeout".
std::string shortError(const GError* error);
/// Whether `s` is an object path below `prefix`.
bool startsWith(const std::string& s, const std::string& prefix);
Counter& counter(const char* name, const char* help, const char* result);
/// The org.bluez.Agent1 introspection data (a constant; the caller unrefs it).
GDBusNodeInfo* agentIntrospection();

}  // namespace vigil::ble::detail

namespace vigil::ble {

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

  // --- async call plumbing, bus and signals (dbus_calls.cpp) ---
  using Reply = std::function<void(GVariant* reply, GError* error)>;
  struct CallData {
    Impl* self;
    Reply reply;
  };
  static void onCallDone(GObject* source, GAsyncResult* res, gpointer data);
  void call(const std::string& path, const char* iface, const char* method, GVariant* params,
            const char* replyType, Reply reply, int timeoutMs = -1);
  void setProperty(const std::string& path, const char* iface, const char* name, GVariant* value,
                   Reply reply = {});
  void connectBus();
  void dropBus();
  /// Unwatches, unsubscribes and unexports everything on `conn` (the connection stays).
  void releaseBusObjects();
  static void onClosed(GDBusConnection*, gboolean, GError*, gpointer data);
  static void onSignal(GDBusConnection*, const gchar* sender, const gchar* path, const gchar* iface,
                       const gchar* signal, GVariant* params, gpointer data);

  // --- status (bluez_objects.cpp) ---
  /// `flags`, when given, also sets paired, trusted and services in the same step, so that
  /// nobody sees a newly found device without its services.
  void setStatus(const std::string& address, DeviceState state, const std::string& reason,
                 const DeviceObj* flags = nullptr);
  void updateStatusFlags(const DeviceObj& d);
  static void applyFlags(BleDeviceStatus& status, const DeviceObj& d);
  std::optional<DeviceState> currentState(const std::string& address) const;
  /// Every known device whose objects went away (adapter removed, BlueZ gone).
  void markAllUnavailable(const std::string& reason);

  // --- BlueZ presence and object model (bluez_objects.cpp) ---
  static void onBluezAppeared(GDBusConnection*, const gchar*, const gchar* owner, gpointer data);
  static void onBluezVanished(GDBusConnection* c, const gchar*, gpointer data);
  void loadManagedObjects(GVariant* reply);
  void forgetBluez(const std::string& reason);
  std::string adapterOf(const std::string& path) const;
  std::string deviceOf(const std::string& path) const;
  bool wantedAdapter(const std::string& path) const;
  void addInterfaces(const std::string& path, GVariant* ifaces);
  void removeInterfaces(const std::string& path, GVariant* names);
  void selectAdapter(const std::string& path);
  void ensureAdapterRunning();
  void startDiscovery();
  void updateDevice(const std::string& path, DeviceObj& d, GVariant* props);
  void propertiesChanged(const std::string& path, const std::string& iface, GVariant* changed);

  // --- pairing agent, pairing and connecting (pairing_agent.cpp) ---
  void registerAgent();
  void exportAgent();
  void pair(const std::string& address, std::optional<std::uint32_t> passkey);
  void connectDevice(const std::string& path);
  bool pairingRequested(const std::string& devicePath,
                        std::optional<std::uint32_t>* passkey = nullptr) const;
  static void onAgentCall(GDBusConnection*, const gchar* sender, const gchar*, const gchar*,
                          const gchar* method, GVariant* params, GDBusMethodInvocation* inv,
                          gpointer data);

  // --- GATT session and RACP (gatt_session.cpp) ---
  void setUpDevice(const std::string& path, DeviceObj& d);
  void subscribed(const std::string& path, DeviceObj& d);
  void writeCurrentTime(const std::string& charPath);
  void writeValue(const std::string& charPath, const std::uint8_t* data, std::size_t n,
                  const char* type);
  void onValue(const std::string& charPath, const std::vector<std::uint8_t>& value);
  void onRacpResponse(const std::string& uid, const std::vector<std::uint8_t>& value);

  // --- loop (ble_gateway.cpp) ---
  static gboolean onRetry(gpointer data);
  void run();
};

}  // namespace vigil::ble
