// Bytes per reading (issue 28): "≤ 80 bytes with the same queries served by indexes … measured
// on a year of simulated data for 1,000 patients and recorded with the query latencies it
// affects (patient chart over 90 days, alert warm-up)".
//
// Usage: bench_reading_storage [PATIENTS=1000] [DAYS=365] [ROUNDS=300] [DIR]
//
// Two store files in the same run, loaded with the same readings in the same order (day by day,
// all patients interleaved, one transaction per day):
//   old: the product schema up to 0036 (readings with text dedup keys and codes, four indexes),
//        written with 0036's ingest INSERT (… ON CONFLICT (device_id, dedup_key) DO NOTHING);
//   new: the current schema (0037: reading_rows, reading_codes, integer dedup key), written with
//        ingest::storeReading, the ingest writer's own code (dedup look-up included).
// Then the old file is upgraded to 0037 by the migration (time and bytes after it).
// Each patient has a cuff (blood pressure panel and pulse, twice a day), a scale (daily; every
// fourth patient's in pounds, stored converted with the original), and every third patient a
// glucose meter (three a day, numbered records, received by BLE ten minutes later; every sixth
// patient's meter clock has no UTC offset): 6 readings a day on average.
//
// Bytes: dbstat (every page of the readings' tables and indexes: cells, headers, free space in
// the pages), per object and per reading. Latencies (ms, p50/p99 over ROUNDS patients taken
// round-robin, page cache warm): the 90-day chart of one vital (heart rate: 180 points; no
// down-sampling) and the latest reading of each vital, the FHIR search's first page (100, 90
// days), the alert engine's warm-up (every reading received in the last 9 days, the default rules'
// horizon: one query). "old" runs 0036's SQL of the same query (rows stepped, columns read); "new"
// calls readings::ReadingQuery (its SQL and the C++ around it: rows to structs, components parsed).
// Progress goes to stderr; the results (markdown) to stdout.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/time.hpp"
#include "vigil/ingest/reading_writer.hpp"
#include "vigil/readings/reading_query.hpp"
#include "vigil/store/migrations.hpp"
#include "vigil/store/sqlite.hpp"

namespace {

using namespace std::chrono;
using namespace vigil;
using Clk = steady_clock;
namespace fs = std::filesystem;

using bench::ms;
using bench::percentile;
using bench::progress;

constexpr std::int64_t kHour = 3'600'000;
constexpr std::int64_t kDay = 24 * kHour;

/// A deterministic value in [0, n) for (a, b, c).
std::int64_t noise(std::int64_t a, std::int64_t b, std::int64_t c, std::int64_t n) {
  auto x = static_cast<std::uint64_t>(a * 1'000'003 + b * 7'919 + c * 104'729) + 0x9e3779b97f4a7c15;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  x ^= x >> 31;
  return static_cast<std::int64_t>(x % static_cast<std::uint64_t>(n));
}

struct Sample {
  std::int64_t device = 0, patient = 0, received = 0;
  ingest::DecodedReading r;
  std::string source;
};

/// One day of readings for every patient, in the order a box would store them.
std::vector<Sample> day(int patients, std::int64_t start, int d) {
  std::vector<Sample> out;
  const std::int64_t base = start + d * kDay;
  for (std::int64_t p = 1; p <= patients; ++p) {
    auto add = [&](std::int64_t device, std::int64_t t, std::int64_t delay, const char* source) {
      auto& s = out.emplace_back();
      s.device = device;
      s.patient = p;
      s.received = t + delay;
      s.source = source;
      s.r.deviceTime = core::fromMillis(t);
      return &s.r;
    };
    for (int k = 0; k < 2; ++k) {
      const auto t = base + (7 + 12 * k) * kHour + noise(p, d, k, kHour);
      const auto sys = 105 + noise(p, d, k + 10, 60), dia = 60 + noise(p, d, k + 20, 35);
      auto* bp = add(3 * p - 2, t, 1500 + noise(p, d, k, 2000), "mqtt-json");
      bp->kind = "blood_pressure";
      bp->loinc = "85354-9";
      bp->unit = "mm[Hg]";
      bp->components = {{"8462-4", static_cast<double>(dia)},
                        {"8478-0", static_cast<double>((sys + 2 * dia) / 3)},
                        {"8480-6", static_cast<double>(sys)}};
      auto* hr = add(3 * p - 2, t, 1500 + noise(p, d, k, 2000), "mqtt-json");
      hr->kind = "heart_rate";
      hr->loinc = "8867-4";
      hr->unit = "/min";
      hr->value = static_cast<double>(55 + noise(p, d, k + 30, 50));
    }
    const auto tw = base + 6 * kHour + noise(p, d, 40, kHour);
    auto* w = add(3 * p - 1, tw, 1200 + noise(p, d, 41, 1000), "mqtt-json");
    w->kind = "body_weight";
    w->loinc = "29463-7";
    w->unit = "kg";
    const double kg = static_cast<double>(600 + noise(p, 0, 0, 500) + noise(p, d, 42, 20)) / 10;
    w->value = kg;
    if (p % 4 == 0) {
      w->originalValue = static_cast<double>(static_cast<std::int64_t>(kg / 0.45359237 * 10)) / 10;
      w->originalUnit = "[lb_av]";
    }
    if (p % 3 != 0) continue;
    for (int k = 0; k < 3; ++k) {
      const auto t = base + (8 + 5 * k) * kHour + noise(p, d, k + 50, kHour);
      auto* g = add(3 * p, t, 10 * 60'000 + noise(p, d, k + 51, 60'000), "ble");
      g->kind = "glucose";
      g->loinc = "2339-0";
      g->unit = "mg/dL";
      g->value = static_cast<double>(70 + noise(p, d, k + 52, 180));
      g->seq = static_cast<std::uint64_t>(d * 3 + k + 1);
      g->deviceTimeLocal = p % 6 == 0;
    }
  }
  return out;
}

