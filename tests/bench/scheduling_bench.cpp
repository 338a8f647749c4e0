// Scheduling under load (issue 22): "bookings per second under contention and slot search
// latency for a clinic of 50 providers over 90 days".
//
// Usage: bench_scheduling [PROVIDERS=50] [DAYS=90] [THREADS=50] [ROUNDS=200] [SEARCHES=30] [DIR]
//
// A real store file (synchronous=FULL, the product schema, as vigild opens it), the real key
// ring, audit chain, accounts and SchedulingService (no licensing check: the eligibility read is
// licensing's cost, measured apart). The clinic: PROVIDERS providers in four US zones, weekly
// hours Monday-Friday 08:00-12:00 and 13:00-17:00 local (every third provider off on Wednesday
// afternoons, every other one with a 5-minute buffer), a clinic holiday and one week of leave
// each, three appointment types (15, 30, 60 minutes), 400 patients on every care team. Before
// the searches about a third of the whole hours of the DAYS days are booked (through book(),
// four threads), so searches subtract real claims.
//
// 1. Contention: ROUNDS rounds; in each, THREADS threads released together book the SAME slot
//    for different patients (one wins, the others get SlotTaken). Then the same threads book
//    distinct free slots (no collisions). Each against its baseline on the same store: raw write
//    jobs inserting the same 6 granule rows (30 minutes) into a table with the claims' primary
//    key (provider, granule), nothing else (no authorisation, no appointment row, no audit).
// 2. Slot search: p50/p99 of a clinic-wide search (every provider) over DAYS days, of one
//    provider over DAYS days, and of a patient's search (their care team: every provider) over
//    7 days; each search is authorised and audited as in the product.
// Progress goes to stderr; the results (markdown) to stdout.

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/scheduling/scheduling.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/security/keys.hpp"
#include "vigil/store/database.hpp"

namespace {

using namespace std::chrono;
using namespace vigil;
using scheduling::SchedulingService;
using security::Actor;
using security::Role;
using Clk = steady_clock;

using bench::FixedClock;
using bench::ms;
using bench::percentile;
using bench::progress;

struct Clinic {
  std::unique_ptr<store::Database> db;
  std::unique_ptr<security::Keys> keys;
  std::unique_ptr<security::AuditLog> audit;
  std::unique_ptr<security::AccountService> accounts;
  std::unique_ptr<SchedulingService> service;
  std::unique_ptr<registry::PatientRepository> patients;
  Actor admin{0, Role::admin, std::nullopt};
  Actor desk{0, Role::front_desk, std::nullopt};
  std::vector<std::int64_t> providers;
  std::vector<std::int64_t> patientIds;
  scheduling::AppointmentType t15, t30, t60;
};

constexpr int kPatients = 400;
const year_month_day kFirstDay{year{2027}, January, day{4}};  // a Monday

std::string dayName(year_month_day d) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()),
                static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
  return buf;
}

year_month_day plusDays(year_month_day d, int n) {
  return year_month_day{sys_days{d} + days{n}};
}

