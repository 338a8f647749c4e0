#include "setup_command.hpp"

#include <Poco/AutoPtr.h>
#include <arpa/inet.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <set>
#include <sstream>

#include "security_subsystem.hpp"
#include "store_subsystem.hpp"
#include "sync_subsystem.hpp"
#include "vigil/app/vigild.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/files.hpp"
#include "vigil/core/process.hpp"
#include "vigil/crypto/bytes.hpp"
#include "vigil/crypto/hash.hpp"
#include "vigil/crypto/random.hpp"
#include "vigil/pki/broker_setup.hpp"
#include "vigil/pki/certificate_authority.hpp"
#include "vigil/security/cli.hpp"

namespace vigil::app {
namespace {

namespace fs = std::filesystem;

const char* kMarker = ".setup-done";

std::string trim(std::string s) {
  auto notSpace = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), notSpace));
  s.erase(std::find_if(s.rbegin(), s.rend(), notSpace).base(), s.end());
  return s;
}

std::vector<std::string> splitList(const std::string& value) {
  std::vector<std::string> out;
  std::string item;
  for (char c : value + ",") {
    if (c == ',' || c == ' ') {
      if (!trim(item).empty()) out.push_back(trim(item));
      item.clear();
    } else {
      item += c;
    }
  }
  return out;
}

bool isHostName(const std::string& s) {
  static const std::regex re(
      "^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)"
      "*$");
  return s.size() <= 253 && std::regex_match(s, re);
}

bool isIp(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool isIpv4Cidr(const std::string& s) {
  auto slash = s.find('/');
  if (slash == std::string::npos) return false;
  unsigned char buf[4];
  if (inet_pton(AF_INET, s.substr(0, slash).c_str(), buf) != 1) return false;
  auto prefix = s.substr(slash + 1);
  if (prefix.empty() || prefix.size() > 2 || !std::all_of(prefix.begin(), prefix.end(), ::isdigit))
    return false;
  return std::stoi(prefix) <= 32;
}

int parsePort(const std::string& key, const std::string& value) {
  if (value.empty() || value.size() > 5 || !std::all_of(value.begin(), value.end(), ::isdigit))
    throw ValidationError(key + ": a port number (1-65535), got '" + value + "'");
  int p = std::stoi(value);
  if (p < 1 || p > 65535) throw ValidationError(key + ": a port number (1-65535)");
  return p;
}

bool parseYesNo(const std::string& key, const std::string& value) {
  if (value == "yes" || value == "on" || value == "true") return true;
  if (value == "no" || value == "off" || value == "false") return false;
  throw ValidationError(key + ": yes or no, got '" + value + "'");
}

[[noreturn]] void ioFailure(const std::string& what, const fs::path& path) {
  throw Error("setup: " + what + " " + path.string() + ": " + std::strerror(errno));
}

/// The account the service runs as: `vigil` when setup runs as root (files are handed to it),
/// else whoever runs setup (a development box, a test).
struct ServiceUser {
  bool handOver = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

ServiceUser serviceUser(const std::string& name) {
  ServiceUser u;
  if (::geteuid() != 0) return u;
  const passwd* pw = ::getpwnam(name.c_str());
  if (pw == nullptr)
    throw ConfigError("the '" + name +
                      "' user does not exist: install the vigil package first (it makes it)");
  if (pw->pw_uid == 0) return u;  // --service-user root: nothing to hand over
  u.handOver = true;
  u.uid = pw->pw_uid;
  u.gid = pw->pw_gid;
  return u;
}

/// Gives what root made under `dir` to the service user (the group too when it is root's; a
/// group set on purpose, e.g. the broker's `mosquitto`, stays; files of other owners stay).
void handOver(const fs::path& dir, const ServiceUser& user) {
  if (!user.handOver || !fs::exists(dir)) return;
  auto give = [&](const fs::path& p) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) ioFailure("stat", p);
    if (st.st_uid != 0) return;
    gid_t gid = st.st_gid == 0 ? user.gid : static_cast<gid_t>(-1);
    if (::lchown(p.c_str(), user.uid, gid) != 0) ioFailure("chown", p);
  };
  give(dir);
  if (!fs::is_directory(dir)) return;
  for (const auto& e : fs::recursive_directory_iterator(dir)) give(e.path());
}