// ---- 0036's write (the ingest INSERT of schema 0036, kept here as the baseline) ----

std::string number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::string componentsJson(const ingest::DecodedReading& r) {
  if (r.components.empty()) return {};
  std::string out = "{";
  for (const auto& [code, v] : r.components)
    out += (out.size() > 1 ? ",\"" : "\"") + code + "\":" + (v ? number(*v) : "null");
  return out + "}";
}

std::string textKey(const ingest::DecodedReading& r) {
  if (r.seq) return "seq:" + std::to_string(*r.seq) + ":" + r.kind;
  return "time:" + std::to_string(core::toMillis(*r.deviceTime)) + ":" + r.kind;
}

void writeOld(store::Connection& c, const Sample& s) {
  auto& st = c.cached(
      "INSERT INTO readings (device_id, patient_id, dedup_key, kind, loinc, unit, value, "
      "components, special, original_value, original_unit, flags, device_time, "
      "device_time_local, received_at, seq, source) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (device_id, dedup_key) DO NOTHING");
  const auto comps = componentsJson(s.r);
  std::optional<std::int64_t> seq;
  if (s.r.seq) seq = static_cast<std::int64_t>(*s.r.seq);
  st.bindAll(s.device, s.patient, textKey(s.r), s.r.kind, s.r.loinc, s.r.unit, s.r.value,
             comps.empty() ? std::optional<std::string>() : comps, std::optional<std::string>(),
             s.r.originalValue,
             s.r.originalUnit.empty() ? std::optional<std::string>() : s.r.originalUnit,
             std::string(), core::toMillis(*s.r.deviceTime), s.r.deviceTimeLocal ? 1 : 0,
             s.received, seq, s.source);
  st.run();
  st.reset();
}

void writeNew(store::Connection& c, const Sample& s) {
  ingest::storeReading(c, s.device, s.patient, s.r, textKey(s.r), s.source,
                       core::fromMillis(s.received));
}

std::unique_ptr<store::Connection> openStore(const fs::path& path, std::size_t migrations,
                                             int patients) {
  fs::remove(path);
  auto c = std::make_unique<store::Connection>(path, store::Connection::Mode::readWriteCreate);
  c->exec("PRAGMA synchronous=OFF");
  const auto& all = store::productMigrations();
  store::migrate(*c,
                 store::MigrationList(all.begin(), all.begin() + static_cast<long>(migrations)));
  c->exec("PRAGMA foreign_keys=ON");
  c->exec("BEGIN");
  for (std::int64_t p = 1; p <= patients; ++p) {
    c->execute("INSERT INTO patients (id, created_at) VALUES (?1, 0)", p);
    for (std::int64_t k = 0; k < 3; ++k)
      c->execute("INSERT INTO devices (id, uid, kind, created_at) VALUES (?1, ?2, ?3, 0)",
                 3 * p - 2 + k, "dev-" + std::to_string(3 * p - 2 + k),
                 k == 0   ? "blood_pressure"
                 : k == 1 ? "weight_scale"
                          : "glucometer");
  }
  c->exec("COMMIT");
  return c;
}

