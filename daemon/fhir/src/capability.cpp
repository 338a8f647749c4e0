// The CapabilityStatement at /fhir/metadata (issue 26): what this server serves, its search
// parameters, and SMART backend services as its security.

#include <Poco/JSON/Array.h>

#include "json_util.hpp"
#include "server_internal.hpp"

namespace vigil::fhir {
namespace {

using namespace json;

struct Param {
  std::string_view name, type;
};

struct TypeCapability {
  std::string_view type;
  bool search;
  bool create;
  bool history;
  std::vector<Param> params;
};

const std::vector<TypeCapability>& capabilities() {
  static const std::vector<TypeCapability> kTypes = {
      {"Patient", true, false, false, {{"_id", "token"}, {"identifier", "token"}}},
      {"Practitioner", true, false, false, {{"_id", "token"}}},
      {"Device", true, false, false, {{"patient", "reference"}}},
      {"Observation",
       true,
       true,
       true,
       {{"patient", "reference"}, {"subject", "reference"}, {"code", "token"}, {"date", "date"}}},
      {"Encounter", true, false, false, {{"patient", "reference"}, {"date", "date"}}},
      {"Consent", true, false, false, {{"patient", "reference"}, {"date", "date"}}},
      {"DocumentReference", true, false, false, {{"patient", "reference"}, {"date", "date"}}},
      {"Condition", true, false, false, {{"patient", "reference"}}},
      {"MedicationStatement", true, false, false, {{"patient", "reference"}}},
      {"AllergyIntolerance", true, false, false, {{"patient", "reference"}}},
      {"Coverage", true, false, false, {{"patient", "reference"}}},
      {"MedicationRequest", true, false, false, {{"patient", "reference"}, {"authoredon", "date"}}},
      {"Flag", true, false, false, {{"patient", "reference"}, {"date", "date"}}},
#ifdef VIGIL_WITH_SCHEDULING
      {"Appointment", true, false, false, {{"patient", "reference"}, {"date", "date"}}},
      {"Schedule", true, false, false, {{"_id", "token"}, {"actor", "reference"}}},
      {"Slot",
       true,
       false,
       false,
       {{"schedule", "reference"}, {"service-type", "token"}, {"start", "date"}}},
#endif
  };
  return kTypes;
}

JsonObject interaction(std::string_view code) {
  auto o = object();
  o->set("code", std::string(code));
  return o;
}

}  // namespace

FhirResponse FhirServer::capability(const std::string& base) const {
  auto o = object();
  o->set("resourceType", std::string("CapabilityStatement"));
  o->set("status", std::string("active"));
  o->set("date", instant(clock_.now()));
  o->set("publisher", std::string("Vigil"));
  o->set("kind", std::string("instance"));
  auto software = object();
  software->set("name", std::string("Vigil"));
  o->set("software", software);
  auto implementation = object();
  implementation->set("description", std::string("Vigil remote patient monitoring appliance"));
  implementation->set("url", base);
  o->set("implementation", implementation);
  o->set("fhirVersion", std::string("4.0.1"));
  auto formats = array();
  formats->add(std::string("json"));
  o->set("format", formats);
  auto rest = object();
  rest->set("mode", std::string("server"));
  auto security = object();
  security->set("cors", false);
  security->set(
      "service",
      one(codeable(coding("http://terminology.hl7.org/CodeSystem/restful-security-service",
                          "SMART-on-FHIR", "SMART-on-FHIR"))));
  security->set("description",
                std::string("SMART backend services (client credentials with a private_key_jwt "
                            "assertion, RS384 or ES384) for registered clients; see " +
                            base + "/.well-known/smart-configuration"));
  rest->set("security", security);
  auto resources = array();
  for (const auto& t : capabilities()) {
    auto r = object();
    r->set("type", std::string(t.type));
    auto interactions = array();
    interactions->add(interaction("read"));
    if (t.search) interactions->add(interaction("search-type"));
    if (t.create) interactions->add(interaction("create"));
    if (t.history) {
      interactions->add(interaction("vread"));
      interactions->add(interaction("history-instance"));
    }
    r->set("interaction", interactions);
    r->set("versioning", std::string(t.history ? "versioned" : "no-version"));
    auto params = array();
    for (const auto& p : t.params) {
      auto sp = object();
      sp->set("name", std::string(p.name));
      sp->set("type", std::string(p.type));
      params->add(sp);
    }
    if (params->size() > 0) r->set("searchParam", params);
    if (t.type == "Patient") {
      auto op = object();
      op->set("name", std::string("everything"));
      op->set("definition",
              std::string("http://hl7.org/fhir/OperationDefinition/Patient-everything"));
      r->set("operation", one(op));
    }
    if (t.type == "Observation") {
      auto includes = array();
      includes->add(std::string("Observation:patient"));
      includes->add(std::string("Observation:device"));
      r->set("searchInclude", includes);
      auto profiles = array();
      profiles->add(std::string("http://hl7.org/fhir/StructureDefinition/vitalsigns"));
      r->set("supportedProfile", profiles);
    }
    resources->add(r);
  }
  rest->set("resource", resources);
  o->set("rest", one(rest));
  FhirResponse response;
  response.body = o;
  return response;
}

}  // namespace vigil::fhir
