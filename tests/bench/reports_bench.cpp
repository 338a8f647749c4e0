// Practice-report latency over a year of a large practice (issue 30's benchmark).
//
// The practice is made by the demo seed's generator (vigil/demo/practice_history.hpp) with a
// large plan: PROVIDERS providers, PATIENTS patients, DAYS days of appointments, on-demand
// requests, async cases, alerts, RPM enrolments with a cuff reading on most days, care-management
// minutes and claims, all through the owning libraries' services on a real SQLite file. The
// generation is timed (with progress bars), then ReportService::run as the admin: the largest
// report (the practice, every section, the last 366 days) and each section alone, RUNS times
// each (median and max, in ms; each run audited as report.view, as in the product). The
// baseline, in the same run on the same store: the alert-response report of the same period
// (alerts::alertResponseReport, the one report that existed before issue 30).
//
// Trade-offs, to generate a year in minutes on a small machine: the store runs with
// synchronous=NORMAL (the product: FULL; this changes the writes, not the reads measured), the
// logins' password hashes are scrypt N=2^10 (the product: 2^15), and the cuffs send one reading
// a day (the routine's first time) rather than three.
//
//   bench_reports [PROVIDERS] [PATIENTS] [DAYS] [RUNS] [VISITS_PER_PROVIDER_DAY] [DIR]
//   defaults:      50          5000       366    5      4

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_util.hpp"
#ifdef VIGIL_WITH_VIDEO
#include "demo_schedule.hpp"
#endif
#include "vigil/alerts/alert_report.hpp"
#include "vigil/analytics/practice_report.hpp"
#include "vigil/analytics/sections.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/progress.hpp"
#include "vigil/core/time.hpp"
#include "vigil/demo/practice_history.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/security/keys.hpp"
#include "vigil/store/database.hpp"

using namespace vigil;
using namespace vigil::bench;
using namespace std::chrono;

namespace {

struct Timing {
  double median = 0, max = 0;
};

template <typename F>
Timing timeRuns(int runs, F&& f) {
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) {
    const auto start = steady_clock::now();
    f();
    t.push_back(ms(steady_clock::now() - start));
  }
  return {percentile(t, 0.5), percentile(t, 1.0)};
}

}  // namespace

int main(int argc, char** argv) {
  const int providers = argc > 1 ? std::atoi(argv[1]) : 50;
  const int patients = argc > 2 ? std::atoi(argv[2]) : 5000;
  const int dayCount = argc > 3 ? std::atoi(argv[3]) : 366;
  const int runs = argc > 4 ? std::atoi(argv[4]) : 5;
  const double visits = argc > 5 ? std::atof(argv[5]) : 4;
  const std::filesystem::path dir = argc > 6 ? argv[6] : std::filesystem::temp_directory_path();
  log::setLevel(log::Level::warn);

  const auto until = *core::parseRfc3339("2026-12-01T12:00:00Z");
  FixedClock clock(until);
  const auto root = dir / "bench-reports";
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root);
  store::Options o;
  o.path = root / "vigil.db";
  o.synchronousFull = false;
  auto db = store::Database::open(o);
  auto keys = security::Keys::open(*db, root / "keys" / "master.key", clock);
  security::AuditLog audit(*keys, clock);
  security::AccountConfig accountConfig;
  accountConfig.scrypt.logN = 10;
  security::AccountService accounts(*db, *keys, audit, clock, accountConfig);
  security::NewUser first;
  first.role = security::Role::admin;
  first.email = "admin@bench.example";
  first.displayName = "Admin";
  first.password = "bench admin passphrase 2026";
  const security::Actor admin{accounts.bootstrapAdmin(first), security::Role::admin, {}};
  const demo::DemoServices services{*db, *keys, audit, accounts};
#ifdef VIGIL_WITH_VIDEO
  demo::ensureDemoSchedule(services, admin);  // the appointment types
#endif

  demo::PracticePlan plan;
  plan.tag = "bench";
  plan.providers = providers;
  plan.patients = patients;
  plan.days = std::chrono::days(dayCount);
  plan.readingsOncePerDay = true;
  plan.visitsPerProviderDay = visits;
  // A practice of this size: ~1 on-demand request and ~0.4 async cases per provider a day,
  // an alert a day per ~80 patients.
  plan.onDemandPerDay = providers * 0.5;
  plan.casesPerDay = providers * 0.4;
  plan.alertsPerDay = patients / 80.0;
  std::fprintf(stderr,
               "generating %d providers, %d patients, %d days (%.1f visits per provider-day)\n",
               providers, patients, dayCount, visits);
  const auto genStart = steady_clock::now();
  demo::PracticeHistoryResult made;
  {
    ProgressBar bar("history", 1);
    made = demo::generatePracticeHistory(services, admin, plan, until, &bar);
  }
  const double genSeconds = ms(steady_clock::now() - genStart) / 1000;
  const auto bytes = std::filesystem::file_size(o.path);

  analytics::ReportService reports(*db, audit, clock, analytics::practiceSections());
  analytics::ReportRequest all{until - days(366), until};
  std::printf(
      "practice: %d providers, %d patients (%d enrolled), %d days; generated in %.0f s; "
      "store %.0f MiB\n",
      providers, made.patients, made.enrolled, dayCount, genSeconds,
      static_cast<double>(bytes) / (1 << 20));
  std::printf(
      "  readings %llu, appointments %d (completed %d, cancelled %d, no-shows %d), "
      "on-demand seen %d, cases %d, alerts %d, claims %d, refused steps %d\n",
      static_cast<unsigned long long>(made.readings), made.appointments, made.completed,
      made.cancelled, made.noShows, made.onDemandSeen, made.casesOpened, made.alertsRaised,
      made.claims, made.refused);
  std::printf("\n| Report (366 days, the practice, as the admin) | median ms | max ms |\n");
  std::printf("|---|---:|---:|\n");
  const auto row = [](const std::string& what, Timing t) {
    std::printf("| %s | %.1f | %.1f |\n", what.c_str(), t.median, t.max);
  };
  std::size_t cells = 0;
  row("every section (the largest report)", timeRuns(runs, [&] {
        const auto r = reports.run(admin, all);
        cells = 0;
        for (const auto& s : r.sections)
          for (const auto& t : s.tables) cells += t.rows.size() * t.columns.size();
      }));
  for (const auto& key : reports.sectionKeys()) {
    auto one = all;
    one.sections = {key};
    row("section " + key, timeRuns(runs, [&] { reports.run(admin, one); }));
  }
  row("baseline: alert-response report (before issue 30)",
      timeRuns(runs, [&] { alerts::alertResponseReport(*db, all.from, all.to); }));
  std::printf("\n(%d runs each; the largest report has %zu cells)\n", runs, cells);
  std::filesystem::remove_all(root);
  return 0;
}
