// vigil-devtool simulate: a fleet of simulated devices sending realistic vitals to a box, each
// with its own provisioned credentials, keeping every message until the box acknowledges it.
// Progress on stderr, the report on stdout (text, or JSON with --json). See docs/simulator.md.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/progress.hpp"
#include "vigil/fleet/simulation.hpp"

namespace vigil::devtool {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUsage =
    "usage: vigil-devtool simulate --bundles DIR [options]\n"
    "       vigil-devtool simulate --fleet FILE [options]\n"
    "       vigil-devtool simulate --uid UID --ca FILE --cert FILE --key FILE [--host H] [--port "
    "P]\n"
    "\n"
    "Devices and connection:\n"
    "  --bundles DIR       a directory of device bundles (as `provision fleet` writes them); each\n"
    "                      bundle's device.json names the broker; one simulated device per bundle\n"
    "  --fleet FILE        one device a line: <uid> <persona> <device kind> <bundle dir>\n"
    "                      [<utc offset minutes>] (as `vigild demo seed` writes "
    "bundles/fleet.txt)\n"
    "  --devices N         use only the first N bundles (sorted by name)\n"
    "  --uid/--ca/--cert/--key  one device from loose credential files instead of bundles\n"
    "  --host H, --port P  connect here instead of the broker the bundles name\n"
    "  --kinds LIST        device kinds, assigned in turn (default: "
    "blood_pressure,pulse_oximeter,\n"
    "                      weight_scale,thermometer,glucometer,heart_rate)\n"
    "  --personas LIST     patient personas, assigned in turn (default: normal,hypertensive,\n"
    "                      heart_failure,copd,diabetic)\n"
    "Load:\n"
    "  --rate R            messages per second per device (default 0.2; 0 = as fast as acks "
    "allow)\n"
    "  --total-rate R      messages per second for the whole fleet (overrides --rate)\n"
    "  --duration S        send for S seconds (default 60 unless --count is given)\n"
    "  --count N           send N messages in all, then stop\n"
    "  --mode json|gatt    normalised readings, or raw GATT notifications relayed by a hub\n"
    "Behaviour:\n"
    "  --offline-prob P    after each message a device goes offline with probability P, keeps\n"
    "                      measuring, and sends its backlog at once when back (catch-up burst)\n"
    "  --offline-min S, --offline-max S   length of an offline period (default 5..30 s)\n"
    "  --skew S            each device clock is off by up to +-S seconds (default 0)\n"
    "  --utc-offset M      the patients' local time is UTC+M minutes: places the personas' day\n"
    "                      rhythm (default 0; a fleet file's fifth column overrides it)\n"
    "  --seed N            makes personas, phases and offline periods repeatable (default 1)\n"
    "  --resend-after S    resend a message not acknowledged after S seconds (default 5)\n"
    "  --drain-timeout S   after sending, wait up to S seconds for the last acks (default 30)\n"
    "  --seq-start N       first message sequence number (default: Unix milliseconds)\n"
    "Output:\n"
    "  --json              the final report as one JSON object on stdout\n"
    "  --quiet             no progress on stderr\n"
    "  --verbose           log connections and errors on stderr\n"
    "Exit code: 0 when every message was acknowledged (stored or rejected), 1 otherwise, 2 on\n"
    "invalid options.\n";

std::atomic<bool> g_stop{false};

extern "C" void onSignal(int) {
  g_stop.store(true);
}

struct Args {
  std::map<std::string, std::string> values;
  std::vector<std::string> flags;
  bool has(const std::string& k) const { return values.count(k) != 0; }
  bool flag(const std::string& k) const {
    return std::find(flags.begin(), flags.end(), k) != flags.end();
  }
  std::string get(const std::string& k, const std::string& d = {}) const {
    auto it = values.find(k);
    return it == values.end() ? d : it->second;
  }
};

double number(const Args& a, const std::string& k, double d, double min, double max) {
  if (!a.has(k)) return d;
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(a.get(k), &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != a.get(k).size() || v < min || v > max)
    throw ValidationError("--" + k + ": expected a number in [" + std::to_string(min) + ", " +
                          std::to_string(max) + "]");
  return v;
}

std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::chrono::milliseconds seconds(double s) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000));
}

