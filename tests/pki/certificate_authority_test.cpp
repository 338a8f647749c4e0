#define BOOST_TEST_MODULE vigil_pki
#include "vigil/pki/certificate_authority.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>

#include "vigil/core/clock.hpp"
#include "vigil/core/error.hpp"
#include "vigil/testsupport/manual_clock.hpp"
#include "vigil/testsupport/process.hpp"

namespace fs = std::filesystem;
using vigil::pki::CertificateAuthority;
using vigil::pki::CertKind;
using vigil::testsupport::readText;
using vigil::testsupport::TempDir;

namespace {

unsigned modeOf(const fs::path& p) {
  struct stat st {};
  BOOST_REQUIRE_EQUAL(::stat(p.c_str(), &st), 0);
  return st.st_mode & 0777;
}

X509* parseCert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  BOOST_REQUIRE(cert != nullptr);
  return cert;
}

std::string commonName(X509* cert) {
  char buf[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof(buf));
  return buf;
}

/// True if the CRL file lists `serialHex`.
bool crlLists(const fs::path& crlFile, const std::string& serialHex) {
  std::string pem = readText(crlFile);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509_CRL* crl = PEM_read_bio_X509_CRL(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  BOOST_REQUIRE(crl != nullptr);
  BIGNUM* bn = nullptr;
  BN_hex2bn(&bn, serialHex.c_str());
  ASN1_INTEGER* serial = BN_to_ASN1_INTEGER(bn, nullptr);
  X509_REVOKED* entry = nullptr;
  bool listed = X509_CRL_get0_by_serial(crl, &entry, serial) == 1;
  ASN1_INTEGER_free(serial);
  BN_free(bn);
  X509_CRL_free(crl);
  return listed;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(CertificateAuthoritySuite)

BOOST_AUTO_TEST_CASE(creates_a_ca_whose_key_only_the_owner_can_read) {
  TempDir tmp;
  auto ca = CertificateAuthority::create(tmp.path() / "pki");
  BOOST_TEST(modeOf(tmp.path() / "pki" / "ca.key") == 0600u);
  BOOST_TEST(modeOf(tmp.path() / "pki") == 0700u);
  BOOST_TEST(fs::exists(ca.caCertPath()));
  BOOST_TEST(fs::exists(ca.crlPath()));
  X509* cert = parseCert(ca.caCertPem());
  BOOST_TEST(X509_check_ca(cert) >= 1);
  X509_free(cert);
}

BOOST_AUTO_TEST_CASE(refuses_to_create_over_an_existing_ca) {
  TempDir tmp;
  CertificateAuthority::create(tmp.path() / "pki");
  BOOST_CHECK_THROW(CertificateAuthority::create(tmp.path() / "pki"), vigil::Error);
}

BOOST_AUTO_TEST_CASE(refuses_to_open_a_ca_whose_key_others_can_read) {
  TempDir tmp;
  CertificateAuthority::create(tmp.path() / "pki");
  fs::permissions(tmp.path() / "pki" / "ca.key", fs::perms::group_read, fs::perm_options::add);
  BOOST_CHECK_THROW(CertificateAuthority::open(tmp.path() / "pki"), vigil::CryptoError);
}

BOOST_AUTO_TEST_CASE(device_certificate_carries_the_device_id_and_verifies_against_the_ca) {
  TempDir tmp;
  auto ca = CertificateAuthority::create(tmp.path() / "pki");
  auto issued = ca.issueClient("bp-cuff-0042", CertKind::device);
  X509* cert = parseCert(issued.certPem);
  BOOST_TEST(commonName(cert) == "bp-cuff-0042");
  X509_free(cert);
  BOOST_TEST(issued.keyPem.find("PRIVATE KEY") != std::string::npos);
  auto v = ca.verify(issued.certPem);
  BOOST_TEST(v.ok, v.reason);
}

BOOST_AUTO_TEST_CASE(certificate_of_another_ca_does_not_verify) {
  TempDir tmp;
  auto ours = CertificateAuthority::create(tmp.path() / "ours");
  auto theirs = CertificateAuthority::create(tmp.path() / "theirs");
  auto foreign = theirs.issueClient("bp-cuff-1", CertKind::device);
  BOOST_TEST(!ours.verify(foreign.certPem).ok);
}

BOOST_AUTO_TEST_CASE(revoked_serial_appears_in_the_crl_and_no_longer_verifies) {
  TempDir tmp;
  auto ca = CertificateAuthority::create(tmp.path() / "pki");
  auto keep = ca.issueClient("scale-1", CertKind::device);
  auto gone = ca.issueClient("scale-2", CertKind::device);
  BOOST_TEST(ca.revoke(gone.record.serial));
  BOOST_TEST(!ca.revoke(gone.record.serial));  // second time: already revoked
  BOOST_TEST(crlLists(ca.crlPath(), gone.record.serial));
  BOOST_TEST(!crlLists(ca.crlPath(), keep.record.serial));
  auto v = ca.verify(gone.certPem);
  BOOST_TEST(!v.ok);
  BOOST_TEST(v.reason == "certificate revoked");
  BOOST_TEST(ca.verify(keep.certPem).ok);
}

BOOST_AUTO_TEST_CASE(revoking_an_unknown_serial_is_not_found) {
  TempDir tmp;
  auto ca = CertificateAuthority::create(tmp.path() / "pki");
  BOOST_CHECK_THROW(ca.revoke("0123ABCD"), vigil::NotFound);
}

BOOST_AUTO_TEST_CASE(refuses_common_names_unsafe_in_topics_or_file_names) {
  TempDir tmp;
  auto ca = CertificateAuthority::create(tmp.path() / "pki");
  for (const char* bad : {"", "a/b", "dev+1", "dev#", "..", ".hidden", "-rf", "has space", "x\ny",
                          "\xc3\xa9t\xc3\xa9"}) {
    BOOST_CHECK_THROW(ca.issueClient(bad, CertKind::device), vigil::ValidationError);
  }
  BOOST_CHECK_THROW(ca.issueClient(std::string(65, 'a'), CertKind::device), vigil::ValidationError);
  BOOST_CHECK_NO_THROW(ca.issueClient(std::string(64, 'a'), CertKind::device));
  BOOST_TEST(ca.list().size() == 1u);
}

BOOST_AUTO_TEST_CASE(reopened_ca_remembers_issued_and_revoked_certificates) {
  TempDir tmp;
  std::string revokedSerial;
  {
    auto ca = CertificateAuthority::create(tmp.path() / "pki");
    ca.issueClient("glucometer-7", CertKind::device);
    revokedSerial = ca.issueClient("glucometer-8", CertKind::device).record.serial;
    ca.revoke(revokedSerial);
  }
  auto ca = CertificateAuthority::open(tmp.path() / "pki");
  auto all = ca.list();
  BOOST_REQUIRE_EQUAL(all.size(), 2u);
  BOOST_TEST(all[0].commonName == "glucometer-7");
  BOOST_TEST(!all[0].revoked());
  BOOST_TEST(all[1].revoked());
  BOOST_REQUIRE_EQUAL(ca.active(CertKind::device).size(), 1u);
  BOOST_TEST(ca.active(CertKind::device)[0].commonName == "glucometer-7");
}

BOOST_AUTO_TEST_CASE(server_certificate_names_the_hosts_it_serves) {
  TempDir tmp;
  auto ca = CertificateAuthority::create(tmp.path() / "pki");
  auto server = ca.issueServer("vigil-box", {"localhost", "vigil-box"}, {"127.0.0.1"});
  X509* cert = parseCert(server.certPem);
  BOOST_TEST(X509_check_host(cert, "localhost", 0, 0, nullptr) == 1);
  BOOST_TEST(X509_check_ip_asc(cert, "127.0.0.1", 0) == 1);
  BOOST_TEST(X509_check_host(cert, "elsewhere.example", 0, 0, nullptr) == 0);
  X509_free(cert);
  BOOST_CHECK_THROW(ca.issueServer("x", {"bad,name"}, {}), vigil::ValidationError);
}

BOOST_AUTO_TEST_CASE(certificate_stops_verifying_after_it_expires) {
  TempDir tmp;
  vigil::testsupport::ManualClock clock;
  vigil::pki::CaOptions options;
  options.leafValidityDays = 30;
  auto ca = CertificateAuthority::create(tmp.path() / "pki", options, clock);
  auto issued = ca.issueClient("pulse-ox-3", CertKind::device);
  clock.advance(std::chrono::hours(24 * 29));
  BOOST_TEST(ca.verify(issued.certPem).ok);
  clock.advance(std::chrono::hours(24 * 2));
  BOOST_TEST(ca.verify(issued.certPem).reason == "certificate has expired");
  BOOST_TEST(ca.active(CertKind::device).empty());
}

BOOST_AUTO_TEST_CASE(crl_is_rewritten_once_half_its_validity_has_passed) {
  TempDir tmp;
  vigil::testsupport::ManualClock clock;
  vigil::pki::CaOptions options;
  options.crlValidityDays = 10;
  auto ca = CertificateAuthority::create(tmp.path() / "pki", options, clock);
  std::string first = readText(ca.crlPath());
  clock.advance(std::chrono::hours(24 * 4));
  BOOST_TEST(!ca.refreshCrlIfDue());
  BOOST_TEST(readText(ca.crlPath()) == first);
  clock.advance(std::chrono::hours(24 * 2));
  BOOST_TEST(ca.refreshCrlIfDue());
  BOOST_TEST(readText(ca.crlPath()) != first);
  // An expired CRL would make every certificate fail: after the refresh it verifies again.
  clock.advance(std::chrono::hours(24 * 11));
  auto issued = ca.issueClient("thermo-1", CertKind::device);
  BOOST_TEST(ca.verify(issued.certPem).reason == "CRL has expired");
  ca.refreshCrlIfDue();
  BOOST_TEST(ca.verify(issued.certPem).ok);
}

BOOST_AUTO_TEST_SUITE_END()
