// The visit report (issue 30): appointments by outcome and the providers' available against
// booked time, on a fixture made through the scheduling and video services (book, cancel,
// reschedule, no-show, a video visit joined and ended). Every figure below is worked out by
// hand from the bookings listed in the fixture, not read from the code.
#include "vigil/scheduling/visit_report.hpp"

#include <boost/test/unit_test.hpp>
#include <functional>

#include "scheduling_fixture.hpp"
#include "vigil/store/database.hpp"
#include "vigil/video/visit.hpp"

using namespace vigil::scheduling;
using namespace vigil::scheduling::test;
using namespace std::chrono;
namespace tt = boost::test_tools;

namespace {

// The period: Monday 2026-03-02 and Tuesday 2026-03-03, UTC days (New York is on EST, UTC-5,
// until 2026-03-08).
//
// Dr. One (provider): Mondays 09:00-12:00 New York, on leave 2026-03-02 11:00-12:00: available
// 120 minutes in the period (14:00Z-16:00Z).
//   a1 patient A, video 30 min, 09:00 (14:00Z): the visit joined and ended -> completed
//   a2 patient B, 30 min, 09:30 (14:30Z): cancelled
//   a3 patient A, 60 min, 10:00 (15:00Z): marked no-show at 10:10
//   a4 patient C, 15 min, 09:45 (14:45Z): still booked
//   a5 patient D, 15 min, 09:30 (14:30Z): rescheduled to Monday 2026-03-09 09:00 EDT (13:00Z),
//      outside the period: the old row counts as rescheduled only, the new one not at all
//   booked minutes 30 + 60 + 15 = 105 (a2 cancelled, a5 moved away): 105 / 120 = 0.875
// Dr. Two (provider2): Mondays 09:00-12:00 and Tuesdays 09:00-10:00: 180 + 60 = 240 minutes.
//   b1 patient B, 30 min, Monday 09:00 (14:00Z): still booked
//   b2 patient C, 30 min, Tuesday 09:00 (2026-03-03T14:00Z): still booked
//   booked 60 minutes: 60 / 240 = 0.25
// Practice: scheduled 6 (a1..a4, b1, b2) of patients A, B, C; completed 1 (A), cancelled 1 (B),
// no-shows 1 (A), still booked 3 (a4 C, b1 B, b2 C: patients B, C), rescheduled 1 (D);
// available 120 + 240 = 360, booked 105 + 60 = 165, utilisation 165 / 360.
// Day 0 (Monday): scheduled 5, completed 1, cancelled 1, no-shows 1, still booked 2.
// Day 1 (Tuesday): scheduled 1 (b2), still booked 1.
struct ReportFixture : SchedulingFixture {
  vigil::video::VisitService visits{*db, *audit, clock};
  std::int64_t patientB = 0, patientC = 0, patientD = 0;
  const vigil::TimePoint from = at("2026-03-02T00:00:00Z");
  const vigil::TimePoint to = at("2026-03-04T00:00:00Z");

  ReportFixture() {
    weekly(provider.id, 1, 9 * 60, 12 * 60);
    weekly(provider2.id, 1, 9 * 60, 12 * 60);
    weekly(provider2.id, 2, 9 * 60, 10 * 60);
    const local_days monday{2026y / March / 2};
    service.addException(admin, {0, provider.id, monday + 11h, monday + 12h, ExceptionKind::leave});
    patientB = newPatient("MRN-B", "");
    patientC = newPatient("MRN-C", "");
    patientD = newPatient("MRN-D", "");

    auto a1 = service.book(desk, {patientId, provider.id, video30.id, at("2026-03-02T14:00:00Z")});
    auto a2 = service.book(desk, {patientB, provider.id, person30.id, at("2026-03-02T14:30:00Z")});
    auto a3 = service.book(desk, {patientId, provider.id, person60.id, at("2026-03-02T15:00:00Z")});
    service.cancel(desk, a2.id, CancelReason::patientRequest, "");
    service.book(desk, {patientC, provider.id, person15.id, at("2026-03-02T14:45:00Z")});
    auto a5 = service.book(desk, {patientD, provider.id, person15.id, at("2026-03-02T14:30:00Z")});
    service.reschedule(desk, a5.id, at("2026-03-09T13:00:00Z"));
    service.book(desk, {patientB, provider2.id, person30.id, at("2026-03-02T14:00:00Z")});
    service.book(desk, {patientC, provider2.id, person30.id, at("2026-03-03T14:00:00Z")});

    clock.set(at("2026-03-02T14:01:00Z"));
    BOOST_REQUIRE(a1.visitId);
    visits.join(provider, *a1.visitId);
    clock.set(at("2026-03-02T14:25:00Z"));
    visits.end(provider, *a1.visitId);
    clock.set(at("2026-03-02T15:10:00Z"));
    service.markNoShow(desk, a3.id);
  }