void setUp(Clinic& c, const std::filesystem::path& dir, Clock& clock, int providerCount,
           int dayCount) {
  std::filesystem::remove_all(dir / "bench-scheduling");
  std::filesystem::create_directories(dir / "bench-scheduling");
  store::Options o;
  o.path = dir / "bench-scheduling" / "vigil.db";
  c.db = store::Database::open(o);
  c.keys = security::Keys::open(*c.db, dir / "bench-scheduling" / "keys" / "master.key", clock);
  c.audit = std::make_unique<security::AuditLog>(*c.keys, clock);
  security::AccountConfig ac;
  ac.scrypt = security::ScryptParams{10, 8, 1};  // accounts are set-up, not what is measured
  c.accounts = std::make_unique<security::AccountService>(*c.db, *c.keys, *c.audit, clock, ac);
  c.service = std::make_unique<SchedulingService>(*c.db, *c.audit, c.keys->cipher(), clock);
  c.patients = std::make_unique<registry::PatientRepository>(*c.db, c.keys->cipher(),
                                                             c.keys->blindIndex(), clock);
  security::NewUser first{Role::admin, "root@bench.example", "Admin", std::nullopt,
                          "bootstrap admin passphrase"};
  c.admin.id = c.accounts->bootstrapAdmin(first);
  c.desk.id = c.accounts->createUser(c.admin, {Role::front_desk, "desk@bench.example", "Desk",
                                               std::nullopt, "front desk passphrase 2026"});
  c.t15 = c.service->saveType(c.admin, {0, "Quick check", 15, scheduling::Modality::inPerson,
                                        scheduling::VisitKind::followUp, true});
  c.t30 = c.service->saveType(c.admin, {0, "Clinic visit", 30, scheduling::Modality::inPerson,
                                        scheduling::VisitKind::followUp, true});
  c.t60 = c.service->saveType(c.admin, {0, "New patient", 60, scheduling::Modality::inPerson,
                                        scheduling::VisitKind::newPatient, true});
  static const char* kZones[] = {"America/New_York", "America/Chicago", "America/Denver",
                                 "America/Los_Angeles"};
  const auto holiday = local_days{year_month_day{year{2027}, January, day{18}}};
  for (int i = 0; i < providerCount; ++i) {
    auto id = c.accounts->createUser(
        c.admin, {Role::provider, "dr" + std::to_string(i) + "@bench.example",
                  "Dr " + std::to_string(i), std::nullopt, "provider passphrase 2026"});
    c.providers.push_back(id);
    c.service->saveSettings(c.admin, {id, kZones[i % 4], i % 2 == 0 ? 0 : 5});
    std::vector<scheduling::TemplateBlock> blocks;
    for (int wd = 1; wd <= 5; ++wd) {
      blocks.push_back({0, id, wd, 8 * 60, 12 * 60, {}});
      if (!(wd == 3 && i % 3 == 0)) blocks.push_back({0, id, wd, 13 * 60, 17 * 60, {}});
    }
    c.service->setTemplate(c.admin, id, blocks);
    c.service->addException(
        c.admin, {0, id, holiday, holiday + days(1), scheduling::ExceptionKind::holiday});
    const auto leave = local_days{plusDays(kFirstDay, 7 * (1 + i % std::max(1, dayCount / 7 - 1)))};
    c.service->addException(c.admin,
                            {0, id, leave, leave + days(5), scheduling::ExceptionKind::leave});
  }
  progress("setup: %d providers with weekly hours, a holiday and a week of leave", providerCount);
  for (int i = 0; i < kPatients; ++i)
    c.patientIds.push_back(c.patients->create({0,
                                               "BENCH-" + std::to_string(i),
                                               "Pat",
                                               "Bench" + std::to_string(i),
                                               "1970-01-01",
                                               "UTC",
                                               "CA",
                                               {},
                                               true}));
  c.db->writeSync([&](store::Connection& conn) {
    for (auto p : c.providers)
      for (auto pt : c.patientIds)
        security::SqliteCareTeam::assignIn(conn, p, pt, c.admin.id, clock.now());
  });
  progress("setup: %d patients on every provider's care team", kPatients);
}

