// The alert response report through the real server: aggregates of raised → acknowledged →
// resolved per severity and per day, from the alerts table.

#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>

#include "api_fixture.hpp"
#include "vigil/core/time.hpp"
#include "vigil/security/audit_entry.hpp"

using namespace vigil;
using namespace vigil::web;
using namespace vigil::web::test;
using namespace std::chrono_literals;

namespace {

Poco::JSON::Object::Ptr parse(const std::string& body) {
  Poco::JSON::Parser p;
  return p.parse(body).extract<Poco::JSON::Object::Ptr>();
}

Poco::JSON::Object::Ptr severityRow(const Poco::JSON::Object::Ptr& report, const std::string& s) {
  auto rows = report->getArray("bySeverity");
  for (std::size_t i = 0; i < rows->size(); ++i) {
    auto row = rows->getObject(static_cast<unsigned>(i));
    if (row->getValue<std::string>("severity") == s) return row;
  }
  return nullptr;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ApiReports)

BOOST_AUTO_TEST_CASE(alert_response_report_gives_times_to_acknowledge_and_resolve) {
  ApiFixture f;  // alerts A and B (high) raised at t0
  auto t0 = f.clock.now();
  auto provider = f.signIn(f.providerId);
  auto alertPath = "/api/v1/alerts/" + std::to_string(f.alertA);
  BOOST_REQUIRE_EQUAL(f.request("POST", alertPath + "/claim", &provider, "{}").status, 200);
  f.clock.advance(5min);
  BOOST_REQUIRE_EQUAL(f.request("POST", alertPath + "/acknowledge", &provider, "{}").status, 200);
  f.clock.advance(10min);  // within the session idle timeout
  BOOST_REQUIRE_EQUAL(
      f.request("POST", alertPath + "/resolve", &provider, R"({"note":"called, meds taken"})")
          .status,
      200);
  f.clock.advance(26h);
  f.raise(f.patientA, 190);  // the next day: a new alert for the same rule
  f.alertStore->flush();

  auto admin = f.signIn(f.adminActor.id);
  auto from = core::formatUtc(t0 - 1h);
  auto to = core::formatUtc(t0 - 1h + 48h);
  auto r = f.request("GET", "/api/v1/reports/alert-response?from=" + from + "&to=" + to, &admin);
  BOOST_REQUIRE_EQUAL(r.status, 200);
  auto report = parse(r.body);
  auto high = severityRow(report, "high");
  BOOST_REQUIRE(high);
  // The claim happened after sign-in advanced the clock: measure from the stored times.
  BOOST_TEST(high->getValue<int>("raised") == 3);
  BOOST_TEST(high->getValue<int>("acknowledged") == 1);
  BOOST_TEST(high->getValue<int>("resolved") == 1);
  auto ack = high->getValue<double>("ackP50Seconds");
  auto resolve = high->getValue<double>("resolveP50Seconds");
  BOOST_TEST(ack >= 300.0);
  BOOST_TEST(resolve - ack == 600.0);
  BOOST_TEST(severityRow(report, "critical")->getValue<int>("raised") == 0);
  BOOST_TEST(severityRow(report, "critical")->isNull("ackP50Seconds"));
  // Per day: the two alerts of t0 on day 0, the next day's on day 1.
  auto days = report->getArray("byDay");
  BOOST_REQUIRE_EQUAL(days->size(), 2u);
  BOOST_TEST(days->getObject(0)->getValue<int>("raised") == 2);
  BOOST_TEST(days->getObject(1)->getValue<int>("raised") == 1);
  // Aggregates only: no patient ids in the answer.
  BOOST_TEST(r.body.find("patient") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(alert_response_report_refuses_a_bad_period) {
  ApiFixture f;
  auto admin = f.signIn(f.adminActor.id);
  BOOST_TEST(f.request("GET", "/api/v1/reports/alert-response?from=yesterday", &admin).status ==
             400);
  auto now = core::formatUtc(f.clock.now());
  BOOST_TEST(f.request("GET", "/api/v1/reports/alert-response?from=" + now + "&to=" + now, &admin)
                 .status == 400);
}

BOOST_AUTO_TEST_SUITE_END()
