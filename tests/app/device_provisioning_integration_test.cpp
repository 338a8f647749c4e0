// Device provisioning from the admin portal through a real vigild and a real Mosquitto: the
// admin adds a device, issues its bundle (a certificate from the box's device CA), assigns it to
// a patient; the device connects with that bundle and its readings are stored for the patient;
// retired, its credentials are revoked with it: the CRL lists its certificate, the broker ACL no
// longer names it, and the bundle no longer gets a reading in.

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>
#include <fstream>

#include "vigil/fleet/device_publisher.hpp"
#include "vigil/testsupport/box_fixture.hpp"
#include "vigil/testsupport/portal_client.hpp"

using namespace vigil;
using namespace vigil::testsupport;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// Writes the bundle document's files into `dir`.
void writeBundle(const std::string& json, const fs::path& dir) {
  Poco::JSON::Parser parser;
  auto doc = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
  auto files = doc->getObject("files");
  fs::create_directories(dir);
  for (const auto& name : files->getNames()) {
    std::ofstream out(dir / name, std::ios::binary);
    out << files->getValue<std::string>(name);
  }
  fs::permissions(dir / "device.key", fs::perms::owner_read | fs::perms::owner_write,
                  fs::perm_options::replace);
}

std::unique_ptr<fleet::DevicePublisher> device(BoxFixture& box, const std::string& uid,
                                               const fs::path& bundle) {
  fleet::PublisherOptions o;
  o.deviceUid = uid;
  o.mqtt.port = box.broker().certificatePort();
  o.mqtt.clientId = uid;
  o.mqtt.caFile = (bundle / "ca.pem").string();
  o.mqtt.certFile = (bundle / "device.pem").string();
  o.mqtt.keyFile = (bundle / "device.key").string();
  o.mqtt.reconnectMin = 200ms;
  o.mqtt.reconnectMax = 1s;
  o.resendAfter = 1s;
  return std::make_unique<fleet::DevicePublisher>(o);
}

std::string reading(std::uint64_t seq) {
  return "{\"v\":1,\"seq\":" + std::to_string(seq) +
         ",\"readings\":[{\"kind\":\"blood_pressure\",\"unit\":\"mm[Hg]\",\"components\":{"
         "\"systolic\":128,\"diastolic\":81}}]}";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(DeviceProvisioningThroughVigild)

BOOST_AUTO_TEST_CASE(admin_issues_bundle_assigns_and_retiring_revokes_the_device) {
  BoxFixture::Options options;
  options.deviceUids = {"bp-first"};  // registers the patient the new device is assigned to
  options.settings = {"ingest.device_rate=0"};
  options.start = false;
  BoxFixture box(options);
  auto patient = box.patientOf("bp-first");
  seedPortalUsers(box.dataDir(), box.databasePath(),
                  {{security::Role::admin, "admin@clinic.test", "Ada Admin", {}, {}}});
  box.start();
  PortalClient admin(box.webPort());
  admin.signIn("admin@clinic.test");

  auto added = admin.request(
      "POST", "/api/v1/admin/devices",
      R"({"uid":"bp-new-1","kind":"blood_pressure","model":"BP7450","serial":"SN-1","firmware":"1.0"})");
  BOOST_REQUIRE_MESSAGE(added.status == 201, added.body);
  auto id = std::to_string(*jsonInt(added.body, "id"));

  // The bundle: a certificate from the box's CA, and the broker ACL now names the device.
  auto bundle = admin.request("POST", "/api/v1/admin/devices/" + id + "/bundle", "{}");
  BOOST_REQUIRE_MESSAGE(bundle.status == 200, bundle.body << "\n" << box.log());
  BOOST_TEST(jsonString(bundle.body, "deviceId") == "bp-new-1");
  BOOST_TEST(bundle.body.find("\"brokerReloaded\":true") != std::string::npos);
  TempDir tmp("vigil-bundle-test");
  writeBundle(bundle.body, tmp.path() / "bp-new-1");
  auto certPem = readText(tmp.path() / "bp-new-1" / "device.pem");
  BOOST_TEST(box.broker().ca().verify(certPem).ok);
  BOOST_TEST(readText(box.broker().layout().aclFile).find("user bp-new-1\n") != std::string::npos);
  // A GET (no CSRF token) cannot issue one.
  BOOST_TEST(admin.request("GET", "/api/v1/admin/devices/" + id + "/bundle").status == 405);

  auto assigned = admin.request("POST", "/api/v1/admin/devices/" + id + "/assign",
                                "{\"patientId\":" + std::to_string(patient) + "}");
  BOOST_REQUIRE_MESSAGE(assigned.status == 204, assigned.body);

  // The device connects with its bundle; its reading is stored.
  auto hub = device(box, "bp-new-1", tmp.path() / "bp-new-1");
  BOOST_REQUIRE(hub->start(10s));
  hub->send(1, reading(1));
  BOOST_REQUIRE(hub->waitAllAcknowledged(20s));
  BOOST_TEST(hub->stats(false).acked == 1u);
  BOOST_TEST(box.readingsByDevice()["bp-new-1"] == 1);

  // Retired: its credentials are revoked with it. The CRL lists the certificate, the ACL drops
  // the device (the broker no longer passes on what the still-connected hub publishes), and
  // the bundle gets nothing in again.
  auto retired = admin.request("POST", "/api/v1/admin/devices/" + id + "/retire", "{}");
  BOOST_REQUIRE_MESSAGE(retired.status == 200, retired.body);
  BOOST_TEST(jsonInt(retired.body, "certificatesRevoked").value_or(0) == 1);
  BOOST_TEST(retired.body.find("\"brokerReloaded\":true") != std::string::npos);
  BOOST_TEST(!box.broker().ca().verify(certPem).ok);
  BOOST_TEST(readText(box.broker().layout().aclFile).find("user bp-new-1\n") == std::string::npos);
  hub->send(2, reading(2));
  BOOST_TEST(!hub->waitAllAcknowledged(3s));
  BOOST_TEST(box.readingsByDevice()["bp-new-1"] == 1);
  hub->stop();
  auto again = device(box, "bp-new-1", tmp.path() / "bp-new-1");
  bool connected = again->start(3s);
  if (connected) {
    again->send(3, reading(3));
    BOOST_TEST(!again->waitAllAcknowledged(3s));
  }
  BOOST_TEST(again->stats(false).acked == 0u);
  again->stop();
  BOOST_TEST(box.readingsByDevice()["bp-new-1"] == 1);

  // Revoking a retired device again finds nothing left to revoke.
  auto revoked = admin.request("POST", "/api/v1/admin/devices/" + id + "/revoke", "{}");
  BOOST_REQUIRE_MESSAGE(revoked.status == 200, revoked.body);
  BOOST_TEST(jsonInt(revoked.body, "certificatesRevoked").value_or(-1) == 0);

  // Every step is in the audit chain.
  std::string out;
  BOOST_TEST(box.runCommand({"audit", "verify"}, &out) == 0, out);
}

BOOST_AUTO_TEST_SUITE_END()
