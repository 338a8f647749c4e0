#include "vigil/devices/reading.hpp"

#include <cassert>

namespace vigil::devices {
namespace {

constexpr std::array<std::string_view, kReadingKindCount> kKindNames = {
    "blood_pressure",
    "cuff_pressure",
    "heart_rate",
    "rr_interval",
    "energy_expended",
    "spo2",
    "pulse_amplitude_index",
    "body_weight",
    "body_height",
    "bmi",
    "body_temperature",
    "glucose",
    "glucose_context",
    "carbohydrate_intake",
    "exercise_duration",
    "exercise_intensity",
    "medication_dose",
    "hba1c",
    "respiratory_rate",
};

constexpr std::array<std::string_view, kFlagCount> kFlagNames = {
    "body_movement",
    "cuff_too_loose",
    "irregular_pulse",
    "pulse_rate_above_range",
    "pulse_rate_below_range",
    "improper_position",
    "sensor_contact_detected",
    "sensor_contact_not_detected",
    "measurement_ongoing",
    "early_estimate",
    "validated_data",
    "fully_qualified_data",
    "from_measurement_storage",
    "demonstration_data",
    "testing_data",
    "calibration_ongoing",
    "measurement_unavailable",
    "questionable_measurement",
    "invalid_measurement",
    "extended_display_update_ongoing",
    "equipment_malfunction",
    "signal_processing_irregularity",
    "inadequate_signal",
    "poor_signal",
    "low_perfusion",
    "erratic_signal",
    "nonpulsatile_signal",
    "questionable_pulse",
    "signal_analysis_ongoing",
    "sensor_interference",
    "sensor_unconnected",
    "unknown_sensor",
    "sensor_displaced",
    "sensor_malfunction",
    "sensor_disconnected",
    "device_clock_not_set",
    "fast_response",
    "slow_response",
    "battery_low",
    "sensor_fault",
    "sample_size_insufficient",
    "strip_insertion_error",
    "strip_type_incorrect",
    "result_too_high",
    "result_too_low",
    "sensor_temperature_too_high",
    "sensor_temperature_too_low",
    "strip_pulled_too_soon",
    "general_device_fault",
    "time_fault",
    "control_solution",
};

constexpr std::array<std::string_view, 7> kSpecialNames = {
    "", "NaN", "NRes", "+INF", "-INF", "reserved", "unsuccessful"};

}  // namespace

std::string_view readingKindName(ReadingKind kind) {
  return kKindNames[static_cast<std::size_t>(kind)];
}

std::optional<ReadingKind> readingKindFromName(std::string_view name) {
  for (std::size_t i = 0; i < kKindNames.size(); ++i)
    if (kKindNames[i] == name) return static_cast<ReadingKind>(i);
  return std::nullopt;
}

std::string_view specialValueName(SpecialValue special) {
  return kSpecialNames[static_cast<std::size_t>(special)];
}

std::optional<SpecialValue> specialValueFromName(std::string_view name) {
  for (std::size_t i = 1; i < kSpecialNames.size(); ++i)
    if (kSpecialNames[i] == name) return static_cast<SpecialValue>(i);
  return std::nullopt;
}

std::string_view flagName(Flag flag) {
  return kFlagNames[static_cast<std::size_t>(flag)];
}

std::optional<Flag> flagFromName(std::string_view name) {
  for (std::size_t i = 0; i < kFlagNames.size(); ++i)
    if (kFlagNames[i] == name) return static_cast<Flag>(i);
  return std::nullopt;
}

void Components::push_back(const Component& c) {
  assert(size_ < kCapacity);
  items_[size_++] = c;
}

const Component* Components::find(std::string_view name) const {
  for (const auto& c : *this)
    if (c.name == name) return &c;
  return nullptr;
}

void Tags::push_back(const Tag& t) {
  assert(size_ < kCapacity);
  items_[size_++] = t;
}

std::string_view Tags::get(std::string_view key) const {
  for (const auto& t : *this)
    if (t.key == key) return t.value;
  return {};
}

std::optional<DeviceClock> DeviceTime::utc() const {
  if (!utcOffsetMinutes) return std::nullopt;
  return wallClock - std::chrono::minutes(*utcOffsetMinutes);
}

PlausibleRange plausibleRange(ReadingKind kind) {
  switch (kind) {
    case ReadingKind::bloodPressure:
    case ReadingKind::cuffPressure:
      return {0, 400};
    case ReadingKind::heartRate:
      return {0, 350};
    case ReadingKind::rrInterval:
      return {0, 65};
    case ReadingKind::energyExpended:
    case ReadingKind::exerciseDuration:
      return {0, 65535};
    case ReadingKind::spo2:
    case ReadingKind::pulseAmplitudeIndex:
    case ReadingKind::exerciseIntensity:
    case ReadingKind::hba1c:
      return {0, 100};
    case ReadingKind::bodyWeight:
      return {0, 700};
    case ReadingKind::bodyHeight:
      return {0, 300};
    case ReadingKind::bmi:
      return {0, 300};
    case ReadingKind::bodyTemperature:
      return {10, 50};
    case ReadingKind::glucose:
      return {0, 3000};
    case ReadingKind::glucoseContext:
      return {0, 0};
    case ReadingKind::carbohydrateIntake:
      return {0, 5000};
    case ReadingKind::medicationDose:
      return {0, 1e6};
    case ReadingKind::respiratoryRate:
      return {0, 150};
  }
  return {0, 0};
}

bool isPlausible(const Reading& r) {
  const PlausibleRange range = plausibleRange(r.kind);
  auto ok = [&](const Value& v) {
    return !v.number || (*v.number >= range.min && *v.number <= range.max);
  };
  if (!ok(r.value)) return false;
  for (const auto& c : r.components)
    if (!ok(c.value)) return false;
  return true;
}

}  // namespace vigil::devices
