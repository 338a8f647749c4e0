#pragma once
// The cloud stand-in's directory (docs/cloud-api.md, "The stand-in"): its own CA (DIR/ca/, its
// certificate copied to DIR/ca.crt for clients), the HTTPS server's certificate for 127.0.0.1 and
// localhost (DIR/server.crt, DIR/server.key), and each service's X25519 encryption key and Ed25519
// signing key (DIR/keys/<kid>.key, 32 raw bytes, 0600). Created on first use, reused after, so a
// restarted stand-in keeps the identities the boxes enrolled with.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/crypto/ed25519.hpp"
#include "vigil/crypto/hpke.hpp"
#include "vigil/pki/certificate_authority.hpp"

namespace vigil::cloudsim {

/// The four services of the contract, in the order the key lists name them.
inline constexpr std::string_view kServiceNames[] = {"licensing", "pharmacy", "clearinghouse",
                                                     "notify"};

/// One service's keys: kids "<service>-enc-1" and "<service>-sig-1".
struct ServiceKeys {
  std::string name;
  std::string encKid;
  crypto::hpke::X25519KeyPair enc;
  std::string sigKid;
  crypto::Ed25519Signer sig;
};

/// The stand-in's files other than its database. Move-only (it holds the CA).
class CloudDir {
 public:
  /// Opens DIR, creating what is missing (the directory, the CA, the server certificate, the
  /// keys). Throws vigil::Error when a file is unusable.
  static CloudDir openOrCreate(const std::filesystem::path& dir);

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path dbPath() const { return path_ / "cloud.db"; }
  std::filesystem::path caCertPath() const { return path_ / "ca.crt"; }
  std::filesystem::path serverCertPath() const { return path_ / "server.crt"; }
  std::filesystem::path serverKeyPath() const { return path_ / "server.key"; }
  std::filesystem::path codePath() const { return path_ / "enrolment-code"; }
  std::filesystem::path urlPath() const { return path_ / "url"; }
  std::filesystem::path notificationsLogPath() const { return path_ / "notifications.log"; }

  pki::CertificateAuthority& ca() { return *ca_; }
  std::string caCertPem() const { return ca_->caCertPem(); }
  const std::vector<ServiceKeys>& services() const { return services_; }
  /// The service of that name, or nullptr.
  const ServiceKeys* findService(std::string_view name) const;
  /// The contract's `services` list: [{"name","encryptionKey":{"kid","key"},"signingKey":...}].
  std::string servicesJson() const;

 private:
  CloudDir() = default;
  std::filesystem::path path_;
  std::unique_ptr<pki::CertificateAuthority> ca_;
  std::vector<ServiceKeys> services_;
};

/// Writes `text` to `path` through a temporary file and a rename, with the given mode.
void writeFileAtomic(const std::filesystem::path& path, std::string_view text, unsigned mode);
/// Reads a whole file; throws vigil::FileMissing when it cannot.
std::string readFile(const std::filesystem::path& path);

}  // namespace vigil::cloudsim
