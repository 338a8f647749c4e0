#pragma once
// The demo clinic's past: `vigild demo seed` backfills two weeks of readings per demo patient,
// so the portal's trend charts show trends the first time they are opened rather than only what
// the simulator sent since start.
//
// The values come from the fleet simulator's personas (firmware-tools/fleet: day rhythm, noise,
// each condition's signs); one Persona per patient, so a cuff's pulse and a strap's heart rate
// agree. Each device measures at the times a patient on a home programme would (blood pressure
// morning, midday and evening, weight on waking, glucose fasting and after meals, a strap every
// three hours), in the patient's local time, ±30 min, now and then skipped. The readings go
// through the normal store path: the readings payload a device sends, decoded and stored by an
// IngestService (dedup keys, patient attribution by device time), with source "demo-history",
// in reception order across all patients, as live readings arrive.
//
// Idempotent: every choice comes from RNGs seeded per patient and device, and the window ends
// at an instant the caller keeps, so running it again produces the same device times, whose
// dedup keys find their rows (no duplicates). The seed judges nothing itself: vigild's first
// start catches up on every reading it has not judged within the rules' reach (9 days), so the
// history raises what it would have raised live (the heart-failure patient's weight gain).
//
// Cost: ~520 messages for the six demo patients (~830 readings), about 70 ms of a 1.2 s seed on
// the Debug build (docs/simulator.md).

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/fleet/persona.hpp"

namespace vigil::store {
class Database;
}
namespace vigil::crypto {
class FieldCipher;
}

namespace vigil::demo {

/// A demo patient whose devices get a history.
struct DemoHistoryPatient {
  fleet::PersonaKind persona = fleet::PersonaKind::normal;
  std::uint64_t seed = 0;  // the patient's RNG seed (stable across runs)
  int utcOffsetMinutes = 0;
  struct Device {
    std::string uid;
    fleet::VitalDevice kind = fleet::VitalDevice::heartRate;
  };
  std::vector<Device> devices;
  /// The chance a whole day has no reading (adherence; 0: only the odd forgotten measurement).
  double dayOffChance = 0;
  /// Only the routine's first time of the day (the large practice's year, tests/bench).
  bool oncePerDay = false;
};

/// What a backfill did.
struct DemoHistoryResult {
  std::uint64_t messages = 0;
  std::uint64_t stored = 0;
  std::uint64_t duplicates = 0;
};

/// The days of history `vigild demo seed` writes.
inline constexpr std::chrono::days kDemoHistoryDays{14};

/// Stores the readings the patients' devices would have taken in [until - days, until), each
/// only from when the device was assigned to its patient (devices unknown, retired or never
/// assigned get none). Blocks until they are committed. Throws StoreError when the store
/// refuses them.
DemoHistoryResult backfillDemoHistory(store::Database& db, const crypto::FieldCipher& cipher,
                                      const std::vector<DemoHistoryPatient>& patients,
                                      TimePoint until, std::chrono::days days = kDemoHistoryDays);

}  // namespace vigil::demo
