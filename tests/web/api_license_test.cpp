// Licenses through the real server (issue 22): an admin sets a provider's NPI and adds, edits
// and removes licenses, each action audited once (by the service, in its transaction); the
// expiring list shows what ends within 60 days; a provider reads their own licenses and not a
// colleague's; verify without a cloud link is a clear 422. Expected values written by hand.

#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>

#include "api_fixture.hpp"

using namespace vigil;
using namespace vigil::web;
using namespace vigil::web::test;

namespace {

Poco::JSON::Object::Ptr parse(const std::string& body) {
  Poco::JSON::Parser p;
  return p.parse(body).extract<Poco::JSON::Object::Ptr>();
}

std::int64_t audited(ApiFixture& f, const std::string& action, const std::string& outcome) {
  return f.db
      ->read([&](store::Connection& c) {
        return c.queryValue<std::int64_t>(
            "SELECT count(*) FROM audit_log WHERE action = ?1 AND outcome = ?2", action, outcome);
      })
      .value_or(-1);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ApiLicenses)

BOOST_AUTO_TEST_CASE(an_admin_keeps_a_providers_npi_and_licenses) {
  ApiFixture f;  // the clock is 2027-01-15
  auto admin = f.signIn(f.adminActor.id);
  const auto base = "/api/v1/providers/" + std::to_string(f.providerId);

  auto r = f.request("PUT", base + "/npi", &admin, R"({"npi":"1234567893"})");
  BOOST_TEST(r.status == 200);
  r = f.request("PUT", base + "/npi", &admin, R"({"npi":"1234567890"})");
  BOOST_TEST(r.status == 422);  // the check digit

  r = f.request("POST", base + "/licenses", &admin,
                R"({"state":"CA","type":"MD","number":"A123456","issuedOn":"2019-07-01",)"
                R"("expiresOn":"2027-06-30"})");
  BOOST_TEST(r.status == 201);
  auto ca = parse(r.body)->getValue<std::int64_t>("id");
  r = f.request("POST", base + "/licenses", &admin,
                R"({"state":"NV","type":"MD","number":"PA98765","expiresOn":"2027-01-31"})");
  BOOST_TEST(r.status == 201);
  // The same type in the same state again, a bad date, an unknown type: 422.
  BOOST_TEST(f.request("POST", base + "/licenses", &admin,
                       R"({"state":"CA","type":"MD","number":"X","expiresOn":"2028-01-01"})")
                 .status == 422);
  BOOST_TEST(f.request("POST", base + "/licenses", &admin,
                       R"({"state":"WA","type":"MD","number":"X","expiresOn":"2028-02-30"})")
                 .status == 422);
  BOOST_TEST(f.request("POST", base + "/licenses", &admin,
                       R"({"state":"WA","type":"XY","number":"X","expiresOn":"2028-01-01"})")
                 .status == 422);

  r = f.request("GET", base + "/licenses", &admin);
  BOOST_TEST(r.status == 200);
  auto body = parse(r.body);
  BOOST_TEST(body->getValue<std::string>("npi") == "1234567893");
  auto list = body->getArray("licenses");
  BOOST_REQUIRE_EQUAL(list->size(), 2u);
  BOOST_TEST(list->getObject(0)->getValue<std::string>("state") == "CA");
  BOOST_TEST(list->getObject(0)->getValue<std::string>("verification") == "unverified");
  BOOST_TEST(list->getObject(0)->getValue<std::string>("issuedOn") == "2019-07-01");

  // Edit: suspended, and checked at the board by hand.
  r = f.request("PUT", base + "/licenses/" + std::to_string(ca), &admin,
                R"({"state":"CA","type":"MD","number":"A123456","expiresOn":"2027-06-30",)"
                R"("status":"suspended","verifiedByHand":true})");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(parse(r.body)->getValue<std::string>("status") == "suspended");
  BOOST_TEST(parse(r.body)->getValue<std::string>("verifiedBy") == "admin");
  // Another provider's license under this path is not found.
  BOOST_TEST(f.request("DELETE",
                       "/api/v1/providers/" + std::to_string(f.nurseId) + "/licenses/" +
                           std::to_string(ca),
                       &admin)
                 .status == 404);

  // Expiring within 60 days of 2027-01-15: NV (2027-01-31, 16 days); CA is suspended.
  r = f.request("GET", "/api/v1/licenses/expiring?days=60", &admin);
  BOOST_TEST(r.status == 200);
  auto items = parse(r.body)->getArray("items");
  BOOST_REQUIRE_EQUAL(items->size(), 1u);
  BOOST_TEST(items->getObject(0)->getValue<std::string>("state") == "NV");
  BOOST_TEST(items->getObject(0)->getValue<int>("daysLeft") == 16);

  // No cloud link here: verify says so.
  r = f.request("POST", base + "/licenses/verify", &admin, "{}");
  BOOST_TEST(r.status == 422);

  BOOST_TEST(f.request("DELETE", base + "/licenses/" + std::to_string(ca), &admin).status == 204);
  // Each action once: NPI, two adds, the edit, the removal (the failures are not successes).
  BOOST_TEST(audited(f, "license.manage", "success") == 5);
  BOOST_TEST(audited(f, "license.expiring", "success") == 1);
  BOOST_TEST(f.audit->verify(*f.db).ok);
}

BOOST_AUTO_TEST_CASE(a_provider_reads_their_own_licenses_and_no_one_elses) {
  ApiFixture f;
  licensing::LicenseInput tx;
  tx.state = "TX";
  tx.type = "MD";
  tx.number = "R4821";
  tx.expiresOn = *licensing::parseDate("2027-12-31");
  f.licenses->add(f.adminActor, f.providerId, tx);
  tx.type = "NLC";
  tx.number = "RN1";
  f.licenses->add(f.adminActor, f.nurseId, tx);

  auto provider = f.signIn(f.providerId);
  auto r = f.request("GET", "/api/v1/me/licenses", &provider);
  BOOST_TEST(r.status == 200);
  BOOST_TEST(parse(r.body)->getArray("licenses")->size() == 1u);
  BOOST_TEST(parse(r.body)->getArray("licenses")->getObject(0)->getValue<std::string>("number") ==
             "R4821");
  r = f.request("GET", "/api/v1/providers/" + std::to_string(f.providerId) + "/licenses",
                &provider);
  BOOST_TEST(r.status == 200);
  r = f.request("GET", "/api/v1/providers/" + std::to_string(f.nurseId) + "/licenses", &provider);
  BOOST_TEST(r.status == 403);
  BOOST_TEST(audited(f, "license.read", "denied") == 1);
  // Nor may they change their own.
  r = f.request("POST", "/api/v1/providers/" + std::to_string(f.providerId) + "/licenses",
                &provider, R"({"state":"WA","type":"MD","number":"X","expiresOn":"2028-01-01"})");
  BOOST_TEST(r.status == 403);
  BOOST_TEST(audited(f, "license.manage", "denied") == 1);
  // The patient and the front desk read none.
  auto patient = f.signIn(f.patientUserId);
  BOOST_TEST(f.request("GET", "/api/v1/me/licenses", &patient).status == 403);
  auto desk = f.signIn(f.frontDeskId);
  BOOST_TEST(f.request("GET", "/api/v1/licenses/expiring", &desk).status == 403);
}

BOOST_AUTO_TEST_SUITE_END()
