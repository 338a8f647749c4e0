#include "vigil/testsupport/mosquitto_fixture.hpp"

#include <signal.h>

#include <fstream>
#include <stdexcept>
#include <thread>

namespace vigil::testsupport {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr const char* kMosquitto = "/usr/sbin/mosquitto";

std::size_t countOf(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

}  // namespace

MosquittoFixture::MosquittoFixture()
    : tmp_("vigil-broker"), layout_(tmp_.path() / "data"), logFile_(tmp_.path() / "mosquitto.log") {
  settings_.certificatePort = freePort();
  settings_.passwordPort = freePort();
  while (settings_.passwordPort == settings_.certificatePort) settings_.passwordPort = freePort();
  pki::prepareBroker(layout_, settings_);
  ca_ =
      std::make_unique<pki::CertificateAuthority>(pki::CertificateAuthority::open(layout_.pkiDir));
  provisioner_ =
      std::make_unique<pki::DeviceProvisioner>(*ca_, pki::provisionerConfigFor(layout_, settings_));
  start();
}

MosquittoFixture::~MosquittoFixture() {
  if (broker_) broker_->stop(3s);
}

void MosquittoFixture::start() {
  if (broker_ && broker_->running()) return;
  for (int attempt = 0; attempt < 3; ++attempt) {
    broker_ = std::make_unique<Process>(
        kMosquitto, Process::Options{{"-c", layout_.configFile.string()}, {}, {}, logFile_});
    // Mosquitto 2.0.11 writes pid_file in the foreground too; the provisioner's reload uses it.
    auto deadline = std::chrono::steady_clock::now() + 10s;
    bool up = false;
    while (!up && broker_->running() && std::chrono::steady_clock::now() < deadline) {
      up = waitForPort(settings_.certificatePort, 100ms) &&
           waitForPort(settings_.passwordPort, 100ms) && fs::exists(layout_.pidFile);
    }
    if (up && broker_->running()) return;
    broker_->stop(1s);
    // A port was taken between freePort() and the bind: pick new ones and re-render the config.
    settings_.certificatePort = freePort();
    settings_.passwordPort = freePort();
    pki::prepareBroker(layout_, settings_);
    provisioner_ = std::make_unique<pki::DeviceProvisioner>(
        *ca_, pki::provisionerConfigFor(layout_, settings_));
  }
  throw std::runtime_error("mosquitto did not start; log:\n" + log());
}

void MosquittoFixture::stop() {
  if (broker_) broker_->stop(5s);
  fs::remove(layout_.pidFile);
}

void MosquittoFixture::restart() {
  stop();
  start();
}

MosquittoFixture::Observer MosquittoFixture::addObserver(const std::string& name) {
  auto issued = ca_->issueClient(name, pki::CertKind::service);
  Observer o{tmp_.path() / "observers" / (name + ".pem"),
             tmp_.path() / "observers" / (name + ".key")};
  fs::create_directories(o.certFile.parent_path());
  std::ofstream(o.certFile) << issued.certPem;
  std::ofstream(o.keyFile) << issued.keyPem;
  fs::permissions(o.keyFile, fs::perms::owner_read | fs::perms::owner_write);
  observers_.push_back(name);
  reload();
  return o;
}

MosquittoFixture::Observer MosquittoFixture::addClusterNode(const std::string& nodeId) {
  settings_.clusterNodes.push_back(nodeId);
  pki::prepareBroker(layout_, settings_);
  reload();
  const auto cn = settings_.serviceClient + "-" + nodeId;
  return {layout_.clientCert(cn), layout_.clientKey(cn)};
}

void MosquittoFixture::reload() {
  std::size_t before = countOf(log(), "Reloading config");
  provisioner_->writeAcl();
  if (!observers_.empty()) {
    std::ofstream acl(layout_.aclFile, std::ios::app);
    for (const auto& name : observers_)
      acl << "\n# test observer\nuser " << name << "\ntopic read vigil/v1/devices/+/readings\n";
  }
  if (provisioner_->reloadBroker() != pki::ReloadResult::reloaded) {
    throw std::runtime_error("reload: broker not running");
  }
  // Generous: a loaded 2-core CI machine took more than 10 s here (helpers' runs beside the
  // suite); a reload that never comes still fails well before ctest's limit.
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (countOf(log(), "Reloading config") <= before) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("reload: broker did not log the reload within 30 s (" +
                               std::to_string(before) +
                               " reloads logged before the signal; broker " +
                               (running() ? "still running" : "gone") + "); log:\n" + log());
    }
    std::this_thread::sleep_for(10ms);
  }
  // The reload runs in the broker's main loop before it serves the next packet; a short pause
  // lets it finish re-reading the files before the test's next connection.
  std::this_thread::sleep_for(50ms);
}

bool MosquittoFixture::running() {
  return broker_ && broker_->running();
}

std::string MosquittoFixture::log() const {
  return readText(logFile_);
}

std::size_t MosquittoFixture::logCount(const std::string& needle) const {
  return countOf(log(), needle);
}

}  // namespace vigil::testsupport