/// Books about a third of the whole hours (30 minutes at hh:00) of the first `dayCount` days.
int fill(Clinic& c, int dayCount) {
  struct Job {
    std::int64_t provider;
    TimePoint at;
  };
  std::vector<Job> jobs;
  for (auto p : c.providers) {
    auto found = c.service->slots(
        c.admin, {c.t30.id, p, std::nullopt, kFirstDay, plusDays(kFirstDay, dayCount - 1)});
    for (const auto& s : found.slots) {
      const auto minute = duration_cast<minutes>(s.startsAt.time_since_epoch()).count();
      if (minute % 60 != 0) continue;
      if ((minute / 60 + p) % 3 != 0) continue;  // a third of the hours, spread
      jobs.push_back({p, s.startsAt});
    }
  }
  std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) {
    return a.at != b.at ? a.at < b.at : a.provider < b.provider;
  });
  std::atomic<std::size_t> next{0};
  std::atomic<int> booked{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w)
    workers.emplace_back([&] {
      for (auto i = next++; i < jobs.size(); i = next++) {
        for (std::size_t k = 0; k < 4; ++k) {
          try {
            c.service->book(c.desk, {c.patientIds[(i + k * 97) % c.patientIds.size()],
                                     jobs[i].provider, c.t30.id, jobs[i].at});
            if (++booked % 2000 == 0) progress("fill: %d bookings", booked.load());
            break;
          } catch (const scheduling::PatientBusy&) {
            continue;  // that patient is elsewhere then: another one
          }
        }
      }
    });
  for (auto& t : workers) t.join();
  return booked.load();
}

struct RunResult {
  double seconds = 0;
  int attempts = 0;
  int wins = 0;
  int taken = 0;
  int other = 0;
  std::vector<double> latencies;
};

/// `rounds` rounds of `threads` threads released together; attempt(thread, round) returns
/// 1 (booked), 0 (taken) or -1 (another error).
RunResult race(int threads, int rounds, const std::function<int(int, int)>& attempt,
               const char* what) {
  RunResult r;
  std::mutex m;
  std::barrier gate(threads);
  std::vector<std::thread> pool;
  const auto start = Clk::now();
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      std::vector<double> mine;
      int wins = 0, taken = 0, other = 0;
      for (int round = 0; round < rounds; ++round) {
        gate.arrive_and_wait();
        const auto t0 = Clk::now();
        const int outcome = attempt(t, round);
        mine.push_back(ms(Clk::now() - t0));
        (outcome > 0 ? wins : outcome == 0 ? taken : other)++;
        if (t == 0 && (round + 1) % 50 == 0) progress("%s: round %d/%d", what, round + 1, rounds);
      }
      std::lock_guard lock(m);
      r.wins += wins;
      r.taken += taken;
      r.other += other;
      r.latencies.insert(r.latencies.end(), mine.begin(), mine.end());
    });
  for (auto& t : pool) t.join();
  r.seconds = duration<double>(Clk::now() - start).count();
  r.attempts = threads * rounds;
  return r;
}

void row(const char* name, const RunResult& r) {
  std::printf("| %s | %d | %d | %d / %d | %.2f | %.0f | %.0f | %.1f | %.1f |\n", name, r.attempts,
              r.wins, r.taken, r.other, r.seconds, r.attempts / r.seconds, r.wins / r.seconds,
              percentile(r.latencies, 0.5), percentile(r.latencies, 0.99));
}

}  // namespace

