#pragma once
// The alert engine's input: one measured value of one patient. Decoupled from the devices
// library on purpose: the ingest layer maps a decoded reading to one or more observations
// (a blood-pressure panel gives systolic, diastolic and mean arterial pressure).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "vigil/core/clock.hpp"

namespace vigil::alerts {

/// LOINC codes of the kinds the default rules watch.
namespace loinc {
inline constexpr std::string_view kSystolic = "8480-6";
inline constexpr std::string_view kDiastolic = "8462-4";
inline constexpr std::string_view kHeartRate = "8867-4";
inline constexpr std::string_view kSpO2 = "59408-5";
inline constexpr std::string_view kBodyWeight = "29463-7";
inline constexpr std::string_view kBodyTemperature = "8310-5";
inline constexpr std::string_view kGlucose = "2339-0";
}  // namespace loinc

/// One stored measurement as the alert engine sees it.
struct Observation {
  std::int64_t readingId = 0;
  std::int64_t patientId = 0;
  std::string code;  // LOINC
  double value = 0;
  std::string unit;      // UCUM
  TimePoint deviceTime;  // when the device says it measured (may be skewed or late)
  TimePoint receivedAt;  // when the box received it
};

/// Converts `value` from UCUM unit `from` to `to` for the LOINC `code` (kg/g/[lb_av],
/// Cel/[degF], mg/dL/mmol/L for glucose, identical units). nullopt when not convertible.
std::optional<double> convertUnit(double value, std::string_view from, std::string_view to,
                                  std::string_view code);

}  // namespace vigil::alerts
