#include "provision_command.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/pki/broker_setup.hpp"
#include "vigil/pki/certificate_authority.hpp"
#include "vigil/pki/device_id.hpp"
#include "vigil/pki/device_provisioner.hpp"

namespace vigil::devtool {

namespace fs = std::filesystem;

namespace {

constexpr const char* kUsage = R"(usage: vigil-devtool provision <command> [options]

  ca init --dir DIR                 create a device CA in DIR (refuses to overwrite one)
  broker [--data DIR] [--bind ADDR] [--cert-port N] [--password-port N] [--public-host H]
         [--dns NAME]... [--ip ADDR]... [--user U] [--log-dest DEST] [--node ID]...
                                    create what the broker needs under DIR and render
                                    mosquitto.conf (idempotent); --node: a certificate
                                    pki/clients/vigild-ID.pem for cluster node ID
                                    (docs/scale-out.md)
  device --id ID --out DIR [--data DIR] [--ca DIR]
                                    issue a client certificate bundle for one device
  password --id ID [--out DIR] [--data DIR] [--ca DIR]
                                    give a device a broker password (printed once)
  revoke --id ID [--data DIR] [--ca DIR]
                                    revoke a device's certificates and password
  fleet --csv FILE --out DIR [--data DIR] [--ca DIR]
                                    provision every device of a CSV (device_id[,certificate|password])
  list [--data DIR] [--ca DIR]      list issued certificates

  --data defaults to ./var (PKI in DIR/pki, broker files in DIR/mosquitto). Changes rewrite the
  broker ACL and send the running broker SIGHUP.
)";

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// --key value options; keys listed in `repeated` may appear more than once.
struct Options {
  std::map<std::string, std::vector<std::string>> values;

  static Options parse(std::span<const std::string> args, const std::set<std::string>& allowed) {
    Options o;
    for (std::size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      if (a.rfind("--", 0) != 0 || !allowed.count(a.substr(2))) {
        throw UsageError("unknown option " + a);
      }
      if (i + 1 >= args.size()) throw UsageError(a + " needs a value");
      o.values[a.substr(2)].push_back(args[++i]);
    }
    return o;
  }
  std::optional<std::string> get(const std::string& key) const {
    auto it = values.find(key);
    if (it == values.end()) return std::nullopt;
    if (it->second.size() > 1) throw UsageError("--" + key + " given twice");
    return it->second.front();
  }
  std::string require(const std::string& key) const {
    auto v = get(key);
    if (!v) throw UsageError("--" + key + " is required");
    return *v;
  }
  std::vector<std::string> all(const std::string& key) const {
    auto it = values.find(key);
    return it == values.end() ? std::vector<std::string>{} : it->second;
  }
  int port(const std::string& key, int fallback) const {
    auto v = get(key);
    if (!v) return fallback;
    try {
      int p = std::stoi(*v);
      if (p > 0 && p < 65536) return p;
    } catch (const std::logic_error&) {
    }
    throw UsageError("--" + key + " must be a port number");
  }
};

/// The CA, broker layout and provisioner named by --data / --ca.
struct Context {
  pki::BrokerLayout layout;
  pki::CertificateAuthority ca;
  pki::DeviceProvisioner provisioner;

  static pki::BrokerLayout layoutOf(const Options& o) {
    return pki::BrokerLayout(o.get("data").value_or("var"));
  }
  explicit Context(const Options& o)
      : layout(layoutOf(o)),
        ca(pki::CertificateAuthority::open(o.get("ca").value_or(layout.pkiDir.string()))),
        provisioner(ca, config(layout)) {}
  static pki::ProvisionerConfig config(const pki::BrokerLayout& layout) {
    pki::ProvisionerConfig c;
    c.endpoint = pki::readEndpoint(layout);
    c.aclFile = layout.aclFile;
    c.passwordFile = layout.passwordFile;
    c.pidFile = layout.pidFile;
    return c;
  }
};

const char* reloadText(pki::ReloadResult r) {
  return r == pki::ReloadResult::reloaded ? "broker reloaded" : "broker not running";
}

struct FleetEntry {
  std::string id;
  bool password = false;
};

std::vector<FleetEntry> readFleet(const fs::path& csv) {
  std::ifstream in(csv);
  if (!in) throw FileMissing("cannot read " + csv.string());
  std::vector<FleetEntry> entries;
  std::set<std::string> seen;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    auto comma = line.find(',');
    std::string id = line.substr(0, comma);
    std::string auth = comma == std::string::npos ? "certificate" : line.substr(comma + 1);
    if (number == 1 && id == "device_id") continue;  // header
    std::string where = csv.string() + ":" + std::to_string(number) + ": ";
    if (!pki::isValidDeviceId(id)) throw ValidationError(where + "invalid device id");
    if (auth != "certificate" && auth != "password") {
      throw ValidationError(where + "auth must be certificate or password");
    }
    if (!seen.insert(id).second) throw ValidationError(where + "duplicate device id");
    entries.push_back({id, auth == "password"});
  }
  return entries;
}

/// One line on stderr, redrawn in place: [=====     ] 120/1000  85.3/s
void drawProgress(std::ostream& err, std::size_t done, std::size_t total, double seconds) {
  constexpr std::size_t kWidth = 30;
  std::size_t filled = total == 0 ? kWidth : done * kWidth / total;
  double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
  err << "\r[" << std::string(filled, '=') << std::string(kWidth - filled, ' ') << "] " << done
      << "/" << total << "  " << std::fixed << std::setprecision(1) << rate << "/s" << std::flush;
}