/// Pages of the readings' tables and indexes (names containing "reading"), by object.
std::map<std::string, std::int64_t> bytesByObject(store::Connection& c) {
  std::map<std::string, std::int64_t> out;
  auto st =
      c.prepare("SELECT name, sum(pgsize) FROM dbstat WHERE name LIKE '%reading%' GROUP BY name");
  while (st.step()) out[st.get<std::string>(0)] = st.get<std::int64_t>(1);
  return out;
}

std::int64_t total(const std::map<std::string, std::int64_t>& m) {
  std::int64_t t = 0;
  for (const auto& [name, bytes] : m) t += bytes;
  return t;
}

void printBytes(const char* what, const std::map<std::string, std::int64_t>& m, double n) {
  for (const auto& [name, bytes] : m)
    std::printf("| %s | `%s` | %.1f |\n", what, name.c_str(), static_cast<double>(bytes) / n);
  std::printf("| %s | **total** | **%.1f** |\n", what, static_cast<double>(total(m)) / n);
}

struct Latency {
  std::vector<double> samples;
  std::size_t rows = 0;
};

Latency measure(int rounds, const std::function<std::size_t(int)>& run) {
  Latency l;
  for (int i = 0; i < rounds; ++i) run(i);  // warm the page cache
  for (int i = 0; i < rounds; ++i) {
    auto t0 = Clk::now();
    l.rows += run(i);
    l.samples.push_back(ms(Clk::now() - t0));
  }
  l.rows /= static_cast<std::size_t>(std::max(1, rounds));
  return l;
}

}  // namespace

