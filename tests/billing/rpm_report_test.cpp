// The practice's RPM figures (rpm_report.hpp) against a fixture worked out by hand. Every
// patient lives in UTC; readings at 09:00. Periods (rules.hpp: 30 days from the episode's start):
//   A  enrolled from 02-01: P0 02-01..03-02 (17 days: 02-01..02-17), P1 03-03..04-01 (9 days:
//      03-03..03-11);
//   B  from 02-20: P0 02-20..03-21 (10 days: 02-20..02-28 and 03-01);
//   C  from 03-05 (a new enrolment in March): P0 03-05..04-03 (8 days 03-05..03-12, and today
//      03-20 before the report);
//   D  from 01-01, ended with last day 03-10: P0 01-01..01-30 (16 days, before the period),
//      P1 01-31..03-01 (5 days: 02-02..02-06), P2 03-02..03-10 cut short (no day);
//   E  from 02-01 like A, 20 days in P0, not in the scope;
//   F  from 01-05, ended 02-10: not enrolled in March.
// The report: March 2026, the clock at 03-20 12:00 (so as of then).

#include "vigil/billing/rpm_report.hpp"

#include <boost/test/unit_test.hpp>

#include "billing_fixture.hpp"

using namespace vigil;
using namespace vigil::billing;
using namespace vigil::billing::test;

namespace {

struct RpmReportFixture : BillingFixture {
  std::int64_t a = 0, b = 0, c = 0, d = 0, e = 0, f = 0;
  ReportScope scope;

  void days(std::int64_t p, std::int64_t cuff, unsigned month, unsigned first, unsigned last) {
    for (unsigned day = first; day <= last; ++day) reading(p, cuff, utc(2026, month, day, 9));
  }

  RpmReportFixture() {
    clock.set(utc(2025, 12, 20, 12));
    auto [pa, cuffA] = patient("UTC");
    auto [pb, cuffB] = patient("UTC");
    auto [pd, cuffD] = patient("UTC");
    auto [pe, cuffE] = patient("UTC");
    auto [pf, cuffF] = patient("UTC");
    a = pa, b = pb, d = pd, e = pe, f = pf;
    const auto enrolmentD = enrol(d, cuffD, "2026-01-01");
    const auto enrolmentF = enrol(f, cuffF, "2026-01-05");
    clock.set(utc(2026, 1, 20, 12));
    enrol(a, cuffA, "2026-02-01");
    enrol(e, cuffE, "2026-02-01");
    clock.set(utc(2026, 2, 10, 12));
    rpm.end(provider, f, enrolmentF, "2026-02-10", patients::EnrolmentEndReason::completed);
    enrol(b, cuffB, "2026-02-20");
    clock.set(utc(2026, 3, 1, 12));
    auto [pc, cuffC] = patient("UTC");
    c = pc;
    enrol(c, cuffC, "2026-03-05");
    clock.set(utc(2026, 3, 10, 12));
    rpm.end(provider, d, enrolmentD, "2026-03-10", patients::EnrolmentEndReason::patientRequest);

    days(a, cuffA, 2, 1, 17);
    days(a, cuffA, 3, 3, 11);
    days(b, cuffB, 2, 20, 28);
    days(b, cuffB, 3, 1, 1);
    days(c, cuffC, 3, 5, 12);
    days(c, cuffC, 3, 20, 20);
    days(d, cuffD, 1, 1, 16);
    days(d, cuffD, 2, 2, 6);
    days(e, cuffE, 2, 1, 20);
    clock.set(utc(2026, 3, 20, 12));

    scope.practice = false;
    scope.providers = {provider.id};
    scope.patients = {a, b, c, d, f};
    std::sort(scope.patients.begin(), scope.patients.end());
  }

