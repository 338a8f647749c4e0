// The case report (issue 30): cases by what became of them, the time to the first clinician
// reply and the response target, on a fixture made through CaseService (open, reply, close, the
// periodic escalation). The default business hours: UTC, 09:00-17:00 Monday to Friday, a target
// of 8 business hours, escalation at 80 % (6 h 24 min). Every figure below is worked out by hand
// from the timeline in the fixture, not read from the code.
#include "vigil/cases/case_report.hpp"

#include <boost/test/unit_test.hpp>

#include "security_fixture.hpp"
#include "vigil/cases/cases.hpp"
#include "vigil/notes/notes.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/store/database.hpp"

using namespace vigil;
using namespace vigil::cases;
using security::Actor;
using security::Role;
namespace tt = boost::test_tools;

namespace {

TimePoint at(unsigned d, int h, int mi) {  // December 2026, UTC
  using namespace std::chrono;
  return TimePoint(sys_days(2026y / December / day(d)) + hours(h) + minutes(mi));
}

// The period: Monday 2026-12-07 and Tuesday 2026-12-08. Care teams: patient A (Dr. A, nurse),
// patient B (Dr. B), patient C nobody (their cases have no assignee).
//   k1 A Mon 09:00 (due Mon 17:00, assignee Dr. A): the nurse replies 10:00 (3,600 s, on time),
//      Dr. A closes it 11:00. Its provider: the nurse (first to reply).
//   k6 B Mon 09:00 (due Mon 17:00, assignee Dr. B): never answered: overdue; escalated Tue
//      10:30 (its escalation time Mon 15:24 had passed).
//   k2 A Mon 12:00 (due Tue 12:00: 5 h Monday + 3 h Tuesday; escalates Tue 10:24): escalated
//      Tue 10:30, Dr. A replies Tue 13:00: late, 25 h = 90,000 s.
//   k3 B Tue 09:00 (due Tue 17:00): Dr. B replies 09:30 (1,800 s, on time).
//   k4 C Tue 10:00 (due Wed 10:00: 7 h Tuesday + 1 h Wednesday; escalates Tue 16:24): never
//      answered, no assignee: not yet due at the period's end (Wed 00:00), overdue at Wed 11:00.
//   k5 A Wed 09:00: outside the period.
// Practice, judged at the period's end: opened 5 (A, B, C), answered 3 (k1, k2, k3: A, B),
// closed 1 (A), escalated 2 (k2 A, k6 B), replies 1,800, 3,600, 90,000 s; on time 2 (k1 A,
// k3 B), late 1 (k2 A), overdue 1 (k6 B). Providers: the nurse k1, Dr. A k2, Dr. B k3 and k6;
// k4 only in the totals. Day 0: k1, k2, k6; day 1: k3, k4.
struct ReportFixture : security::test::SecurityFixture {
  registry::PatientRepository registry{*db, keys->cipher(), keys->blindIndex(), clock};
  notes::NoteService notes{*db, *audit, keys->cipher(), registry, clock};
  alerts::EscalationSetup setup;
  CaseService cases{*db,   *audit,          keys->cipher(),          notes,
                    clock, BusinessHours{}, [this] { return setup; }};
  std::int64_t patientA = 0, patientB = 0, patientC = 0;
  Actor ana{0, Role::patient, std::nullopt};
  Actor ben{0, Role::patient, std::nullopt};
  Actor cy{0, Role::patient, std::nullopt};
  Actor nurse{0, Role::nurse, std::nullopt};
  Actor drA{0, Role::provider, std::nullopt};
  Actor drB{0, Role::provider, std::nullopt};

  Actor patient(const std::string& tag, std::int64_t& id) {
    id = registry.create({0, "MRN-" + tag, "Pat", "Tag" + tag, "1960-01-01", "UTC", "", {}, true});
    return {user(Role::patient, tag + "@home.example", "patient passphrase 2026 " + tag, id),
            Role::patient, id};
  }
  std::int64_t openAt(const Actor& p, TimePoint when) {
    clock.set(when);
    return cases.open(p, *p.patientId, "question", "A question.").id;
  }