bool onPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
  std::string d;
  while (std::getline(dirs, d, ':')) {
    if (!d.empty() && ::access((fs::path(d) / program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

/// A one-time password: 20 characters of the base32 alphabet (100 bits) in groups of five,
/// easy to type from a console.
std::string oneTimePassword() {
  static const char* alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";  // no I, O, 0, 1
  auto bytes = crypto::randomBytes(20);
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i > 0 && i % 5 == 0) out += '-';
    out += alphabet[bytes[i] % 32];  // 256 is a multiple of 32: no bias
  }
  return out;
}

std::string ask(const std::string& question, const std::string& fallback) {
  std::cout << question << (fallback.empty() ? "" : " [" + fallback + "]") << ": " << std::flush;
  std::string line;
  if (!std::getline(std::cin, line)) throw ValidationError("setup: no answer (end of input)");
  line = trim(line);
  return line.empty() ? fallback : line;
}

/// The questions a terminal gets, in order, with their answer-file keys.
std::map<std::string, std::string> askInteractively() {
  std::map<std::string, std::string> a;
  std::cout << "Vigil first boot: answer each question (Enter keeps the value in brackets).\n";
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  a["host_names"] = ask("Host names the clinic uses for this box (comma-separated)", host);
  a["host_addresses"] = ask("Its IP addresses on the clinic network (comma-separated)", "");
  a["clinic_name"] = ask("Clinic name (reminders, the portal)", "the clinic");
  a["time_zone"] = ask("The clinic's time zone (IANA, e.g. America/Chicago)", "UTC");
  a["admin_name"] = ask("First administrator's name", "");
  a["admin_email"] = ask("First administrator's e-mail (their sign-in)", "");
  a["portal_port"] = ask("Portal HTTPS port", "8443");
  a["video_ports"] = ask("Video media UDP ports (MIN-MAX)", "40000-40999");
  a["clinic_network"] = ask("Clinic network allowed SSH (IPv4 CIDRs; empty: keep the default)", "");
  a["firewall"] =
      ask("Turn the firewall on now (yes/no)", a["clinic_network"].empty() ? "no" : "yes");
  a["data_volume"] = ask("Block device for the encrypted data volume (empty: none)", "");
  if (!a["data_volume"].empty())
    a["volume_unlock"] = ask("Unlock it at boot with (tpm2, keyfile:PATH, passphrase)", "tpm2");
  a["cloud_url"] = ask("Cloud link URL (empty: no cloud link now)", "");
  if (!a["cloud_url"].empty()) {
    a["cloud_ca_file"] = ask("CA file of the cloud's certificate", "");
    a["enrolment_code"] = ask("Enrolment code from the licensing portal", "");
    a["box_name"] = ask("Name of this box for the cloud", a["clinic_name"]);
  }
  for (auto it = a.begin(); it != a.end();) it = it->second.empty() ? a.erase(it) : std::next(it);
  return a;
}

std::string joined(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

}  // namespace

std::map<std::string, std::string> readAnswerFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw FileMissing("answer file " + path + " cannot be read");
  std::map<std::string, std::string> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    auto eq = line.find('=');
    if (eq == std::string::npos || trim(line.substr(0, eq)).empty())
      throw ValidationError(path + ":" + std::to_string(n) + ": expected key = value");
    out[trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
  }
  return out;
}

SetupAnswers parseSetupAnswers(const std::map<std::string, std::string>& values) {
  static const std::set<std::string> known = {
      "host_names",     "host_addresses", "admin_email",        "admin_name",
      "clinic_name",    "time_zone",      "portal_bind",        "portal_port",
      "mqtt_bind",      "mqtt_port",      "mqtt_password_port", "video_ports",
      "clinic_network", "firewall",       "data_volume",        "volume_unlock",
      "cloud_url",      "cloud_ca_file",  "enrolment_code",     "box_name",
      "start"};
  for (const auto& [k, v] : values) {
    if (!known.count(k)) throw ValidationError(k + ": not a setup answer (docs/operations.md)");
  }
  auto get = [&](const std::string& k) {
    auto it = values.find(k);
    return it == values.end() ? std::string{} : it->second;
  };
  SetupAnswers a;
  a.hostNames = splitList(get("host_names"));
  if (a.hostNames.empty()) throw ValidationError("host_names: at least one host name is required");
  for (const auto& h : a.hostNames) {
    if (!isHostName(h)) throw ValidationError("host_names: '" + h + "' is not a host name");
  }
  a.hostAddresses = splitList(get("host_addresses"));
  for (const auto& ip : a.hostAddresses) {
    if (!isIp(ip)) throw ValidationError("host_addresses: '" + ip + "' is not an IP address");
  }
  a.adminEmail = get("admin_email");
  static const std::regex email("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$");
  if (!std::regex_match(a.adminEmail, email))
    throw ValidationError("admin_email: an e-mail address is required");
  a.adminName = get("admin_name");
  if (a.adminName.empty()) throw ValidationError("admin_name: required");
  if (!get("clinic_name").empty()) a.clinicName = get("clinic_name");
  if (!get("time_zone").empty()) a.timeZone = get("time_zone");
  static const std::regex zone("^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$");
  if (!std::regex_match(a.timeZone, zone) ||
      !fs::is_regular_file(fs::path("/usr/share/zoneinfo") / a.timeZone))
    throw ValidationError("time_zone: '" + a.timeZone +
                          "' is not an IANA time zone of this system (tzdata)");
  if (!get("portal_bind").empty()) a.portalBind = get("portal_bind");
  if (!isIp(a.portalBind)) throw ValidationError("portal_bind: an IP address (0.0.0.0: every one)");
  if (!get("portal_port").empty()) a.portalPort = parsePort("portal_port", get("portal_port"));
  if (!get("mqtt_bind").empty()) a.mqttBind = get("mqtt_bind");
  if (!isIp(a.mqttBind)) throw ValidationError("mqtt_bind: an IP address (0.0.0.0: every one)");
  if (a.mqttBind != "0.0.0.0" && a.mqttBind != "127.0.0.1" &&
      std::find(a.hostAddresses.begin(), a.hostAddresses.end(), a.mqttBind) ==
          a.hostAddresses.end())
    throw ValidationError("mqtt_bind: 0.0.0.0, 127.0.0.1 or one of host_addresses");
  if (!get("mqtt_port").empty()) a.mqttPort = parsePort("mqtt_port", get("mqtt_port"));
  if (!get("mqtt_password_port").empty())
    a.mqttPasswordPort = parsePort("mqtt_password_port", get("mqtt_password_port"));
  if (a.mqttPort == a.mqttPasswordPort || a.mqttPort == a.portalPort ||
      a.mqttPasswordPort == a.portalPort)
    throw ValidationError("portal_port, mqtt_port, mqtt_password_port: must differ");
  if (!get("video_ports").empty()) {
    const auto v = get("video_ports");
    auto dash = v.find('-');
    if (dash == std::string::npos) throw ValidationError("video_ports: MIN-MAX, e.g. 40000-40999");
    a.videoPortMin = parsePort("video_ports", trim(v.substr(0, dash)));
    a.videoPortMax = parsePort("video_ports", trim(v.substr(dash + 1)));
    if (a.videoPortMin < 1024 || a.videoPortMax < a.videoPortMin + 9)
      throw ValidationError("video_ports: at least 10 ports, from 1024 up");
  }
  for (const auto& net : splitList(get("clinic_network"))) {
    if (!isIpv4Cidr(net))
      throw ValidationError("clinic_network: '" + net + "' is not an IPv4 network (a.b.c.d/n)");
  }
  a.clinicNetwork = joined(splitList(get("clinic_network")), " ");
  if (!get("firewall").empty()) a.firewall = parseYesNo("firewall", get("firewall"));
  a.dataVolume = get("data_volume");
  if (!a.dataVolume.empty() && a.dataVolume.front() != '/')
    throw ValidationError("data_volume: an absolute device path, e.g. /dev/sdb");
  if (!get("volume_unlock").empty()) a.volumeUnlock = get("volume_unlock");
  if (a.volumeUnlock != "tpm2" && a.volumeUnlock != "passphrase" &&
      a.volumeUnlock.rfind("keyfile:/", 0) != 0 && a.volumeUnlock.rfind("passphrase:/", 0) != 0)
    throw ValidationError(
        "volume_unlock: tpm2, keyfile:/path, passphrase (typed now and at each boot) or "
        "passphrase:/path (read from a file)");
  a.cloudUrl = get("cloud_url");
  if (!a.cloudUrl.empty() && a.cloudUrl.rfind("https://", 0) != 0)
    throw ValidationError("cloud_url: an https:// URL");
  a.cloudCaFile = get("cloud_ca_file");
  if (!a.cloudCaFile.empty() && !fs::is_regular_file(a.cloudCaFile))
    throw ValidationError("cloud_ca_file: " + a.cloudCaFile + " is not a readable file");
  a.enrolmentCode = get("enrolment_code");
  if (!a.enrolmentCode.empty() && a.cloudUrl.empty())
    throw ValidationError("enrolment_code: needs cloud_url");
  a.boxName = get("box_name").empty() ? a.clinicName : get("box_name");
  if (!get("start").empty()) a.start = parseYesNo("start", get("start"));
  return a;
}

void setConfigValues(const std::string& path, const std::map<std::string, std::string>& values) {
  std::string text = files::readFile(path);
  std::set<std::string> done;
  std::string out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto t = trim(line);
    auto eq = t.find('=');
    if (!t.empty() && t[0] != '#' && eq != std::string::npos) {
      auto key = trim(t.substr(0, eq));
      auto it = values.find(key);
      if (it != values.end()) {
        line = key + " = " + it->second;
        done.insert(key);
      }
    }
    out += line + "\n";
  }
  bool header = false;
  for (const auto& [k, v] : values) {
    if (done.count(k)) continue;
    if (!header) out += "\n# Set by vigild setup\n";
    header = true;
    out += k + " = " + v + "\n";
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) ioFailure("stat", path);
  files::writeFileAtomic(path, out, st.st_mode & 07777);
  if (::chown(path.c_str(), st.st_uid, st.st_gid) != 0) ioFailure("chown", path);
}

