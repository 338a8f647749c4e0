#include "vigil/pki/certificate_request.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "openssl_util.hpp"
#include "vigil/core/error.hpp"

namespace vigil::pki {

using detail::check;
using detail::checkPtr;
using detail::Owned;

KeyAndRequest makeCertificateRequest(std::string_view commonName) {
  if (commonName.empty() || commonName.size() > 64) {
    throw ValidationError("certificate request: the common name must be 1-64 characters");
  }
  auto key = detail::generateP256Key();
  Owned<X509_REQ> request(checkPtr(X509_REQ_new(), "new request"));
  check(X509_REQ_set_version(request.get(), 0), "request version");
  X509_NAME* subject = X509_REQ_get_subject_name(request.get());
  std::string cn(commonName);
  check(X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0),
        "request subject");
  check(X509_REQ_set_pubkey(request.get(), key.get()), "request key");
  if (X509_REQ_sign(request.get(), key.get(), EVP_sha256()) <= 0)
    detail::throwCrypto("sign request");
  auto bio = detail::memBio();
  check(PEM_write_bio_X509_REQ(bio.get(), request.get()), "write request");
  return {detail::privateKeyToPem(key.get()), detail::drain(bio.get())};
}

std::string requestCommonName(std::string_view requestPem) {
  auto bio = detail::readBio(requestPem);
  Owned<X509_REQ> request(
      checkPtr(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr), "read request"));
  EVP_PKEY* key = checkPtr(X509_REQ_get0_pubkey(request.get()), "request key");
  if (X509_REQ_verify(request.get(), key) != 1) detail::throwCrypto("request signature");
  X509_NAME* subject = X509_REQ_get_subject_name(request.get());
  int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) throw CryptoError("certificate request: no common name");
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                     static_cast<std::size_t>(ASN1_STRING_length(data)));
}

}  // namespace vigil::pki