namespace {

// ---- 0036's reads (reading_query.cpp and observation_search.cpp of schema 0036) ----

constexpr const char* kOldChart =
    "SELECT id, COALESCE(device_time, received_at), value, components, unit, flags FROM readings "
    "WHERE patient_id = ?1 AND loinc = ?2 AND COALESCE(device_time, received_at) BETWEEN ?3 AND "
    "?4 ORDER BY COALESCE(device_time, received_at), id";
constexpr const char* kOldCodes = "SELECT DISTINCT loinc FROM readings WHERE patient_id = ?1";
constexpr const char* kOldLatest =
    "SELECT id, COALESCE(device_time, received_at), value, components, unit, flags FROM readings "
    "WHERE patient_id = ?1 AND loinc = ?2 ORDER BY COALESCE(device_time, received_at) DESC, id "
    "DESC LIMIT 1";
constexpr const char* kOldEffective =
    "(CASE WHEN device_time IS NOT NULL AND device_time_local = 0 THEN device_time "
    "ELSE received_at END)";
constexpr const char* kOldWarmUp =
    "SELECT id, patient_id, loinc, unit, value, components, device_time, device_time_local, "
    "received_at FROM readings INDEXED BY readings_by_received WHERE received_at >= ?1 AND id > "
    "?2 AND patient_id IS NOT NULL ORDER BY received_at, id LIMIT ?3";

/// 0036's row conversions (reading_query.cpp, observation_search.cpp): what the old functions
/// built from each row, so both sides pay for their structs.
readings::ReceivedReading oldReceived(const store::Statement& st, bool withDevice) {
  readings::ReceivedReading r;
  r.readingId = st.get<std::int64_t>(0);
  r.patientId = st.get<std::optional<std::int64_t>>(1).value_or(0);
  r.code = st.get<std::string>(2);
  r.unit = st.get<std::string>(3);
  r.value = st.get<std::optional<double>>(4);
  r.components = st.get<std::optional<std::string>>(5);
  if (auto device = st.get<std::optional<std::int64_t>>(6))
    r.deviceTime = core::fromMillis(*device);
  r.deviceTimeLocal = st.get<std::int64_t>(7) != 0;
  r.receivedAt = core::fromMillis(st.get<std::int64_t>(8));
  if (withDevice) r.deviceId = st.get<std::int64_t>(9);
  return r;
}

readings::ReadingPoint oldPoint(const store::Statement& st) {
  readings::ReadingPoint p;
  p.readingId = st.get<std::int64_t>(0);
  p.at = core::fromMillis(st.get<std::int64_t>(1));
  p.values = {st.get<std::optional<double>>(2)};
  p.unit = st.get<std::string>(4);
  p.flags = st.get<std::string>(5);
  return p;
}

template <typename Row>
std::size_t collect(store::Statement& st, Row row) {
  std::vector<decltype(row(st))> out;
  while (st.step()) out.push_back(row(st));
  st.reset();
  return out.size();
}

struct Run {
  int patients = 0, rounds = 0;
  std::int64_t now = 0;
};

void row(const char* what, const Latency& old, const Latency& neu) {
  std::printf("| %s | %zu | %.2f | %.2f | %.2f | %.2f | %.2f |\n", what, neu.rows,
              percentile(old.samples, 0.5), percentile(old.samples, 0.99),
              percentile(neu.samples, 0.5), percentile(neu.samples, 0.99),
              percentile(old.samples, 0.5) / std::max(1e-9, percentile(neu.samples, 0.5)));
}

void queries(const Run& run, store::Connection& old, store::Connection& neu) {
  auto patientOf = [&](int i) { return 1 + (i * 7919) % run.patients; };
  const auto from = run.now - 90 * kDay;
  std::printf(
      "\n| query | rows | 0036 p50 ms | 0036 p99 ms | 0037 p50 ms | 0037 p99 ms | "
      "0036/0037 (p50) |\n|---|---|---|---|---|---|---|\n");
  row("chart, heart rate, 90 days",
      measure(run.rounds,
              [&](int i) {
                auto oldChart = old.prepare(kOldChart);  // as 0036's rangeIn
                oldChart.bindAll(patientOf(i), "8867-4", from, run.now);
                return collect(oldChart, oldPoint);
              }),
      measure(run.rounds, [&](int i) {
        return readings::ReadingQuery::rangeIn(neu, patientOf(i), "8867-4", core::fromMillis(from),
                                               core::fromMillis(run.now), 400)
            .total;
      }));
  auto& oldLatest = old.cached(kOldLatest);
  row("latest of each vital",
      measure(run.rounds,
              [&](int i) {
                auto oldCodes = old.prepare(kOldCodes);  // as 0036's latestIn
                oldCodes.bindAll(patientOf(i));
                std::vector<std::string> codes;
                while (oldCodes.step()) codes.push_back(oldCodes.get<std::string>(0));
                oldCodes.reset();
                std::size_t n = 0;
                for (const auto& code : codes) {
                  oldLatest.bindAll(patientOf(i), code);
                  n += collect(oldLatest, oldPoint);
                }
                return n;
              }),
      measure(run.rounds,
              [&](int i) { return readings::ReadingQuery::latestIn(neu, patientOf(i)).size(); }));
  const auto oldFhirSql =
      std::string(
          "SELECT id, patient_id, loinc, unit, value, components, device_time, "
          "device_time_local, received_at, device_id FROM readings WHERE patient_id = ? "
          "AND ") +
      kOldEffective + " >= ? AND " + kOldEffective + " < ? ORDER BY " + kOldEffective +
      ", id LIMIT 100";
  row("FHIR search, first page (100), 90 days",
      measure(run.rounds,
              [&](int i) {
                auto oldFhir = old.prepare(oldFhirSql);  // as 0036's observationsIn
                oldFhir.bindAll(patientOf(i), from, run.now);
                return collect(oldFhir,
                               [](const store::Statement& st) { return oldReceived(st, true); });
              }),
      measure(run.rounds, [&](int i) {
        readings::ObservationSearch s;
        s.patientId = patientOf(i);
        s.dateClauses = {{{core::fromMillis(from), core::fromMillis(run.now)}}};
        s.limit = 100;
        return readings::ReadingQuery::observationsIn(neu, s).size();
      }));
  const int warmRounds = std::max(3, run.rounds / 30);
  auto& oldWarm = old.cached(kOldWarmUp);  // as 0036's receivedSinceIn
  row("alert warm-up, 9 days received",
      measure(warmRounds,
              [&](int) {
                oldWarm.bindAll(run.now - 9 * kDay, std::int64_t{0}, std::int64_t{2'000'000});
                return collect(oldWarm,
                               [](const store::Statement& st) { return oldReceived(st, false); });
              }),
      measure(warmRounds, [&](int) {
        return readings::ReadingQuery::receivedSinceIn(neu, core::fromMillis(run.now - 9 * kDay), 0,
                                                       2'000'000)
            .size();
      }));
}

struct Loaded {
  std::int64_t readings = 0;
  double oldSeconds = 0, newSeconds = 0;
};

Loaded load(const Run& run, int days, std::int64_t start, store::Connection& old,
            store::Connection& neu) {
  Loaded l;
  Clk::duration oldTime{}, newTime{};
  for (int d = 0; d < days; ++d) {
    const auto samples = day(run.patients, start, d);
    l.readings += static_cast<std::int64_t>(samples.size());
    auto t0 = Clk::now();
    old.exec("BEGIN");
    for (const auto& s : samples) writeOld(old, s);
    old.exec("COMMIT");
    auto t1 = Clk::now();
    neu.exec("BEGIN");
    for (const auto& s : samples) writeNew(neu, s);
    neu.exec("COMMIT");
    oldTime += t1 - t0;
    newTime += Clk::now() - t1;
    if ((d + 1) % 30 == 0)
      progress("day %d: %lld readings", d + 1, static_cast<long long>(l.readings));
  }
  l.oldSeconds = ms(oldTime) / 1000;
  l.newSeconds = ms(newTime) / 1000;
  return l;
}

}  // namespace

