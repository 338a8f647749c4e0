#include "vigil/demo/demo_history.hpp"

#include <algorithm>
#include <optional>
#include <random>

#include "vigil/core/error.hpp"
#include "vigil/fleet/device_payload.hpp"
#include "vigil/ingest/devices_decoder.hpp"
#include "vigil/ingest/ingest_service.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/store/database.hpp"

namespace vigil::demo {
namespace {

using std::chrono::milliseconds;
using Persona = fleet::Persona;

/// When a device of the kind is used, in local hours: a home monitoring routine.
std::vector<double> routineHours(fleet::VitalDevice kind) {
  switch (kind) {
    case fleet::VitalDevice::bloodPressure:
      return {7.5, 13.0, 21.0};
    case fleet::VitalDevice::weightScale:
      return {7.0};
    case fleet::VitalDevice::pulseOximeter:
      return {7.75, 12.5, 17.5, 22.5};
    case fleet::VitalDevice::thermometer:
      return {7.25, 18.5};
    case fleet::VitalDevice::glucometer:
      return {7.0, 10.0, 15.0, 21.0};  // fasting, then an hour after each meal
    case fleet::VitalDevice::heartRate:
      return {0, 3, 6, 9, 12, 15, 18, 21};
  }
  return {};
}

constexpr double kSkipChance = 0.05;  // a measurement forgotten now and then
constexpr double kJitterMinutes = 30;
constexpr auto kUploadDelay = std::chrono::seconds{20};  // measured → received by the box

struct Measurement {
  Persona::Time at;
  std::size_t device;
};

/// The patient's measurement times in [from, until), oldest first.
std::vector<Measurement> schedule(const DemoHistoryPatient& p,
                                  const std::vector<std::optional<TimePoint>>& assignedFrom,
                                  Persona::Time from, Persona::Time until) {
  std::vector<Measurement> out;
  const auto offset = std::chrono::minutes(p.utcOffsetMinutes);
  const auto firstDay = std::chrono::floor<std::chrono::days>(from + offset);
  const auto lastDay = std::chrono::floor<std::chrono::days>(until + offset);
  for (std::size_t d = 0; d < p.devices.size(); ++d) {
    if (!assignedFrom[d]) continue;
    const auto start = std::max(from, std::chrono::time_point_cast<milliseconds>(*assignedFrom[d]));
    std::mt19937_64 rng(p.seed * 31 + d + 1);
    std::uniform_real_distribution<double> jitter(-kJitterMinutes, kJitterMinutes);
    std::uniform_real_distribution<double> unit(0, 1);
    // Days off draw from their own RNG, so a patient without them keeps the same times.
    std::mt19937_64 daysOff(p.seed * 131 + d + 7);
    auto hours = routineHours(p.devices[d].kind);
    if (p.oncePerDay) hours.resize(1);
    for (auto day = firstDay; day <= lastDay; day += std::chrono::days{1}) {
      if (p.dayOffChance > 0 && unit(daysOff) < p.dayOffChance) continue;
      for (double hour : hours) {
        // Both draws happen for every slot, so a slot's time does not depend on the window.
        const double minutes = hour * 60 + jitter(rng);
        const bool skipped = unit(rng) < kSkipChance;
        auto at = std::chrono::floor<std::chrono::seconds>(
            day +
            std::chrono::duration_cast<milliseconds>(std::chrono::duration<double>(minutes * 60)) -
            offset);
        if (skipped || at < start || at >= until) continue;
        out.push_back({at, d});
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const Measurement& a, const Measurement& b) {
    return a.at != b.at ? a.at < b.at : a.device < b.device;
  });
  return out;
}

}  // namespace

DemoHistoryResult backfillDemoHistory(store::Database& db, const crypto::FieldCipher& cipher,
                                      const std::vector<DemoHistoryPatient>& patients,
                                      TimePoint until, std::chrono::days days) {
  const auto end = std::chrono::time_point_cast<milliseconds>(until);
  const auto from = end - std::chrono::duration_cast<milliseconds>(days);

  ingest::IngestOptions options;
  options.deviceRatePerSecond = 0;  // the past arrives at once
  options.queueCapacity = 1'000'000;
  options.pauseAbove = options.queueCapacity;
  ingest::IngestService service(
      db, SystemClock::instance(), options, ingest::makeDevicesDecoder(),
      [](const std::string&, const std::string&) {},  // no device waits for these acks
      [](bool) {}, &cipher);
  service.start();
  registry::DeviceRegistry registry(db, SystemClock::instance());

  // Every patient's messages first (each patient's persona draws in its own time order, so
  // the values are the same on every run), then submitted in reception order across patients,
  // the way live readings arrive: reading ids then grow with reception time, as the alert
  // engine's restart and the charts see them live (issue 17: a per-patient order stored days-old
  // readings after later ones).
  struct Message {
    TimePoint received;
    std::size_t order = 0;
    std::string topic;
    std::string payload;
  };
  std::vector<Message> messages;
  for (const auto& p : patients) {
    // A device's readings belong to its patient from the assignment on.
    std::vector<std::optional<TimePoint>> assignedFrom;
    for (const auto& d : p.devices) {
      std::optional<TimePoint> since;
      if (auto dev = registry.findByUid(d.uid); dev && !dev->retired) {
        for (const auto& a : registry.history(dev->id))
          if (!a.validUntil) since = a.validFrom;
      }
      assignedFrom.push_back(since);
    }
    Persona persona(p.persona, p.seed, from, p.utcOffsetMinutes);
    std::uint64_t seq = 0;
    for (const auto& m : schedule(p, assignedFrom, from, end)) {
      const auto& device = p.devices[m.device];
      const auto received = m.at + kUploadDelay;
      messages.push_back(
          {TimePoint(received), messages.size(), "vigil/v1/devices/" + device.uid + "/readings",
           fleet::readingsPayload(++seq, persona.measure(device.kind, m.at), m.at, received)});
    }
  }
  std::sort(messages.begin(), messages.end(), [](const Message& a, const Message& b) {
    return a.received != b.received ? a.received < b.received : a.order < b.order;
  });
  std::uint64_t submitted = 0;
  for (auto& m : messages) {
    if (!service.submit(
            {std::move(m.topic), std::move(m.payload), m.received, "demo-history", false}))
      throw StoreError("demo history: ingest refused a message");
    ++submitted;
  }
  const bool idle = service.waitIdle(std::chrono::minutes(2));
  service.stop();
  auto stats = service.stats();
  if (!idle || stats.rejected > 0 || stats.storeFailures > 0)
    throw StoreError("demo history: " + std::to_string(stats.rejected) + " of " +
                     std::to_string(submitted) + " messages refused, " +
                     std::to_string(stats.storeFailures) + " store failures");
  return {submitted, stats.readingsStored, stats.duplicates};
}

}  // namespace vigil::demo
