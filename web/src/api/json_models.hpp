#pragma once
// JSON shapes of the API's resources (docs/api.md).

#include "common.hpp"
#include "json_writer.hpp"

namespace vigil::registry {
struct Patient;
struct Device;
}  // namespace vigil::registry
namespace vigil::readings {
struct ReadingPoint;
struct Series;
}  // namespace vigil::readings
namespace vigil::alerts {
struct Alert;
struct AlertRule;
struct AlertEvent;
}  // namespace vigil::alerts

namespace vigil::web::api {

JsonObject patientJson(const registry::Patient& p);
JsonObject latestJson(const std::string& code, const readings::ReadingPoint& point);
JsonObject seriesJson(const readings::Series& s, TimePoint from, TimePoint to);
JsonObject deviceJson(const registry::Device& d);
JsonObject ruleJson(const alerts::AlertRule& r);
JsonObject alertJson(const alerts::Alert& a, const std::string& patientName);
/// alertJson()'s members written straight into a string (the alert queue's page).
void writeAlertMembers(JsonObjectWriter& w, const alerts::Alert& a, const std::string& patientName);
JsonObject alertEventJson(const alerts::AlertEvent& e);
JsonObject pageJson(const JsonArray& items, std::int64_t total, std::int64_t page,
                    std::int64_t pageSize);

/// Applies rule edits from the request body (see patient_routes.cpp).
JsonObject applyRuleEdits(const ApiServices& s, std::optional<std::int64_t> patientId,
                          const Request& req);

}  // namespace vigil::web::api