  VisitReport report(const vigil::ReportScope& scope) {
    return db->read([&](vigil::store::Connection& c) { return visitReportIn(c, from, to, scope); });
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(VisitReportOf, ReportFixture)

BOOST_AUTO_TEST_CASE(counts_the_appointments_of_the_period_by_what_became_of_them) {
  const auto r = report({});
  const auto A = patientId, B = patientB, C = patientC, D = patientD;
  BOOST_TEST(r.totals.scheduled.count == 6);
  BOOST_TEST(r.totals.scheduled.patients == std::vector<std::int64_t>({A, B, C}),
             tt::per_element());
  BOOST_TEST(r.totals.completed.count == 1);
  BOOST_TEST(r.totals.completed.patients == std::vector<std::int64_t>({A}), tt::per_element());
  BOOST_TEST(r.totals.cancelled.count == 1);
  BOOST_TEST(r.totals.cancelled.patients == std::vector<std::int64_t>({B}), tt::per_element());
  BOOST_TEST(r.totals.noShows.count == 1);
  BOOST_TEST(r.totals.noShows.patients == std::vector<std::int64_t>({A}), tt::per_element());
  BOOST_TEST(r.totals.stillBooked.count == 3);
  BOOST_TEST(r.totals.stillBooked.patients == std::vector<std::int64_t>({B, C}), tt::per_element());
  BOOST_TEST(r.totals.rescheduled.count == 1);
  BOOST_TEST(r.totals.rescheduled.patients == std::vector<std::int64_t>({D}), tt::per_element());
}

BOOST_AUTO_TEST_CASE(utilisation_is_booked_over_the_template_minus_time_off) {
  const auto r = report({});
  BOOST_TEST(r.time.availableMinutes.count == 360);
  BOOST_TEST(r.time.availableMinutes.patients.empty());
  BOOST_TEST(r.time.bookedMinutes.count == 165);
  BOOST_REQUIRE(r.time.utilisation);
  BOOST_TEST(*r.time.utilisation == 165.0 / 360.0, tt::tolerance(1e-12));

  BOOST_REQUIRE_EQUAL(r.providers.size(), 2u);
  const auto& one = r.providers[0].providerUserId == provider.id ? r.providers[0] : r.providers[1];
  const auto& two = r.providers[0].providerUserId == provider.id ? r.providers[1] : r.providers[0];
  BOOST_TEST(one.providerUserId == provider.id);
  BOOST_TEST(two.providerUserId == provider2.id);
  BOOST_TEST(one.time.availableMinutes.count == 120);
  BOOST_TEST(one.time.bookedMinutes.count == 105);
  BOOST_TEST(one.time.bookedMinutes.patients == std::vector<std::int64_t>({patientId, patientC}),
             tt::per_element());
  BOOST_TEST(*one.time.utilisation == 0.875);
  BOOST_TEST(one.visits.scheduled.count == 4);
  BOOST_TEST(one.visits.completed.count == 1);
  BOOST_TEST(one.visits.cancelled.count == 1);
  BOOST_TEST(one.visits.noShows.count == 1);
  BOOST_TEST(one.visits.stillBooked.count == 1);
  BOOST_TEST(one.visits.rescheduled.count == 1);
  BOOST_TEST(two.time.availableMinutes.count == 240);
  BOOST_TEST(two.time.bookedMinutes.count == 60);
  BOOST_TEST(*two.time.utilisation == 0.25);
  BOOST_TEST(two.visits.scheduled.count == 2);
  BOOST_TEST(two.visits.stillBooked.count == 2);
  BOOST_TEST(two.visits.completed.count == 0);
}

BOOST_AUTO_TEST_CASE(each_day_holds_the_appointments_starting_in_it) {
  const auto r = report({});
  BOOST_REQUIRE_EQUAL(r.days.size(), 2u);
  BOOST_TEST(vigil::core::toMillis(r.days[1].dayStart) ==
             vigil::core::toMillis(at("2026-03-03T00:00:00Z")));
  BOOST_TEST(r.days[0].visits.scheduled.count == 5);
  BOOST_TEST(r.days[0].visits.completed.count == 1);
  BOOST_TEST(r.days[0].visits.cancelled.count == 1);
  BOOST_TEST(r.days[0].visits.noShows.count == 1);
  BOOST_TEST(r.days[0].visits.stillBooked.count == 2);
  BOOST_TEST(r.days[1].visits.scheduled.count == 1);
  BOOST_TEST(r.days[1].visits.scheduled.patients == std::vector<std::int64_t>({patientC}),
             tt::per_element());
  BOOST_TEST(r.days[1].visits.completed.count == 0);
  BOOST_TEST(r.days[1].visits.cancelled.count == 0);
  BOOST_TEST(r.days[1].visits.noShows.count == 0);
}

BOOST_AUTO_TEST_CASE(a_provider_scope_leaves_the_other_provider_out) {
  vigil::ReportScope scope;
  scope.practice = false;
  scope.providers = {provider.id};
  const auto r = report(scope);
  BOOST_TEST(r.totals.scheduled.count == 4);
  BOOST_TEST(r.totals.stillBooked.count == 1);
  BOOST_TEST(r.time.availableMinutes.count == 120);
  BOOST_TEST(r.time.bookedMinutes.count == 105);
  BOOST_REQUIRE_EQUAL(r.providers.size(), 1u);
  BOOST_TEST(r.providers[0].providerUserId == provider.id);
  BOOST_TEST(r.days[1].visits.scheduled.count == 0);  // b2 was Dr. Two's
}

BOOST_AUTO_TEST_CASE(the_next_week_holds_only_the_rescheduled_appointment) {
  // [2026-03-09T00:00Z, 2026-03-10T00:00Z): Monday after the DST change (EDT, UTC-4). Dr. One:
  // 09:00-12:00 EDT = 180 minutes, a5's new row 15 minutes booked; Dr. Two 180, nothing booked.
  const auto r = db->read([&](vigil::store::Connection& c) {
    return visitReportIn(c, at("2026-03-09T00:00:00Z"), at("2026-03-10T00:00:00Z"), {});
  });
  BOOST_TEST(r.totals.scheduled.count == 1);
  BOOST_TEST(r.totals.scheduled.patients == std::vector<std::int64_t>({patientD}),
             tt::per_element());
  BOOST_TEST(r.totals.rescheduled.count == 0);
  BOOST_TEST(r.time.availableMinutes.count == 360);
  BOOST_TEST(r.time.bookedMinutes.count == 15);
  BOOST_REQUIRE_EQUAL(r.days.size(), 1u);
}

BOOST_AUTO_TEST_CASE(a_period_cut_through_a_block_counts_only_its_part) {
  // [14:30Z, 15:30Z) on Monday: Dr. One 09:30-10:30 (60 min), Dr. Two the same 60: 120.
  // Appointments starting in it: a2 (cancelled), a5 (rescheduled), a4, a3 (no-show): booked
  // 15 + 60 = 75 (a3 counted whole, as it starts inside).
  const auto r = db->read([&](vigil::store::Connection& c) {
    return visitReportIn(c, at("2026-03-02T14:30:00Z"), at("2026-03-02T15:30:00Z"), {});
  });
  BOOST_TEST(r.time.availableMinutes.count == 120);
  BOOST_TEST(r.time.bookedMinutes.count == 75);
  BOOST_TEST(r.totals.scheduled.count == 3);
  BOOST_TEST(r.totals.rescheduled.count == 1);
  BOOST_REQUIRE_EQUAL(r.days.size(), 1u);
}

// The report's queries (as written in daemon/scheduling/src/visit_report.cpp and video's
// endedAmongIn) are served by indexes, not by a scan of a year of appointments. PostgreSQL: the
// plans with sequential scans off (a tiny table gives the planner no reason to prefer an index)
// name the index each query can use.
BOOST_AUTO_TEST_CASE(the_report_queries_are_served_by_indexes) {
  const bool pg = db->backend() == vigil::store::Backend::postgres;
  const auto plan = [&](const std::string& sql,
                        const std::function<void(vigil::store::Statement&)>& bind) {
    return db->read([&](vigil::store::Connection& c) {
      if (pg) c.exec("SET LOCAL enable_seqscan = off");
      auto st = c.prepare((pg ? "EXPLAIN " : "EXPLAIN QUERY PLAN ") + sql);
      bind(st);
      std::string out;
      while (st.step()) out += st.getText(pg ? 0 : 3) + "\n";
      return out;
    });
  };
  const std::string columns =
      "SELECT provider_user_id, patient_id, starts_at, ends_at, state, visit_id FROM appointments ";
  const auto practice = plan(columns + "WHERE starts_at >= ?1 AND starts_at < ?2",
                             [](auto& st) { st.bindAll(std::int64_t{0}, std::int64_t{1}); });
  BOOST_TEST(practice.find(pg ? "appointments_by_start" : "USING INDEX appointments_by_start") !=
                 std::string::npos,
             practice);
  const auto one =
      plan(columns + "WHERE provider_user_id = ?1 AND starts_at >= ?2 AND starts_at < ?3",
           [](auto& st) { st.bindAll(std::int64_t{1}, std::int64_t{0}, std::int64_t{1}); });
  BOOST_TEST(one.find(pg ? "appointments_by_provider" : "USING INDEX appointments_by_provider") !=
                 std::string::npos,
             one);
  const auto ended = plan(
      "SELECT id FROM visits WHERE id IN (SELECT value FROM json_each(?1)) AND state = 'ended' "
      "ORDER BY id",
      [](auto& st) { st.bind(1, "[1,2]"); });
  if (pg) {
    // PostgreSQL reads this fixture's two ended visits through the partial index of ended
    // visits (visits_ended_by_time) and joins them with the ids by hash: the cheapest plan for
    // a tiny table, which says nothing of a year of visits (where the primary key's per-id
    // look-up wins). Checked here: an index reads visits, never a scan of the table.
    BOOST_TEST(ended.find("Seq Scan on visits") == std::string::npos, ended);
    BOOST_TEST((ended.find("visits_pkey") != std::string::npos ||
                ended.find("visits_ended_by_time") != std::string::npos),
               ended);
  } else {
    BOOST_TEST(ended.find("SEARCH visits USING INTEGER PRIMARY KEY") != std::string::npos, ended);
  }
}

BOOST_AUTO_TEST_SUITE_END()
