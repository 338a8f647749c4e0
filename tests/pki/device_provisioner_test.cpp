#include "vigil/pki/device_provisioner.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "vigil/core/error.hpp"
#include "vigil/pki/broker_setup.hpp"
#include "vigil/pki/mosquitto_password.hpp"
#include "vigil/testsupport/process.hpp"

namespace fs = std::filesystem;
using namespace vigil::pki;
using namespace std::chrono_literals;
using vigil::testsupport::readText;
using vigil::testsupport::TempDir;

namespace {

/// A CA and provisioner over a temp dir, no broker.
struct Box {
  TempDir tmp;
  CertificateAuthority ca = CertificateAuthority::create(tmp.path() / "pki");
  DeviceProvisioner provisioner{ca, config()};
  ProvisionerConfig config() const {
    ProvisionerConfig c;
    c.endpoint = {"vigil-box.local", 18883, 18884};
    c.aclFile = tmp.path() / "acl";
    c.passwordFile = tmp.path() / "passwd";
    c.pidFile = tmp.path() / "mosquitto.pid";
    return c;
  }
};

unsigned modeOf(const fs::path& p) {
  struct stat st {};
  BOOST_REQUIRE_EQUAL(::stat(p.c_str(), &st), 0);
  return st.st_mode & 0777;
}

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(DeviceProvisionerSuite)

BOOST_AUTO_TEST_CASE(certificate_bundle_holds_ca_cert_private_key_and_connection_details) {
  Box box;
  auto out = box.tmp.path() / "bundle";
  auto bundle = box.provisioner.provisionCertificate("cuff-17", out);
  BOOST_TEST(bundle.deviceId == "cuff-17");
  BOOST_TEST(readText(out / "ca.pem") == box.ca.caCertPem());
  BOOST_TEST(box.ca.verify(readText(out / "device.pem")).ok);
  BOOST_TEST(modeOf(out / "device.key") == 0600u);
  BOOST_TEST(modeOf(out) == 0700u);
  std::string json = readText(out / "device.json");
  BOOST_TEST(contains(json, "\"deviceId\": \"cuff-17\""));
  BOOST_TEST(contains(json, "\"host\": \"vigil-box.local\", \"port\": 18883"));
  BOOST_TEST(contains(json, "\"readings\": \"vigil/v1/devices/cuff-17/readings\""));
  BOOST_TEST(contains(json, "\"ack\": \"vigil/v1/devices/cuff-17/ack\""));
}

BOOST_AUTO_TEST_CASE(acl_pins_each_device_to_its_own_topics) {
  Box box;
  box.provisioner.provisionCertificate("cuff-1", box.tmp.path() / "b1");
  box.provisioner.provisionPassword("scale-2");
  std::string acl = readText(box.tmp.path() / "acl");
  BOOST_TEST(contains(acl, "user vigild\ntopic read vigil/v1/devices/+/readings\n"));
  BOOST_TEST(contains(acl,
                      "user cuff-1\ntopic write vigil/v1/devices/cuff-1/readings\n"
                      "topic write vigil/v1/devices/cuff-1/gatt\n"
                      "topic read vigil/v1/devices/cuff-1/ack\n"
                      "topic read vigil/v1/devices/cuff-1/config\n"
                      "topic read vigil/v1/devices/cuff-1/config/#\n"));
  BOOST_TEST(contains(acl, "topic write vigil/v1/devices/+/config/firmware/#\n"));
  BOOST_TEST(contains(acl, "user scale-2\ntopic write vigil/v1/devices/scale-2/readings\n"));
  BOOST_TEST(!contains(acl, "@"));        // every placeholder rendered
  BOOST_TEST(!contains(acl, "pattern"));  // explicit per-device blocks, no %u patterns
}

BOOST_AUTO_TEST_CASE(reprovisioning_revokes_the_previous_certificate) {
  Box box;
  auto first = box.provisioner.provisionCertificate("hub-3", box.tmp.path() / "a");
  auto second = box.provisioner.provisionCertificate("hub-3", box.tmp.path() / "b");
  BOOST_TEST(first.certificate.serial != second.certificate.serial);
  BOOST_TEST(!box.ca.verify(readText(box.tmp.path() / "a" / "device.pem")).ok);
  BOOST_TEST(box.ca.verify(readText(box.tmp.path() / "b" / "device.pem")).ok);
  BOOST_TEST(box.provisioner.deviceIds() == std::vector<std::string>{"hub-3"});
}

BOOST_AUTO_TEST_CASE(password_credential_is_stored_only_as_a_mosquitto_hash) {
  Box box;
  auto out = box.tmp.path() / "pw";
  auto cred = box.provisioner.provisionPassword("legacy-9", out);
  std::string file = readText(box.tmp.path() / "passwd");
  BOOST_TEST(!contains(file, cred.password));
  BOOST_REQUIRE(file.rfind("legacy-9:$7$", 0) == 0u);
  std::string hash = file.substr(std::string("legacy-9:").size());
  hash.pop_back();
  BOOST_TEST(verifyMosquittoPassword(cred.password, hash));
  BOOST_TEST(readText(out / "password") == cred.password + "\n");
  BOOST_TEST(modeOf(out / "password") == 0600u);
  BOOST_TEST(contains(readText(out / "device.json"), "\"port\": 18884"));
  // Replacing the password leaves one entry.
  auto again = box.provisioner.provisionPassword("legacy-9");
  file = readText(box.tmp.path() / "passwd");
  BOOST_TEST(file.find("legacy-9:") == file.rfind("legacy-9:"));
  BOOST_TEST(again.password != cred.password);
}

BOOST_AUTO_TEST_CASE(revoking_removes_certificates_password_and_acl_block) {
  Box box;
  box.provisioner.provisionCertificate("dev-a", box.tmp.path() / "a");
  box.provisioner.provisionPassword("dev-a");
  box.provisioner.provisionCertificate("dev-b", box.tmp.path() / "b");
  auto r = box.provisioner.revoke("dev-a");
  BOOST_TEST(r.certificates.size() == 1u);
  BOOST_TEST(r.passwordRemoved);
  BOOST_TEST(box.provisioner.deviceIds() == std::vector<std::string>{"dev-b"});
  std::string acl = readText(box.tmp.path() / "acl");
  BOOST_TEST(!contains(acl, "dev-a"));
  BOOST_TEST(contains(acl, "user dev-b\n"));
  BOOST_TEST(!contains(readText(box.tmp.path() / "passwd"), "dev-a"));
  BOOST_TEST(!box.provisioner.revoke("dev-a").any());
}

BOOST_AUTO_TEST_CASE(refuses_the_reserved_service_id_and_malformed_ids) {
  Box box;
  BOOST_CHECK_THROW(box.provisioner.provisionCertificate("vigild", box.tmp.path() / "x"),
                    vigil::ValidationError);
  BOOST_CHECK_THROW(box.provisioner.provisionPassword("vigild"), vigil::ValidationError);
  BOOST_CHECK_THROW(box.provisioner.provisionCertificate("../etc", box.tmp.path() / "x"),
                    vigil::ValidationError);
  BOOST_TEST(!fs::exists(box.tmp.path() / "x"));
  BOOST_TEST(box.ca.list().empty());
}

BOOST_AUTO_TEST_CASE(cluster_node_ids_are_reserved_like_the_service_id) {
  // A device named vigild-a would be cluster node a's session and rights (docs/scale-out.md).
  Box box;
  BOOST_CHECK_THROW(box.provisioner.provisionCertificate("vigild-a", box.tmp.path() / "x"),
                    vigil::ValidationError);
  BOOST_CHECK_THROW(box.provisioner.provisionPassword("vigild-node-2"), vigil::ValidationError);
  // Only the service id itself and <service>-<something> are reserved.
  BOOST_CHECK_NO_THROW(box.provisioner.provisionPassword("vigild2"));
  BOOST_CHECK_NO_THROW(box.provisioner.provisionPassword("vigild-"));
  BOOST_TEST(box.provisioner.isServiceId("vigild"));
  BOOST_TEST(box.provisioner.isServiceId("vigild-a"));
  BOOST_TEST(!box.provisioner.isServiceId("vigild2"));
  BOOST_TEST(!box.provisioner.isServiceId("vigild-"));
}

BOOST_AUTO_TEST_CASE(each_cluster_node_gets_the_service_block_of_the_acl) {
  Box box;
  box.ca.issueClient("vigild-a", CertKind::service);
  box.ca.issueClient("vigild-b", CertKind::service);
  box.ca.issueClient("observer", CertKind::service);  // a service cert that is not a node
  box.provisioner.writeAcl();
  BOOST_TEST(
      (box.provisioner.serviceIds() == std::vector<std::string>{"vigild", "vigild-a", "vigild-b"}));
  std::string acl = readText(box.tmp.path() / "acl");
  for (const char* user : {"vigild", "vigild-a", "vigild-b"}) {
    BOOST_TEST(contains(acl, std::string("user ") + user +
                                 "\ntopic read vigil/v1/devices/+/readings\n"
                                 "topic read vigil/v1/devices/+/gatt\n"
                                 "topic write vigil/v1/devices/+/ack\n"
                                 "topic write vigil/v1/devices/+/config\n"
                                 "topic write vigil/v1/devices/+/config/firmware/#\n"),
               user);
  }
  BOOST_TEST(!contains(acl, "user observer"));
  BOOST_TEST(!contains(acl, "@"));
  // A revoked node loses its block at the next rewrite.
  box.ca.revokeAll("vigild-b", CertKind::service, "");
  box.provisioner.writeAcl();
  BOOST_TEST(!contains(readText(box.tmp.path() / "acl"), "user vigild-b"));
}

BOOST_AUTO_TEST_CASE(reload_without_a_running_broker_reports_it) {
  Box box;
  BOOST_TEST((box.provisioner.reloadBroker() == ReloadResult::broker_not_running));
  // A pid file naming a live process that is not mosquitto (this test) is not signalled.
  std::ofstream(box.tmp.path() / "mosquitto.pid") << ::getpid() << "\n";
  BOOST_TEST((box.provisioner.reloadBroker() == ReloadResult::broker_not_running));
}

BOOST_AUTO_TEST_CASE(a_broker_still_starting_is_signalled_once_it_can_take_the_reload) {
  // Mosquitto listens and writes its pid file before it installs its SIGHUP handler; a reload
  // signalled in that window ended the broker (seen once under a loaded CI run). A stand-in
  // named mosquitto takes 1.5 s to install its handler, then records each SIGHUP.
  Box box;
  const auto script = box.tmp.path() / "mosquitto";
  const auto got = box.tmp.path() / "hups";
  std::ofstream(script) << "#!/bin/sh\nsleep 1.5\ntrap 'echo hup >> " << got.string()
                        << "' HUP\nwhile :; do sleep 0.05; done\n";
  fs::permissions(script, fs::perms::owner_all);
  vigil::testsupport::Process broker(script, vigil::testsupport::Process::Options{});
  std::ofstream(box.tmp.path() / "mosquitto.pid") << broker.pid() << "\n";
  // The kernel names a script's process after the script: wait until exec has happened.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (readText("/proc/" + std::to_string(broker.pid()) + "/comm") != "mosquitto\n" &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  BOOST_TEST_REQUIRE(readText("/proc/" + std::to_string(broker.pid()) + "/comm") == "mosquitto\n");
  BOOST_TEST((box.provisioner.reloadBroker() == ReloadResult::reloaded));
  deadline = std::chrono::steady_clock::now() + 5s;
  while (readText(got) != "hup\n" && broker.running() &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  BOOST_TEST(broker.running(), "the signal ended the starting broker");
  BOOST_TEST(readText(got) == "hup\n");
}

BOOST_AUTO_TEST_CASE(deferred_changes_reach_the_acl_on_apply) {
  Box box;
  box.provisioner.provisionCertificate("fleet-1", box.tmp.path() / "f1", Apply::deferred);
  BOOST_TEST(!fs::exists(box.tmp.path() / "acl"));
  box.provisioner.apply();
  BOOST_TEST(contains(readText(box.tmp.path() / "acl"), "user fleet-1\n"));
}

BOOST_AUTO_TEST_SUITE_END()
