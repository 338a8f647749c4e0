// The admin BLE routes (web/src/api/admin_routes.cpp): listing what the gateway discovered and
// asking it to pair, through the real server and gate. The gateway behind BleAdmin is exercised
// against a real D-Bus in tests/ble; here it is the recording seam of api_fixture.hpp.

#include <boost/test/unit_test.hpp>

#include "api_fixture.hpp"

using namespace vigil;
using namespace vigil::web;
using namespace vigil::web::test;

BOOST_AUTO_TEST_SUITE(BleAdminRoutes)

BOOST_AUTO_TEST_CASE(lists_discovered_devices_with_their_registry_uid) {
  ApiFixture f;
  auto admin = f.signIn(f.adminActor.id);
  auto r = f.request("GET", "/api/v1/admin/ble/devices", &admin);
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.body.find(R"("uid":"ble-C47C8D6A1234")") != std::string::npos, r.body);
  BOOST_TEST(r.body.find(R"("state":"discovered")") != std::string::npos, r.body);
  BOOST_TEST(r.body.find(R"("services":["1810"])") != std::string::npos, r.body);
  BOOST_TEST(r.body.find(R"("adapter":true)") != std::string::npos, r.body);
}

BOOST_AUTO_TEST_CASE(lists_kept_links_with_when_they_were_last_connected) {
  ApiFixture f;
  BleAdmin::Device away{"C4:7C:8D:6A:56:78",
                        "ble-C47C8D6A5678",
                        "disconnected",
                        "link_lost",
                        true,
                        {},
                        TimePoint{std::chrono::seconds{1'800'000'000}}};
  away.lastConnectedAt = TimePoint{std::chrono::seconds{1'799'999'000}};
  away.live = false;
  f.ble.kept.push_back(away);
  auto admin = f.signIn(f.adminActor.id);
  auto r = f.request("GET", "/api/v1/admin/ble/devices", &admin);
  BOOST_TEST(r.status == 200);
  auto at = r.body.find(R"("uid":"ble-C47C8D6A5678")");
  BOOST_TEST_REQUIRE(at != std::string::npos, r.body);
  BOOST_TEST(r.body.find(R"("live":false)") != std::string::npos, r.body);
  BOOST_TEST(r.body.find(R"("lastConnectedAt":"2027-01-15T07:43:20.000Z")") != std::string::npos,
             r.body);
  BOOST_TEST(r.body.find(R"("lastConnectedAt":null)") != std::string::npos, r.body);  // live one
  BOOST_TEST(r.body.find(R"("live":true)") != std::string::npos, r.body);
}

BOOST_AUTO_TEST_CASE(shows_the_ble_link_state_on_the_registered_device) {
  ApiFixture f;
  f.devices->add({"ble-C47C8D6A1234", registry::DeviceKind::blood_pressure, "", "", ""});
  auto admin = f.signIn(f.adminActor.id);
  auto r = f.request("GET", "/api/v1/admin/devices", &admin);
  BOOST_TEST(r.status == 200);
  auto at = r.body.find(R"("uid":"ble-C47C8D6A1234")");
  BOOST_TEST_REQUIRE(at != std::string::npos, r.body);
  BOOST_TEST(r.body.find(R"("ble":{)") != std::string::npos, r.body);
  BOOST_TEST(r.body.find(R"("state":"discovered")") != std::string::npos, r.body);
  // Only the BLE device carries a link state.
  BOOST_TEST(r.body.find(R"("ble":{)") == r.body.rfind(R"("ble":{)"));
  r = f.request("GET", "/api/v1/admin/ble/devices", &admin);
  BOOST_TEST(r.body.find(R"("deviceId":)" +
                         std::to_string(f.devices->findByUid("ble-C47C8D6A1234")->id)) !=
                 std::string::npos,
             r.body);
}

BOOST_AUTO_TEST_CASE(pairs_with_or_without_a_passkey) {
  ApiFixture f;
  auto admin = f.signIn(f.adminActor.id);
  auto r = f.request("POST", "/api/v1/admin/ble/pair", &admin,
                     R"({"address":"C4:7C:8D:6A:12:34","passkey":123456})");
  BOOST_TEST(r.status == 202, r.body);
  r = f.request("POST", "/api/v1/admin/ble/pair", &admin, R"({"address":"C4:7C:8D:6A:12:35"})");
  BOOST_TEST(r.status == 202, r.body);
  BOOST_TEST_REQUIRE(f.ble.pairings.size() == 2U);
  BOOST_TEST(f.ble.pairings[0].first == "C4:7C:8D:6A:12:34");
  BOOST_TEST(f.ble.pairings[0].second.value() == 123456U);
  BOOST_TEST(!f.ble.pairings[1].second.has_value());
}

BOOST_AUTO_TEST_CASE(refuses_a_passkey_that_is_not_six_digits_or_a_bad_address) {
  ApiFixture f;
  auto admin = f.signIn(f.adminActor.id);
  auto r = f.request("POST", "/api/v1/admin/ble/pair", &admin,
                     R"({"address":"C4:7C:8D:6A:12:34","passkey":1234567})");
  BOOST_TEST(r.status == 400);
  r = f.request("POST", "/api/v1/admin/ble/pair", &admin, R"({"address":"C4:7C"})");
  BOOST_TEST(r.status == 400);
  BOOST_TEST(f.ble.pairings.empty());
}

BOOST_AUTO_TEST_CASE(only_admins_may_pair) {
  ApiFixture f;
  auto provider = f.signIn(f.providerId);
  auto r =
      f.request("POST", "/api/v1/admin/ble/pair", &provider, R"({"address":"C4:7C:8D:6A:12:34"})");
  BOOST_TEST(r.status == 403);
  BOOST_TEST(f.ble.pairings.empty());
}

BOOST_AUTO_TEST_SUITE_END()
