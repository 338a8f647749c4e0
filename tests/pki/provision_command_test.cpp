#include "provision_command.hpp"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

#include "vigil/pki/broker_setup.hpp"
#include "vigil/testsupport/process.hpp"

namespace fs = std::filesystem;
using vigil::testsupport::readText;
using vigil::testsupport::TempDir;

namespace {

struct Run {
  int code = 0;
  std::string out;
  std::string err;
};

Run provision(std::vector<std::string> args) {
  std::ostringstream out;
  std::ostringstream err;
  int code = vigil::devtool::runProvision(args, out, err);
  return {code, out.str(), err.str()};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ProvisionCommand)

BOOST_AUTO_TEST_CASE(fleet_from_csv_writes_one_bundle_per_device_and_shows_progress) {
  TempDir tmp;
  auto data = (tmp.path() / "var").string();
  BOOST_REQUIRE_EQUAL(provision({"broker", "--data", data, "--cert-port", "18883"}).code, 0);
  std::ofstream(tmp.path() / "fleet.csv") << "device_id,auth\ncuff-1\ncuff-2,certificate\r\n"
                                             "# comment\n\nlegacy-3,password\n";
  auto r = provision({"fleet", "--csv", (tmp.path() / "fleet.csv").string(), "--out",
                      (tmp.path() / "out").string(), "--data", data});
  BOOST_TEST(r.code == 0, r.err);
  BOOST_TEST(r.out.find("provisioned 3 devices (2 certificate, 1 password)") != std::string::npos);
  BOOST_TEST(r.err.find("3/3") != std::string::npos);
  BOOST_TEST(fs::exists(tmp.path() / "out" / "cuff-2" / "device.key"));
  BOOST_TEST(fs::exists(tmp.path() / "out" / "legacy-3" / "password"));
  BOOST_TEST(readText(tmp.path() / "out" / "cuff-1" / "device.json").find("\"port\": 18883") !=
             std::string::npos);
  std::string acl = readText(vigil::pki::BrokerLayout(data).aclFile);
  for (const char* id : {"user cuff-1\n", "user cuff-2\n", "user legacy-3\n"}) {
    BOOST_TEST(acl.find(id) != std::string::npos, id);
  }
}

BOOST_AUTO_TEST_CASE(fleet_with_a_bad_line_changes_nothing) {
  TempDir tmp;
  auto data = (tmp.path() / "var").string();
  BOOST_REQUIRE_EQUAL(provision({"broker", "--data", data}).code, 0);
  std::ofstream(tmp.path() / "fleet.csv") << "good-1\nbad/2\n";
  auto r = provision({"fleet", "--csv", (tmp.path() / "fleet.csv").string(), "--out",
                      (tmp.path() / "out").string(), "--data", data});
  BOOST_TEST(r.code == 1);
  BOOST_TEST(r.err.find("fleet.csv:2: invalid device id") != std::string::npos, r.err);
  BOOST_TEST(!fs::exists(tmp.path() / "out"));
}

BOOST_AUTO_TEST_CASE(device_then_revoke_round_trip) {
  TempDir tmp;
  auto data = (tmp.path() / "var").string();
  BOOST_REQUIRE_EQUAL(provision({"broker", "--data", data}).code, 0);
  auto d =
      provision({"device", "--id", "hub-1", "--out", (tmp.path() / "b").string(), "--data", data});
  BOOST_TEST(d.code == 0, d.err);
  BOOST_TEST(d.out.find("broker not running") != std::string::npos);
  auto r = provision({"revoke", "--id", "hub-1", "--data", data});
  BOOST_TEST(r.code == 0, r.err);
  BOOST_TEST(r.out.find("revoked 1 certificate(s)") != std::string::npos);
  BOOST_TEST(provision({"revoke", "--id", "hub-1", "--data", data}).code == 1);
  auto list = provision({"list", "--data", data});
  BOOST_TEST(list.out.find("device\thub-1\trevoked") != std::string::npos, list.out);
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_2) {
  BOOST_TEST(provision({}).code == 2);
  BOOST_TEST(provision({"device", "--id"}).code == 2);
  BOOST_TEST(provision({"device", "--nope", "x"}).code == 2);
  BOOST_TEST(provision({"frobnicate"}).code == 2);
}

BOOST_AUTO_TEST_CASE(ca_init_refuses_to_overwrite) {
  TempDir tmp;
  auto dir = (tmp.path() / "ca").string();
  BOOST_TEST(provision({"ca", "init", "--dir", dir}).code == 0);
  auto again = provision({"ca", "init", "--dir", dir});
  BOOST_TEST(again.code == 1);
  BOOST_TEST(again.err.find("already exists") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
