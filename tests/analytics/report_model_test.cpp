#define BOOST_TEST_MODULE analytics
// Small-cell suppression and the CSV export (issue 30), expected values written by hand.

#include "vigil/analytics/report_model.hpp"

#include <boost/test/unit_test.hpp>

using vigil::DurationTally;
using vigil::PatientTally;
using vigil::analytics::Cell;
using vigil::analytics::Section;
using vigil::analytics::SmallCells;
using vigil::analytics::Table;

namespace {

PatientTally tally(std::int64_t count, std::vector<std::int64_t> patients) {
  PatientTally t;
  t.count = count;
  t.patients = std::move(patients);
  return t;
}

std::vector<std::int64_t> range(std::int64_t first, std::int64_t last) {
  std::vector<std::int64_t> v;
  for (auto i = first; i <= last; ++i) v.push_back(i);
  return v;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ReportModel)

BOOST_AUTO_TEST_CASE(an_admin_sees_every_cell) {
  SmallCells admin(std::nullopt);
  auto c = admin.count(tally(3, {42}));
  BOOST_TEST((c.kind == Cell::Kind::number));
  BOOST_TEST(c.number == 3.0);
  BOOST_TEST(admin.suppressed() == 0);
}

BOOST_AUTO_TEST_CASE(a_cell_of_1_to_10_patients_is_hidden_unless_the_reader_sees_them_all) {
  SmallCells provider(std::vector<std::int64_t>{1, 2, 3});
  // Two patients, both on the reader's care team: shown.
  BOOST_TEST((provider.count(tally(5, {1, 3})).kind == Cell::Kind::number));
  // Two patients, one not theirs: hidden.
  BOOST_TEST((provider.count(tally(5, {1, 4})).kind == Cell::Kind::suppressed));
  // Ten patients, not theirs: hidden; eleven: shown.
  BOOST_TEST((provider.count(tally(10, range(100, 109))).kind == Cell::Kind::suppressed));
  BOOST_TEST((provider.count(tally(11, range(100, 110))).kind == Cell::Kind::number));
  // No patient behind it (nothing happened, or a provider's free hours): shown.
  BOOST_TEST((provider.count(tally(0, {})).kind == Cell::Kind::number));
  BOOST_TEST(provider.suppressed() == 2);
}

BOOST_AUTO_TEST_CASE(a_share_hides_when_its_part_or_its_whole_does) {
  SmallCells provider(std::vector<std::int64_t>{});
  // 3 of 40 visits completed, the 3 resting on 2 patients: the share would reveal them.
  BOOST_TEST(
      (provider.share(tally(3, {7, 8}), tally(40, range(1, 30))).kind == Cell::Kind::suppressed));
  auto shown = provider.share(tally(20, range(1, 12)), tally(40, range(1, 30)));
  BOOST_TEST((shown.kind == Cell::Kind::number));
  BOOST_TEST(shown.number == 0.5);
  BOOST_TEST((provider.share(tally(0, {}), tally(0, {})).kind == Cell::Kind::empty));
}

BOOST_AUTO_TEST_CASE(a_percentile_rests_on_the_patients_of_its_durations) {
  DurationTally d;
  for (int i = 1; i <= 12; ++i) d.add(i, 60.0 * i);
  d.finish();
  SmallCells provider(std::vector<std::int64_t>{});
  // Nearest rank: the median of 12 values is the 6th (360 s), the 90th percentile the 11th.
  BOOST_TEST(provider.percentile(d, 50).number == 360.0);
  BOOST_TEST(provider.percentile(d, 90).number == 660.0);
  DurationTally few;
  few.add(5, 30.0);
  few.finish();
  BOOST_TEST((provider.percentile(few, 50).kind == Cell::Kind::suppressed));
}

BOOST_AUTO_TEST_CASE(csv_is_rfc_4180_with_suppressed_cells_and_no_formulas) {
  Section s;
  s.title = "Visits";
  Table t;
  t.title = "By provider";
  t.columns = {{"provider", "Provider", ""},
               {"n", "Visits, scheduled", "count"},
               {"u", "Utilisation", "ratio"}};
  t.rows.push_back({Cell::label("Lee, Mei"), Cell::of(12.0), Cell::of(0.125)});
  t.rows.push_back({Cell::label("=HYPERLINK(\"x\")"), Cell::hidden(), Cell::none()});
  s.tables.push_back(t);
  Table u;
  u.title = "Totals";
  u.columns = {{"n", "Visits", "count"}};
  u.rows.push_back({Cell::of(40.0)});
  s.tables.push_back(u);
  BOOST_TEST(vigil::analytics::toCsv(s) ==
             "Visits: By provider\r\n"
             "Provider,\"Visits, scheduled\",Utilisation\r\n"
             "\"Lee, Mei\",12,0.125\r\n"
             "\"'=HYPERLINK(\"\"x\"\")\",<11,\r\n"
             "\r\n"
             "Visits: Totals\r\n"
             "Visits\r\n"
             "40\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
