#include "vigil/alerts/alert.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>

#include "vigil/alerts/observation.hpp"

namespace vigil::alerts {

std::string_view toString(AlertState s) {
  switch (s) {
    case AlertState::open:
      return "open";
    case AlertState::claimed:
      return "claimed";
    case AlertState::acknowledged:
      return "acknowledged";
    case AlertState::escalated:
      return "escalated";
    case AlertState::resolved:
      return "resolved";
  }
  return "open";
}

std::optional<AlertState> parseAlertState(std::string_view s) {
  for (auto v : {AlertState::open, AlertState::claimed, AlertState::acknowledged,
                 AlertState::escalated, AlertState::resolved}) {
    if (toString(v) == s) return v;
  }
  return std::nullopt;
}

std::string_view toString(AlertChangeKind k) {
  switch (k) {
    case AlertChangeKind::raised:
      return "raised";
    case AlertChangeKind::updated:
      return "updated";
    case AlertChangeKind::claimed:
      return "claimed";
    case AlertChangeKind::acknowledged:
      return "acknowledged";
    case AlertChangeKind::escalated:
      return "escalated";
    case AlertChangeKind::resolved:
      return "resolved";
  }
  return "updated";
}

namespace {

struct Vital {
  std::string_view code, name, unit;
};
constexpr Vital kVitals[] = {
    {loinc::kSystolic, "Systolic BP", "mm[Hg]"}, {loinc::kDiastolic, "Diastolic BP", "mm[Hg]"},
    {loinc::kHeartRate, "Heart rate", "/min"},   {loinc::kSpO2, "SpO2", "%"},
    {loinc::kBodyWeight, "Weight", "kg"},        {loinc::kBodyTemperature, "Temperature", "Cel"},
    {loinc::kGlucose, "Glucose", "mg/dL"},
};

const Vital* vitalOf(const std::string& code) {
  for (const auto& v : kVitals)
    if (v.code == code) return &v;
  return nullptr;
}

std::string displayUnit(std::string_view ucum) {
  if (ucum == "mm[Hg]") return "mmHg";
  if (ucum == "Cel") return "°C";
  if (ucum == "[degF]") return "°F";
  if (ucum == "[lb_av]") return "lb";
  return std::string(ucum);
}

std::string_view priority(Severity s) {
  switch (s) {
    case Severity::critical:
      return "critical";
    case Severity::high:
      return "high priority";
    case Severity::low:
      return "low priority";
    case Severity::info:
      return "for information";
  }
  return "for information";
}

/// At most one decimal, no trailing ".0".
std::string number(double v) {
  char buf[32];
  double r = std::round(v * 10) / 10;
  if (r == std::floor(r)) {
    std::snprintf(buf, sizeof buf, "%.0f", r);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f", r);
  }
  return buf;
}

std::string span(std::chrono::seconds window) {
  auto s = window.count();
  if (s > 0 && s % 86400 == 0 && s / 86400 > 1) return std::to_string(s / 86400) + " days";
  if (s > 0 && s % 3600 == 0) return std::to_string(s / 3600) + " h";
  if (s > 0 && s % 60 == 0) return std::to_string(s / 60) + " min";
  return std::to_string(s) + " s";
}

}  // namespace

std::string alertUnit(const Alert& alert, const AlertRule* rule) {
  if (alert.kind == RuleKind::missingData) return "h";
  if (rule && !rule->unit.empty()) return rule->unit;
  const Vital* v = vitalOf(alert.code);
  return v ? std::string(v->unit) : std::string{};
}

std::string clinicalTitle(const Alert& alert, const AlertRule* rule) {
  const Vital* v = vitalOf(alert.code);
  const std::string name = v ? std::string(v->name) : "Reading " + alert.code;
  const std::string unit = displayUnit(alertUnit(alert, rule));
  const std::string direction = alert.higherIsWorse ? "high" : "low";
  const std::string value = number(alert.worstValue) + (unit.empty() ? "" : " " + unit);
  const std::string sev(priority(alert.severity));
  switch (alert.kind) {
    case RuleKind::missingData: {
      std::string what = v ? std::string(v->name) : "reading";
      if (v && alert.code != loinc::kSpO2) what[0] = static_cast<char>(std::tolower(what[0]));
      return "No " + what + " for " +
             std::to_string(static_cast<long long>(std::floor(alert.worstValue))) + " h — " + sev;
    }
    case RuleKind::rateOfChange: {
      const bool rise = alert.higherIsWorse;
      std::string head = alert.code == loinc::kBodyWeight ? (rise ? "Weight gain" : "Weight loss")
                                                          : name + (rise ? " rising" : " falling");
      std::string delta = (alert.worstValue >= 0 ? "+" : "") + value;
      if (rule && rule->window.count() > 0) delta += " in " + span(rule->window);
      return head + " — " + sev + ", " + delta;
    }
    case RuleKind::consecutive: {
      std::string run = rule && rule->count > 1
                            ? ", " + std::to_string(rule->count) + " readings in a row"
                            : ", readings in a row";
      return name + " " + direction + run + " — " + sev + ", " + value;
    }
    case RuleKind::countWithin: {
      std::string run = rule && rule->count > 1 ? ", " + std::to_string(rule->count) +
                                                      " readings within " + span(rule->window)
                                                : ", repeated";
      return name + " " + direction + run + " — " + sev + ", " + value;
    }
    case RuleKind::threshold:
      break;
  }
  return name + " " + direction + " — " + sev + ", " + value;
}

}  // namespace vigil::alerts