namespace {

/// One run of setup: what the steps share, one method per step (in order).
class SetupRun {
 public:
  SetupRun(Poco::Util::Application& app, const SetupOptions& options)
      : app_(app), options_(options) {}

  int run() {
    if (options_.configFile.empty()) {
      std::cerr << "vigild: setup needs --config FILE (the configuration it completes, e.g. "
                   "/etc/vigil/vigild.conf)\n";
      return kExitUsage;
    }
    before_ = std::make_unique<Config>(Config::load(options_.configFile));
    data_ = dataDirOf(*before_);
    if (fs::exists(data_ / kMarker)) {
      std::cerr << "vigild: this box is set up already (" << (data_ / kMarker).string()
                << "); setup runs once. Change settings in " << options_.configFile << "\n";
      return kExitCantCreate;
    }
    if (int rc = checkAnswers(); rc != kExitOk) return rc;
    // As the unit's UMask=0077: what has no explicit mode (the database, its journal) is private.
    ::umask(077);
    configDir_ = fs::absolute(options_.configFile).parent_path();
    keysDir_ = fs::path(masterKeyPath(*before_)).parent_path();
    if (int rc = dataVolume(); rc != kExitOk) return rc;
    step(2, "directories: " + data_.string() + " and " + keysDir_.string());
    files::makeDir(data_, 0711);
    files::makeDir(keysDir_, 0700);
    certificates();
    if (int rc = configuration(); rc != kExitOk) return rc;
    if (int rc = database(); rc != kExitOk) {
      handOver(data_, user_);
      handOver(keysDir_, user_);
      std::cerr << "vigild: setup stopped; fix the cause and run setup again (it goes on from "
                   "here"
                << (adminMade_ ? "; the one-time password above stays valid" : "") << ")\n";
      return rc;
    }
    services();
    summary();
    return kExitOk;
  }

