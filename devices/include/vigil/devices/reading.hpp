#pragma once
// The reading model: one measurement as a device reported it, normalised to the unit we store.
//
// Design: every string in a Reading (kind, LOINC, UCUM unit, component names, tags) points at a
// static constant of this library, so decoding allocates nothing but the vector the readings go
// into, and a Reading can be copied freely. What the device sent is kept beside the normalised
// value (originalUnit + original) whenever a conversion happened. A special IEEE 11073 value (NaN,
// NRes, ±INF, reserved) or a "measurement unsuccessful" marker never becomes a number: the value
// is empty and `special` names what the device said.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace vigil::devices {

/// What was measured. The string form (readingKindName) is what payloads and the store use.
enum class ReadingKind : std::uint8_t {
  bloodPressure,        // panel: systolic, diastolic, mean
  cuffPressure,         // intermediate cuff pressure while a measurement runs
  heartRate,            // heart rate or pulse rate
  rrInterval,           // one beat-to-beat interval
  energyExpended,       // cumulative since the sensor's last reset
  spo2,                 // oxygen saturation by pulse oximetry
  pulseAmplitudeIndex,  // PLX pulse amplitude index
  bodyWeight,
  bodyHeight,
  bmi,
  bodyTemperature,
  glucose,
  glucoseContext,  // the context record of a glucose measurement (tags only)
  carbohydrateIntake,
  exerciseDuration,
  exerciseIntensity,
  medicationDose,
  hba1c,
  respiratoryRate,
};
inline constexpr std::size_t kReadingKindCount = 19;

std::string_view readingKindName(ReadingKind kind);
std::optional<ReadingKind> readingKindFromName(std::string_view name);

/// How a value that is not a number was reported.
enum class SpecialValue : std::uint8_t {
  none,              // the value is a number
  nan,               // IEEE 11073 NaN: not a number / invalid result
  nres,              // not at this resolution
  positiveInfinity,  // +INF
  negativeInfinity,  // -INF
  reserved,          // the reserved special value (0x0801 / 0x00800001)
  unsuccessful,      // a profile's own "measurement unsuccessful" marker (weight 0xFFFF)
};
/// "NaN", "NRes", "+INF", "-INF", "reserved", "unsuccessful" ("" for none).
std::string_view specialValueName(SpecialValue special);
std::optional<SpecialValue> specialValueFromName(std::string_view name);

/// A measured value: a number in the reading's unit, or a named special value.
struct Value {
  std::optional<double> number;               // empty when special != none (or not reported)
  SpecialValue special = SpecialValue::none;  // what the device sent instead of a number
  std::optional<double> original;             // the device's number before unit conversion

  static Value of(double v) { return Value{v, SpecialValue::none, std::nullopt}; }
  static Value converted(double v, double deviceValue) {
    return Value{v, SpecialValue::none, deviceValue};
  }
  static Value specialValue(SpecialValue s) { return Value{std::nullopt, s, std::nullopt}; }
};

/// One part of a panel (systolic, diastolic, mean), in the reading's unit.
struct Component {
  std::string_view name;   // "systolic", "diastolic", "mean"
  std::string_view loinc;  // "8480-6" …
  Value value;
};

/// A panel's components; at most three (blood pressure), stored inline.
class Components {
 public:
  static constexpr std::size_t kCapacity = 3;
  void push_back(const Component& c);  // asserts when full
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const Component* begin() const { return items_.data(); }
  const Component* end() const { return items_.data() + size_; }
  const Component& operator[](std::size_t i) const { return items_[i]; }
  /// The component with this name, or nullptr.
  const Component* find(std::string_view name) const;

 private:
  std::array<Component, kCapacity> items_{};
  std::size_t size_ = 0;
};

