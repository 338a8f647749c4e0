#include "vigil/pki/broker_setup.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "file_util.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/pki/device_id.hpp"

namespace vigil::pki {

namespace fs = std::filesystem;

BrokerLayout::BrokerLayout(const fs::path& data)
    : dataDir(data),
      pkiDir(data / "pki"),
      clientsDir(data / "pki" / "clients"),
      brokerDir(data / "mosquitto"),
      configFile(brokerDir / "mosquitto.conf"),
      aclFile(brokerDir / "acl"),
      passwordFile(brokerDir / "passwd"),
      runDir(brokerDir / "run"),
      pidFile(runDir / "mosquitto.pid"),
      serverCert(brokerDir / "server.pem"),
      serverKey(brokerDir / "server.key"),
      persistenceDir(brokerDir / "persistence"),
      endpointFile(brokerDir / "endpoint") {}

fs::path BrokerLayout::clientCert(std::string_view name) const {
  return clientsDir / (std::string(name) + ".pem");
}
fs::path BrokerLayout::clientKey(std::string_view name) const {
  return clientsDir / (std::string(name) + ".key");
}

std::string renderTemplate(std::string_view text,
                           const std::map<std::string, std::string>& values) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto at = text.find('@', pos);
    if (at == std::string_view::npos) {
      out.append(text.substr(pos));
      break;
    }
    out.append(text.substr(pos, at - pos));
    auto end = text.find('@', at + 1);
    if (end != std::string_view::npos) {
      std::string key(text.substr(at + 1, end - at - 1));
      bool isKey =
          !key.empty() && key.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_") == std::string::npos;
      if (isKey) {
        auto it = values.find(key);
        if (it == values.end()) throw ConfigError("template: no value for @" + key + "@");
        out.append(it->second);
        pos = end + 1;
        continue;
      }
    }
    out.push_back('@');
    pos = at + 1;
  }
  return out;
}

BrokerEndpoint readEndpoint(const BrokerLayout& layout) {
  BrokerEndpoint endpoint;
  if (!fs::exists(layout.endpointFile)) return endpoint;
  std::string text = detail::readFile(layout.endpointFile);
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    std::string line = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    pos = end == std::string::npos ? text.size() : end + 1;
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = line.substr(0, eq);
    std::string value = line.substr(eq + 1);
    try {
      if (key == "host") endpoint.host = value;
      if (key == "cert_port") endpoint.certificatePort = std::stoi(value);
      if (key == "password_port") endpoint.passwordPort = std::stoi(value);
    } catch (const std::logic_error&) {
      throw ConfigError("broker endpoint: bad " + key + " in " + layout.endpointFile.string());
    }
  }
  return endpoint;
}

ProvisionerConfig provisionerConfigFor(const BrokerLayout& layout, const BrokerSettings& settings) {
  ProvisionerConfig config;
  config.endpoint = {settings.publicHost, settings.certificatePort, settings.passwordPort};
  config.aclFile = layout.aclFile;
  config.passwordFile = layout.passwordFile;
  config.pidFile = layout.pidFile;
  config.serviceClient = settings.serviceClient;
  return config;
}

namespace {

bool certStillGood(const CertificateAuthority& ca, const fs::path& cert, const fs::path& key) {
  if (!fs::exists(cert) || !fs::exists(key)) return false;
  return ca.verify(detail::readFile(cert)).ok;
}

std::string hostName() {
  std::array<char, 256> buf{};
  if (::gethostname(buf.data(), buf.size() - 1) != 0) return {};
  return buf.data();
}

std::string currentUser() {
  const passwd* pw = ::getpwuid(::geteuid());
  if (pw == nullptr || pw->pw_name == nullptr)
    throw ConfigError("broker.user: unknown current user");
  return pw->pw_name;
}

[[noreturn]] void throwIo(const std::string& what, const fs::path& path) {
  throw ConfigError("broker: " + what + " " + path.string() + ": " + std::strerror(errno));
}

void chownPath(const fs::path& path, uid_t uid, gid_t gid) {
  if (::chown(path.c_str(), uid, gid) != 0) throwIo("chown", path);
}

void chmodPath(const fs::path& path, mode_t mode) {
  if (::chmod(path.c_str(), mode) != 0) throwIo("chmod", path);
}

/// Lets a broker running as another user read its files (see BrokerSettings::brokerUser).
void grantBrokerAccess(const BrokerLayout& layout, const std::string& user) {
  const passwd* pw = ::getpwnam(user.c_str());
  if (pw == nullptr) throw ConfigError("broker.user: no such user " + user);
  uid_t uid = pw->pw_uid;
  gid_t gid = pw->pw_gid;
  auto keep = static_cast<uid_t>(-1);
  chmodPath(layout.dataDir, 0711);
  chmodPath(layout.pkiDir, 0711);
  chownPath(layout.brokerDir, keep, gid);
  chmodPath(layout.brokerDir, 02750);
  for (const auto& entry : fs::directory_iterator(layout.brokerDir)) {
    if (entry.is_regular_file()) chownPath(entry.path(), keep, gid);
  }
  chmodPath(layout.serverKey, 0640);
  for (const auto& dir : {layout.persistenceDir, layout.runDir}) {
    chownPath(dir, uid, gid);
    chmodPath(dir, 0750);
  }
}

}  // namespace

