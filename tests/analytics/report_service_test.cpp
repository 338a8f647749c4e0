// ReportService (issue 30): who may run which scope (by hand, from the issue and
// docs/reports.md: admins any; providers their own and their clinic groups'; nobody else), the
// scope handed to the sections (providers and their care teams' patients), suppression for
// readers who may not see the patients, and every view and export audited with its scope.

#include <boost/test/unit_test.hpp>

#include "security_fixture.hpp"
#include "vigil/analytics/practice_report.hpp"
#include "vigil/core/error.hpp"
#include "vigil/registry/registry.hpp"

using namespace vigil;
using analytics::Cell;
using analytics::ReportRequest;
using analytics::ScopeKind;
using security::Actor;
using security::Role;

namespace {

constexpr std::int64_t kNorth = 7;  // a clinic group of the provider
constexpr std::int64_t kSouth = 8;  // a clinic group of the other provider

struct ReportFixture : security::test::SecurityFixture {
  registry::PatientRepository registry{*db, keys->cipher(), keys->blindIndex(), clock};
  Actor provider{0, Role::provider, std::nullopt};
  Actor colleague{0, Role::provider, std::nullopt};
  Actor nurse{0, Role::nurse, std::nullopt};
  std::vector<std::int64_t> patients;  // 0, 1: the provider's; 2..13: the colleague's
  /// What the sections saw, per run.
  std::vector<ReportScope> seen;

  std::unique_ptr<analytics::ReportService> service;

  ReportFixture() {
    clock.set(std::chrono::sys_days(std::chrono::year(2026) / 11 / 1));
    provider.id = user(Role::provider, "dr@clinic.example", "provider passphrase 2026");
    colleague.id = user(Role::provider, "dr2@clinic.example", "colleague passphrase 2026");
    nurse.id = user(Role::nurse, "rn@clinic.example", "nurse passphrase 2026");
    for (std::size_t i = 0; i < 14; ++i)
      patients.push_back(registry.create(
          {0, "MRN-R" + std::to_string(i), "Pat", "Ient", "1950-01-01", "UTC", "", {}, true}));
    db->writeSync([&](store::Connection& c) {
      for (std::size_t i = 0; i < 14; ++i)
        security::SqliteCareTeam::assignIn(c, i < 2 ? provider.id : colleague.id, patients[i],
                                           admin.id, clock.now());
    });
    std::vector<analytics::SectionSource> sources;
    // "visits": one count resting on the provider's two patients, one on the colleague's
    // first five, one on all twelve of the colleague's.
    sources.push_back({"visits", [this](const analytics::SectionContext& x) {
                         const auto& cells = x.cells;
                         seen.push_back(x.scope);
                         analytics::Section s;
                         s.title = "Visits";
                         analytics::Table t;
                         t.title = "Counts";
                         t.columns = {{"mine", "Mine", "count"},
                                      {"few", "Few", "count"},
                                      {"many", "Many", "count"}};
                         PatientTally mine, few, many;
                         for (std::size_t i = 0; i < 2; ++i) mine.add(patients[i]);
                         for (std::size_t i = 2; i < 7; ++i) few.add(patients[i]);
                         for (std::size_t i = 2; i < 14; ++i) many.add(patients[i]);
                         for (auto* tally : {&mine, &few, &many}) tally->finish();
                         t.rows.push_back({cells.count(mine), cells.count(few), cells.count(many)});
                         s.tables.push_back(t);
                         return s;
                       }});
    sources.push_back({"alerts", [](const analytics::SectionContext&) {
                         analytics::Section s;
                         s.title = "Alerts";
                         return s;
                       }});
    auto groupProviders = [this](store::Connection&,
                                 std::int64_t group) -> std::optional<std::vector<std::int64_t>> {
      if (group == kNorth) return std::vector<std::int64_t>{provider.id};
      if (group == kSouth) return std::vector<std::int64_t>{colleague.id};
      return std::nullopt;
    };
    auto groupsOf = [this](store::Connection&, std::int64_t user) {
      if (user == provider.id) return std::vector<std::int64_t>{kNorth};
      if (user == colleague.id) return std::vector<std::int64_t>{kSouth};
      return std::vector<std::int64_t>{};
    };
    service = std::make_unique<analytics::ReportService>(*db, *audit, clock, std::move(sources),
                                                         nullptr, groupProviders, groupsOf);
  }

  ReportRequest request(ScopeKind kind, std::int64_t id = 0) {
    ReportRequest r;
    r.to = clock.now();
    r.from = r.to - std::chrono::days(30);
    r.scope = kind;
    r.scopeId = id;
    return r;
  }