int fleet(const Options& o, std::ostream& out, std::ostream& err) {
  auto entries = readFleet(o.require("csv"));
  fs::path outDir = o.require("out");
  Context ctx(o);
  auto start = std::chrono::steady_clock::now();
  auto lastDraw = start - std::chrono::seconds(1);
  std::size_t done = 0;
  std::size_t passwords = 0;
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  for (const auto& e : entries) {
    if (e.password) {
      ctx.provisioner.provisionPassword(e.id, outDir / e.id, pki::Apply::deferred);
      ++passwords;
    } else {
      ctx.provisioner.provisionCertificate(e.id, outDir / e.id, pki::Apply::deferred);
    }
    ++done;
    auto now = std::chrono::steady_clock::now();
    if (now - lastDraw >= std::chrono::milliseconds(100) || done == entries.size()) {
      drawProgress(err, done, entries.size(), elapsed());
      lastDraw = now;
    }
  }
  err << "\n";
  auto reload = ctx.provisioner.apply();
  out << "provisioned " << done << " devices (" << done - passwords << " certificate, " << passwords
      << " password) into " << outDir.string() << " in " << std::fixed << std::setprecision(1)
      << elapsed() << "s; " << reloadText(reload) << "\n";
  return 0;
}

int dispatch(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "--help" || args[0] == "help") {
    out << kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string& cmd = args[0];
  auto rest = args.subspan(1);
  if (cmd == "ca") {
    if (rest.empty() || rest[0] != "init") throw UsageError("expected: ca init --dir DIR");
    auto o = Options::parse(rest.subspan(1), {"dir"});
    auto ca = pki::CertificateAuthority::create(o.require("dir"));
    out << "created CA " << ca.caCertPath().string() << "\n";
    return 0;
  }
  if (cmd == "broker") {
    auto o = Options::parse(rest, {"data", "bind", "cert-port", "password-port", "public-host",
                                   "dns", "ip", "user", "log-dest", "node"});
    pki::BrokerLayout layout = Context::layoutOf(o);
    pki::BrokerSettings s;
    s.bindAddress = o.get("bind").value_or(s.bindAddress);
    s.certificatePort = o.port("cert-port", s.certificatePort);
    s.passwordPort = o.port("password-port", s.passwordPort);
    s.publicHost = o.get("public-host").value_or(s.publicHost);
    for (const auto& n : o.all("dns")) s.serverDnsNames.push_back(n);
    for (const auto& ip : o.all("ip")) s.serverIps.push_back(ip);
    s.brokerUser = o.get("user").value_or("");
    s.logDest = o.get("log-dest").value_or(s.logDest);
    for (const auto& n : o.all("node")) s.clusterNodes.push_back(n);
    pki::prepareBroker(layout, s);
    out << layout.configFile.string() << "\n";
    return 0;
  }
  if (cmd == "device") {
    auto o = Options::parse(rest, {"id", "out", "data", "ca"});
    Context ctx(o);
    auto bundle = ctx.provisioner.provisionCertificate(o.require("id"), o.require("out"),
                                                       pki::Apply::deferred);
    out << "device " << bundle.deviceId << ": certificate " << bundle.certificate.serial
        << ", bundle in " << bundle.dir.string() << "; " << reloadText(ctx.provisioner.apply())
        << "\n";
    return 0;
  }
  if (cmd == "password") {
    auto o = Options::parse(rest, {"id", "out", "data", "ca"});
    Context ctx(o);
    std::optional<fs::path> dir;
    if (auto d = o.get("out")) dir = *d;
    auto cred = ctx.provisioner.provisionPassword(o.require("id"), dir, pki::Apply::deferred);
    auto reload = ctx.provisioner.apply();
    out << "device " << cred.deviceId << " password: " << cred.password << "\n";
    err << reloadText(reload) << "; ";
    err << "the password is shown once and stored only as a hash\n";
    return 0;
  }
  if (cmd == "revoke") {
    auto o = Options::parse(rest, {"id", "data", "ca"});
    Context ctx(o);
    auto r = ctx.provisioner.revoke(o.require("id"), pki::Apply::deferred);
    if (!r.any()) {
      err << "vigil-devtool provision: nothing to revoke for that device\n";
      return 1;
    }
    out << "revoked " << r.certificates.size() << " certificate(s)"
        << (r.passwordRemoved ? " and the password" : "") << "; "
        << reloadText(ctx.provisioner.apply()) << "\n";
    return 0;
  }
  if (cmd == "fleet") {
    return fleet(Options::parse(rest, {"csv", "out", "data", "ca"}), out, err);
  }
  if (cmd == "list") {
    auto o = Options::parse(rest, {"data", "ca"});
    Context ctx(o);
    for (const auto& r : ctx.ca.list()) {
      out << r.serial << '\t' << pki::toString(r.kind) << '\t' << r.commonName << '\t'
          << (r.revoked() ? "revoked" : "valid") << '\n';
    }
    return 0;
  }
  throw UsageError("unknown command " + cmd);
}

}  // namespace

int runProvision(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
  try {
    return dispatch(args, out, err);
  } catch (const UsageError& e) {
    err << "vigil-devtool provision: " << e.what() << "\n\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    err << "vigil-devtool provision: " << e.what() << "\n";
    return 1;
  }
}

int runProvision(std::span<const std::string> args) {
  return runProvision(args, std::cout, std::cerr);
}

}  // namespace vigil::devtool
