// The demo seed's practice history (daemon/demo/src/practice_history*.cpp, issue 30: "the demo
// seed has enough history to make every report meaningful"): after the demo plan on a clinic
// with the demo provider and nurse, the practice report of the last 90 days, run as the admin,
// has figures in every section, and its counts are what the generator says it created (the
// generator's own tally, not the report code, so a report that loses rows fails).

#include <boost/test/unit_test.hpp>

#include "demo_licenses.hpp"
#include "security_fixture.hpp"
#include "vigil/analytics/practice_report.hpp"
#include "vigil/analytics/sections.hpp"
#include "vigil/demo/practice_history.hpp"
#include "vigil/security/staff_groups.hpp"
#ifdef VIGIL_WITH_VIDEO
#include "demo_schedule.hpp"
#endif

using namespace vigil;
using security::Role;

namespace {

/// The totals row's cell under column `key` of the section (the first table: "The period").
double total(const analytics::PracticeReport& r, const std::string& section,
             const std::string& key) {
  for (const auto& s : r.sections) {
    if (s.key != section) continue;
    const auto& t = s.tables.at(0);
    for (std::size_t i = 0; i < t.columns.size(); ++i)
      if (t.columns[i].key == key) {
        BOOST_REQUIRE(t.rows.at(0).at(i).kind == analytics::Cell::Kind::number);
        return t.rows.at(0).at(i).number;
      }
  }
  BOOST_FAIL("no cell " + section + "." + key);
  return 0;
}

struct DemoClinic : security::test::SecurityFixture {
  demo::DemoServices services{*db, *keys, *audit, *accounts};
  std::int64_t lee = 0;
  DemoClinic() {
    clock.set(std::chrono::sys_days(std::chrono::year(2026) / 11 / 20) + std::chrono::hours(18));
    lee = user(Role::provider, "dr.lee@demo.vigil", "provider passphrase 2026", {}, "Dr. Lee");
    user(Role::nurse, "nurse.kim@demo.vigil", "nurse passphrase 2026", {}, "Alex Kim, RN");
    demo::ensureDemoLicenses(services, admin);
#ifdef VIGIL_WITH_VIDEO
    demo::ensureDemoSchedule(services, admin);
#endif
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(DemoPracticeHistory)

BOOST_FIXTURE_TEST_CASE(every_section_of_the_last_90_days_has_figures, DemoClinic) {
  const auto until = clock.now();
  const auto made = demo::generatePracticeHistory(services, admin, demo::demoPracticePlan(), until);
  // The plan: Dr. Lee and two created providers, 24 patients, three in four enrolled (drawn).
  BOOST_TEST(made.providers == 2);
  BOOST_TEST(made.patients == 24);
  BOOST_TEST(made.enrolled > 12);
  BOOST_TEST(made.enrolled < 24);

  analytics::ReportService reports(*db, *audit, clock, analytics::practiceSections());
  const auto r = reports.run(admin, {until - std::chrono::days(90), until});
  BOOST_TEST(!r.smallCellsApply);
#ifdef VIGIL_WITH_VIDEO
  BOOST_TEST(made.completed > 50);
  BOOST_TEST(made.cancelled > 5);
  BOOST_TEST(made.noShows > 5);
  BOOST_TEST(made.futureBooked > 10);
  BOOST_TEST(total(r, "visits", "scheduled") == made.appointments - made.futureBooked);
  BOOST_TEST(total(r, "visits", "completed") == made.completed);
  BOOST_TEST(total(r, "visits", "cancelled") == made.cancelled);
  BOOST_TEST(total(r, "visits", "no_shows") == made.noShows);
  BOOST_TEST(total(r, "visits", "still_booked") > 0);
  BOOST_TEST(total(r, "visits", "utilisation") > 0);
  BOOST_TEST(made.onDemandSeen > 50);
  BOOST_TEST(made.onDemandCancelled > 3);
  BOOST_TEST(total(r, "ondemand", "seen") == made.onDemandSeen);
  BOOST_TEST(total(r, "ondemand", "cancelled") == made.onDemandCancelled);
  // Started 3-25 minutes after the request: the median lies within.
  BOOST_TEST(total(r, "ondemand", "wait_p50") >= 3 * 60);
  BOOST_TEST(total(r, "ondemand", "wait_p50") <= 25 * 60);
#endif
  BOOST_TEST(made.casesOpened > 60);
  BOOST_TEST(total(r, "cases", "opened") == made.casesOpened);
  BOOST_TEST(total(r, "cases", "answered") == made.casesAnswered);
  BOOST_TEST(total(r, "cases", "on_time") > 0);
  BOOST_TEST(total(r, "cases", "late") > 0);
  BOOST_TEST(made.alertsRaised > 100);
  BOOST_TEST(total(r, "alerts", "raised") == made.alertsRaised);
  BOOST_TEST(total(r, "alerts", "resolved") == made.alertsResolved);
  BOOST_TEST(total(r, "alerts", "escalated") > 0);
  BOOST_TEST(total(r, "alerts", "ack_p50") > 0);
  BOOST_TEST(total(r, "rpm", "enrolled") == made.enrolled);
  BOOST_TEST(total(r, "rpm", "active") == made.enrolled);
  BOOST_TEST(total(r, "rpm", "p16") > 0);
  BOOST_TEST(total(r, "rpm", "p2") > 0);  // the patients with a day in three
  BOOST_TEST(made.claims > 10);
  BOOST_TEST(total(r, "billing", "lines") > made.claims);  // each claim has a line at least
  BOOST_TEST(total(r, "billing", "charges") > 0);
  // Satisfaction: every answer the history made, about two in three held visits, mostly 4 and 5.
  BOOST_TEST(made.surveysAnswered > 0);
  BOOST_TEST(total(r, "satisfaction", "responses") == made.surveysAnswered);
  BOOST_TEST(total(r, "satisfaction", "visits") == made.completed);
  BOOST_TEST(total(r, "satisfaction", "mean") >= 3.5);
  BOOST_TEST(total(r, "satisfaction", "promoters") > 0);

  // The two clinic groups, the providers split in halves.
  security::StaffGroupService groups(*db, *audit, keys->cipher(), clock);
  const auto list = groups.list();
  BOOST_REQUIRE_EQUAL(list.size(), 2u);
  BOOST_TEST(list[0].name == "North clinic");
  BOOST_TEST(list[0].members.size() == 2u);
  BOOST_TEST(list[1].name == "South clinic");
  BOOST_TEST(list[1].members.size() == 1u);
  BOOST_TEST(audit->verify(*db).ok);
}

BOOST_AUTO_TEST_SUITE_END()
