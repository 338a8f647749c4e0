// The satisfaction report (issue 30) against a fixture worked out by hand. The period is
// [2026-11-01, 2026-11-04), three days; providers P1 and P2; patients a..f. Visits (all ended,
// the patient admitted, unless said otherwise) and answers (rating / recommend):
//
//   day 0 (Nov 1): v1 P1 a 10:00 5/10   v2 P1 b 11:00 4/9   v3 P1 c 12:00 3/7   v4 P2 a 15:00 5/8
//   day 1 (Nov 2): v5 P2 d 09:00 2/6    v6 P2 e 10:00 1/0   v7 P1 b 11:00 4/10  v8 P1 f 13:00 -
//   day 2 (Nov 3): v9 P2 c 09:00 5/9    v10 P1 d 10:00 3/5  v11 P1 a 11:00 4/9  v12 P2 e 14:00 -
//   outside: v13 P1 a ended Oct 31 23:59 (5/10), v14 P1 b ended Nov 4 00:00 (1/0), v15 P2 f
//   ended Nov 2 16:00 without the patient, v16 P1 c in progress, v17 P1 c cancelled.
//
// So: 12 visits ended (patients a-f: 6); 10 answers (a, b, c, d, e: 5 patients); ratings
// 1:1 2:1 3:2 4:3 5:3, sum 36, mean 3.6; promoters v1 v2 v7 v9 v11 = 5 (a, b, c), passives
// v3 v4 = 2 (a, c), detractors v5 v6 v10 = 3 (d, e); NPS 50 % - 30 % = 20.
// P1: 7 visits (a, b, c, d, f), 6 answers, ratings 5 4 3 4 3 4 = 23, mean 23/6; 4 promoters,
// 1 passive, 1 detractor: NPS (4 - 1) / 6 = 50. P2: 5 visits (a, c, d, e), 4 answers,
// 5 2 1 5 = 13, mean 3.25; 1 promoter, 1 passive, 2 detractors: NPS (1 - 2) / 4 = -25.
// Days: 0: 4 visits, 4 answers, 17/4 = 4.25; 1: 4 visits (v15 not), 3 answers, 7/3;
// 2: 4 visits, 3 answers, 12/3 = 4.

#include "vigil/surveys/survey_report.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <map>

#include "security_fixture.hpp"
#include "vigil/core/time.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/store/sqlite.hpp"

using namespace vigil;
using namespace vigil::surveys;
using security::Role;

BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<double>)

namespace {

TimePoint at(unsigned mo, unsigned d, int h, int mi) {
  using namespace std::chrono;
  return TimePoint(sys_days(year(2026) / month(mo) / day(d)) + hours(h) + minutes(mi));
}

struct ReportFixture : security::test::SecurityFixture {
  registry::PatientRepository registry{*db, keys->cipher(), keys->blindIndex(), clock};
  std::map<char, std::int64_t> patient;  // a..f
  std::map<char, std::int64_t> patientUser;
  std::int64_t p1 = 0, p2 = 0;

  ReportFixture() {
    p1 = user(Role::provider, "p1@clinic.example", "provider one passphrase");
    p2 = user(Role::provider, "p2@clinic.example", "provider two passphrase");
    for (char k = 'a'; k <= 'f'; ++k) {
      const std::string n(1, k);
      patient[k] = registry.create({0, "MRN-R" + n, "Pat", n, "1960-01-01", "UTC", "", {}, true});
      patientUser[k] =
          user(Role::patient, n + "@home.example", "patient passphrase " + n, patient[k]);
    }
    //    id  provider patient end                   state          joined  rating recommend
    visit(1, p1, 'a', at(11, 1, 10, 0), "ended", true, 5, 10);
    visit(2, p1, 'b', at(11, 1, 11, 0), "ended", true, 4, 9);
    visit(3, p1, 'c', at(11, 1, 12, 0), "ended", true, 3, 7);
    visit(4, p2, 'a', at(11, 1, 15, 0), "ended", true, 5, 8);
    visit(5, p2, 'd', at(11, 2, 9, 0), "ended", true, 2, 6);
    visit(6, p2, 'e', at(11, 2, 10, 0), "ended", true, 1, 0);
    visit(7, p1, 'b', at(11, 2, 11, 0), "ended", true, 4, 10);
    visit(8, p1, 'f', at(11, 2, 13, 0), "ended", true, 0, 0);
    visit(9, p2, 'c', at(11, 3, 9, 0), "ended", true, 5, 9);
    visit(10, p1, 'd', at(11, 3, 10, 0), "ended", true, 3, 5);
    visit(11, p1, 'a', at(11, 3, 11, 0), "ended", true, 4, 9);
    visit(12, p2, 'e', at(11, 3, 14, 0), "ended", true, 0, 0);
    visit(13, p1, 'a', at(10, 31, 23, 59), "ended", true, 5, 10);
    visit(14, p1, 'b', at(11, 4, 0, 0), "ended", true, 1, 0);
    visit(15, p2, 'f', at(11, 2, 16, 0), "ended", false, 0, 0);
    visit(16, p1, 'c', at(11, 2, 12, 0), "in_progress", true, 0, 0);
    visit(17, p1, 'c', at(11, 2, 12, 0), "cancelled", false, 0, 0);
  }