/// Reads the command line into `a`; an exit code when it is wrong.
std::optional<int> parseArgs(std::span<const std::string> argv, Args& a) {
  static const std::vector<std::string> kValued = {
      "bundles",  "fleet",        "devices",       "uid",         "ca",
      "cert",     "key",          "host",          "port",        "kinds",
      "personas", "rate",         "total-rate",    "duration",    "count",
      "mode",     "offline-prob", "offline-min",   "offline-max", "skew",
      "seed",     "resend-after", "drain-timeout", "seq-start",   "utc-offset"};
  static const std::vector<std::string> kFlags = {"json", "quiet", "verbose", "help"};
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& s = argv[i];
    if (s.rfind("--", 0) != 0) {
      std::fprintf(stderr, "vigil-devtool simulate: unexpected argument '%s'\n%s", s.c_str(),
                   kUsage);
      return kExitInvalid;
    }
    std::string k = s.substr(2);
    if (std::find(kFlags.begin(), kFlags.end(), k) != kFlags.end()) {
      a.flags.push_back(k);
    } else if (std::find(kValued.begin(), kValued.end(), k) != kValued.end() &&
               i + 1 < argv.size()) {
      a.values[k] = argv[++i];
    } else {
      std::fprintf(stderr, "vigil-devtool simulate: unknown option or missing value '%s'\n%s",
                   s.c_str(), kUsage);
      return kExitInvalid;
    }
  }
  return std::nullopt;
}

/// The devices to simulate (from --fleet, --bundles or one --uid), each with its kind and
/// persona. Throws ValidationError or ConfigError naming the option.
std::vector<fleet::SimulatedDevice> devicesFrom(const Args& a) {
  std::vector<fleet::SimulatedDevice> devices;
  bool assigned = false;
  if (a.has("fleet")) {
    devices = fleet::fleetFromFile(a.get("fleet"));
    assigned = true;
  } else if (a.has("bundles")) {
    std::vector<fs::path> dirs;
    for (const auto& e : fs::directory_iterator(a.get("bundles")))
      if (e.is_directory() && fs::exists(e.path() / "device.json")) dirs.push_back(e.path());
    std::sort(dirs.begin(), dirs.end());
    if (dirs.empty()) throw ValidationError("--bundles: no device bundles in " + a.get("bundles"));
    auto n =
        static_cast<std::size_t>(number(a, "devices", static_cast<double>(dirs.size()), 1, 1e6));
    if (n > dirs.size())
      throw ValidationError("--devices: only " + std::to_string(dirs.size()) + " bundles in " +
                            a.get("bundles"));
    dirs.resize(n);
    for (const auto& d : dirs) devices.push_back(fleet::deviceFromBundle(d));
  } else if (a.has("uid") && a.has("ca") && a.has("cert") && a.has("key")) {
    fleet::SimulatedDevice d;
    d.uid = a.get("uid");
    d.mqtt.caFile = a.get("ca");
    d.mqtt.certFile = a.get("cert");
    d.mqtt.keyFile = a.get("key");
    d.mqtt.clientId = d.uid;
    d.mqtt.cleanStart = false;
    devices.push_back(d);
  } else {
    throw ValidationError("give --bundles DIR, or --uid, --ca, --cert and --key");
  }
  for (auto& d : devices) {
    if (a.has("host")) d.mqtt.host = a.get("host");
    if (a.has("port")) d.mqtt.port = static_cast<int>(number(a, "port", 0, 1, 65535));
  }
  std::vector<fleet::VitalDevice> kinds;
  for (const auto& k : splitList(a.get("kinds"))) {
    auto v = fleet::vitalDeviceFromName(k);
    if (!v) throw ValidationError("--kinds: unknown device kind '" + k + "'");
    kinds.push_back(*v);
  }
  if (kinds.empty())
    kinds.assign(std::begin(fleet::kAllVitalDevices), std::end(fleet::kAllVitalDevices));
  std::vector<fleet::PersonaKind> personas;
  for (const auto& p : splitList(a.get("personas"))) {
    auto v = fleet::personaFromName(p);
    if (!v) throw ValidationError("--personas: unknown persona '" + p + "'");
    personas.push_back(*v);
  }
  if (personas.empty())
    personas.assign(std::begin(fleet::kAllPersonas), std::end(fleet::kAllPersonas));
  for (std::size_t i = 0; i < devices.size() && !assigned; ++i) {
    devices[i].device = kinds[i % kinds.size()];
    // Personas change every `kinds` devices, so each patient gets a whole set of devices.
    devices[i].persona = personas[(i / kinds.size()) % personas.size()];
  }

  return devices;
}

