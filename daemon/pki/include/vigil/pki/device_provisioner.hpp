#pragma once
// Provisioning devices onto the box's broker: a certificate bundle (or a password credential)
// per device, the broker ACL regenerated from the device list, revocation, and a broker reload.
//
// Design: the device list is derived, not stored: the CA's valid device certificates plus the
// users in the broker's password file. Revoking removes both, so the ACL loses the device's
// block; that matters because Mosquitto 2.0 checks the CRL only at the TLS handshake: a revoked
// device that is still connected keeps its socket after the reload but can no longer publish or
// receive (the ACL is re-applied to live clients), and a password device is disconnected.
// Bulk work (a fleet from CSV) passes Apply::deferred and calls apply() once at the end.

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/pki/certificate_authority.hpp"

namespace vigil::pki {

/// Where devices reach the broker; written into each bundle's device.json.
struct BrokerEndpoint {
  std::string host = "127.0.0.1";
  int certificatePort = 8883;
  int passwordPort = 8884;
};

/// The broker files the provisioner maintains.
struct ProvisionerConfig {
  BrokerEndpoint endpoint;
  std::filesystem::path aclFile;
  std::filesystem::path passwordFile;
  std::filesystem::path pidFile;  // mosquitto's pid, for SIGHUP; may not exist
  // The box's own client. Reserved, with every `<serviceClient>-<node>` (the identities of
  // cluster nodes, docs/scale-out.md): no device may take such an id.
  std::string serviceClient = "vigild";
  int passwordIterations = 1000;
};

/// Whether a change is applied to the broker immediately (ACL rewrite + SIGHUP) or later.
enum class Apply { now, deferred };

/// What reloadBroker() found.
enum class ReloadResult { reloaded, broker_not_running };

/// A certificate bundle written to a directory: ca.pem, device.pem, device.key (0600),
/// device.json.
struct DeviceBundle {
  std::string deviceId;
  std::filesystem::path dir;
  CertRecord certificate;
};

/// A password credential; `password` is shown once and never stored in clear.
struct PasswordCredential {
  std::string deviceId;
  std::string password;
};

/// What revoke() removed.
struct Revocation {
  std::vector<CertRecord> certificates;
  bool passwordRemoved = false;
  bool any() const { return passwordRemoved || !certificates.empty(); }
};

/// Issues, lists and revokes device credentials and keeps the broker's ACL in step.
class DeviceProvisioner {
 public:
  DeviceProvisioner(CertificateAuthority& ca, ProvisionerConfig config);

  /// Issues a new client certificate (CN = device id), revoking the device's previous ones,
  /// and writes the bundle into `outDir` (created 0700). Throws vigil::ValidationError for a
  /// bad or reserved id.
  DeviceBundle provisionCertificate(std::string_view deviceId, const std::filesystem::path& outDir,
                                    Apply apply = Apply::now);
  /// Creates (or replaces) the device's password-file entry. With `outDir`, also writes a bundle
  /// (ca.pem, password (0600), device.json).
  PasswordCredential provisionPassword(std::string_view deviceId,
                                       const std::optional<std::filesystem::path>& outDir = {},
                                       Apply apply = Apply::now);
  /// Revokes every certificate of the device and removes its password entry.
  Revocation revoke(std::string_view deviceId, Apply apply = Apply::now);

  /// Ids with a valid certificate or a password entry, sorted.
  std::vector<std::string> deviceIds() const;
  /// Whether `id` is the box's client or a cluster node's (`<serviceClient>-…`).
  bool isServiceId(std::string_view id) const;
  /// The box's client and the cluster nodes' (`<serviceClient>-<node>`, from the CA's valid
  /// service certificates), sorted: each gets the service block of the ACL.
  std::vector<std::string> serviceIds() const;
  /// Rewrites the ACL file (atomically) from acl.in, serviceIds() and deviceIds().
  void writeAcl() const;
  /// Sends SIGHUP to the broker named by the pid file, if it is running mosquitto.
  /// Mosquitto clears its reload flag when a reload ends, so a SIGHUP that lands while it is
  /// still re-reading its files for an earlier one is lost, and with it the change. When the
  /// previous signal from this provisioner is less than kReloadSettle old, this one is therefore
  /// sent again once that much time has passed since the previous (the call then blocks up to
  /// kReloadSettle): by then the earlier reload has ended and the second signal starts a reload
  /// that reads the change. A broker that has not yet installed its SIGHUP handler (it is
  /// starting: the default action would end it) is waited for, up to kStartWait.
  ReloadResult reloadBroker() const;
  static constexpr std::chrono::milliseconds kStartWait{5000};
  /// Longer than the broker takes to reload (a few ms for a clinic's ACL; ~0.1 s for 3,000
  /// devices on a 2-vCPU machine).
  static constexpr std::chrono::milliseconds kReloadSettle{1000};
  /// writeAcl() then reloadBroker().
  ReloadResult apply() const;

  const ProvisionerConfig& config() const { return config_; }

 private:
  std::string checkedId(std::string_view deviceId) const;
  std::string deviceJson(const std::string& id, bool certificate) const;

  CertificateAuthority& ca_;
  ProvisionerConfig config_;
  struct Pacing {
    std::mutex mutex;
    std::optional<std::chrono::steady_clock::time_point> lastSignal;
  };
  std::unique_ptr<Pacing> pacing_ = std::make_unique<Pacing>();
};

}  // namespace vigil::pki