  /// A visit as video and surveys store it (rating 0: no answer). The visit started 30 min
  /// before `end`; an in-progress or cancelled visit has no ended_at.
  void visit(std::int64_t id, std::int64_t provider, char who, TimePoint end,
             const std::string& state, bool joined, int rating, int recommend) {
    using core::toMillis;
    db->writeSync([&](store::Connection& c) {
      const auto start = end - std::chrono::minutes(30);
      c.execute(
          "INSERT INTO visits (id, patient_id, provider_user_id, starts_at, ends_at, state, "
          "created_by, created_at, ended_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?3, ?4, ?7)",
          id, patient[who], provider, toMillis(start), toMillis(end + std::chrono::minutes(1)),
          state,
          state == "ended" ? std::optional<std::int64_t>(toMillis(end))
                           : std::optional<std::int64_t>());
      c.execute(
          "INSERT INTO visit_participants (visit_id, user_id, role, invited_at, admitted_at) "
          "VALUES (?1, ?2, 'patient', ?3, ?4)",
          id, patientUser[who], toMillis(start),
          joined ? std::optional<std::int64_t>(toMillis(start)) : std::optional<std::int64_t>());
      if (rating > 0)
        c.execute(
            "INSERT INTO visit_surveys (visit_id, patient_id, provider_user_id, visit_ended_at, "
            "rating, recommend, answered_at, answered_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
            "?8)",
            id, patient[who], provider, toMillis(end), static_cast<std::int64_t>(rating),
            static_cast<std::int64_t>(recommend), toMillis(end + std::chrono::hours(1)),
            patientUser[who]);
    });
  }

  SurveyReport report(const ReportScope& scope = {}) {
    return db->read([&](store::Connection& c) {
      return surveyReportIn(c, at(11, 1, 0, 0), at(11, 4, 0, 0), scope);
    });
  }