/// Status a device reports with a measurement. Each has a snake_case name (flagName).
enum class Flag : std::uint8_t {
  // Blood pressure measurement status
  bodyMovement,
  cuffTooLoose,
  irregularPulse,
  pulseRateAboveRange,
  pulseRateBelowRange,
  improperPosition,
  // Heart rate sensor contact (only when the sensor supports detection)
  sensorContactDetected,
  sensorContactNotDetected,
  // PLX measurement status
  measurementOngoing,
  earlyEstimate,
  validatedData,
  fullyQualifiedData,
  fromMeasurementStorage,
  demonstrationData,
  testingData,
  calibrationOngoing,
  measurementUnavailable,
  questionableMeasurement,
  invalidMeasurement,
  // PLX device and sensor status
  extendedDisplayUpdateOngoing,
  equipmentMalfunction,
  signalProcessingIrregularity,
  inadequateSignal,
  poorSignal,
  lowPerfusion,
  erraticSignal,
  nonpulsatileSignal,
  questionablePulse,
  signalAnalysisOngoing,
  sensorInterference,
  sensorUnconnected,
  unknownSensor,
  sensorDisplaced,
  sensorMalfunction,
  sensorDisconnected,
  // PLX flags and continuous-measurement averaging
  deviceClockNotSet,
  fastResponse,
  slowResponse,
  // Glucose sensor status annunciation
  batteryLow,
  sensorFault,
  sampleSizeInsufficient,
  stripInsertionError,
  stripTypeIncorrect,
  resultTooHigh,
  resultTooLow,
  sensorTemperatureTooHigh,
  sensorTemperatureTooLow,
  stripPulledTooSoon,
  generalDeviceFault,
  timeFault,
  // Glucose sample type
  controlSolution,
};
inline constexpr std::size_t kFlagCount = 51;

std::string_view flagName(Flag flag);
std::optional<Flag> flagFromName(std::string_view name);

/// A set of flags.
class Flags {
 public:
  void set(Flag f) { bits_ |= bit(f); }
  bool has(Flag f) const { return (bits_ & bit(f)) != 0; }
  bool empty() const { return bits_ == 0; }
  std::uint64_t bits() const { return bits_; }
  bool operator==(const Flags&) const = default;
  /// Calls fn(Flag) for each flag set, in enum order.
  template <typename Fn>
  void forEach(Fn&& fn) const {
    for (std::size_t i = 0; i < kFlagCount; ++i)
      if ((bits_ >> i) & 1U) fn(static_cast<Flag>(i));
  }

 private:
  static std::uint64_t bit(Flag f) { return std::uint64_t{1} << static_cast<unsigned>(f); }
  std::uint64_t bits_ = 0;
};

/// A categorical attribute a device reports (meal=preprandial, site=finger …).
struct Tag {
  std::string_view key;
  std::string_view value;
};

/// Up to four tags, stored inline.
class Tags {
 public:
  static constexpr std::size_t kCapacity = 4;
  void push_back(const Tag& t);  // asserts when full
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const Tag* begin() const { return items_.data(); }
  const Tag* end() const { return items_.data() + size_; }
  /// The value for key, or "".
  std::string_view get(std::string_view key) const;

 private:
  std::array<Tag, kCapacity> items_{};
  std::size_t size_ = 0;
};

using DeviceClock = std::chrono::sys_time<std::chrono::milliseconds>;

/// The time a device put on a measurement: the wall-clock reading of its clock, and its UTC
/// offset when the device said it. Without an offset the time is device-local.
struct DeviceTime {
  DeviceClock wallClock{};              // the device's clock reading, as if it were UTC
  std::optional<int> utcOffsetMinutes;  // nullopt: device-local, offset unknown

  bool isLocal() const { return !utcOffsetMinutes.has_value(); }
  /// The instant in UTC, when the offset is known.
  std::optional<DeviceClock> utc() const;
  bool operator==(const DeviceTime&) const = default;
};