  bool may(const Actor& a, const ReportRequest& r) {
    try {
      service->run(a, r);
      return true;
    } catch (const AccessDenied&) {
      return false;
    }
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(ReportServiceTest, ReportFixture)

BOOST_AUTO_TEST_CASE(who_may_run_which_scope) {
  // By hand: admin any scope; a provider their own and their group's only; a nurse none.
  BOOST_TEST(may(admin, request(ScopeKind::practice)));
  BOOST_TEST(may(admin, request(ScopeKind::provider, colleague.id)));
  BOOST_TEST(may(admin, request(ScopeKind::group, kSouth)));
  BOOST_TEST(!may(provider, request(ScopeKind::practice)));
  BOOST_TEST(may(provider, request(ScopeKind::provider, provider.id)));
  BOOST_TEST(!may(provider, request(ScopeKind::provider, colleague.id)));
  BOOST_TEST(may(provider, request(ScopeKind::group, kNorth)));
  BOOST_TEST(!may(provider, request(ScopeKind::group, kSouth)));
  BOOST_TEST(!may(nurse, request(ScopeKind::provider, nurse.id)));
  // Each refusal is on record with its reason.
  auto denied = lastAudit("report.view");
  BOOST_REQUIRE(denied);
  BOOST_TEST(denied->event.reason == "role_lacks_permission");
}

BOOST_AUTO_TEST_CASE(the_sections_get_the_scope_s_providers_and_their_care_teams_patients) {
  service->run(admin, request(ScopeKind::practice));
  BOOST_REQUIRE(seen.size() == 1u);
  BOOST_TEST(seen[0].practice);
  service->run(admin, request(ScopeKind::group, kSouth));
  BOOST_REQUIRE(seen.size() == 2u);
  BOOST_TEST(!seen[1].practice);
  BOOST_TEST((seen[1].providers == std::vector<std::int64_t>{colleague.id}));
  BOOST_TEST((seen[1].patients == std::vector<std::int64_t>(patients.begin() + 2, patients.end())));
  BOOST_CHECK_THROW(service->run(admin, request(ScopeKind::group, 99)), NotFound);
}

BOOST_AUTO_TEST_CASE(small_cells_are_hidden_from_a_provider_but_not_from_an_admin) {
  const auto mine = service->run(provider, request(ScopeKind::provider, provider.id));
  BOOST_TEST(mine.smallCellsApply);
  const auto& row = mine.sections.at(0).tables.at(0).rows.at(0);
  // Two patients, both the provider's: shown. Five of the colleague's: hidden. Twelve: shown.
  BOOST_TEST(row[0].number == 2.0);
  BOOST_TEST((row[1].kind == Cell::Kind::suppressed));
  BOOST_TEST(row[2].number == 12.0);
  BOOST_TEST(mine.suppressedCells == 1);
  const auto all = service->run(admin, request(ScopeKind::practice));
  BOOST_TEST(!all.smallCellsApply);
  BOOST_TEST(all.sections.at(0).tables.at(0).rows.at(0)[1].number == 5.0);
  BOOST_TEST(all.suppressedCells == 0);
}

BOOST_AUTO_TEST_CASE(each_view_and_export_is_audited_with_its_scope) {
  service->run(provider, request(ScopeKind::group, kNorth));
  auto view = lastAudit("report.view");
  BOOST_REQUIRE(view);
  BOOST_TEST(view->event.objectType == "practice_report");
  BOOST_TEST(view->event.objectId == "group:" + std::to_string(kNorth));
  const auto csv =
      service->exportCsv(provider, request(ScopeKind::provider, provider.id), "visits");
  BOOST_TEST(csv == "Visits: Counts\r\nMine,Few,Many\r\n2,<11,12\r\n");
  auto exported = lastAudit("report.export");
  BOOST_REQUIRE(exported);
  BOOST_TEST(exported->event.objectId == "provider:" + std::to_string(provider.id) + "/visits");
  BOOST_TEST((exported->event.outcome == security::AuditOutcome::success));
}

BOOST_AUTO_TEST_CASE(a_bad_period_or_section_is_refused_clearly) {
  auto r = request(ScopeKind::practice);
  r.to = r.from;
  BOOST_CHECK_THROW(service->run(admin, r), ValidationError);
  r = request(ScopeKind::practice);
  r.from = r.to - std::chrono::days(367);
  BOOST_CHECK_THROW(service->run(admin, r), ValidationError);
  r = request(ScopeKind::practice);
  r.sections = {"visits", "weather"};
  BOOST_CHECK_THROW(service->run(admin, r), ValidationError);
  r.sections = {"alerts"};
  const auto one = service->run(admin, r);
  BOOST_REQUIRE(one.sections.size() == 1u);
  BOOST_TEST(one.sections[0].key == "alerts");
}

BOOST_AUTO_TEST_SUITE_END()
