#pragma once
// The box's own certificate authority: one EC P-256 CA that signs the broker's server
// certificate, the box's service clients (vigild) and every device's client certificate, and
// publishes a CRL the broker and the daemon check.
//
// Design: the CA lives in a directory of plain files (layout in docs/provisioning.md), not in the
// database, so the broker, the devtool and a restore can use it without vigild running. Issued
// certificates are recorded in an append-only index (`index.log`: one line per issue or
// revocation), which makes a fleet of 10 000 devices O(n) to provision and leaves a history.
// Every change takes an flock on `<dir>/lock` and re-reads the index, so the devtool and the
// admin portal may work on the same CA at once. Serials are 128 random bits.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/core/clock.hpp"

namespace vigil::pki {

/// What a certificate is for; decides its extensions and who appears in the broker ACL.
enum class CertKind { device, service, server };
std::string_view toString(CertKind kind);
/// Throws vigil::ValidationError on an unknown name.
CertKind parseCertKind(std::string_view name);

/// One issued certificate as recorded in the index.
struct CertRecord {
  std::string serial;  // upper-case hex
  CertKind kind = CertKind::device;
  std::string commonName;
  std::int64_t notBefore = 0;  // seconds since the epoch
  std::int64_t notAfter = 0;
  std::int64_t revokedAt = 0;  // 0 while valid
  bool revoked() const { return revokedAt != 0; }
};

/// A fresh certificate with its private key (PEM). The CA keeps the certificate, never the key.
struct IssuedCertificate {
  CertRecord record;
  std::string certPem;
  std::string keyPem;
};

/// Lifetimes used when creating a CA and issuing from it.
struct CaOptions {
  std::string commonName = "Vigil device CA";
  int caValidityDays = 3650;
  int leafValidityDays = 1825;
  int serverValidityDays = 825;
  int crlValidityDays = 365;  // the broker refuses every client once the CRL expires
};

/// Result of checking a certificate against the CA and its current CRL.
struct Verification {
  bool ok = false;
  std::string reason;  // OpenSSL's verify error text when !ok
};

/// A certificate authority backed by a directory. Move-only.
class CertificateAuthority {
 public:
  /// Creates a new CA in `dir` (created 0700); throws vigil::Error if one exists there.
  static CertificateAuthority create(const std::filesystem::path& dir,
                                     const CaOptions& options = {},
                                     const Clock& clock = SystemClock::instance());
  /// Opens an existing CA; throws vigil::FileMissing, or vigil::CryptoError when the key is
  /// readable by group/others or does not match the certificate.
  static CertificateAuthority open(const std::filesystem::path& dir,
                                   const Clock& clock = SystemClock::instance());
  static CertificateAuthority openOrCreate(const std::filesystem::path& dir,
                                           const CaOptions& options = {},
                                           const Clock& clock = SystemClock::instance());
  static bool exists(const std::filesystem::path& dir);

  CertificateAuthority(CertificateAuthority&&) noexcept;
  CertificateAuthority& operator=(CertificateAuthority&&) noexcept;
  ~CertificateAuthority();

  const std::filesystem::path& dir() const;
  std::filesystem::path caCertPath() const;
  std::filesystem::path crlPath() const;
  std::string caCertPem() const;

  /// A TLS server certificate with the given subjectAltNames (DNS names and IP addresses).
  IssuedCertificate issueServer(std::string_view commonName,
                                const std::vector<std::string>& dnsNames,
                                const std::vector<std::string>& ipAddresses);
  /// A TLS client certificate with CN = `commonName` (a device id or a service name such as
  /// "vigild"); `kind` must be device or service. The CN must be a valid device id.
  IssuedCertificate issueClient(std::string_view commonName, CertKind kind);
  /// A TLS client certificate for the key of a PEM certificate request (PKCS#10) made by the
  /// holder, who keeps its private key (keyPem is empty). The CA names the holder: CN =
  /// `commonName` (a valid device id), the request's own subject is ignored. Throws
  /// vigil::ValidationError ("csr: ...") when the request is not PEM, its signature does not
  /// verify or its key is not EC P-256; `kind` must be device or service.
  IssuedCertificate signClientRequest(std::string_view csrPem, std::string_view commonName,
                                      CertKind kind);

  /// Revokes one certificate and rewrites the CRL. Returns false if it was already revoked;
  /// throws vigil::NotFound for an unknown serial.
  bool revoke(std::string_view serial);
  /// Revokes every valid certificate of `kind` with this CN except `keepSerial`; returns those
  /// revoked.
  std::vector<CertRecord> revokeAll(std::string_view commonName, CertKind kind,
                                    std::string_view keepSerial = {});
  /// Rewrites crl.pem (atomically) from the index.
  void writeCrl();
  /// Rewrites the CRL when less than half of its validity is left; returns true if it did.
  bool refreshCrlIfDue();

  /// Every certificate ever issued, in issue order.
  std::vector<CertRecord> list() const;
  std::optional<CertRecord> find(std::string_view serial) const;
  /// Valid (not revoked, not expired) certificates of `kind`.
  std::vector<CertRecord> active(CertKind kind) const;

  /// Checks a PEM certificate against this CA and its CRL at the clock's time.
  Verification verify(std::string_view certPem) const;

 private:
  struct Impl;
  explicit CertificateAuthority(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::pki