int main(int argc, char** argv) {
  const int providerCount = argc > 1 ? std::atoi(argv[1]) : 50;
  const int dayCount = argc > 2 ? std::atoi(argv[2]) : 90;
  const int threads = argc > 3 ? std::atoi(argv[3]) : 50;
  const int rounds = argc > 4 ? std::atoi(argv[4]) : 200;
  const int searches = argc > 5 ? std::atoi(argv[5]) : 30;
  const std::filesystem::path dir =
      argc > 6 ? argv[6] : (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp");
  if (providerCount < 1 || dayCount < 7 || dayCount > scheduling::kMaxSearchDays || threads < 2 ||
      threads > kPatients || rounds < 1 || searches < 1) {
    std::fprintf(stderr,
                 "usage: bench_scheduling [PROVIDERS] [DAYS 7..92] [THREADS 2..400] [ROUNDS] "
                 "[SEARCHES] [DIR]\n");
    return 2;
  }
  log::setLevel(log::Level::warn);
  FixedClock clock{sys_days{kFirstDay} - hours(12)};  // the Sunday before, noon UTC
  Clinic c;
  setUp(c, dir, clock, providerCount, dayCount);
  const auto fillStart = Clk::now();
  const int filled = fill(c, dayCount);
  const double fillSeconds = duration<double>(Clk::now() - fillStart).count();
  progress("fill: %d bookings in %.1f s", filled, fillSeconds);

  // --- slot search ---
  const auto last = plusDays(kFirstDay, dayCount - 1);
  struct Search {
    std::string name;
    scheduling::SlotQuery query;
    int runs;
    std::vector<double> ms;
    std::size_t slots = 0;
  };
  std::vector<Search> plan = {
      {"clinic-wide, " + std::to_string(providerCount) + " providers, " + std::to_string(dayCount) +
           " days (30-min type)",
       {c.t30.id, std::nullopt, std::nullopt, kFirstDay, last},
       searches,
       {}},
      {"one provider, " + std::to_string(dayCount) + " days (60-min type)",
       {c.t60.id, c.providers[0], std::nullopt, kFirstDay, last},
       searches * 5,
       {}},
      {"a patient's care team (" + std::to_string(providerCount) +
           " providers), 7 days (15-min type)",
       {c.t15.id, std::nullopt, c.patientIds[1], plusDays(kFirstDay, 14), plusDays(kFirstDay, 20)},
       searches * 5,
       {}},
  };
  for (auto& s : plan) {
    for (int i = 0; i < s.runs; ++i) {
      const auto t0 = Clk::now();
      auto found = c.service->slots(c.admin, s.query);
      s.ms.push_back(ms(Clk::now() - t0));
      s.slots = found.slots.size();
    }
    progress("search: %s: %d runs", s.name.c_str(), s.runs);
  }

  // --- contention: the same slot per round ---
  // Round r's slot: a free 30-minute slot after the filled days, each round at its own instant
  // (so a patient who won one round is never busy in another).
  std::vector<std::pair<std::int64_t, TimePoint>> raceSlots;
  std::vector<std::pair<std::int64_t, TimePoint>> freeSlots;  // for the uncontended run
  {
    std::set<TimePoint> used;
    const auto from = plusDays(kFirstDay, dayCount + 7);
    for (std::size_t i = 0; raceSlots.size() < static_cast<std::size_t>(rounds) ||
                            freeSlots.size() < static_cast<std::size_t>(threads * rounds / 10);
         ++i) {
      const auto week = static_cast<int>(i / c.providers.size());
      if (week > 40) break;
      const auto p = c.providers[i % c.providers.size()];
      auto found = c.service->slots(c.admin, {c.t30.id, p, std::nullopt, plusDays(from, 7 * week),
                                              plusDays(from, 7 * week + 6)});
      for (const auto& s : found.slots) {
        const auto minute = duration_cast<minutes>(s.startsAt.time_since_epoch()).count();
        if (minute % 60 != 0) continue;  // whole hours: no two overlap with a buffer
        if (raceSlots.size() < static_cast<std::size_t>(rounds) && !used.count(s.startsAt)) {
          used.insert(s.startsAt);
          raceSlots.emplace_back(p, s.startsAt);
        } else if (week % 2 == 1) {
          freeSlots.emplace_back(p, s.startsAt);
        }
      }
    }
  }
  if (raceSlots.size() < static_cast<std::size_t>(rounds)) {
    std::fprintf(stderr, "bench_scheduling: not enough free slots for %d rounds\n", rounds);
    return 1;
  }
  auto service = race(
      threads, rounds,
      [&](int t, int round) {
        const auto& [p, at] = raceSlots[static_cast<std::size_t>(round)];
        try {
          c.service->book(c.desk, {c.patientIds[static_cast<std::size_t>(t)], p, c.t30.id, at});
          return 1;
        } catch (const scheduling::SlotTaken&) {
          return 0;
        } catch (const std::exception&) {
          return -1;
        }
      },
      "contention (SchedulingService)");

  // The baseline: the same claims (6 granules) as raw INSERTs under the same primary key.
  c.db->writeSync([](store::Connection& conn) {
    conn.execute(
        "CREATE TABLE bench_claims (provider_user_id INTEGER NOT NULL, minute_granule INTEGER NOT "
        "NULL, PRIMARY KEY (provider_user_id, minute_granule)) WITHOUT ROWID");
  });
  auto insertClaims = [&](std::int64_t provider, TimePoint at) {
    const auto g = duration_cast<minutes>(at.time_since_epoch()).count() / 5;
    try {
      c.db->writeSync([&](store::Connection& conn) {
        for (int k = 0; k < 6; ++k)
          conn.execute(
              "INSERT INTO bench_claims (provider_user_id, minute_granule) VALUES (?1, ?2)",
              provider, static_cast<std::int64_t>(g + k));
      });
      return 1;
    } catch (const std::exception&) {
      return 0;  // the primary key refused it: taken
    }
  };
  auto raw = race(
      threads, rounds,
      [&](int, int round) {
        const auto& [p, at] = raceSlots[static_cast<std::size_t>(round)];
        return insertClaims(p, at);
      },
      "contention (raw INSERT)");

  // --- no collisions: each thread its own slots ---
  const int freeRounds = static_cast<int>(freeSlots.size()) / threads;
  auto spread = race(
      threads, freeRounds,
      [&](int t, int round) {
        const auto i = static_cast<std::size_t>(round * threads + t);
        const auto& [p, at] = freeSlots[i];
        try {
          c.service->book(c.desk, {c.patientIds[i % c.patientIds.size()], p, c.t30.id, at});
          return 1;
        } catch (const scheduling::SlotTaken&) {
          return 0;
        } catch (const std::exception&) {
          return -1;
        }
      },
      "no collisions (SchedulingService)");
  c.db->writeSync([](store::Connection& conn) { conn.execute("DELETE FROM bench_claims"); });
  auto rawSpread = race(
      threads, freeRounds,
      [&](int t, int round) {
        const auto& [p, at] = freeSlots[static_cast<std::size_t>(round * threads + t)];
        return insertClaims(p, at);
      },
      "no collisions (raw INSERT)");

  std::printf(
      "Clinic: %d providers (4 US zones, Mon-Fri 08-12 and 13-17 local, holidays, leave), "
      "%d patients, %d bookings made first over %d days from %s (%.1f s, 4 threads: "
      "%.0f bookings/s).\n\n",
      providerCount, kPatients, filled, dayCount, dayName(kFirstDay).c_str(), fillSeconds,
      filled / fillSeconds);
  std::printf("Bookings: %d threads released together per round.\n\n", threads);
  std::printf(
      "| run | attempts | booked | slot taken / other refusal | s | attempts/s | bookings/s | p50 "
      "ms | p99 ms |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  row("same slot, SchedulingService::book", service);
  row("same slot, raw INSERT of the 6 claims (baseline)", raw);
  row("own slots, SchedulingService::book", spread);
  row("own slots, raw INSERT of the 6 claims (baseline)", rawSpread);
  std::printf("\nSlot search (SchedulingService::slots, authorised and audited):\n\n");
  std::printf("| search | runs | slots found | p50 ms | p99 ms | max ms |\n");
  std::printf("|---|---:|---:|---:|---:|---:|\n");
  for (const auto& s : plan)
    std::printf("| %s | %d | %zu | %.1f | %.1f | %.1f |\n", s.name.c_str(), s.runs, s.slots,
                percentile(s.ms, 0.5), percentile(s.ms, 0.99),
                *std::max_element(s.ms.begin(), s.ms.end()));
  const bool exact = service.wins == rounds && raw.wins == rounds && service.other == 0;
  std::printf("\nEach contended round booked exactly one: %s.\n", exact ? "yes" : "NO");
  return exact ? 0 : 1;
}