  ReportFixture() {
    clock.set(at(4, 12, 0));
    ana = patient("A", patientA);
    ben = patient("B", patientB);
    cy = patient("C", patientC);
    nurse.id = user(Role::nurse, "rn@clinic.example", "nurse passphrase 2026");
    drA.id = user(Role::provider, "dra@clinic.example", "provider passphrase 2026 a");
    drB.id = user(Role::provider, "drb@clinic.example", "provider passphrase 2026 b");
    db->writeSync([&](store::Connection& c) {
      security::SqliteCareTeam::assignIn(c, nurse.id, patientA, admin.id, clock.now());
      security::SqliteCareTeam::assignIn(c, drA.id, patientA, admin.id, clock.now());
      security::SqliteCareTeam::assignIn(c, drB.id, patientB, admin.id, clock.now());
    });
    setup.clinicChain = {drA.id, nurse.id};

    const auto k1 = openAt(ana, at(7, 9, 0));
    openAt(ben, at(7, 9, 0));  // k6
    clock.set(at(7, 10, 0));
    cases.reply(nurse, k1, "Please send a photo when you can.");
    clock.set(at(7, 11, 0));
    cases.close(drA, k1, "Reassured; nothing to do.");
    const auto k2 = openAt(ana, at(7, 12, 0));
    const auto k3 = openAt(ben, at(8, 9, 0));
    clock.set(at(8, 9, 30));
    cases.reply(drB, k3, "That is expected after the change of dose.");
    openAt(cy, at(8, 10, 0));  // k4
    clock.set(at(8, 10, 30));
    BOOST_REQUIRE_EQUAL(cases.escalateDue().size(), 2u);  // k2 and k6
    clock.set(at(8, 13, 0));
    cases.reply(drA, k2, "Let us look at it at your next visit.");
    openAt(ana, at(9, 9, 0));  // k5
  }

  CaseReport report(const ReportScope& scope) {
    return db->read(
        [&](store::Connection& c) { return caseReportIn(c, at(7, 0, 0), at(9, 0, 0), scope); });
  }
  static ReportScope scopeOf(std::vector<std::int64_t> providers,
                             std::vector<std::int64_t> patients) {
    ReportScope s;
    s.practice = false;
    s.providers = std::move(providers);
    s.patients = std::move(patients);
    std::sort(s.providers.begin(), s.providers.end());
    std::sort(s.patients.begin(), s.patients.end());
    return s;
  }
};

using Ids = std::vector<std::int64_t>;
using Seconds = std::vector<double>;

}  // namespace

BOOST_FIXTURE_TEST_SUITE(CaseReportOf, ReportFixture)

BOOST_AUTO_TEST_CASE(counts_the_cases_opened_in_the_period_and_their_replies) {
  const auto r = report({});
  const auto A = patientA, B = patientB, C = patientC;
  BOOST_TEST(r.totals.opened.count == 5);
  BOOST_TEST(r.totals.opened.patients == Ids({A, B, C}), tt::per_element());
  BOOST_TEST(r.totals.answered.count == 3);
  BOOST_TEST(r.totals.answered.patients == Ids({A, B}), tt::per_element());
  BOOST_TEST(r.totals.closed.count == 1);
  BOOST_TEST(r.totals.closed.patients == Ids({A}), tt::per_element());
  BOOST_TEST(r.totals.escalated.count == 2);
  BOOST_TEST(r.totals.escalated.patients == Ids({A, B}), tt::per_element());
  BOOST_TEST(r.totals.toFirstReply.seconds == Seconds({1800, 3600, 90000}), tt::per_element());
  BOOST_TEST(r.totals.toFirstReply.patients == Ids({A, B}), tt::per_element());
}

BOOST_AUTO_TEST_CASE(the_response_target_is_met_missed_or_passed_unanswered) {
  const auto r = report({});
  BOOST_TEST(r.totals.onTime.count == 2);
  BOOST_TEST(r.totals.onTime.patients == Ids({patientA, patientB}), tt::per_element());
  BOOST_TEST(r.totals.late.count == 1);
  BOOST_TEST(r.totals.late.patients == Ids({patientA}), tt::per_element());
  BOOST_TEST(r.totals.overdue.count == 1);  // k6; k4 is due Wed 10:00, after the period
  BOOST_TEST(r.totals.overdue.patients == Ids({patientB}), tt::per_element());
  // Judged on Wednesday at 11:00, k4 is overdue too.
  const auto later = db->read([&](store::Connection& c) {
    return caseReportIn(c, at(7, 0, 0), at(9, 0, 0), {}, at(9, 11, 0));
  });
  BOOST_TEST(later.totals.overdue.count == 2);
  BOOST_TEST(later.totals.overdue.patients == Ids({patientB, patientC}), tt::per_element());
  BOOST_TEST(later.totals.onTime.count == 2);
  BOOST_TEST(later.totals.late.count == 1);
}

BOOST_AUTO_TEST_CASE(each_case_goes_to_its_first_replier_else_its_assignee) {
  const auto r = report({});
  BOOST_REQUIRE_EQUAL(r.providers.size(), 3u);  // ids: nurse < Dr. A < Dr. B (made in order)
  const auto& n = r.providers[0];
  BOOST_TEST(n.providerUserId == nurse.id);
  BOOST_TEST(n.cases.opened.count == 1);
  BOOST_TEST(n.cases.closed.count == 1);
  BOOST_TEST(n.cases.onTime.count == 1);
  BOOST_TEST(n.cases.toFirstReply.seconds == Seconds({3600}), tt::per_element());
  const auto& a = r.providers[1];
  BOOST_TEST(a.providerUserId == drA.id);
  BOOST_TEST(a.cases.opened.count == 1);
  BOOST_TEST(a.cases.late.count == 1);
  BOOST_TEST(a.cases.escalated.count == 1);
  BOOST_TEST(a.cases.toFirstReply.seconds == Seconds({90000}), tt::per_element());
  const auto& b = r.providers[2];
  BOOST_TEST(b.providerUserId == drB.id);
  BOOST_TEST(b.cases.opened.count == 2);  // k3 (replied) and k6 (assignee)
  BOOST_TEST(b.cases.answered.count == 1);
  BOOST_TEST(b.cases.onTime.count == 1);
  BOOST_TEST(b.cases.overdue.count == 1);
  BOOST_TEST(b.cases.escalated.count == 1);
}

