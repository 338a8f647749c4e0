#pragma once
// Simulated patients for the fleet simulator, the demo clinic and the benchmarks: a persona gives
// plausible vitals for a measurement time, with a day rhythm (blood pressure and heart rate dip
// at night and surge in the morning, body temperature lowest before dawn, glucose peaks after
// meals, weight lowest in the morning), Gaussian noise, and the conditions' signs: hypertensive
// patients have occasional crises, heart-failure patients gain weight slowly (fluid), COPD
// patients desaturate, diabetic patients swing high and low. Out-of-range values are rare but
// certain over a day, so a demo shows alerts.
//
// Determinism: every value comes from one std::mt19937_64 seeded by the caller, so the same seed
// and the same sequence of calls give the same vitals (within one build of the standard library).
// Values are rounded to what a real device reports (integer mmHg, bpm and %, 0.1 kg, 0.1 °C,
// integer mg/dL), so they survive GATT encoding exactly.

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace vigil::fleet {

/// The kinds of simulated device.
enum class VitalDevice {
  bloodPressure,
  pulseOximeter,
  weightScale,
  thermometer,
  glucometer,
  heartRate
};
inline constexpr VitalDevice kAllVitalDevices[] = {
    VitalDevice::bloodPressure, VitalDevice::pulseOximeter, VitalDevice::weightScale,
    VitalDevice::thermometer,   VitalDevice::glucometer,    VitalDevice::heartRate};
/// "blood_pressure", "pulse_oximeter", "weight_scale", "thermometer", "glucometer", "heart_rate"
/// (the registry's device kind names).
std::string_view vitalDeviceName(VitalDevice d);
std::optional<VitalDevice> vitalDeviceFromName(std::string_view name);

/// The simulated conditions.
enum class PersonaKind { normal, hypertensive, heartFailure, copd, diabetic };
inline constexpr PersonaKind kAllPersonas[] = {PersonaKind::normal, PersonaKind::hypertensive,
                                               PersonaKind::heartFailure, PersonaKind::copd,
                                               PersonaKind::diabetic};
/// "normal", "hypertensive", "heart_failure", "copd", "diabetic".
std::string_view personaName(PersonaKind p);
std::optional<PersonaKind> personaFromName(std::string_view name);

/// One measurement as a device of that kind takes it; only the device's fields are set.
struct Measurement {
  VitalDevice device = VitalDevice::heartRate;
  std::optional<double> systolic, diastolic, mean;  // mm[Hg] (blood pressure)
  std::optional<double> pulse;                      // /min (cuff, oximeter, heart-rate strap)
  std::optional<double> spo2;                       // %
  std::optional<double> weightKg;
  std::optional<double> temperatureC;
  std::optional<double> glucoseMgDl;
};

/// A simulated patient.
class Persona {
 public:
  using Time = std::chrono::sys_time<std::chrono::milliseconds>;

  /// `start` anchors slow trends (heart-failure weight gain); `utcOffsetMinutes` places the day
  /// rhythm in the patient's local time.
  Persona(PersonaKind kind, std::uint64_t seed, Time start, int utcOffsetMinutes = 0);

  PersonaKind kind() const { return kind_; }
  /// A measurement taken at `at` (true time) by a device of kind `device`.
  Measurement measure(VitalDevice device, Time at);

  /// The noise-free centre of the persona's vitals at `at` (tests check rhythm and trend on it).
  struct Baseline {
    double systolic, diastolic, pulse, spo2, weightKg, temperatureC, glucoseMgDl;
  };
  Baseline baseline(Time at) const;

 private:
  double noise(double sd);
  bool chance(double p);

  PersonaKind kind_;
  std::mt19937_64 rng_;
  Time start_;
  int utcOffsetMinutes_;
  double weightBase_;
  double sysBase_;
  double diaBase_;
  double pulseBase_;
};

}  // namespace vigil::fleet
