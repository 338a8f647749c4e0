#pragma once
// Certificate signing requests for a client certificate another party's CA issues: the box asks
// the cloud for its mutual-TLS certificate at enrolment (docs/cloud-api.md, "Enrolment").

#include <string>
#include <string_view>

namespace vigil::pki {

/// A fresh EC P-256 private key and a PKCS#10 request for it, both PEM. The key never leaves
/// the caller; the request carries only the public key and `commonName`.
struct KeyAndRequest {
  std::string keyPem;
  std::string requestPem;
};

/// Makes a key and a request with subject CN=`commonName`, signed with SHA-256. Throws
/// vigil::ValidationError for an empty or over-long (> 64) common name, vigil::CryptoError if
/// OpenSSL fails.
KeyAndRequest makeCertificateRequest(std::string_view commonName);

/// The subject's common name of a PEM request whose self-signature verifies. Throws
/// vigil::CryptoError for a request that does not parse or verify.
std::string requestCommonName(std::string_view requestPem);

}  // namespace vigil::pki
