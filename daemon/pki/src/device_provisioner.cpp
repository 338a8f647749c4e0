#include "vigil/pki/device_provisioner.hpp"

#include <signal.h>

#include <algorithm>
#include <cassert>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "file_util.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/json_text.hpp"
#include "vigil/core/log.hpp"
#include "vigil/pki/broker_setup.hpp"
#include "vigil/pki/device_id.hpp"
#include "vigil/pki/mosquitto_password.hpp"

namespace vigil::pki {

namespace fs = std::filesystem;

namespace {

using core::jsonString;

// The broker (group mosquitto on the appliance) reads the ACL and password file.
constexpr mode_t kBrokerFileMode = 0640;

/// Password-file lines as (user, rest-of-line) in file order.
std::vector<std::pair<std::string, std::string>> readPasswordFile(const fs::path& path) {
  std::vector<std::pair<std::string, std::string>> entries;
  if (!fs::exists(path)) return entries;
  std::istringstream in(detail::readFile(path));
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (line.empty() || line[0] == '#' || colon == std::string::npos) continue;
    entries.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  return entries;
}

void writePasswordFile(const fs::path& path,
                       const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string text;
  for (const auto& [user, hash] : entries) text += user + ":" + hash + "\n";
  detail::writeFileAtomic(path, text, kBrokerFileMode);
}

bool processIsMosquitto(pid_t pid) {
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(comm, name);
  return name == "mosquitto";
}

/// Whether the process has its own SIGHUP handler yet. Mosquitto opens its listeners (and
/// writes its pid file) before it installs its signal handlers, so a SIGHUP sent in between
/// meets the default action and ends the broker instead of reloading it.
bool catchesSighup(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("SigCgt:", 0) != 0) continue;
    try {
      return (std::stoull(line.substr(7), nullptr, 16) & (1ULL << (SIGHUP - 1))) != 0;
    } catch (const std::logic_error&) {
      return false;
    }
  }
  return false;
}

}  // namespace

DeviceProvisioner::DeviceProvisioner(CertificateAuthority& ca, ProvisionerConfig config)
    : ca_(ca), config_(std::move(config)) {}

std::string DeviceProvisioner::checkedId(std::string_view deviceId) const {
  std::string id = validateDeviceId(deviceId);
  if (isServiceId(id)) {
    throw ValidationError("device_id: reserved for the box's own client");
  }
  return id;
}

std::string DeviceProvisioner::deviceJson(const std::string& id, bool certificate) const {
  auto topics = topicsFor(id);
  std::ostringstream j;
  j << "{\n"
    << "  \"format\": \"vigil-device-bundle/1\",\n"
    << "  \"deviceId\": " << jsonString(id) << ",\n"
    << "  \"auth\": " << (certificate ? "\"certificate\"" : "\"password\"") << ",\n"
    << "  \"broker\": {\"host\": " << jsonString(config_.endpoint.host) << ", \"port\": "
    << (certificate ? config_.endpoint.certificatePort : config_.endpoint.passwordPort)
    << ", \"tls\": true, \"tlsMinVersion\": \"1.2\", \"caFile\": \"ca.pem\"},\n";
  if (certificate) {
    j << "  \"credentials\": {\"certFile\": \"device.pem\", \"keyFile\": \"device.key\"},\n";
  } else {
    j << "  \"credentials\": {\"username\": " << jsonString(id)
      << ", \"passwordFile\": \"password\"},\n";
  }
  j << "  \"mqtt\": {\"clientId\": " << jsonString(id)
    << ", \"protocol\": \"mqttv5\", \"qos\": 1},\n"
    << "  \"topics\": {\"readings\": " << jsonString(topics.readings)
    << ", \"gatt\": " << jsonString(topics.gatt) << ", \"ack\": " << jsonString(topics.ack)
    << ", \"config\": " << jsonString(topics.config) << "}\n"
    << "}\n";
  return j.str();
}

DeviceBundle DeviceProvisioner::provisionCertificate(std::string_view deviceId,
                                                     const fs::path& outDir, Apply apply) {
  std::string id = checkedId(deviceId);
  auto issued = ca_.issueClient(id, CertKind::device);
  ca_.revokeAll(id, CertKind::device, issued.record.serial);  // one valid certificate per device
  detail::makeDir(outDir, 0700);
  detail::writeFileAtomic(outDir / "ca.pem", ca_.caCertPem(), 0644);
  detail::writeFileAtomic(outDir / "device.pem", issued.certPem, 0644);
  detail::writeFileAtomic(outDir / "device.key", issued.keyPem, 0600);
  detail::writeFileAtomic(outDir / "device.json", deviceJson(id, true), 0644);
  if (apply == Apply::now) this->apply();
  log::info("pki.device_provisioned", {{"device_id", id}, {"auth", "certificate"}});
  return {id, outDir, issued.record};
}

PasswordCredential DeviceProvisioner::provisionPassword(std::string_view deviceId,
                                                        const std::optional<fs::path>& outDir,
                                                        Apply apply) {
  std::string id = checkedId(deviceId);
  std::string password = generateDevicePassword();
  std::string hash = hashMosquittoPassword(password, config_.passwordIterations);
  {
    detail::DirLock lock(ca_.dir() / "lock");
    auto entries = readPasswordFile(config_.passwordFile);
    auto it =
        std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return e.first == id; });
    if (it != entries.end()) {
      it->second = hash;
      writePasswordFile(config_.passwordFile, entries);
    } else {
      detail::appendFile(config_.passwordFile, id + ":" + hash + "\n", kBrokerFileMode);
    }
  }
  if (outDir) {
    detail::makeDir(*outDir, 0700);
    detail::writeFileAtomic(*outDir / "ca.pem", ca_.caCertPem(), 0644);
    detail::writeFileAtomic(*outDir / "password", password + "\n", 0600);
    detail::writeFileAtomic(*outDir / "device.json", deviceJson(id, false), 0644);
  }
  if (apply == Apply::now) this->apply();
  log::info("pki.device_provisioned", {{"device_id", id}, {"auth", "password"}});
  return {id, password};
}

