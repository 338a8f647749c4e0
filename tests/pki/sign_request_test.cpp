// CertificateAuthority::signClientRequest: the cloud stand-in's CA signs a box's certificate
// request (the box keeps its key) as a client certificate named by the CA.
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/test/unit_test.hpp>
#include <memory>
#include <string>

#include "vigil/core/error.hpp"
#include "vigil/pki/certificate_authority.hpp"
#include "vigil/testsupport/process.hpp"

using vigil::pki::CertificateAuthority;
using vigil::pki::CertKind;
using vigil::testsupport::TempDir;

namespace {

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;

KeyPtr ecKey() {
  return KeyPtr(EVP_EC_gen("P-256"), &EVP_PKEY_free);
}

/// A PEM certificate request for `key` with the subject CN `cn`, signed by `signer`.
std::string makeCsr(EVP_PKEY* key, const std::string& cn, EVP_PKEY* signer = nullptr) {
  X509_REQ* req = X509_REQ_new();
  X509_REQ_set_version(req, 0);
  X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_REQ_set_pubkey(req, key);
  EVP_PKEY* by = signer != nullptr ? signer : key;
  X509_REQ_sign(req, by, EVP_PKEY_is_a(by, "ED25519") ? nullptr : EVP_sha256());
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_REQ(bio, req);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  X509_REQ_free(req);
  return pem;
}

CertPtr parse(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  BOOST_REQUIRE(cert != nullptr);
  return CertPtr(cert, &X509_free);
}

std::string commonName(X509* cert) {
  char buf[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof(buf));
  return buf;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(SignClientRequest)

BOOST_AUTO_TEST_CASE(signs_the_requests_key_under_the_name_the_ca_gives) {
  TempDir tmp;
  auto ca = CertificateAuthority::create(tmp.path() / "pki");
  KeyPtr key = ecKey();
  auto issued = ca.signClientRequest(makeCsr(key.get(), "what-the-box-asked"), "box-1a2b3c4d",
                                     CertKind::device);
  BOOST_TEST(issued.keyPem.empty());  // the holder keeps its key
  BOOST_TEST(issued.record.commonName == "box-1a2b3c4d");
  CertPtr cert = parse(issued.certPem);
  BOOST_TEST(commonName(cert.get()) == "box-1a2b3c4d");
  BOOST_TEST(EVP_PKEY_eq(X509_get0_pubkey(cert.get()), key.get()) == 1);
  BOOST_TEST((X509_get_extended_key_usage(cert.get()) & XKU_SSL_CLIENT) != 0u);
  BOOST_TEST((X509_get_extended_key_usage(cert.get()) & XKU_SSL_SERVER) == 0u);
  auto v = ca.verify(issued.certPem);
  BOOST_TEST(v.ok, v.reason);
  BOOST_TEST(ca.find(issued.record.serial).has_value());
}

BOOST_AUTO_TEST_CASE(refuses_a_request_whose_signature_does_not_verify) {
  TempDir tmp;
  auto ca = CertificateAuthority::create(tmp.path() / "pki");
  KeyPtr key = ecKey();
  KeyPtr other = ecKey();
  // Signed by a key other than the one it asks a certificate for: no proof of possession.
  std::string csr = makeCsr(key.get(), "x", other.get());
  BOOST_CHECK_THROW(ca.signClientRequest(csr, "box-1a2b3c4d", CertKind::device),
                    vigil::ValidationError);
}

BOOST_AUTO_TEST_CASE(refuses_text_that_is_not_a_request) {
  TempDir tmp;
  auto ca = CertificateAuthority::create(tmp.path() / "pki");
  BOOST_CHECK_THROW(ca.signClientRequest("hello", "box-1a2b3c4d", CertKind::device),
                    vigil::ValidationError);
  BOOST_CHECK_THROW(ca.signClientRequest(ca.caCertPem(), "box-1a2b3c4d", CertKind::device),
                    vigil::ValidationError);
}

BOOST_AUTO_TEST_CASE(refuses_keys_other_than_p256) {
  TempDir tmp;
  auto ca = CertificateAuthority::create(tmp.path() / "pki");
  KeyPtr ed(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), &EVP_PKEY_free);
  BOOST_CHECK_THROW(ca.signClientRequest(makeCsr(ed.get(), "x"), "box-1a2b3c4d", CertKind::device),
                    vigil::ValidationError);
  KeyPtr p384(EVP_EC_gen("P-384"), &EVP_PKEY_free);
  BOOST_CHECK_THROW(
      ca.signClientRequest(makeCsr(p384.get(), "x"), "box-1a2b3c4d", CertKind::device),
      vigil::ValidationError);
}

BOOST_AUTO_TEST_CASE(refuses_a_server_kind_and_an_unsafe_name) {
  TempDir tmp;
  auto ca = CertificateAuthority::create(tmp.path() / "pki");
  KeyPtr key = ecKey();
  std::string csr = makeCsr(key.get(), "x");
  BOOST_CHECK_THROW(ca.signClientRequest(csr, "box-1a2b3c4d", CertKind::server),
                    vigil::ValidationError);
  BOOST_CHECK_THROW(ca.signClientRequest(csr, "box/../x", CertKind::device),
                    vigil::ValidationError);
}

BOOST_AUTO_TEST_SUITE_END()
