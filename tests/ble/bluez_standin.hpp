#pragma once
// Test fixtures for tests/ble: a private dbus-daemon per test and the scripted BlueZ stand-in
// (bluez_standin.py, run with Debian's /usr/bin/python3 for python3-dbus and python3-gi),
// driven through its org.vigil.test.Control interface.

#include <gio/gio.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "vigil/testsupport/process.hpp"

namespace vigil::bletest {

using namespace std::chrono_literals;
using testsupport::Process;
using testsupport::TempDir;
using Bytes = std::vector<std::uint8_t>;

inline const std::filesystem::path kStandIn =
    std::filesystem::path(VIGIL_SOURCE_DIR) / "tests" / "ble" / "bluez_standin.py";

/// Polls `f` until it holds or `timeout` passes. The timeout is an upper bound for a loaded
/// 2-core run, not an expectation: nothing here waits for a condition to stay false.
template <class F>
bool eventually(F&& f, std::chrono::milliseconds timeout = 20s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (f()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return f();
}

inline const GVariantType* vtype(const char* s) {
  return reinterpret_cast<const GVariantType*>(s);
}

inline GVariant* bytes(const Bytes& b) {
  return g_variant_new_fixed_array(vtype("y"), b.data(), b.size(), 1);
}

/// A private dbus-daemon with an allow-all policy on a unix socket in a temp dir.
class PrivateBus {
 public:
  PrivateBus() {
    auto conf = dir_.path() / "bus.conf";
    std::ofstream(conf) << "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus "
                           "Configuration 1.0//EN\" "
                           "\"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                           "<busconfig><type>system</type><listen>unix:path="
                        << socket().string()
                        << "</listen><auth>EXTERNAL</auth><policy context=\"default\">"
                           "<allow send_destination=\"*\" eavesdrop=\"true\"/>"
                           "<allow eavesdrop=\"true\"/><allow own=\"*\"/><allow user=\"*\"/>"
                           "</policy></busconfig>\n";
    address_ = "unix:path=" + socket().string();
    startDaemon();
  }
  ~PrivateBus() { disconnect(); }

  /// The bus daemon goes away (every client is disconnected) and comes back at the same address.
  void restartDaemon() {
    disconnect();
    daemon_->stop(2s);
    daemon_.reset();
    std::filesystem::remove(socket());
    startDaemon();
  }

  const std::string& address() const { return address_; }
  const std::filesystem::path& dir() const { return dir_.path(); }

  bool nameHasOwner(const char* name) {
    GVariant* r = g_dbus_connection_call_sync(
        conn_, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
        "NameHasOwner", g_variant_new("(s)", name), vtype("(b)"), G_DBUS_CALL_FLAGS_NONE, 2000,
        nullptr, nullptr);
    if (!r) return false;
    gboolean owned = FALSE;
    g_variant_get(r, "(b)", &owned);
    g_variant_unref(r);
    return owned != FALSE;
  }

  /// Calls the stand-in's control interface; returns the reply (caller unrefs) or fails.
  GVariant* control(const char* method, GVariant* params, const char* replyType = nullptr) {
    GError* error = nullptr;
    GVariant* r = g_dbus_connection_call_sync(
        conn_, "org.bluez", "/org/vigil/test", "org.vigil.test.Control", method, params,
        replyType ? vtype(replyType) : nullptr, G_DBUS_CALL_FLAGS_NONE, 5000, nullptr, &error);
    BOOST_TEST_REQUIRE(r != nullptr, method << ": " << (error ? error->message : ""));
    return r;
  }
  void controlVoid(const char* method, GVariant* params) {
    g_variant_unref(control(method, params));
  }

 private:
  std::filesystem::path socket() const { return dir_.path() / "bus"; }
  void startDaemon() {
    Process::Options o;
    o.args = {"--config-file=" + (dir_.path() / "bus.conf").string(), "--nofork", "--nopidfile"};
    o.stderrFile = dir_.path() / ("dbus-" + std::to_string(++starts_) + ".err");
    daemon_.emplace("/usr/bin/dbus-daemon", o);
    // The socket file appears at bind(), a moment before the daemon listens: connect until it
    // answers ("Connection refused" in between).
    std::string lastError;
    BOOST_TEST_REQUIRE(
        eventually(
            [&] {
              if (!std::filesystem::exists(socket())) return false;
              GError* error = nullptr;
              conn_ = g_dbus_connection_new_for_address_sync(
                  address_.c_str(),
                  static_cast<GDBusConnectionFlags>(G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                    G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION),
                  nullptr, nullptr, &error);
              if (error) {
                lastError = error->message;
                g_error_free(error);
              }
              return conn_ != nullptr;
            },
            5s),
        lastError);
  }
  void disconnect() {
    if (!conn_) return;
    g_dbus_connection_close_sync(conn_, nullptr, nullptr);
    g_object_unref(conn_);
    conn_ = nullptr;
  }

  int starts_ = 0;
  TempDir dir_{"vigil-ble-bus"};
  std::optional<Process> daemon_;
  std::string address_;
  GDBusConnection* conn_ = nullptr;
};

/// A private bus with the BlueZ stand-in on it (started on demand, restartable).
class BlueZStandIn {
 public:
  PrivateBus bus;

  void startStandIn(bool adapter = true) {
    Process::Options o;
    o.args = {kStandIn.string(), "--bus", bus.address(), "--verbose"};
    if (!adapter) o.args.push_back("--no-adapter");
    o.stderrFile = bus.dir() / ("standin-" + std::to_string(runs_++) + ".err");
    process_.emplace("/usr/bin/python3", o);
    // An upper bound only: a loaded 2-core run (Chromium beside it, the store's fsyncs taking
    // seconds) once needed more than 10 s to start Python and claim the name (issue 31).
    BOOST_TEST_REQUIRE(eventually([&] { return bus.nameHasOwner("org.bluez"); }, 30s),
                       "the BlueZ stand-in did not claim org.bluez within 30 s; its stderr: "
                           << testsupport::readText(o.stderrFile));
  }
  void killStandIn() {
    process_->stop(2s);
    process_.reset();
    BOOST_TEST_REQUIRE(eventually([&] { return !bus.nameHasOwner("org.bluez"); }));
  }

  void addDevice(const std::string& address, const char* kind, const std::string& pairing,
                 bool paired) {
    bus.controlVoid("AddDevice",
                    g_variant_new("(sssb)", address.c_str(), kind, pairing.c_str(), paired));
  }

  bool notify(const std::string& address, std::uint16_t uuid, const Bytes& value) {
    GVariant* r =
        bus.control("Notify", g_variant_new("(sq@ay)", address.c_str(), uuid, bytes(value)), "(b)");
    gboolean delivered = FALSE;
    g_variant_get(r, "(b)", &delivered);
    g_variant_unref(r);
    return delivered != FALSE;
  }

  std::vector<Bytes> writes(const std::string& address, std::uint16_t uuid) {
    GVariant* r = bus.control("Writes", g_variant_new("(sq)", address.c_str(), uuid), "(aay)");
    std::vector<Bytes> out;
    GVariant* arr = g_variant_get_child_value(r, 0);
    for (gsize i = 0; i < g_variant_n_children(arr); ++i) {
      GVariant* item = g_variant_get_child_value(arr, i);
      gsize n = 0;
      auto* p = static_cast<const std::uint8_t*>(g_variant_get_fixed_array(item, &n, 1));
      out.emplace_back(p, p + n);
      g_variant_unref(item);
    }
    g_variant_unref(arr);
    g_variant_unref(r);
    return out;
  }

  bool standInBool(const char* method, const std::string& address, const char* key) {
    GVariant* r = address.empty()
                      ? bus.control(method, nullptr, "(a{sv})")
                      : bus.control(method, g_variant_new("(s)", address.c_str()), "(a{sv})");
    GVariant* dict = g_variant_get_child_value(r, 0);
    gboolean v = FALSE;
    g_variant_lookup(dict, key, "b", &v);
    g_variant_unref(dict);
    g_variant_unref(r);
    return v != FALSE;
  }

 private:
  std::optional<Process> process_;
  int runs_ = 0;
};

}  // namespace vigil::bletest