void prepareBroker(const BrokerLayout& layout, const BrokerSettings& settings, const Clock& clock) {
  detail::makeDir(layout.dataDir, 0700);
  detail::makeDir(layout.brokerDir, 0750);
  detail::makeDir(layout.persistenceDir, 0750);
  detail::makeDir(layout.runDir, 0750);
  detail::makeDir(layout.clientsDir, 0700);
  auto ca = CertificateAuthority::openOrCreate(layout.pkiDir, CaOptions{}, clock);
  ca.refreshCrlIfDue();

  std::vector<std::string> dnsNames = settings.serverDnsNames;
  std::string host = hostName();
  if (!host.empty() &&
      host.find_first_not_of("abcdefghijklmnopqrstuvwxyz"
                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == std::string::npos) {
    if (std::find(dnsNames.begin(), dnsNames.end(), host) == dnsNames.end()) {
      dnsNames.push_back(host);
    }
  }
  std::string names;
  for (const auto& n : dnsNames) names += "DNS:" + n + "\n";
  for (const auto& ip : settings.serverIps) names += "IP:" + ip + "\n";
  fs::path namesFile = layout.brokerDir / "server.names";
  bool namesChanged = !fs::exists(namesFile) || detail::readFile(namesFile) != names;
  if (namesChanged || !certStillGood(ca, layout.serverCert, layout.serverKey)) {
    auto server = ca.issueServer(dnsNames.empty() ? "localhost" : dnsNames.front(), dnsNames,
                                 settings.serverIps);
    detail::writeFileAtomic(layout.serverKey, server.keyPem, 0600);
    detail::writeFileAtomic(layout.serverCert, server.certPem, 0644);
    detail::writeFileAtomic(namesFile, names, 0644);
  }
  std::vector<std::string> services{settings.serviceClient};
  for (const auto& node : settings.clusterNodes) {
    std::string cn = settings.serviceClient + "-" + node;
    if (node.empty() || !isValidDeviceId(cn))
      throw ConfigError("broker: bad cluster node id '" + node + "'");
    services.push_back(std::move(cn));
  }
  for (const auto& svc : services) {
    if (!certStillGood(ca, layout.clientCert(svc), layout.clientKey(svc))) {
      auto client = ca.issueClient(svc, CertKind::service);
      ca.revokeAll(svc, CertKind::service, client.record.serial);
      detail::writeFileAtomic(layout.clientKey(svc), client.keyPem, 0600);
      detail::writeFileAtomic(layout.clientCert(svc), client.certPem, 0644);
    }
  }
  if (!fs::exists(layout.passwordFile)) detail::writeFileAtomic(layout.passwordFile, "", 0640);

  DeviceProvisioner provisioner(ca, provisionerConfigFor(layout, settings));
  provisioner.writeAcl();

  std::string brokerUser = settings.brokerUser.empty() ? currentUser() : settings.brokerUser;
  std::map<std::string, std::string> values = {
      {"BIND_ADDRESS", settings.bindAddress},
      {"CERT_PORT", std::to_string(settings.certificatePort)},
      {"PASSWORD_PORT", std::to_string(settings.passwordPort)},
      {"CA_FILE", ca.caCertPath().string()},
      {"CRL_FILE", ca.crlPath().string()},
      {"SERVER_CERT", layout.serverCert.string()},
      {"SERVER_KEY", layout.serverKey.string()},
      {"ACL_FILE", layout.aclFile.string()},
      {"PASSWORD_FILE", layout.passwordFile.string()},
      {"PERSISTENCE_DIR", layout.persistenceDir.string()},
      {"PID_FILE", layout.pidFile.string()},
      {"LOG_DEST", settings.logDest},
      {"PUBLIC_HOST", settings.publicHost},
      {"BROKER_USER", brokerUser},
  };
  for (const auto& [key, value] : values) {
    if (value.find('\n') != std::string::npos) throw ConfigError("broker: newline in " + key);
  }
  detail::writeFileAtomic(layout.endpointFile,
                          "host=" + settings.publicHost +
                              "\ncert_port=" + std::to_string(settings.certificatePort) +
                              "\npassword_port=" + std::to_string(settings.passwordPort) + "\n",
                          0644);
  detail::writeFileAtomic(layout.configFile, renderTemplate(mosquittoConfTemplate(), values), 0640);
  if (brokerUser != currentUser()) grantBrokerAccess(layout, brokerUser);
  log::info("pki.broker_prepared", {{"dir", layout.brokerDir.string()},
                                    {"cert_port", settings.certificatePort},
                                    {"password_port", settings.passwordPort}});
}

}  // namespace vigil::pki