/// The simulation's timing, faults and wire format. Throws ValidationError naming the option.
fleet::SimulationOptions optionsFrom(const Args& a, std::size_t devices) {
  fleet::SimulationOptions o;
  o.ratePerDevice = number(a, "rate", 0.2, 0, 1e6);
  if (a.has("total-rate"))
    o.ratePerDevice = number(a, "total-rate", 0, 0, 1e7) / static_cast<double>(devices);
  o.count = static_cast<std::uint64_t>(number(a, "count", 0, 0, 1e12));
  o.duration = seconds(number(a, "duration", o.count ? 0 : 60, 0, 1e7));
  if (o.ratePerDevice == 0 && o.count == 0 && o.duration.count() == 0)
    throw ValidationError("--rate 0 needs --count or --duration");
  auto mode = a.get("mode", "json");
  if (mode != "json" && mode != "gatt") throw ValidationError("--mode: json or gatt");
  o.mode = mode == "gatt" ? fleet::WireMode::gatt : fleet::WireMode::json;
  o.offlineProbability = number(a, "offline-prob", 0, 0, 1);
  o.offlineMin = seconds(number(a, "offline-min", 5, 0, 86400));
  o.offlineMax = seconds(number(a, "offline-max", 30, 0, 86400));
  o.maxSkew = std::chrono::seconds(static_cast<std::int64_t>(number(a, "skew", 0, 0, 1e8)));
  o.seed = static_cast<std::uint64_t>(number(a, "seed", 1, 0, 9e15));
  o.utcOffsetMinutes = static_cast<int>(number(a, "utc-offset", 0, -14 * 60, 14 * 60));
  o.seqStart = static_cast<std::uint64_t>(number(a, "seq-start", 0, 0, 9e15));
  o.resendAfter = seconds(number(a, "resend-after", 5, 0.1, 3600));
  o.drainTimeout = seconds(number(a, "drain-timeout", 30, 0, 86400));
  return o;
}

/// Takes the open-file limit the hard limit allows; warns when even that is too low.
void raiseFileLimit(std::size_t devices) {
  // Each device holds about three descriptors (its socket and libmosquitto's wake-up pair): a
  // thousand devices need more than the usual soft limit of 1,024, so take what the hard limit
  // allows and say so when even that is too little.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY &&
      files.rlim_cur < 3 * devices + 64)
    std::fprintf(stderr,
                 "vigil-devtool simulate: warning: the open-file limit (%llu) is too low for %zu "
                 "devices; raise it (ulimit -n) or some will not connect\n",
                 static_cast<unsigned long long>(files.rlim_cur), devices);
}

}  // namespace

int runSimulate(std::span<const std::string> argv) {
  Args a;
  if (auto rc = parseArgs(argv, a)) return *rc;
  if (a.flag("help")) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }

  std::vector<fleet::SimulatedDevice> devices;
  fleet::SimulationOptions o;
  try {
    devices = devicesFrom(a);
    o = optionsFrom(a, devices.size());
  } catch (const ValidationError& e) {
    std::fprintf(stderr, "vigil-devtool simulate: %s\n", e.what());
    return kExitInvalid;
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "vigil-devtool simulate: %s\n", e.what());
    return kExitInvalid;
  } catch (const fs::filesystem_error& e) {
    std::fprintf(stderr, "vigil-devtool simulate: %s\n", e.what());
    return kExitInvalid;
  }

  log::setLevel(a.flag("verbose") ? log::Level::info : log::Level::error);
  raiseFileLimit(devices.size());
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
  fleet::Simulation sim(std::move(devices), o);
  std::optional<ProgressBar> bar;
  fleet::SimulationReport report = sim.run(
      [&](const fleet::SimulationProgress& p) {
        if (a.flag("quiet")) return;
        if (!bar) bar.emplace("acknowledged", std::max<std::uint64_t>(p.target, 1));
        bar->setTotal(std::max<std::uint64_t>(p.target, 1));
        bar->update(p.acknowledged);
      },
      &g_stop);
  if (bar) bar->finish();
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  std::fputs((a.flag("json") ? report.json() + "\n" : report.text()).c_str(), stdout);
  return report.unacknowledged == 0 && report.connected == report.devices ? kExitOk : kExitFailure;
}

}  // namespace vigil::devtool
