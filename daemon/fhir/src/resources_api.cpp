// Mappers of resources only the FHIR API serves (issue 26): Device and Practitioner.

#include "json_util.hpp"
#include "vigil/fhir/resources.hpp"

namespace vigil::fhir {
namespace {

using namespace json;

constexpr std::string_view kNpiSystem = "http://hl7.org/fhir/sid/us-npi";
constexpr std::string_view kDeviceUidSystem = "urn:vigil:device-uid";

std::string_view kindText(registry::DeviceKind kind) {
  switch (kind) {
    case registry::DeviceKind::blood_pressure:
      return "Blood pressure monitor";
    case registry::DeviceKind::pulse_oximeter:
      return "Pulse oximeter";
    case registry::DeviceKind::weight_scale:
      return "Weight scale";
    case registry::DeviceKind::thermometer:
      return "Thermometer";
    case registry::DeviceKind::glucometer:
      return "Glucose meter";
    case registry::DeviceKind::heart_rate:
      return "Heart rate monitor";
    case registry::DeviceKind::hub:
      return "Home hub";
  }
  return "Device";
}

}  // namespace

JsonObject deviceResource(const registry::Device& device, const std::string& id,
                          const std::string& patientRef) {
  auto o = start("Device", id);
  auto identifier = object();
  identifier->set("system", std::string(kDeviceUidSystem));
  identifier->set("value", device.uid);
  o->set("identifier", one(identifier));
  o->set("status", std::string(device.retired ? "inactive" : "active"));
  if (!device.serial.empty()) o->set("serialNumber", device.serial);
  if (!device.model.empty()) {
    auto name = object();
    name->set("name", device.model);
    name->set("type", std::string("model-name"));
    o->set("deviceName", one(name));
    o->set("modelNumber", device.model);
  }
  o->set("type", textConcept(kindText(device.kind)));
  if (!device.firmware.empty()) {
    auto version = object();
    version->set("value", device.firmware);
    o->set("version", one(version));
  }
  if (!patientRef.empty()) o->set("patient", reference(patientRef));
  return o;
}

JsonObject practitionerResource(const security::User& user, const std::string& npi,
                                const std::string& id) {
  auto o = start("Practitioner", id);
  if (!npi.empty()) {
    auto identifier = object();
    identifier->set("system", std::string(kNpiSystem));
    identifier->set("value", npi);
    o->set("identifier", one(identifier));
  }
  o->set("active", !user.disabled);
  auto name = object();
  name->set("text", user.displayName);
  o->set("name", one(name));
  return o;
}

}  // namespace vigil::fhir