 private:
  static constexpr int kSteps = 8;
  void step(int n, const std::string& what) {
    std::cout << "[" << n << "/" << kSteps << "] " << what << "\n" << std::flush;
  }

  /// Every answer is checked before anything is written.
  int checkAnswers() {
    try {
      std::map<std::string, std::string> values;
      if (!options_.answersFile.empty()) {
        values = readAnswerFile(options_.answersFile);
      } else if (::isatty(STDIN_FILENO)) {
        values = askInteractively();
      } else {
        std::cerr << "vigild: setup needs --answers FILE or a terminal to ask on\n";
        return kExitUsage;
      }
      a_ = parseSetupAnswers(values);
      if (!a_.dataVolume.empty() && !fs::exists(a_.dataVolume))
        throw ValidationError("data_volume: " + a_.dataVolume + " does not exist");
      if (!a_.dataVolume.empty() && !onPath("vigil-volume"))
        throw ValidationError("data_volume: vigil-volume is not installed (the vigil package)");
    } catch (const ValidationError& e) {
      std::cerr << "vigild: setup: " << e.what() << "\nNothing was changed.\n";
      return kExitDataErr;
    }
    try {
      user_ = serviceUser(options_.serviceUser);
    } catch (const ConfigError& e) {
      std::cerr << "vigild: setup: " << e.what() << "\nNothing was changed.\n";
      return kExitConfig;
    }
    return kExitOk;
  }

