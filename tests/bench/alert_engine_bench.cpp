// Alert engine throughput: observations judged per second with the clinic default rules for
// 1,000 patients, in ingest-sized batches, against a baseline that walks the same batches
// without judging them (sorting by time and a per-patient hash lookup, the engine's floor).
// Usage: bench_alert_engine [PATIENTS] [HOURS]   (defaults: 1000 patients, 72 hours)
// Each patient sends a blood-pressure panel (systolic, diastolic, pulse) and an SpO2 reading
// every hour and a weight every morning; ~3 % of values breach a limit.

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <unordered_map>
#include <vector>

#include "vigil/alerts/alert_engine.hpp"
#include "vigil/core/log.hpp"
#include "vigil/events/event_bus.hpp"
#include "vigil/testsupport/manual_clock.hpp"

namespace {

using namespace vigil::alerts;
using Steady = std::chrono::steady_clock;

/// CPU seconds of this thread: on a loaded 2-core box wall time mostly measures the neighbours.
double cpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::vector<Observation> makeObservations(int patients, int hours, double breachShare) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> noise(0, 1);
  const vigil::TimePoint t0{std::chrono::seconds{1'800'000'000}};
  std::vector<Observation> out;
  std::int64_t id = 0;
  auto add = [&](std::int64_t p, std::string_view code, double v, const char* unit,
                 vigil::TimePoint t) {
    Observation o;
    o.readingId = ++id;
    o.patientId = p;
    o.code = std::string(code);
    o.value = v;
    o.unit = unit;
    o.deviceTime = t;
    o.receivedAt = t + std::chrono::seconds(2);
    out.push_back(std::move(o));
  };
  for (int h = 0; h < hours; ++h) {
    for (int p = 1; p <= patients; ++p) {
      const auto t = t0 + std::chrono::hours(h) + std::chrono::seconds(p % 3600);
      const bool bad = u(rng) < breachShare;
      add(p, loinc::kSystolic, bad ? 185 + noise(rng) : 125 + 8 * noise(rng), "mm[Hg]", t);
      add(p, loinc::kDiastolic, 80 + 5 * noise(rng), "mm[Hg]", t);
      add(p, loinc::kHeartRate, 72 + 6 * noise(rng), "/min", t);
      add(p, loinc::kSpO2, u(rng) < breachShare ? 88 : 96 + noise(rng), "%",
          t + std::chrono::minutes(1));
      if (h % 24 == 7) add(p, loinc::kBodyWeight, 80 + (p % 30) + 0.3 * noise(rng), "kg", t);
    }
  }
  return out;
}

struct Result {
  double seconds = 0;
  double cpu = 0;
  std::size_t changes = 0;
};

Result runEngine(const std::vector<Observation>& obs, std::size_t batch) {
  vigil::testsupport::ManualClock clock(obs.back().receivedAt);
  vigil::Metrics metrics;
  vigil::events::EventBus bus(metrics);
  RuleSet rules(clock);
  EscalationPolicy policy;
  policy.chain = {1, 2, 3};
  AlertLifecycle lifecycle(clock, policy, &bus, metrics);
  AlertEngine engine(rules, lifecycle, clock, {}, metrics);
  Result r;
  const auto start = Steady::now();
  const double cpuStart = cpuSeconds();
  for (std::size_t i = 0; i < obs.size(); i += batch) {
    const auto n = std::min(batch, obs.size() - i);
    r.changes += engine.evaluate(std::span(obs).subspan(i, n)).size();
  }
  r.seconds = std::chrono::duration<double>(Steady::now() - start).count();
  r.cpu = cpuSeconds() - cpuStart;
  const auto tickStart = Steady::now();
  engine.tick(clock.now() + std::chrono::hours(1));
  std::fprintf(stderr, "  tick (missing data + escalation, %zu patients): %.2f ms\n",
               static_cast<std::size_t>(obs.back().patientId),
               std::chrono::duration<double, std::milli>(Steady::now() - tickStart).count());
  std::fprintf(stderr, "  held samples after the run: %zu\n", engine.heldSamples());
  return r;
}

Result runBaseline(const std::vector<Observation>& obs, std::size_t batch) {
  std::unordered_map<std::int64_t, double> perPatient;
  const auto start = Steady::now();
  const double cpuStart = cpuSeconds();
  for (std::size_t i = 0; i < obs.size(); i += batch) {
    const auto n = std::min(batch, obs.size() - i);
    std::vector<std::pair<vigil::TimePoint, const Observation*>> order;
    order.reserve(n);
    for (std::size_t k = i; k < i + n; ++k) order.emplace_back(obs[k].deviceTime, &obs[k]);
    std::stable_sort(order.begin(), order.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [t, o] : order) perPatient[o->patientId] += o->value;
  }
  Result r;
  r.seconds = std::chrono::duration<double>(Steady::now() - start).count();
  r.cpu = cpuSeconds() - cpuStart;
  double sum = 0;
  for (const auto& [p, v] : perPatient) sum += v;
  std::fprintf(stderr, "  (baseline checksum %.1f)\n", sum);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  vigil::log::setLevel(vigil::log::Level::error);
  const int patients = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int hours = argc > 2 ? std::atoi(argv[2]) : 72;
  constexpr std::size_t kBatch = 500;
  std::printf(
      "| mix | patients × hours | observations | baseline obs/s (CPU) | engine obs/s (CPU) | "
      "engine cost over baseline | alert changes |\n| --- | --- | --- | --- | --- | --- | --- "
      "|\n");
  for (double share : {0.03, 1.0}) {
    auto obs = makeObservations(patients, hours, share);
    std::fprintf(stderr, "patients=%d hours=%d observations=%zu breach_share=%.2f batch=%zu\n",
                 patients, hours, obs.size(), share, kBatch);
    const auto base = runBaseline(obs, kBatch);
    const auto engine = runEngine(obs, kBatch);
    const auto n = static_cast<double>(obs.size());
    std::printf("| %s | %d × %d | %zu | %.0f | %.0f | %.2f µs/obs | %zu |\n",
                share < 1 ? "3 % breaching" : "all breaching", patients, hours, obs.size(),
                n / base.cpu, n / engine.cpu, (engine.cpu - base.cpu) * 1e6 / n, engine.changes);
  }
  return 0;
}