Revocation DeviceProvisioner::revoke(std::string_view deviceId, Apply apply) {
  std::string id = checkedId(deviceId);
  Revocation result;
  result.certificates = ca_.revokeAll(id, CertKind::device);
  {
    detail::DirLock lock(ca_.dir() / "lock");
    auto entries = readPasswordFile(config_.passwordFile);
    auto it = std::remove_if(entries.begin(), entries.end(),
                             [&](const auto& e) { return e.first == id; });
    if (it != entries.end()) {
      entries.erase(it, entries.end());
      writePasswordFile(config_.passwordFile, entries);
      result.passwordRemoved = true;
    }
  }
  if (apply == Apply::now) this->apply();
  log::info("pki.device_revoked", {{"device_id", id},
                                   {"certificates", result.certificates.size()},
                                   {"password", result.passwordRemoved}});
  return result;
}

std::vector<std::string> DeviceProvisioner::deviceIds() const {
  std::set<std::string> ids;
  for (const auto& r : ca_.active(CertKind::device)) ids.insert(r.commonName);
  for (const auto& [user, hash] : readPasswordFile(config_.passwordFile)) {
    if (isValidDeviceId(user)) ids.insert(user);
  }
  // A service name never gets a device block (it has its own, with the service's rights).
  for (auto it = ids.begin(); it != ids.end();)
    it = isServiceId(*it) ? ids.erase(it) : std::next(it);
  return {ids.begin(), ids.end()};
}

bool DeviceProvisioner::isServiceId(std::string_view id) const {
  const std::string_view svc = config_.serviceClient;
  return id == svc ||
         (id.size() > svc.size() + 1 && id.substr(0, svc.size()) == svc && id[svc.size()] == '-');
}

std::vector<std::string> DeviceProvisioner::serviceIds() const {
  std::set<std::string> ids{config_.serviceClient};
  for (const auto& r : ca_.active(CertKind::service))
    if (isServiceId(r.commonName) && isValidDeviceId(r.commonName)) ids.insert(r.commonName);
  return {ids.begin(), ids.end()};
}

void DeviceProvisioner::writeAcl() const {
  std::string rules;
  for (const auto& id : deviceIds()) {
    auto t = topicsFor(id);
    rules += "user " + id + "\ntopic write " + t.readings + "\ntopic write " + t.gatt +
             "\ntopic read " + t.ack + "\ntopic read " + t.config + "\ntopic read " + t.config +
             "/#\n\n";
  }
  // The service block of acl.in (from its `user` line to the blank line after it), repeated for
  // each cluster node, so that every node gets exactly the rights of the box's own client.
  const std::string_view tpl = aclTemplate();
  const auto begin = tpl.find("user @SERVICE_CLIENT@\n");
  const auto end = tpl.find("\n\n", begin);
  assert(begin != std::string_view::npos && end != std::string_view::npos);
  const auto block = tpl.substr(begin, end + 1 - begin);
  std::string nodes;
  for (const auto& id : serviceIds()) {
    if (id == config_.serviceClient) continue;
    nodes += "\n" + renderTemplate(block, {{"SERVICE_CLIENT", id}});
  }
  std::string text = renderTemplate(
      tpl,
      {{"SERVICE_CLIENT", config_.serviceClient}, {"NODE_RULES", nodes}, {"DEVICE_RULES", rules}});
  detail::writeFileAtomic(config_.aclFile, text, kBrokerFileMode);
}

ReloadResult DeviceProvisioner::reloadBroker() const {
  if (config_.pidFile.empty() || !fs::exists(config_.pidFile)) {
    return ReloadResult::broker_not_running;
  }
  long pid = 0;
  try {
    pid = std::stol(detail::readFile(config_.pidFile));
  } catch (const std::logic_error&) {
    return ReloadResult::broker_not_running;
  }
  if (pid <= 1 || !processIsMosquitto(static_cast<pid_t>(pid))) {
    return ReloadResult::broker_not_running;
  }
  // A broker that is still starting gets its signal once it can take it.
  const auto startDeadline = std::chrono::steady_clock::now() + kStartWait;
  while (!catchesSighup(static_cast<pid_t>(pid))) {
    if (!processIsMosquitto(static_cast<pid_t>(pid)) ||
        std::chrono::steady_clock::now() > startDeadline) {
      log::warn("pki.broker_not_ready", {{"pid", static_cast<std::int64_t>(pid)}});
      return ReloadResult::broker_not_running;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::lock_guard lock(pacing_->mutex);
  if (::kill(static_cast<pid_t>(pid), SIGHUP) != 0) return ReloadResult::broker_not_running;
  auto sent = std::chrono::steady_clock::now();
  bool again = pacing_->lastSignal && sent - *pacing_->lastSignal < kReloadSettle;
  if (again) {
    // This signal may have landed in the reload of the previous one and been lost.
    std::this_thread::sleep_until(*pacing_->lastSignal + kReloadSettle);
    if (::kill(static_cast<pid_t>(pid), SIGHUP) != 0) return ReloadResult::broker_not_running;
    sent = std::chrono::steady_clock::now();
  }
  pacing_->lastSignal = sent;
  log::info("pki.broker_reloaded", {{"pid", static_cast<std::int64_t>(pid)}, {"resent", again}});
  return ReloadResult::reloaded;
}

ReloadResult DeviceProvisioner::apply() const {
  writeAcl();
  return reloadBroker();
}

}  // namespace vigil::pki