  /// 1. The data volume (LUKS2), mounted on data.dir before anything is written there.
  int dataVolume() {
    step(1, a_.dataVolume.empty() ? "data volume: none asked (data.dir on the root file system)"
                                  : "data volume: LUKS2 on " + a_.dataVolume);
    if (a_.dataVolume.empty() || fs::exists(data_ / "vigil.db")) return kExitOk;
    int rc = proc::runProgram({"vigil-volume", "create", "--device", a_.dataVolume, "--unlock",
                               a_.volumeUnlock, "--mount", data_.string()});
    if (rc == 3) {
      std::cerr << "vigild: setup: the data volume is formatted and enrolled but this kernel "
                   "cannot open it (no device-mapper); nothing else was set up\n";
      return kExitCantCreate;
    }
    if (rc != 0) {
      std::cerr << "vigild: setup: vigil-volume create failed (exit " << rc
                << "); fix what it said and run setup again\n";
      return kExitCantCreate;
    }
    return kExitOk;
  }

  /// 3. The box CA, the broker's server certificate and configuration, vigild's client
  /// certificate, and the portal's certificate from the same CA for the same names (the CA
  /// certificate is what browsers and devices trust: docs/operations.md, "TLS certificates").
  void certificates() {
    step(3, "certificates and broker: CA " + (data_ / "pki" / "ca.pem").string() + ", names " +
                joined(a_.hostNames, ", "));
    pki::BrokerLayout layout(data_);
    broker_.bindAddress = a_.mqttBind;
    broker_.certificatePort = a_.mqttPort;
    broker_.passwordPort = a_.mqttPasswordPort;
    broker_.publicHost = a_.hostNames.front();
    broker_.serverDnsNames = a_.hostNames;
    auto has = [](const std::vector<std::string>& v, const char* x) {
      return std::find(v.begin(), v.end(), x) != v.end();
    };
    if (!has(a_.hostNames, "localhost")) broker_.serverDnsNames.push_back("localhost");
    broker_.serverIps = a_.hostAddresses;
    if (!has(a_.hostAddresses, "127.0.0.1")) broker_.serverIps.push_back("127.0.0.1");
    broker_.serviceClient = before_->string("mqtt.client_id");
    if (user_.handOver && ::getpwnam("mosquitto") != nullptr) broker_.brokerUser = "mosquitto";
    pki::prepareBroker(layout, broker_);
    const fs::path tlsDir = configDir_ / "tls";
    portalCert_ = tlsDir / "portal.pem";
    portalKey_ = tlsDir / "portal.key";
    auto ca = pki::CertificateAuthority::open(layout.pkiDir);
    caPem_ = ca.caCertPem();
    if (!fs::exists(portalCert_) || !fs::exists(portalKey_)) {
      files::makeDir(tlsDir, 0755);
      auto issued = ca.issueServer(a_.hostNames.front(), broker_.serverDnsNames, broker_.serverIps);
      files::writeFileAtomic(portalKey_, issued.keyPem, 0600);
      files::writeFileAtomic(portalCert_, issued.certPem + caPem_, 0644);
    }
  }

