// The alert queue as clinicians read it (issue 17): a clinical title per alert, the claimer by
// name, and a patient's open alerts on one vital resolved together when the clinician asks.

#include <Poco/JSON/Parser.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <thread>
#include <vector>

#include "api_fixture.hpp"
#include "vigil/testsupport/deadline.hpp"

using namespace vigil;
using namespace vigil::web;
using namespace vigil::web::test;

namespace {

Poco::JSON::Object::Ptr parse(const std::string& body) {
  return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ApiAlerts)

BOOST_AUTO_TEST_CASE(an_alert_reads_clinically_and_names_its_claimer) {
  ApiFixture f;
  auto provider = f.signIn(f.providerId);
  auto path = "/api/v1/alerts/" + std::to_string(f.alertA);
  BOOST_REQUIRE_EQUAL(f.request("POST", path + "/claim", &provider, "{}").status, 200);
  auto reply = f.request("GET", path, &provider);
  BOOST_REQUIRE_EQUAL(reply.status, 200);
  auto o = parse(reply.body);
  BOOST_TEST(o->getValue<std::string>("title") == "Systolic BP high — high priority, 182 mmHg");
  BOOST_TEST(o->getValue<std::string>("unit") == "mm[Hg]");
  BOOST_TEST(o->getValue<std::string>("claimedByName") == "Dr. Lee");
  BOOST_TEST(o->isNull("assigneeName"));
}

BOOST_AUTO_TEST_CASE(with_several_nodes_only_the_alert_node_serves_the_alert_queue) {
  // docs/scale-out.md: the alert queue's routes go to the alert node; elsewhere 421, after the
  // session is checked, and nothing changes.
  ApiFixture f;
  std::atomic<bool> here{false};
  f.services.alertNode = [&here] { return here.load(); };
  auto provider = f.signIn(f.providerId);
  const auto alert = "/api/v1/alerts/" + std::to_string(f.alertA);
  const auto patient = "/api/v1/patients/" + std::to_string(f.patientA);
  const std::vector<std::pair<std::string, std::string>> queueRoutes{
      {"GET", "/api/v1/alerts"},       {"GET", alert},
      {"POST", alert + "/claim"},      {"GET", "/api/v1/alert-rules"},
      {"GET", "/api/v1/escalation"},   {"GET", patient + "/alerts"},
      {"GET", patient + "/thresholds"}};
  for (const auto& [method, path] : queueRoutes) {
    auto reply = f.request(method, path, &provider, method == "POST" ? "{}" : "");
    BOOST_TEST(reply.status == 421, method << " " << path << " answered " << reply.status);
    BOOST_TEST(jsonField(reply.body, "error") == "alert_node_elsewhere");
  }
  BOOST_TEST(f.request("GET", "/api/v1/alerts", nullptr).status == 401);        // session first
  BOOST_TEST((f.lifecycle->get(f.alertA)->state == alerts::AlertState::open));  // not claimed
  BOOST_TEST(f.request("GET", patient, &provider).status == 200);  // the rest: any node
  here = true;                                                     // this node took the lease
  BOOST_TEST(f.request("POST", alert + "/claim", &provider, "{}").status == 200);
  BOOST_TEST((f.lifecycle->get(f.alertA)->state == alerts::AlertState::claimed));
}

BOOST_AUTO_TEST_CASE(resolving_a_group_resolves_the_patients_open_alerts_on_the_vital) {
  ApiFixture f;
  alerts::Breach b;
  b.patientId = f.patientA;
  b.ruleKey = "bp.systolic.elevated";
  b.ruleVersion = 1;
  b.kind = alerts::RuleKind::consecutive;
  b.code = "8480-6";
  b.severity = alerts::Severity::low;
  b.value = 182;
  b.readingId = 2;
  b.observedAt = f.clock.now();
  auto elevated =
      f.lifecycle->recordBreaches(std::span<const alerts::Breach>(&b, 1), f.clock.now()).at(0);
  auto provider = f.signIn(f.providerId);
  auto head = "/api/v1/alerts/" + std::to_string(f.alertA);
  BOOST_REQUIRE_EQUAL(f.request("POST", head + "/claim", &provider, "{}").status, 200);

  auto reply = f.request("POST", head + "/resolve", &provider,
                         R"({"note":"called the patient","group":true})");
  BOOST_REQUIRE_EQUAL(reply.status, 200);
  auto o = parse(reply.body);
  BOOST_TEST(o->getValue<std::string>("state") == "resolved");
  auto also = o->getArray("alsoResolved");
  BOOST_REQUIRE(also);
  BOOST_REQUIRE_EQUAL(also->size(), 1u);
  BOOST_TEST(also->getElement<std::int64_t>(0) == elevated.alert.id);
  auto other = f.request("GET", "/api/v1/alerts/" + std::to_string(elevated.alert.id), &provider);
  BOOST_TEST(jsonField(other.body, "state") == "resolved");
  BOOST_TEST(jsonField(other.body, "resolutionNote") == "called the patient");
  // The other patient's alert on the same vital is not part of the group.
  BOOST_TEST(f.lifecycle->get(f.alertB)->isOpen());
}

BOOST_AUTO_TEST_CASE(resolving_without_group_leaves_the_other_alerts_open) {
  ApiFixture f;
  alerts::Breach b;
  b.patientId = f.patientA;
  b.ruleKey = "bp.systolic.elevated";
  b.ruleVersion = 1;
  b.kind = alerts::RuleKind::consecutive;
  b.code = "8480-6";
  b.severity = alerts::Severity::low;
  b.value = 182;
  b.readingId = 2;
  b.observedAt = f.clock.now();
  auto elevated =
      f.lifecycle->recordBreaches(std::span<const alerts::Breach>(&b, 1), f.clock.now()).at(0);
  auto provider = f.signIn(f.providerId);
  auto head = "/api/v1/alerts/" + std::to_string(f.alertA);
  BOOST_REQUIRE_EQUAL(f.request("POST", head + "/claim", &provider, "{}").status, 200);
  BOOST_REQUIRE_EQUAL(
      f.request("POST", head + "/resolve", &provider, R"({"note":"called"})").status, 200);
  BOOST_TEST(f.lifecycle->get(elevated.alert.id)->isOpen());
}

BOOST_AUTO_TEST_SUITE_END()

// Issue 28: the queue's audit entries are committed in groups across concurrent requests, and
// still each before its answer: every answered request has its entry, and an answer is never
// ahead of the entries committed.
BOOST_AUTO_TEST_CASE(every_queue_answer_under_concurrency_has_its_audit_entry_first) {
  ApiFixture f;
  auto provider = f.signIn(f.providerId);
  auto queueEntries = [&] {
    return f.db->read([](store::Connection& c) {
      return c
          .queryValue<std::int64_t>("SELECT count(*) FROM audit_log WHERE action = 'alert.queue'")
          .value_or(0);
    });
  };
  const auto before = queueEntries();
  constexpr int kThreads = 6;
  constexpr int kEach = 20;
  std::atomic<std::int64_t> answered{0};
  std::atomic<int> notOk{0};
  std::atomic<int> aheadOfAudit{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        auto r = f.request("GET", "/api/v1/alerts", &provider);
        if (r.status != 200 || jsonField(r.body, "total") != "1") {
          ++notOk;
          continue;
        }
        const auto n = ++answered;
        if (queueEntries() - before < n) ++aheadOfAudit;
      }
    });
  }
  for (auto& t : threads)
    testsupport::joinWithin(t, std::chrono::seconds(120), "requesting the queue from 6 threads");
  BOOST_TEST(notOk.load() == 0);
  BOOST_TEST(answered.load() == kThreads * kEach);
  BOOST_TEST(aheadOfAudit.load() == 0);
  BOOST_TEST(queueEntries() - before == kThreads * kEach);
}

