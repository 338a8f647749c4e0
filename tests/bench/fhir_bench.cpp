// The FHIR API (issue 26): "Observation search for one patient over 90 days (p50/p99) and
// $everything for a patient with a year of readings".
//
// Usage: bench_fhir [PATIENTS=100] [ROUNDS=200] [DIR]
//
// A real store file (synchronous=FULL, the product schema), the real key ring, audit chain,
// registry, patient record and consent services, the record export and the FhirServer as vigild
// wires them, called as a backend client with system/*.rs (so each request is authorised by
// scope and audited: one fsync'd audit entry per request, as in the product). PATIENTS patients,
// each with a device and a year of readings: blood pressure, heart rate, SpO2 and weight three
// times a day (4,380 readings per patient).
//
// 1. Observation search, one patient, 90 days (date=ge…&date=lt…, _count=100, first page and the
//    walk over every page), and the same with code=8867-4; against the raw SQL read of the same
//    rows (readings_by_patient, no mapping, no audit) in the same run.
// 2. $everything of one patient (a year: 4,380 Observations and the record), against the raw
//    read of the patient's readings.
// Patients are taken round-robin so the page cache is warm for all, not one. Progress goes to
// stderr; the results (markdown) to stdout.

#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/time.hpp"
#include "vigil/fhir/record_export.hpp"
#include "vigil/fhir/server.hpp"
#include "vigil/patients/consent.hpp"
#include "vigil/patients/patient_record.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/security/keys.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"

namespace {

using namespace std::chrono;
using namespace vigil;
using Clk = steady_clock;

using bench::FixedClock;
using bench::ms;
using bench::percentile;
using bench::progress;

constexpr int kPerDay = 3;
constexpr int kDays = 365;

/// Inserts a year of readings for one patient's device, ending at `end`.
void seedReadings(store::Database& db, std::int64_t device, std::int64_t patient, TimePoint end) {
  db.writeSync([&](store::Connection& c) {
    auto st = c.prepare(
        "INSERT INTO readings (device_id, patient_id, dedup_key, kind, loinc, unit, value, "
        "components, device_time, received_at, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
        "?9, ?10, 'mqtt-json')");
    int n = 0;
    for (int d = kDays; d > 0; --d)
      for (int k = 0; k < kPerDay; ++k) {
        auto t = end - hours(24 * d) + hours(7 + 5 * k);
        auto ms = core::toMillis(t);
        auto add = [&](const char* kind, const char* loinc, const char* unit,
                       std::optional<double> value, std::optional<std::string> components) {
          st.reset();
          st.bindAll(device, patient, std::string(kind) + ":" + std::to_string(++n), kind, loinc,
                     unit, value, components, ms, ms + 1500);
          st.step();
        };
        add("blood_pressure", "85354-9", "mm[Hg]", std::nullopt,
            "{\"8480-6\":" + std::to_string(118 + n % 30) +
                ",\"8462-4\":" + std::to_string(72 + n % 15) + "}");
        add("heart_rate", "8867-4", "/min", 60.0 + n % 25, std::nullopt);
        add("spo2", "59408-5", "%", 94.0 + n % 5, std::nullopt);
        add("body_weight", "29463-7", "kg", 80.0 + (n % 20) * 0.1, std::nullopt);
      }
  });
}

struct Stats {
  std::vector<double> fhir, raw;
  std::size_t entries = 0, rawRows = 0, bytes = 0;
};

void report(const char* what, const Stats& s) {
  std::printf("| %s | %zu | %.2f | %.2f | %.2f | %.2f | %zu |\n", what, s.entries,
              percentile(s.fhir, 0.5), percentile(s.fhir, 0.99), percentile(s.raw, 0.5),
              percentile(s.raw, 0.99), s.bytes / 1024);
}

}  // namespace