  /// 4. vigild.conf: the clinic's answers (checked by loading the result), firewall.conf.
  int configuration() {
    step(4, "configuration: " + options_.configFile);
    url_ = "https://" + a_.hostNames.front() +
           (a_.portalPort == 443 ? std::string{} : ":" + std::to_string(a_.portalPort));
    std::map<std::string, std::string> settings = {
        {"web.bind", a_.portalBind},
        {"web.port", std::to_string(a_.portalPort)},
        {"web.tls.cert", portalCert_.string()},
        {"web.tls.key", portalKey_.string()},
        {"web.public_url", url_},
        {"mqtt.host", a_.mqttBind == "0.0.0.0" ? "127.0.0.1" : a_.mqttBind},
        {"mqtt.port", std::to_string(a_.mqttPort)},
        {"scheduling.clinic_name", a_.clinicName},
        {"cases.time_zone", a_.timeZone},
        {"video.udp_port_min", std::to_string(a_.videoPortMin)},
        {"video.udp_port_max", std::to_string(a_.videoPortMax)},
    };
    if (!a_.cloudUrl.empty()) {
      settings["sync.url"] = a_.cloudUrl;
      if (!a_.cloudCaFile.empty()) settings["sync.ca_file"] = a_.cloudCaFile;
    }
    const std::string original = files::readFile(options_.configFile);
    setConfigValues(options_.configFile, settings);
    try {
      config_ = std::make_unique<Config>(Config::load(options_.configFile));
      config_->checkCombinations();
    } catch (const ConfigError& e) {
      files::writeFileAtomic(options_.configFile, original, files::fileMode(options_.configFile));
      std::cerr << "vigild: setup: the completed configuration is refused (" << e.what() << "); "
                << options_.configFile << " is as it was\n";
      return kExitConfig;
    }
    const fs::path firewallConf = configDir_ / "firewall.conf";
    if (!a_.clinicNetwork.empty() || fs::exists(firewallConf)) {
      std::map<std::string, std::string> fw = {
          {"mqtt_ports", std::to_string(a_.mqttPort) + " " + std::to_string(a_.mqttPasswordPort)}};
      if (!a_.clinicNetwork.empty()) fw["clinic_net4"] = a_.clinicNetwork;
      if (!fs::exists(firewallConf)) files::writeFileAtomic(firewallConf, "", 0644);
      setConfigValues(firewallConf.string(), fw);
    }
    return kExitOk;
  }

  /// 5. The database (migrations), the master key (in the keys directory, not in data.dir)
  /// and the first admin with a one-time password; 6. the cloud link's enrolment.
  int database() {
    step(5, "database and master key: " + databasePath(*config_) + ", " + masterKeyPath(*config_));
    Poco::AutoPtr<StoreSubsystem> store(new StoreSubsystem(*config_));
    Poco::AutoPtr<SecuritySubsystem> sec(new SecuritySubsystem(*config_, *store));
    int rc = kExitOk;
    try {
      store->start(app_);
      sec->start(app_);
      firstAdmin(sec->accounts());
      step(6, a_.enrolmentCode.empty() ? "cloud link: no enrolment code (enrol later: Admin → "
                                         "Cloud link, or vigild sync enrol)"
                                       : "cloud link: enrolling with " + a_.cloudUrl);
      if (!a_.enrolmentCode.empty()) {
        sync::Outbox outbox(store->database(), sec->audit(), SystemClock::instance(),
                            backoffPolicy(*config_));
        sync::Link link(store->database(), sec->audit(), outbox, SystemClock::instance(),
                        linkOptions(*config_));
        if (link.enrolled()) {
          std::cout << "      enrolled already\n";
        } else {
          auto e = link.enrol(security::consoleActor(), a_.enrolmentCode, a_.boxName);
          std::cout << "      enrolled: box " << e.boxId << " with " << e.services.size()
                    << " cloud services\n";
        }
      }
    } catch (const vigil::Error& e) {
      std::cerr << "vigild: setup: " << e.what() << "\n";
      rc = kExitDataErr;
    }
    sec->stop();
    store->stop();
    return rc;
  }