// Issue 28: the queue's page is written straight into the body, the single alert through
// Poco::JSON objects; both must say the same thing about the same alert.
BOOST_AUTO_TEST_CASE(the_queue_page_and_the_single_alert_agree_field_by_field) {
  ApiFixture f;
  auto provider = f.signIn(f.providerId);
  auto path = "/api/v1/alerts/" + std::to_string(f.alertA);
  BOOST_REQUIRE_EQUAL(f.request("POST", path + "/claim", &provider, "{}").status, 200);
  auto page = parse(f.request("GET", "/api/v1/alerts", &provider).body);
  BOOST_TEST(page->getValue<std::int64_t>("total") == 1);
  BOOST_TEST(page->getValue<std::int64_t>("page") == 1);
  BOOST_TEST(page->getValue<std::int64_t>("pageSize") == 50);
  auto items = page->getArray("items");
  BOOST_REQUIRE_EQUAL(items->size(), 1u);
  auto queued = items->getObject(0);
  auto single = parse(f.request("GET", path, &provider).body);
  single->remove("history");
  std::vector<std::string> queuedKeys, singleKeys;
  queued->getNames(queuedKeys);
  single->getNames(singleKeys);
  BOOST_TEST(queuedKeys == singleKeys, boost::test_tools::per_element());
  for (const auto& key : singleKeys) {
    BOOST_TEST_CONTEXT("member " << key) {
      const auto& a = queued->get(key);
      const auto& b = single->get(key);
      BOOST_TEST(a.isEmpty() == b.isEmpty());
      if (a.isEmpty() || b.isEmpty()) continue;
      if (b.isNumeric()) {
        BOOST_TEST(a.convert<double>() == b.convert<double>());
      } else {
        BOOST_TEST(a.convert<std::string>() == b.convert<std::string>());
      }
    }
  }
  BOOST_TEST(queued->getValue<std::string>("claimedByName") == "Dr. Lee");
  BOOST_TEST(queued->getValue<std::string>("title") ==
             "Systolic BP high — high priority, 182 mmHg");
}