int main(int argc, char** argv) {
  const int patientCount = argc > 1 ? std::atoi(argv[1]) : 100;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 200;
  const std::filesystem::path dir = argc > 3 ? argv[3] : std::filesystem::temp_directory_path();
  log::setLevel(log::Level::warn);
  const auto now = *core::parseRfc3339("2026-12-01T12:00:00Z");
  FixedClock clock(now);
  const auto root = dir / "bench-fhir";
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root);
  store::Options o;
  o.path = root / "vigil.db";
  auto db = store::Database::open(o);
  auto keys = security::Keys::open(*db, root / "keys" / "master.key", clock);
  security::AuditLog audit(*keys, clock);
  registry::PatientRepository patients(*db, keys->cipher(), keys->blindIndex(), clock);
  patients::PatientRecordService records(*db, audit, keys->cipher(), patients, clock);
  patients::ConsentService consents(*db, audit, keys->cipher(), patients, clock);
  fhir::RecordExportService exporter(*db, audit, records, consents, keys->cipher(), clock);
  fhir::FhirServer server(*db, audit, keys->cipher(), exporter, patients, clock);
  registry::DeviceRegistry devices(*db, clock);

  progress("seeding %d patients with a year of readings each (%d readings apiece)", patientCount,
           kDays * kPerDay * 4);
  std::vector<std::int64_t> ids;
  for (int i = 0; i < patientCount; ++i) {
    auto id = patients.create({0,
                               "MRN-" + std::to_string(100000 + i),
                               "Pat",
                               "Bench" + std::to_string(i),
                               "1950-01-01",
                               "UTC",
                               "TX",
                               {},
                               true});
    auto device =
        devices.add({"bench-" + std::to_string(i), registry::DeviceKind::hub, "Hub", "", ""});
    db->writeSync([&](store::Connection& c) {
      registry::DeviceRegistry::assignIn(c, device.id, id, now - hours(24 * (kDays + 2)),
                                         std::nullopt);
    });
    seedReadings(*db, device.id, id, now);
    ids.push_back(id);
    if ((i + 1) % 10 == 0) progress("  %d/%d patients", i + 1, patientCount);
  }

  fhir::FhirCaller caller;
  caller.client = fhir::ClientGrant{1, {*fhir::parseSystemScope("system/*.rs")}};
  const std::string base = "https://box.example/fhir";
  const auto from = now - hours(24 * 90);
  const auto fromText = core::formatUtc(from, core::Fraction::millis);
  const auto toText = core::formatUtc(now, core::Fraction::millis);
  auto bytesOf = [](const Poco::JSON::Object::Ptr& body) {
    std::ostringstream s;
    Poco::JSON::Stringifier::stringify(body, s);
    return s.str().size();
  };
  auto rawRead = [&](std::int64_t patient, const char* code, TimePoint a, TimePoint b) {
    return db->read([&](store::Connection& c) {
      // The compact table (0037) through reading_rows_by_patient: its effective-time expression.
      const std::string eff =
          "(CASE WHEN clock = 1 THEN taken_at + received_delay ELSE taken_at END)";
      std::string sql =
          "SELECT id, code_id, value, components, taken_at, received_delay FROM reading_rows "
          "WHERE patient_id = ?1 AND " +
          eff + " >= ?2 AND " + eff + " < ?3";
      if (code) sql += " AND code_id IN (SELECT id FROM reading_codes WHERE loinc = ?4)";
      auto st = c.prepare(sql + " ORDER BY " + eff + ", id");
      st.bind(1, patient).bind(2, core::toMillis(a)).bind(3, core::toMillis(b));
      if (code) st.bind(4, std::string(code));
      std::size_t n = 0;
      while (st.step()) ++n;
      return n;
    });
  };

  struct Case {
    const char* name;
    const char* code;
    bool allPages;
  };
  std::printf("| request | entries | p50 ms | p99 ms | raw SQL p50 ms | raw SQL p99 ms | KiB |\n");
  std::printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  for (const Case& k : {Case{"Observation, 90 days, first page (_count=100)", nullptr, false},
                        Case{"Observation, 90 days, every page (_count=100)", nullptr, true},
                        Case{"Observation code=8867-4, 90 days, every page", "8867-4", true}}) {
    Stats s;
    progress("%s: %d rounds", k.name, rounds);
    for (int r = 0; r < rounds; ++r) {
      const auto patient = ids[static_cast<std::size_t>(r) % ids.size()];
      fhir::SearchParams params = {{"patient", std::to_string(patient)},
                                   {"date", "ge" + fromText},
                                   {"date", "lt" + toText},
                                   {"_count", "100"}};
      if (k.code) params.emplace_back("code", k.code);
      auto t0 = Clk::now();
      std::size_t entries = 0, bytes = 0;
      for (;;) {
        auto page = server.search(caller, "Observation", params, base).body;
        entries += page->getArray("entry")->size();
        bytes += bytesOf(page);
        if (!k.allPages) break;
        std::string next;
        auto links = page->getArray("link");
        for (std::size_t i = 0; i < links->size(); ++i) {
          auto l = links->getObject(static_cast<unsigned>(i));
          if (l->getValue<std::string>("relation") == "next")
            next = l->getValue<std::string>("url");
        }
        if (next.empty()) break;
        params.erase(std::remove_if(params.begin(), params.end(),
                                    [](const auto& p) { return p.first == "_page"; }),
                     params.end());
        params.emplace_back("_page", next.substr(next.find("_page=") + 6));
      }
      s.fhir.push_back(ms(Clk::now() - t0));
      s.entries = entries;
      s.bytes = bytes;
      auto t1 = Clk::now();
      s.rawRows = rawRead(patient, k.code, from, now);
      s.raw.push_back(ms(Clk::now() - t1));
    }
    report(k.name, s);
  }
  {
    Stats s;
    const int everythingRounds = std::max(10, rounds / 10);
    progress("$everything: %d rounds", everythingRounds);
    for (int r = 0; r < everythingRounds; ++r) {
      const auto patient = ids[static_cast<std::size_t>(r) % ids.size()];
      auto t0 = Clk::now();
      auto bundle = server.everything(caller, std::to_string(patient), base).body;
      s.fhir.push_back(ms(Clk::now() - t0));
      s.entries = bundle->getArray("entry")->size();
      s.bytes = bytesOf(bundle);
      auto t1 = Clk::now();
      s.rawRows = rawRead(patient, nullptr, now - hours(24 * (kDays + 1)), now);
      s.raw.push_back(ms(Clk::now() - t1));
    }
    report("Patient/$everything, a year of readings", s);
  }
  std::printf("\n%d patients, %d readings each; one audit entry per request (fsync'd).\n",
              patientCount, kDays * kPerDay * 4);
  std::filesystem::remove_all(root);
  return 0;
}