  void firstAdmin(security::AccountService& accounts) {
    if (accounts.listUsers(std::nullopt, 0, 1).total > 0) {
      std::cout << "      accounts exist already (an earlier setup run made the first admin)\n";
      return;
    }
    const std::string password = oneTimePassword();
    security::NewUser admin;
    admin.role = security::Role::admin;
    admin.email = a_.adminEmail;
    admin.displayName = a_.adminName;
    admin.password = password;
    admin.passwordChangeRequired = true;
    accounts.bootstrapAdmin(admin);
    adminMade_ = true;
    std::cout << "      first admin: " << a_.adminEmail << "\n"
              << "      one-time password: " << password << "\n"
              << "      (shown once, never stored in clear: write it down now)\n"
              << std::flush;
  }

  /// 7. Ownership and the firewall; 8. the marker the image's first-boot condition looks for,
  /// then the services.
  void services() {
    step(7, user_.handOver ? "ownership: data, keys and TLS key to the vigil user; services"
                           : "services");
    handOver(data_, user_);
    handOver(keysDir_, user_);
    handOver(portalKey_, user_);
    handOver(portalCert_, user_);
    bool firewallChecked = false;
    if (a_.firewall && onPath("vigil-firewall")) {
      firewallChecked = proc::runProgram({"vigil-firewall", "check"}) == 0;
      if (!firewallChecked)
        std::cerr << "vigild: setup: vigil-firewall check failed: not enabled\n";
    }
    units_ = {"vigil-mosquitto.service", "vigil-broker-reload.path", "vigild.service"};
    if (firewallChecked) units_.insert(units_.begin(), "vigil-firewall.service");
    step(8, "marking the box as set up: " + (data_ / kMarker).string());
    files::writeFileAtomic(data_ / kMarker, std::string("set up by vigild ") + VIGIL_VERSION + "\n",
                           0644);
    handOver(data_ / kMarker, user_);
    const bool systemd = ::geteuid() == 0 && fs::exists("/run/systemd/system");
    if (systemd && a_.start && !options_.noStart) {
      std::vector<std::string> cmd = {"systemctl", "enable", "--now"};
      cmd.insert(cmd.end(), units_.begin(), units_.end());
      started_ = proc::runProgram(cmd) == 0;
      if (!started_) std::cerr << "vigild: setup: systemctl could not start every service\n";
    }
  }

  void summary() {
    auto digest = crypto::sha256(crypto::asBytes(caPem_));
    std::cout << "\nVigil is set up.\n"
              << "  Portal:  " << url_ << "/\n"
              << "  Sign in: " << a_.adminEmail
              << (adminMade_ ? " with the one-time password above; you choose your own password,\n"
                               "           then enrol an authenticator app (TOTP)\n"
                             : "\n")
              << "  Box CA:  " << (data_ / "pki" / "ca.pem").string() << " (SHA-256 "
              << crypto::toHex(digest)
              << ")\n           install it in the clinic's browsers; devices get it in their "
                 "bundles\n"
              << "  Devices: mqtts://" << a_.hostNames.front() << ":" << a_.mqttPort
              << " (certificates), :" << a_.mqttPasswordPort << " (passwords)\n";
    if (started_) {
      std::cout << "  Services started: " << joined(units_, " ") << "\n";
    } else {
      std::cout << "  Start the services: systemctl enable --now " << joined(units_, " ") << "\n";
    }
    std::cout << "Next: provision devices (docs/provisioning.md), set a backup passphrase and run "
                 "vigild backup (docs/operations.md, \"Backup\")"
              << (a_.firewall ? "" : ", turn on the firewall (\"Firewall\")") << ".\n";
  }

  Poco::Util::Application& app_;
  const SetupOptions& options_;
  std::unique_ptr<Config> before_;
  std::unique_ptr<Config> config_;
  SetupAnswers a_;
  ServiceUser user_;
  fs::path data_, keysDir_, configDir_, portalCert_, portalKey_;
  pki::BrokerSettings broker_;
  std::string caPem_, url_;
  std::vector<std::string> units_;
  bool adminMade_ = false;
  bool started_ = false;
};

}  // namespace

int runSetup(Poco::Util::Application& app, const SetupOptions& options) {
  return SetupRun(app, options).run();
}

}  // namespace vigil::app