  RpmReport report(TimePoint from, TimePoint to, const ReportScope& s) {
    return db->read(
        [&](store::Connection& conn) { return rpmReportIn(conn, from, to, s, clock.now(), true); });
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(RpmReportIn, RpmReportFixture)

BOOST_AUTO_TEST_CASE(counts_enrolment_adherence_and_risk_in_the_scope) {
  const auto r = report(utc(2026, 3, 1, 0), utc(2026, 4, 1, 0), scope);
  BOOST_TEST((r.asOf == utc(2026, 3, 20, 12)));
  BOOST_TEST(r.enrolled.count == 4);
  BOOST_TEST(r.enrolled.patients == sorted({a, b, c, d}), boost::test_tools::per_element());
  BOOST_TEST(r.newEnrolments.count == 1);
  BOOST_TEST(r.newEnrolments.patients == Ids{c}, boost::test_tools::per_element());
  BOOST_TEST(r.endedEnrolments.count == 1);
  BOOST_TEST(r.endedEnrolments.patients == Ids{d}, boost::test_tools::per_element());
  BOOST_TEST(r.active.count == 3);  // D sent nothing in March
  BOOST_TEST(r.active.patients == sorted({a, b, c}), boost::test_tools::per_element());

  // Periods ending in March and over by 03-20: A's P0 (17), D's P1 (5) and P2 (0).
  BOOST_TEST(r.periods16to30.count == 1);
  BOOST_TEST(r.periods16to30.patients == Ids{a}, boost::test_tools::per_element());
  BOOST_TEST(r.periods2to15.count == 1);
  BOOST_TEST(r.periods2to15.patients == Ids{d}, boost::test_tools::per_element());
  BOOST_TEST(r.periods0to1.count == 1);
  BOOST_TEST(r.periods0to1.patients == Ids{d}, boost::test_tools::per_element());
  BOOST_REQUIRE(r.meanDaysPerPeriod.has_value());
  BOOST_TEST(*r.meanDaysPerPeriod == 22.0 / 3.0, boost::test_tools::tolerance(1e-9));

  // A: 9 days, 17 elapsed (pace ceil(16 x 17 / 30) = 10), 13 left: at risk.
  // B: 10 days, 2 left (03-20 without data, 03-21): 12 < 16, cannot reach.
  // C: 9 days (today has one), 15 elapsed (pace 8): on track.
  BOOST_TEST(r.atRisk.count == 1);
  BOOST_TEST(r.atRisk.patients == Ids{a}, boost::test_tools::per_element());
  BOOST_TEST(r.cannotReach.count == 1);
  BOOST_TEST(r.cannotReach.patients == Ids{b}, boost::test_tools::per_element());
  BOOST_REQUIRE_EQUAL(r.atRiskPatients.size(), 2u);
  BOOST_TEST(r.atRiskPatients[0].patientId == a);
  BOOST_TEST(r.atRiskPatients[0].daysSoFar == 9);
  BOOST_TEST(r.atRiskPatients[0].daysLeft == 13);
  BOOST_TEST(r.atRiskPatients[0].reachable);
  BOOST_TEST(r.atRiskPatients[1].patientId == b);
  BOOST_TEST(r.atRiskPatients[1].daysSoFar == 10);
  BOOST_TEST(r.atRiskPatients[1].daysLeft == 2);
  BOOST_TEST(!r.atRiskPatients[1].reachable);

  BOOST_REQUIRE_EQUAL(r.months.size(), 1u);
  BOOST_TEST(r.months[0].month == "2026-03");
  BOOST_TEST(r.months[0].enrolled.count == 4);
  BOOST_TEST(r.months[0].fullPeriod.count == 1);
  BOOST_TEST(r.months[0].fullPeriod.patients == Ids{a}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_practice_scope_adds_the_patient_outside_the_care_team) {
  const auto r = report(utc(2026, 3, 1, 0), utc(2026, 4, 1, 0), ReportScope{});
  BOOST_TEST(r.enrolled.count == 5);
  BOOST_TEST(r.periods16to30.count == 2);  // E's P0: 20 days, last day 03-02
  BOOST_TEST(r.cannotReach.count == 2);    // E's P1: none so far, 13 left
  BOOST_TEST(r.months[0].fullPeriod.patients == sorted({a, e}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(risk_is_judged_as_of_the_end_of_a_past_period) {
  // As of 03-15 00:00: B has 10 days, 23 elapsed (pace ceil(16 x 23 / 30) = 13), 7 left
  // (03-15..03-21): reachable but behind. A: 9 days, 12 elapsed (pace 7): on track.
  const auto r = report(utc(2026, 3, 1, 0), utc(2026, 3, 15, 0), scope);
  BOOST_TEST((r.asOf == utc(2026, 3, 15, 0)));
  BOOST_TEST(r.atRisk.patients == Ids{b}, boost::test_tools::per_element());
  BOOST_TEST(r.cannotReach.count == 0);
  BOOST_REQUIRE_EQUAL(r.atRiskPatients.size(), 1u);
  BOOST_TEST(r.atRiskPatients[0].daysLeft == 7);
}

BOOST_AUTO_TEST_CASE(names_no_patient_unless_asked) {
  const auto r = db->read([&](store::Connection& conn) {
    return rpmReportIn(conn, utc(2026, 3, 1, 0), utc(2026, 4, 1, 0), scope, clock.now());
  });
  BOOST_TEST(r.atRisk.count == 1);
  BOOST_TEST(r.atRiskPatients.empty());
}

BOOST_AUTO_TEST_SUITE_END()