BOOST_AUTO_TEST_CASE(each_day_holds_the_cases_opened_in_it) {
  const auto r = report({});
  BOOST_REQUIRE_EQUAL(r.days.size(), 2u);
  const auto& mon = r.days[0].cases;
  BOOST_TEST(mon.opened.count == 3);
  BOOST_TEST(mon.answered.count == 2);
  BOOST_TEST(mon.closed.count == 1);
  BOOST_TEST(mon.escalated.count == 2);
  BOOST_TEST(mon.onTime.count == 1);
  BOOST_TEST(mon.late.count == 1);
  BOOST_TEST(mon.overdue.count == 1);
  const auto& tue = r.days[1].cases;
  BOOST_TEST(tue.opened.count == 2);
  BOOST_TEST(tue.answered.count == 1);
  BOOST_TEST(tue.onTime.count == 1);
  BOOST_TEST(tue.overdue.count == 0);
  BOOST_TEST(tue.escalated.count == 0);
}

BOOST_AUTO_TEST_CASE(a_scope_keeps_its_providers_cases_and_its_patients_unassigned_ones) {
  // Dr. A and the nurse with patient A: k1 (the nurse) and k2 (Dr. A); not Dr. B's k3 and k6,
  // not k4 (no provider; patient C is not theirs).
  const auto teamA = report(scopeOf({drA.id, nurse.id}, {patientA}));
  BOOST_TEST(teamA.totals.opened.count == 2);
  BOOST_TEST(teamA.totals.onTime.count == 1);
  BOOST_TEST(teamA.totals.late.count == 1);
  BOOST_TEST(teamA.totals.overdue.count == 0);
  BOOST_TEST(teamA.providers.size() == 2u);
  // Dr. B with patients B and C: k3, k6, and k4 by its patient.
  const auto teamB = report(scopeOf({drB.id}, {patientB, patientC}));
  BOOST_TEST(teamB.totals.opened.count == 3);
  BOOST_TEST(teamB.totals.opened.patients == Ids({patientB, patientC}), tt::per_element());
  BOOST_TEST(teamB.totals.overdue.count == 1);
  BOOST_TEST(teamB.providers.size() == 1u);
}

// The report's query (as written in daemon/cases/src/case_report.cpp) reads a range of
// cases_by_opened and each answered case's first messages through case_messages_by_case.
// PostgreSQL: its plan with sequential scans off (a tiny table gives the planner no reason to
// prefer an index), so an index it can use for the range and the look-up appears in the plan.
BOOST_AUTO_TEST_CASE(the_report_query_is_served_by_indexes) {
  const bool pg = db->backend() == store::Backend::postgres;
  const auto plan = db->read([&](store::Connection& c) {
    if (pg) c.exec("SET LOCAL enable_seqscan = off");
    auto st = c.prepare(
        std::string(pg ? "EXPLAIN " : "EXPLAIN QUERY PLAN ") +
        "SELECT k.patient_id, k.opened_at, k.state, k.due_at, "
        "k.first_response_at, k.escalated_at IS NOT NULL, "
        "coalesce(CASE WHEN k.first_response_at IS NULL THEN NULL ELSE "
        "(SELECT m.author_id FROM case_messages m WHERE m.case_id = k.id AND m.kind <> 'question' "
        "AND m.author_role <> 'patient' ORDER BY m.id LIMIT 1) END, k.assignee) "
        "FROM cases k WHERE k.opened_at >= ?1 AND k.opened_at < ?2");
    st.bindAll(std::int64_t{0}, std::int64_t{1});
    std::string out;
    while (st.step()) out += st.getText(pg ? 0 : 3) + "\n";
    return out;
  });
  if (pg) {
    BOOST_TEST(plan.find("cases_by_opened") != std::string::npos, plan);
    BOOST_TEST(plan.find("case_messages_by_case") != std::string::npos, plan);
  } else {
    BOOST_TEST(plan.find("SEARCH k USING INDEX cases_by_opened") != std::string::npos, plan);
    BOOST_TEST(plan.find("SEARCH m USING INDEX case_messages_by_case") != std::string::npos, plan);
  }
}

BOOST_AUTO_TEST_SUITE_END()
