#include "vigil/pki/broker_setup.hpp"

#include <sys/stat.h>

#include <boost/test/unit_test.hpp>

#include "vigil/core/error.hpp"
#include "vigil/pki/certificate_authority.hpp"
#include "vigil/testsupport/process.hpp"

namespace fs = std::filesystem;
using namespace vigil::pki;
using vigil::testsupport::readText;
using vigil::testsupport::TempDir;

BOOST_AUTO_TEST_SUITE(BrokerSetup)

BOOST_AUTO_TEST_CASE(renders_placeholders_and_refuses_missing_values) {
  BOOST_TEST(renderTemplate("port @PORT@ mail a@b.c @", {{"PORT", "8883"}}) ==
             "port 8883 mail a@b.c @");
  BOOST_CHECK_THROW(renderTemplate("x @MISSING@", {}), vigil::ConfigError);
}

BOOST_AUTO_TEST_CASE(prepares_a_complete_tls_only_broker_config) {
  TempDir tmp;
  BrokerLayout layout(tmp.path() / "var");
  BrokerSettings settings;
  settings.certificatePort = 28883;
  settings.passwordPort = 28884;
  prepareBroker(layout, settings);
  std::string conf = readText(layout.configFile);
  BOOST_TEST(conf.find("listener 28883 127.0.0.1") != std::string::npos);
  BOOST_TEST(conf.find("listener 28884 127.0.0.1") != std::string::npos);
  BOOST_TEST(conf.find("allow_anonymous false") != std::string::npos);
  BOOST_TEST(conf.find("crlfile " + (layout.pkiDir / "crl.pem").string()) != std::string::npos);
  BOOST_TEST(conf.find("use_identity_as_username true") != std::string::npos);
  // Both listeners tie the client id to the authenticated name (no session takeover).
  BOOST_TEST(conf.find("use_username_as_clientid true") != std::string::npos);
  BOOST_TEST(conf.rfind("use_username_as_clientid true") !=
             conf.find("use_username_as_clientid true"));
  BOOST_TEST(conf.find("tls_version tlsv1.2") != std::string::npos);
  BOOST_TEST(conf.find('@') == std::string::npos);
  for (const auto& f : {layout.serverCert, layout.serverKey, layout.clientCert("vigild"),
                        layout.clientKey("vigild"), layout.aclFile, layout.passwordFile}) {
    BOOST_TEST(fs::exists(f), f.string());
  }
  struct stat st {};
  BOOST_REQUIRE_EQUAL(::stat(layout.serverKey.c_str(), &st), 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  BOOST_REQUIRE_EQUAL(::stat(layout.clientKey("vigild").c_str(), &st), 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
}

BOOST_AUTO_TEST_CASE(second_run_keeps_the_existing_certificates) {
  TempDir tmp;
  BrokerLayout layout(tmp.path() / "var");
  prepareBroker(layout, {});
  std::string server = readText(layout.serverCert);
  std::string client = readText(layout.clientCert("vigild"));
  prepareBroker(layout, {});
  BOOST_TEST(readText(layout.serverCert) == server);
  BOOST_TEST(readText(layout.clientCert("vigild")) == client);
  // A new name for the server means a new server certificate.
  BrokerSettings more;
  more.serverDnsNames.push_back("vigil-box.example");
  prepareBroker(layout, more);
  BOOST_TEST(readText(layout.serverCert) != server);
}

BOOST_AUTO_TEST_CASE(cluster_nodes_get_certificates_of_their_own_and_the_services_acl_block) {
  TempDir tmp;
  BrokerLayout layout(tmp.path() / "var");
  prepareBroker(layout, {});
  const std::string box = readText(layout.clientCert("vigild"));
  BrokerSettings nodes;
  nodes.clusterNodes = {"a", "b"};
  prepareBroker(layout, nodes);
  auto ca = CertificateAuthority::open(layout.pkiDir);
  BOOST_TEST(readText(layout.clientCert("vigild")) == box);  // the box's identity unchanged
  for (const char* cn : {"vigild-a", "vigild-b"}) {
    BOOST_TEST(ca.verify(readText(layout.clientCert(cn))).ok, cn);
    BOOST_TEST(readText(layout.clientCert(cn)) != box, cn);
    BOOST_TEST(readText(layout.aclFile)
                       .find(std::string("user ") + cn +
                             "\ntopic read vigil/v1/devices/+/readings\n") != std::string::npos,
               cn);
  }
  BrokerSettings bad;
  bad.clusterNodes = {"a/b"};
  BOOST_CHECK_THROW(prepareBroker(layout, bad), vigil::ConfigError);
}

BOOST_AUTO_TEST_SUITE_END()