int main(int argc, char** argv) {
  Run run;
  run.patients = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int days = argc > 2 ? std::atoi(argv[2]) : 365;
  run.rounds = argc > 3 ? std::atoi(argv[3]) : 300;
  const fs::path dir = argc > 4 ? argv[4] : fs::temp_directory_path();
  log::setLevel(log::Level::warn);
  const auto root = dir / "bench-reading-storage";
  fs::remove_all(root);
  fs::create_directories(root);
  run.now = core::toMillis(*core::parseRfc3339("2026-12-01T00:00:00Z"));
  const auto start = run.now - days * kDay;

  auto old = openStore(root / "old.db", 36, run.patients);
  auto neu = openStore(root / "new.db", store::productMigrations().size(), run.patients);
  progress("loading %d patients x %d days", run.patients, days);
  const auto loaded = load(run, days, start, *old, *neu);
  const auto n = static_cast<double>(loaded.readings);
  const auto oldBytes = bytesByObject(*old);
  const auto newBytes = bytesByObject(*neu);

  // The upgrade: a copy of the 0036 file migrated to 0037.
  old.reset();
  fs::copy_file(root / "old.db", root / "upgraded.db");
  store::Connection up(root / "upgraded.db", store::Connection::Mode::readWrite);
  progress("upgrading a copy of the 0036 file");
  auto t0 = Clk::now();
  store::migrate(up, store::productMigrations());
  const double upgradeSeconds = ms(Clk::now() - t0) / 1000;
  const auto upBytes = bytesByObject(up);
  const auto upRows = up.queryValue<std::int64_t>("SELECT count(*) FROM reading_rows").value_or(0);
  old = std::make_unique<store::Connection>(root / "old.db", store::Connection::Mode::readOnly);

  std::printf(
      "%d patients, %d days: %lld readings (%.1f a patient a day); loaded in %.1f s "
      "(0036) and %.1f s (0037: %.0f and %.0f readings/s, one transaction a day, "
      "synchronous=OFF); the upgrade of the 0036 file took %.1f s and kept %lld of "
      "%lld readings.\n\n",
      run.patients, days, static_cast<long long>(loaded.readings), n / run.patients / days,
      loaded.oldSeconds, loaded.newSeconds, n / loaded.oldSeconds, n / loaded.newSeconds,
      upgradeSeconds, static_cast<long long>(upRows), static_cast<long long>(loaded.readings));
  std::printf("| schema | object | bytes per reading |\n|---|---|---|\n");
  printBytes("0036", oldBytes, n);
  printBytes("0037", newBytes, n);
  printBytes("0036 upgraded to 0037", upBytes, n);
  progress("queries");
  queries(run, *old, *neu);
  fs::remove_all(root);
  return 0;
}
