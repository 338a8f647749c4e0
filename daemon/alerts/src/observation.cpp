#include "vigil/alerts/observation.hpp"

namespace vigil::alerts {

namespace {
constexpr double kKgPerPound = 0.45359237;
constexpr double kGlucoseMgDlPerMmolL = 18.016;  // molar mass of glucose / 10
}  // namespace

std::optional<double> convertUnit(double value, std::string_view from, std::string_view to,
                                  std::string_view code) {
  if (from == to || to.empty()) return value;
  // Mass (body weight).
  auto toKg = [&](std::string_view u) -> std::optional<double> {
    if (u == "kg") return value;
    if (u == "g") return value / 1000.0;
    if (u == "[lb_av]") return value * kKgPerPound;
    return std::nullopt;
  };
  if (to == "kg" || to == "g" || to == "[lb_av]") {
    auto kg = toKg(from);
    if (!kg) return std::nullopt;
    if (to == "kg") return *kg;
    if (to == "g") return *kg * 1000.0;
    return *kg / kKgPerPound;
  }
  // Temperature.
  if (from == "[degF]" && to == "Cel") return (value - 32.0) * 5.0 / 9.0;
  if (from == "Cel" && to == "[degF]") return value * 9.0 / 5.0 + 32.0;
  // Glucose concentration: mass and molar units differ by the molar mass, so only for glucose.
  if (code == loinc::kGlucose) {
    if (from == "mmol/L" && to == "mg/dL") return value * kGlucoseMgDlPerMmolL;
    if (from == "mg/dL" && to == "mmol/L") return value / kGlucoseMgDlPerMmolL;
  }
  return std::nullopt;
}

}  // namespace vigil::alerts