  std::vector<std::int64_t> ids(std::initializer_list<char> who) {
    std::vector<std::int64_t> out;
    for (char k : who) out.push_back(patient[k]);
    std::sort(out.begin(), out.end());
    return out;
  }
};

void near(std::optional<double> got, double expected) {
  BOOST_REQUIRE(got.has_value());
  BOOST_TEST(*got == expected, boost::test_tools::tolerance(1e-9));
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(SurveyReportTest, ReportFixture)

BOOST_AUTO_TEST_CASE(practice_totals_match_the_hand_computed_fixture) {
  const auto r = report();
  BOOST_TEST(r.visitsEnded.count == 12);
  BOOST_TEST(r.visitsEnded.patients == ids({'a', 'b', 'c', 'd', 'e', 'f'}));
  BOOST_TEST(r.total.responses.count == 10);
  BOOST_TEST(r.total.responses.patients == ids({'a', 'b', 'c', 'd', 'e'}));
  BOOST_TEST(r.total.ratings[0].count == 1);
  BOOST_TEST(r.total.ratings[1].count == 1);
  BOOST_TEST(r.total.ratings[2].count == 2);
  BOOST_TEST(r.total.ratings[3].count == 3);
  BOOST_TEST(r.total.ratings[4].count == 3);
  BOOST_TEST(r.total.ratings[4].patients == ids({'a', 'c'}));  // v1 a, v4 a, v9 c
  near(r.total.meanRating, 3.6);
  BOOST_TEST(r.total.promoters.count == 5);
  BOOST_TEST(r.total.promoters.patients == ids({'a', 'b', 'c'}));
  BOOST_TEST(r.total.passives.count == 2);
  BOOST_TEST(r.total.passives.patients == ids({'a', 'c'}));
  BOOST_TEST(r.total.detractors.count == 3);
  BOOST_TEST(r.total.detractors.patients == ids({'d', 'e'}));
  near(r.total.nps, 20.0);
}

BOOST_AUTO_TEST_CASE(per_provider_figures_match_the_fixture) {
  const auto r = report();
  BOOST_REQUIRE_EQUAL(r.providers.size(), 2u);
  const auto& one = r.providers[0];
  const auto& two = r.providers[1];
  BOOST_TEST(one.providerUserId == p1);
  BOOST_TEST(one.visitsEnded.count == 7);
  BOOST_TEST(one.visitsEnded.patients == ids({'a', 'b', 'c', 'd', 'f'}));
  BOOST_TEST(one.figures.responses.count == 6);
  near(one.figures.meanRating, 23.0 / 6.0);
  BOOST_TEST(one.figures.promoters.count == 4);
  BOOST_TEST(one.figures.passives.count == 1);
  BOOST_TEST(one.figures.detractors.count == 1);
  near(one.figures.nps, 50.0);
  BOOST_TEST(two.providerUserId == p2);
  BOOST_TEST(two.visitsEnded.count == 5);
  BOOST_TEST(two.visitsEnded.patients == ids({'a', 'c', 'd', 'e'}));
  BOOST_TEST(two.figures.responses.count == 4);
  near(two.figures.meanRating, 3.25);
  BOOST_TEST(two.figures.promoters.count == 1);
  BOOST_TEST(two.figures.passives.count == 1);
  BOOST_TEST(two.figures.detractors.count == 2);
  near(two.figures.nps, -25.0);
}

BOOST_AUTO_TEST_CASE(the_daily_series_goes_by_the_visits_end) {
  const auto r = report();
  BOOST_REQUIRE_EQUAL(r.days.size(), 3u);
  BOOST_TEST((r.days[1].start == at(11, 2, 0, 0)));
  BOOST_TEST(r.days[0].visitsEnded.count == 4);
  BOOST_TEST(r.days[0].responses.count == 4);
  near(r.days[0].meanRating, 4.25);
  BOOST_TEST(r.days[1].visitsEnded.count == 4);
  BOOST_TEST(r.days[1].responses.count == 3);
  BOOST_TEST(r.days[1].responses.patients == ids({'b', 'd', 'e'}));
  near(r.days[1].meanRating, 7.0 / 3.0);
  BOOST_TEST(r.days[2].visitsEnded.count == 4);
  BOOST_TEST(r.days[2].responses.count == 3);
  near(r.days[2].meanRating, 4.0);
}

BOOST_AUTO_TEST_CASE(a_scope_of_providers_counts_only_their_visits) {
  ReportScope scope;
  scope.practice = false;
  scope.providers = {p2};
  const auto r = report(scope);
  BOOST_TEST(r.visitsEnded.count == 5);
  BOOST_TEST(r.total.responses.count == 4);
  near(r.total.meanRating, 3.25);
  near(r.total.nps, -25.0);
  BOOST_REQUIRE_EQUAL(r.providers.size(), 1u);
  BOOST_TEST(r.providers[0].providerUserId == p2);
}

BOOST_AUTO_TEST_CASE(a_period_without_answers_has_no_mean_and_no_score) {
  const auto r = db->read([&](store::Connection& c) {
    return surveyReportIn(c, at(12, 1, 0, 0), at(12, 8, 0, 0), ReportScope{});
  });
  BOOST_TEST(r.visitsEnded.count == 0);
  BOOST_TEST(r.total.responses.count == 0);
  BOOST_TEST(!r.total.meanRating.has_value());
  BOOST_TEST(!r.total.nps.has_value());
  BOOST_TEST(r.days.size() == 7u);
}

BOOST_AUTO_TEST_CASE(the_report_reads_by_index) {
  // Neither read scans its table: the plans name the indexes (a year of a practice's visits).
  // PostgreSQL: the plan with sequential scans off (a tiny table gives the planner no reason to
  // prefer an index) names the index it can use.
  const bool pg = db->backend() == store::Backend::postgres;
  auto plan = [&](const std::string& sql) {
    return db->read([&](store::Connection& c) {
      std::string out;
      if (pg) c.exec("SET LOCAL enable_seqscan = off");
      auto st = c.prepare((pg ? "EXPLAIN " : "EXPLAIN QUERY PLAN ") + sql);
      st.bindAll(std::int64_t{0}, std::int64_t{1});
      while (st.step()) out += st.getText(pg ? 0 : 3) + "\n";
      return out;
    });
  };
  const auto answers = plan(
      "SELECT patient_id, provider_user_id, visit_ended_at, rating, recommend FROM visit_surveys "
      "WHERE visit_ended_at >= ?1 AND visit_ended_at < ?2");
  BOOST_TEST(answers.find("visit_surveys_by_visit_end") != std::string::npos, answers);
  const auto visits = plan(
      "SELECT v.id FROM visits v WHERE v.state = 'ended' AND v.ended_at >= ?1 AND v.ended_at < ?2");
  BOOST_TEST(visits.find("visits_ended_by_time") != std::string::npos, visits);
}

BOOST_AUTO_TEST_SUITE_END()
