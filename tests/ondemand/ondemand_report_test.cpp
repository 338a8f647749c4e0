// The on-demand report (issue 30): requests by what became of them and the time from the request
// to the start of its visit, on a fixture made through OnDemandService (duty, request, cancel,
// start, a colleague taking a request from another's queue, the pool). Every figure below is
// worked out by hand from the timeline in the fixture, not read from the code.
#include "vigil/ondemand/ondemand_report.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>

#include "security_fixture.hpp"
#include "vigil/core/time.hpp"
#include "vigil/licensing/licenses.hpp"
#include "vigil/ondemand/ondemand.hpp"
#include "vigil/patients/consent.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/store/database.hpp"

using namespace std::chrono_literals;
using namespace vigil;
using ondemand::OnDemandReport;
using ondemand::OnDemandService;
using ondemand::Reason;
using security::Actor;
using security::Role;
namespace tt = boost::test_tools;

namespace {

TimePoint at(const std::string& text) {
  auto t = core::parseRfc3339(text);
  BOOST_REQUIRE_MESSAGE(t, "bad instant in the test: " + text);
  return *t;
}

licensing::LicenseInput license(std::string state) {
  licensing::LicenseInput in;
  in.state = std::move(state);
  in.type = "MD";
  in.number = "MD-" + in.state;
  in.expiresOn = *licensing::parseDate("2028-06-30");
  return in;
}

// The period: 2027-01-15 and 2027-01-16 (UTC days). Dr. Illinois (drIl) and Dr. Illinois-two
// (drIl2) hold IL licenses, Dr. Texas (drTx) a TX one and never goes on duty.
//   15:00 drIl on duty.
//   r1 15:00 P1 (IL) -> drIl's queue; drIl starts it at 15:12: seen, 720 s.
//   r2 15:05 P2 (IL) -> drIl's queue; P2 cancels it at 15:07: cancelled (drIl's).
//   r3 15:20 P3 (TX) -> the pool (nobody licensed in TX on duty): still waiting, no provider.
//   r4 15:30 P4 (IL) -> drIl's queue (the only one on duty); drIl2 goes on duty at 15:35 and
//      takes it at 15:40: seen by drIl2, 600 s.
//   r5 2027-01-16 16:00 P1 again -> drIl (drIl2 went off duty at 15:45 the day before); drIl
//      starts it at 16:30: seen, 1800 s.
//   r6 2027-01-17 01:00 P2 -> drIl's queue: outside the period.
// Practice: requests 5 (P1, P2, P3, P4), seen 3 (P1, P4), cancelled 1 (P2), waiting 1 (P3);
// request -> visit 600, 720, 1800 s (median 720). drIl: r1, r2, r5; drIl2: r4. Day 0: r1..r4;
// day 1: r5.
struct ReportFixture : security::test::SecurityFixture {
  registry::PatientRepository records{*db, keys->cipher(), keys->blindIndex(), clock};
  licensing::LicenseService licenses{*db, *audit, nullptr, clock};
  patients::ConsentService consents{*db, *audit, keys->cipher(), records, clock};
  OnDemandService service{*db, *audit, clock, nullptr, ondemand::Policy{15min, 60min}};
  patients::ConsentDocument telehealth;
  Actor drIl{0, Role::provider, std::nullopt};
  Actor drIl2{0, Role::provider, std::nullopt};
  Actor drTx{0, Role::provider, std::nullopt};
  Actor p1, p2, p3, p4;

  Actor patient(const std::string& tag) {
    auto id = records.create(
        {0, "MRN-" + tag, "Pat", "Tag" + tag, "1970-01-01", "America/Chicago", "IL", {}, true});
    Actor p{user(Role::patient, tag + "@home.example", "patient passphrase 2026 " + tag, id),
            Role::patient, id};
    consents.sign(p, id, {telehealth.id, telehealth.sha256, "Pat Tag" + tag, true, "127.0.0.1"});
    return p;
  }
  std::int64_t ask(const Actor& p, const std::string& state, const std::string& when) {
    clock.set(at(when));
    return service.request(p, *p.patientId, Reason::newSymptoms, state).id;
  }

