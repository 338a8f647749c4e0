#pragma once
// A real Mosquitto broker for integration tests, configured exactly as the appliance's (same
// template, same PKI code): a temp dir, CA and certificates via vigil::pki, free ports on
// 127.0.0.1, `/usr/sbin/mosquitto -c …` as a child, stopped and cleaned up in the destructor.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "vigil/pki/broker_setup.hpp"
#include "vigil/pki/certificate_authority.hpp"
#include "vigil/pki/device_provisioner.hpp"
#include "vigil/testsupport/process.hpp"

namespace vigil::testsupport {

/// One broker per fixture object; start()ed by the constructor.
class MosquittoFixture {
 public:
  MosquittoFixture();
  ~MosquittoFixture();
  MosquittoFixture(const MosquittoFixture&) = delete;
  MosquittoFixture& operator=(const MosquittoFixture&) = delete;

  /// Starts the broker (ports are kept across restarts) and waits until both listeners accept.
  void start();
  /// SIGTERM (then SIGKILL); the persistence file is written on a clean stop.
  void stop();
  void restart();
  /// SIGHUP through the provisioner (as production does), then waits for the broker to log it.
  void reload();
  bool running();

  const std::filesystem::path& dir() const { return tmp_.path(); }
  const pki::BrokerLayout& layout() const { return layout_; }
  const pki::BrokerSettings& settings() const { return settings_; }
  int certificatePort() const { return settings_.certificatePort; }
  int passwordPort() const { return settings_.passwordPort; }
  pki::CertificateAuthority& ca() { return *ca_; }
  pki::DeviceProvisioner& provisioner() { return *provisioner_; }

  std::filesystem::path caFile() const { return layout_.pkiDir / "ca.pem"; }
  /// The box's own client (CN vigild).
  std::filesystem::path serviceCert() const { return layout_.clientCert(settings_.serviceClient); }
  std::filesystem::path serviceKey() const { return layout_.clientKey(settings_.serviceClient); }
  /// The broker's stderr so far.
  std::string log() const;
  /// How many times `needle` occurs in the log so far ("Reloading config", "New client connected").
  std::size_t logCount(const std::string& needle) const;

  /// A certificate of its own (CN `name`) that may read every device's readings, for a test's
  /// or benchmark's own subscriber beside vigild: the broker makes a certificate's name the client
  /// id, so a second connection with the box's certificate would take over vigild's session.
  /// Kept in the ACL on every reload() (the provisioner's rewrites alone drop it); reloads now.
  struct Observer {
    std::filesystem::path certFile, keyFile;
  };
  Observer addObserver(const std::string& name);

  /// The certificate of cluster node `nodeId` (CN `vigild-<nodeId>`), issued by prepareBroker as
  /// `vigil-devtool provision broker --node ID` does, with the service client's ACL block
  /// (docs/scale-out.md); reloads now.
  Observer addClusterNode(const std::string& nodeId);

 private:
  TempDir tmp_;
  pki::BrokerLayout layout_;
  pki::BrokerSettings settings_;
  std::unique_ptr<pki::CertificateAuthority> ca_;
  std::unique_ptr<pki::DeviceProvisioner> provisioner_;
  std::unique_ptr<Process> broker_;
  std::filesystem::path logFile_;
  std::vector<std::string> observers_;
};

}  // namespace vigil::testsupport
