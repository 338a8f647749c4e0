// The practice reports through the real server (issue 30): every section in its order, the
// alerts figures of the fixture (alerts A and B raised at t0 for patients A and B) for the
// practice and for the provider's own scope (patient A only, on their care team: shown), a
// clinic group's scope where patient B is not theirs (hidden as "<11"), the CSV export with the
// same cell, each view and export audited with its scope, and the scope refusals.

#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>

#include "api_fixture.hpp"
#include "vigil/core/time.hpp"

using namespace vigil;
using namespace vigil::web;
using namespace vigil::web::test;
using namespace std::chrono_literals;

namespace {

Poco::JSON::Object::Ptr parse(const std::string& body) {
  Poco::JSON::Parser p;
  return p.parse(body).extract<Poco::JSON::Object::Ptr>();
}

/// The section's table `table`, row `row`, as the JSON array of cells.
Poco::JSON::Array::Ptr rowOf(const Poco::JSON::Object::Ptr& report, const std::string& section,
                             const std::string& table, unsigned row = 0) {
  auto sections = report->getArray("sections");
  for (unsigned i = 0; i < sections->size(); ++i) {
    auto s = sections->getObject(i);
    if (s->getValue<std::string>("key") != section) continue;
    auto tables = s->getArray("tables");
    for (unsigned j = 0; j < tables->size(); ++j) {
      auto t = tables->getObject(j);
      if (t->getValue<std::string>("key") == table) return t->getArray("rows")->getArray(row);
    }
  }
  return nullptr;
}

std::int64_t audited(ApiFixture& f, const std::string& action, const std::string& objectId) {
  return f.db
      ->read([&](store::Connection& c) {
        return c.queryValue<std::int64_t>(
            "SELECT count(*) FROM audit_log WHERE action = ?1 AND object_id = ?2", action,
            objectId);
      })
      .value_or(-1);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ApiPracticeReport)

BOOST_AUTO_TEST_CASE(sections_figures_scopes_suppression_csv_and_audit) {
  ApiFixture f;  // alerts A (patient A) and B (patient B), high, raised at t0
  const auto t0 = f.clock.now();
  f.alertStore->flush();
  // A colleague looks after patient B; the provider and the colleague form "North clinic".
  const auto colleague = f.user(security::Role::provider, "dr.two@clinic.example", "Dr. Two");
  f.accounts->assignCareTeam(f.adminActor, colleague, f.patientB);
  const auto north = f.groups->create(f.adminActor, "North clinic");
  f.groups->addMember(f.adminActor, north, f.providerId);
  f.groups->addMember(f.adminActor, north, colleague);
  const std::string period =
      "from=" + core::formatUtc(t0 - 1h) + "&to=" + core::formatUtc(t0 + 23h);

  auto admin = f.signIn(f.adminActor.id);
  auto r = f.request("GET", "/api/v1/reports/practice?" + period, &admin);
  BOOST_REQUIRE_EQUAL(r.status, 200);
  auto report = parse(r.body);
  auto sections = report->getArray("sections");
  std::vector<std::string> keys;
  for (unsigned i = 0; i < sections->size(); ++i)
    keys.push_back(sections->getObject(i)->getValue<std::string>("key"));
  BOOST_TEST((keys == std::vector<std::string>{"visits", "ondemand", "cases", "alerts", "rpm",
                                               "billing", "satisfaction"}));
  BOOST_TEST(!report->getValue<bool>("smallCellsApply"));
  // Alerts, the period: raised, acknowledged, resolved, escalated = 2, 0, 0, 0.
  auto totals = rowOf(report, "alerts", "totals");
  BOOST_REQUIRE(totals);
  BOOST_TEST(totals->getElement<double>(0) == 2.0);
  BOOST_TEST(totals->getElement<double>(1) == 0.0);
  BOOST_TEST(totals->isNull(4));  // no acknowledgement: no median
  BOOST_TEST(audited(f, "report.view", "practice") == 1);

  // The provider's own scope: patient A only, theirs: 1, shown.
  auto provider = f.signIn(f.providerId);
  const auto own = "provider:" + std::to_string(f.providerId);
  r = f.request(
      "GET",
      "/api/v1/reports/practice?scope=provider&id=" + std::to_string(f.providerId) + "&" + period,
      &provider);
  BOOST_REQUIRE_EQUAL(r.status, 200);
  report = parse(r.body);
  BOOST_TEST(report->getValue<bool>("smallCellsApply"));
  BOOST_TEST(rowOf(report, "alerts", "totals")->getElement<double>(0) == 1.0);

  // The group's scope: patients A and B; B is not the provider's: the count of 2 is hidden.
  const auto group = "scope=group&id=" + std::to_string(north) + "&" + period;
  r = f.request("GET", "/api/v1/reports/practice?" + group, &provider);
  BOOST_REQUIRE_EQUAL(r.status, 200);
  report = parse(r.body);
  BOOST_TEST(rowOf(report, "alerts", "totals")->getElement<std::string>(0) == "<11");
  BOOST_TEST(report->getValue<int>("suppressedCells") >= 1);
  // The admin sees the same cell.
  r = f.request("GET", "/api/v1/reports/practice?" + group, &admin);
  BOOST_TEST(rowOf(parse(r.body), "alerts", "totals")->getElement<double>(0) == 2.0);

  // The CSV of the alerts section for the group, as the provider: the same hidden cell.
  r = f.request("GET", "/api/v1/reports/practice/export?" + group + "&section=alerts", &provider);
  BOOST_REQUIRE_EQUAL(r.status, 200);
  BOOST_TEST(r.body.rfind("Alerts: The period\r\nRaised,Acknowledged,Resolved,Escalated,", 0) ==
             0u);
  BOOST_TEST(r.body.find("\r\n<11,0,0,0,") != std::string::npos);
  BOOST_TEST(audited(f, "report.export", "group:" + std::to_string(north) + "/alerts") == 1);

  // Refusals: the practice and a colleague's figures are not the provider's; a nurse has none.
  BOOST_TEST(f.request("GET", "/api/v1/reports/practice?" + period, &provider).status == 403);
  BOOST_TEST(f.request("GET",
                       "/api/v1/reports/practice?scope=provider&id=" + std::to_string(colleague) +
                           "&" + period,
                       &provider)
                 .status == 403);
  auto nurse = f.signIn(f.nurseId);
  BOOST_TEST(f.request("GET",
                       "/api/v1/reports/practice?scope=provider&id=" + std::to_string(f.nurseId) +
                           "&" + period,
                       &nurse)
                 .status == 403);
  // Bad requests.
  BOOST_TEST(f.request("GET", "/api/v1/reports/practice?scope=city", &admin).status == 400);
  BOOST_TEST(f.request("GET", "/api/v1/reports/practice?scope=group", &admin).status == 400);
  BOOST_TEST(f.request("GET", "/api/v1/reports/practice?scope=group&id=999", &admin).status == 404);
  BOOST_TEST(f.request("GET", "/api/v1/reports/practice?sections=weather", &admin).status == 422);
  BOOST_TEST(f.request("GET", "/api/v1/reports/practice/export", &admin).status == 400);
}

BOOST_AUTO_TEST_SUITE_END()