  ReportFixture() {
    clock.set(at("2027-01-15T14:00:00Z"));
    drIl.id = user(Role::provider, "il@clinic.example", "provider passphrase 2026 il");
    drIl2.id = user(Role::provider, "il2@clinic.example", "provider passphrase 2026 il2");
    drTx.id = user(Role::provider, "tx@clinic.example", "provider passphrase 2026 tx");
    licenses.add(admin, drIl.id, license("IL"));
    licenses.add(admin, drIl2.id, license("IL"));
    licenses.add(admin, drTx.id, license("TX"));
    telehealth = consents.publish(admin, {patients::ConsentKind::telehealth, "Telehealth consent",
                                          "I agree to receive care by video.", false});
    p1 = patient("1");
    p2 = patient("2");
    p3 = patient("3");
    p4 = patient("4");

    clock.set(at("2027-01-15T15:00:00Z"));
    service.setDuty(drIl, true);
    const auto r1 = ask(p1, "IL", "2027-01-15T15:00:00Z");
    const auto r2 = ask(p2, "IL", "2027-01-15T15:05:00Z");
    clock.set(at("2027-01-15T15:07:00Z"));
    service.cancel(p2, r2);
    clock.set(at("2027-01-15T15:12:00Z"));
    service.start(drIl, r1);
    ask(p3, "TX", "2027-01-15T15:20:00Z");
    const auto r4 = ask(p4, "IL", "2027-01-15T15:30:00Z");
    clock.set(at("2027-01-15T15:35:00Z"));
    service.setDuty(drIl2, true);
    clock.set(at("2027-01-15T15:40:00Z"));
    service.start(drIl2, r4);
    clock.set(at("2027-01-15T15:45:00Z"));
    service.setDuty(drIl2, false);
    const auto r5 = ask(p1, "IL", "2027-01-16T16:00:00Z");
    clock.set(at("2027-01-16T16:30:00Z"));
    service.start(drIl, r5);
    ask(p2, "IL", "2027-01-17T01:00:00Z");
  }

  OnDemandReport report(const ReportScope& scope) {
    return db->read([&](store::Connection& c) {
      return ondemand::onDemandReportIn(c, at("2027-01-15T00:00:00Z"), at("2027-01-17T00:00:00Z"),
                                        scope);
    });
  }
  static ReportScope providers(std::vector<std::int64_t> ids) {
    ReportScope s;
    s.practice = false;
    s.providers = std::move(ids);
    return s;
  }
};

using Ids = std::vector<std::int64_t>;
using Seconds = std::vector<double>;

}  // namespace

BOOST_FIXTURE_TEST_SUITE(OnDemandReportOf, ReportFixture)

BOOST_AUTO_TEST_CASE(counts_the_requests_of_the_period_by_what_became_of_them) {
  const auto r = report({});
  const auto P1 = *p1.patientId, P2 = *p2.patientId, P3 = *p3.patientId, P4 = *p4.patientId;
  BOOST_TEST(r.totals.requests.count == 5);
  BOOST_TEST(r.totals.requests.patients == Ids({P1, P2, P3, P4}), tt::per_element());
  BOOST_TEST(r.totals.seen.count == 3);
  BOOST_TEST(r.totals.seen.patients == Ids({P1, P4}), tt::per_element());
  BOOST_TEST(r.totals.cancelled.count == 1);
  BOOST_TEST(r.totals.cancelled.patients == Ids({P2}), tt::per_element());
  BOOST_TEST(r.totals.waiting.count == 1);
  BOOST_TEST(r.totals.waiting.patients == Ids({P3}), tt::per_element());
  BOOST_TEST(r.totals.toVisitStart.seconds == Seconds({600, 720, 1800}), tt::per_element());
  BOOST_TEST(r.totals.toVisitStart.patients == Ids({P1, P4}), tt::per_element());
  BOOST_TEST(*r.totals.toVisitStart.percentile(50) == 720);
}