/// One measurement: kind, LOINC code, UCUM unit, a value or components, and what the device said
/// about it. Produced by the GATT decoders and the MQTT payload parser.
struct Reading {
  ReadingKind kind = ReadingKind::heartRate;
  std::string_view loinc;         // "" when no standard code applies (e.g. rr_interval)
  std::string_view unit;          // UCUM, the unit we store
  std::string_view originalUnit;  // the device's UCUM unit when it differs, else ""
  Value value;                    // single-valued kinds
  Components components;          // panels (blood pressure)
  std::optional<DeviceTime> time;
  std::optional<std::uint32_t> sequence;  // the device's own sequence number, if it has one
  std::optional<std::uint8_t> userId;     // the device's user slot, if it reports one
  Flags flags;
  Tags tags;
  std::uint16_t characteristic = 0;  // GATT characteristic (16-bit UUID); 0 when not from GATT

  bool isPanel() const { return !components.empty(); }
};

/// LOINC codes (FHIR vital signs where one exists) and UCUM units used by readings.
namespace loinc {
inline constexpr std::string_view kBloodPressurePanel = "85354-9";
inline constexpr std::string_view kSystolic = "8480-6";
inline constexpr std::string_view kDiastolic = "8462-4";
inline constexpr std::string_view kMeanPressure = "8478-0";
inline constexpr std::string_view kHeartRate = "8867-4";
inline constexpr std::string_view kSpo2 = "59408-5";
inline constexpr std::string_view kBodyWeight = "29463-7";
inline constexpr std::string_view kBodyHeight = "8302-2";
inline constexpr std::string_view kBmi = "39156-5";
inline constexpr std::string_view kBodyTemperature = "8310-5";
inline constexpr std::string_view kGlucoseBlood = "2339-0";
inline constexpr std::string_view kGlucosePlasma = "2345-7";
inline constexpr std::string_view kGlucoseCapillaryGlucometer = "41653-7";
inline constexpr std::string_view kRespiratoryRate = "9279-1";
inline constexpr std::string_view kHba1c = "4548-4";
}  // namespace loinc

namespace ucum {
inline constexpr std::string_view kMmHg = "mm[Hg]";
inline constexpr std::string_view kKPa = "kPa";
inline constexpr std::string_view kPerMinute = "/min";
inline constexpr std::string_view kPercent = "%";
inline constexpr std::string_view kKg = "kg";
inline constexpr std::string_view kPound = "[lb_av]";
inline constexpr std::string_view kCm = "cm";
inline constexpr std::string_view kMeter = "m";
inline constexpr std::string_view kInch = "[in_i]";
inline constexpr std::string_view kKgPerM2 = "kg/m2";
inline constexpr std::string_view kCelsius = "Cel";
inline constexpr std::string_view kFahrenheit = "[degF]";
inline constexpr std::string_view kMgPerDl = "mg/dL";
inline constexpr std::string_view kKgPerL = "kg/L";
inline constexpr std::string_view kMolPerL = "mol/L";
inline constexpr std::string_view kMmolPerL = "mmol/L";
inline constexpr std::string_view kKiloJoule = "kJ";
inline constexpr std::string_view kSecond = "s";
inline constexpr std::string_view kGram = "g";
inline constexpr std::string_view kMilligram = "mg";
inline constexpr std::string_view kMilliliter = "mL";
}  // namespace ucum

/// Unit conversion factors (exact where the definition is exact).
namespace conversion {
inline constexpr double kMmHgPerKPa = 1000.0 / 133.322387415;  // 1 mmHg = 133.322387415 Pa
inline constexpr double kKgPerPound = 0.45359237;
inline constexpr double kCmPerInch = 2.54;
inline constexpr double kGlucoseMolarMass = 180.156;  // g/mol: 1 mmol/L = 18.0156 mg/dL
}  // namespace conversion

/// Physiologically possible range of a kind's value in its stored unit (inclusive); a value
/// outside it is refused as impossible_value. Panels: each component.
struct PlausibleRange {
  double min;
  double max;
};
PlausibleRange plausibleRange(ReadingKind kind);
/// True when the value and every component number lie within plausibleRange(kind).
bool isPlausible(const Reading& reading);

}  // namespace vigil::devices
