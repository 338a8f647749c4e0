// The patient record and search through the real server (issue 21): the patient fills in their
// own record under /me, a clinician adds problems, an admin reads without the clinical sections
// and is refused a clinical change, a bad field answers 422 naming it, a stale base version 409,
// the history lists the changes; ?q= filters the patient list to visible matches, and the
// query's text reaches neither the audit log nor the log. Expected values written by hand.

#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>
#include <mutex>

#include "api_fixture.hpp"
#include "vigil/core/log.hpp"

using namespace vigil;
using namespace vigil::web;
using namespace vigil::web::test;

namespace {

Poco::JSON::Object::Ptr parse(const std::string& body) {
  Poco::JSON::Parser p;
  return p.parse(body).extract<Poco::JSON::Object::Ptr>();
}

std::vector<std::int64_t> itemIds(const std::string& body) {
  auto items = parse(body)->getArray("items");
  std::vector<std::int64_t> ids;
  for (std::size_t i = 0; i < items->size(); ++i)
    ids.push_back(items->getObject(static_cast<unsigned>(i))->getValue<std::int64_t>("id"));
  return ids;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ApiPatientRecord)

BOOST_AUTO_TEST_CASE(patient_clinician_and_admin_each_see_and_change_their_sections) {
  ApiFixture f;
  auto patient = f.signIn(f.patientUserId);
  auto provider = f.signIn(f.providerId);
  auto admin = f.signIn(f.adminActor.id);
  const auto path = "/api/v1/patients/" + std::to_string(f.patientA) + "/record";

  auto mine = f.request("PUT", "/api/v1/me/record", &patient,
                        R"({"contact":{"email":"ana@example.org","phone":"+1 555 010 2030"},)"
                        R"("allergies":[{"substance":"Penicillin","severity":"severe"}]})");
  BOOST_REQUIRE_MESSAGE(mine.status == 200, mine.body);
  auto r = parse(mine.body);
  BOOST_TEST(r->getValue<int>("version") == 1);
  BOOST_TEST(r->getObject("contact")->getValue<std::string>("email") == "ana@example.org");
  BOOST_TEST(r->getArray("allergies")->getObject(0)->getValue<std::string>("source") == "patient");

  auto bad = f.request("PUT", path, &provider,
                       R"({"problems":[{"code":"E11-9","description":"Diabetes"}]})");
  BOOST_TEST(bad.status == 422);
  BOOST_TEST(jsonField(bad.body, "error") == "validation");
  BOOST_TEST(bad.body.find("problems[0].code") != std::string::npos, bad.body);

  auto stale = f.request("PUT", path, &provider, R"({"baseVersion":0,"language":"en-US"})");
  BOOST_TEST(stale.status == 409);
  BOOST_TEST(jsonField(stale.body, "error") == "record_changed");

  auto added = f.request("PUT", path, &provider,
                         R"({"baseVersion":1,"problems":[{"code":"I10",)"
                         R"("description":"Essential hypertension"}]})");
  BOOST_REQUIRE_MESSAGE(added.status == 200, added.body);
  BOOST_TEST(
      parse(added.body)->getArray("problems")->getObject(0)->getValue<std::string>("source") ==
      "clinician");

  auto adminRead = f.request("GET", path, &admin);
  BOOST_REQUIRE(adminRead.status == 200);
  auto ar = parse(adminRead.body);
  BOOST_TEST(ar->getValue<bool>("clinicalIncluded") == false);
  BOOST_TEST(!ar->has("problems"));
  BOOST_TEST(!ar->has("allergies"));
  BOOST_TEST(ar->getObject("contact")->getValue<std::string>("phone") == "+1 555 010 2030");

  auto adminClinical = f.request("PUT", path, &admin, R"({"allergies":[{"substance":"Latex"}]})");
  BOOST_TEST(adminClinical.status == 403);
  auto adminInsurance =
      f.request("PUT", path, &admin,
                R"({"insurance":{"primary":{"payer":"Medicare","memberId":"1EG4-TE5-MK72",)"
                R"("relationship":"self"}}})");
  BOOST_TEST(adminInsurance.status == 200, adminInsurance.body);

  auto history = f.request("GET", path + "/history", &patient);
  BOOST_REQUIRE(history.status == 200);
  auto items = parse(history.body)->getArray("items");
  BOOST_REQUIRE(items->size() == 3u);
  BOOST_TEST(items->getObject(0)->getValue<int>("version") == 3);
  BOOST_TEST(items->getObject(0)->getValue<std::string>("changedByRole") == "admin");
  BOOST_TEST(items->getObject(0)->getArray("sections")->getElement<std::string>(0) == "insurance");
  BOOST_TEST(items->getObject(2)->getArray("sections")->size() == 2u);  // contact, allergies

  // A past version, as it was: version 1 had no problems yet and no insurance.
  auto v1 = f.request("GET", path + "?version=1", &provider);
  BOOST_REQUIRE_MESSAGE(v1.status == 200, v1.body);
  auto v1r = parse(v1.body);
  BOOST_TEST(v1r->getValue<int>("version") == 1);
  BOOST_TEST(v1r->getArray("problems")->size() == 0u);
  BOOST_TEST(v1r->getArray("allergies")->size() == 1u);
  auto mineV2 = f.request("GET", "/api/v1/me/record?version=2", &patient);
  BOOST_REQUIRE_MESSAGE(mineV2.status == 200, mineV2.body);
  BOOST_TEST(parse(mineV2.body)->getArray("problems")->size() == 1u);
  BOOST_TEST(f.request("GET", path + "?version=9", &provider).status == 404);
  BOOST_TEST(f.request("GET", path + "?version=abc", &provider).status == 400);
  BOOST_TEST(f.request("GET", path + "?version=0", &provider).status == 400);

  auto other =
      f.request("GET", "/api/v1/patients/" + std::to_string(f.patientB) + "/record", &patient);
  BOOST_TEST(other.status == 403);
  BOOST_TEST(f.request("GET",
                       "/api/v1/patients/" + std::to_string(f.patientB) + "/record?version=1",
                       &patient)
                 .status == 403);
}

BOOST_AUTO_TEST_CASE(search_finds_visible_patients_without_recording_the_query) {
  std::mutex mutex;
  std::string logged;
  log::setSink([&](std::string_view line) {
    std::lock_guard lock(mutex);
    logged.append(line).append("\n");
  });
  {
    ApiFixture f;
    auto provider = f.signIn(f.providerId);
    auto admin = f.signIn(f.adminActor.id);
    auto patient = f.signIn(f.patientUserId);
    const auto anabel =
        f.patients->create({0, "MRN-Q1", "Anabel", "Okonkwo", "1970-11-23", "UTC", "", {}, true});
    // The admin sees everyone: "ana" is a prefix of Ana and of Anabel; "oko" of Okoro, Okonkwo.
    auto all = f.request("GET", "/api/v1/patients?q=ana", &admin);
    BOOST_REQUIRE_MESSAGE(all.status == 200, all.body);
    BOOST_TEST((itemIds(all.body) == std::vector<std::int64_t>{f.patientA, anabel}));
    auto oko = f.request("GET", "/api/v1/patients?q=Oko", &admin);
    BOOST_TEST((itemIds(oko.body) == std::vector<std::int64_t>{f.patientB, anabel}));
    auto byDate = f.request("GET", "/api/v1/patients?q=1961-07-19", &admin);
    BOOST_TEST((itemIds(byDate.body) == std::vector<std::int64_t>{f.patientB}));
    auto byMrn = f.request("GET", "/api/v1/patients?q=mrn-b", &admin);
    BOOST_TEST((itemIds(byMrn.body) == std::vector<std::int64_t>{f.patientB}));
    // The provider's care team holds Ana Silva only.
    auto mine = f.request("GET", "/api/v1/patients?q=ana", &provider);
    BOOST_TEST((itemIds(mine.body) == std::vector<std::int64_t>{f.patientA}));
    BOOST_TEST(parse(mine.body)->getValue<int>("total") == 1);
    auto none = f.request("GET", "/api/v1/patients?q=okoro", &provider);
    BOOST_TEST(itemIds(none.body).empty());
    auto refused = f.request("GET", "/api/v1/patients?q=a%20b%20c%20d%20Zorblatt", &admin);
    BOOST_TEST(refused.status == 422);
    BOOST_TEST(refused.body.find("Zorblatt") == std::string::npos);
    BOOST_TEST(f.request("GET", "/api/v1/patients?q=ana", &patient).status == 403);
    auto searches = f.db->read([](store::Connection& c) {
      return c.queryValue<std::int64_t>(
          "SELECT count(*) FROM audit_log WHERE action = 'patient.search'");
    });
    BOOST_TEST(searches.value_or(0) >= 7);
    // No text column of the audit chain holds the query's words.
    auto hits = f.db->read([](store::Connection& c) {
      return c.queryValue<std::int64_t>(
          "SELECT count(*) FROM audit_log WHERE lower(object_type || object_id || reason || "
          "action) LIKE '%zorblatt%' OR lower(object_type || object_id || reason) LIKE '%oko%'");
    });
    BOOST_TEST(hits.value_or(-1) == 0);
  }
  log::setSink(nullptr);
  BOOST_TEST(logged.find("Zorblatt") == std::string::npos);
  BOOST_TEST(logged.find("q=") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