BOOST_AUTO_TEST_CASE(each_request_goes_to_the_provider_who_started_it_else_whose_queue_it_is_in) {
  const auto r = report({});
  BOOST_REQUIRE_EQUAL(r.providers.size(), 2u);
  BOOST_TEST(r.providers[0].providerUserId == drIl.id);
  BOOST_TEST(r.providers[0].requests.requests.count == 3);
  BOOST_TEST(r.providers[0].requests.seen.count == 2);
  BOOST_TEST(r.providers[0].requests.cancelled.count == 1);
  BOOST_TEST(r.providers[0].requests.waiting.count == 0);
  BOOST_TEST(r.providers[0].requests.toVisitStart.seconds == Seconds({720, 1800}),
             tt::per_element());
  BOOST_TEST(r.providers[1].providerUserId == drIl2.id);
  BOOST_TEST(r.providers[1].requests.requests.count == 1);
  BOOST_TEST(r.providers[1].requests.seen.count == 1);
  BOOST_TEST(r.providers[1].requests.toVisitStart.seconds == Seconds({600}), tt::per_element());
}

BOOST_AUTO_TEST_CASE(each_day_holds_the_requests_made_in_it) {
  const auto r = report({});
  BOOST_REQUIRE_EQUAL(r.days.size(), 2u);
  BOOST_TEST(r.days[0].requests.requests.count == 4);
  BOOST_TEST(r.days[0].requests.seen.count == 2);
  BOOST_TEST(r.days[0].requests.cancelled.count == 1);
  BOOST_TEST(r.days[0].requests.waiting.count == 1);
  BOOST_TEST(r.days[0].requests.toVisitStart.seconds == Seconds({600, 720}), tt::per_element());
  BOOST_TEST(r.days[1].requests.requests.count == 1);
  BOOST_TEST(r.days[1].requests.seen.count == 1);
  BOOST_TEST(r.days[1].requests.toVisitStart.seconds == Seconds({1800}), tt::per_element());
}

BOOST_AUTO_TEST_CASE(a_provider_scope_keeps_their_requests_and_never_the_pool) {
  const auto il = report(providers({drIl.id}));
  BOOST_TEST(il.totals.requests.count == 3);  // r1, r2, r5: not r4 (drIl2's), not r3 (pool)
  BOOST_TEST(il.totals.seen.count == 2);
  BOOST_TEST(il.totals.cancelled.count == 1);
  BOOST_TEST(il.totals.waiting.count == 0);
  BOOST_REQUIRE_EQUAL(il.providers.size(), 1u);
  const auto il2 = report(providers({drIl2.id}));
  BOOST_TEST(il2.totals.requests.count == 1);
  BOOST_TEST(il2.totals.toVisitStart.seconds == Seconds({600}), tt::per_element());
  const auto tx = report(providers({drTx.id}));
  BOOST_TEST(tx.totals.requests.count == 0);
  BOOST_REQUIRE_EQUAL(tx.days.size(), 2u);
}

// The report's query (as written in daemon/ondemand/src/ondemand_report.cpp) reads a range of
// ondemand_requests_by_time, not the whole table. PostgreSQL: its plan with sequential scans off
// (a tiny table gives the planner no reason to prefer an index) names the index.
BOOST_AUTO_TEST_CASE(the_report_query_is_served_by_an_index) {
  const bool pg = db->backend() == store::Backend::postgres;
  const auto plan = db->read([&](store::Connection& c) {
    if (pg) c.exec("SET LOCAL enable_seqscan = off");
    auto st = c.prepare(
        std::string(pg ? "EXPLAIN " : "EXPLAIN QUERY PLAN ") +
        "SELECT patient_id, requested_at, state, provider_user_id, closed_by, "
        "closed_at FROM ondemand_requests WHERE requested_at >= ?1 AND requested_at < ?2");
    st.bindAll(std::int64_t{0}, std::int64_t{1});
    std::string out;
    while (st.step()) out += st.getText(pg ? 0 : 3) + "\n";
    return out;
  });
  BOOST_TEST(plan.find(pg ? "ondemand_requests_by_time"
                          : "USING INDEX ondemand_requests_by_time") != std::string::npos,
             plan);
}

BOOST_AUTO_TEST_SUITE_END()
