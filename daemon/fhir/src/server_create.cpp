// Create of an Observation (issue 26): an EHR or a device gateway that speaks FHIR sends a
// vital sign measured by a registered device; it becomes one device message in the MQTT
// readings schema (docs/device-protocol.md) and goes through ingest like any other: the device
// must be known and assigned to the subject when it was measured, the value plausible, the
// unit one the kind accepts (converted as from a device), and a reading the device already
// sent (same device, kind and time: the dedup key "time:<ms>:<kind>") is not stored twice: the
// answer is then 200 with the stored Observation instead of 201.

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <atomic>
#include <cmath>
#include <sstream>

#include "json_util.hpp"
#include "server_internal.hpp"
#include "vigil/core/time.hpp"
#include "vigil/fhir/resources.hpp"
#include "vigil/readings/reading_query.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/store/database.hpp"

namespace vigil::fhir {
namespace {

using Poco::JSON::Object;

struct Kind {
  std::string_view loinc, kind;
};
// The kinds a device message may carry that have a LOINC code (docs/device-protocol.md).
constexpr Kind kKinds[] = {{"85354-9", "blood_pressure"},
                           {"8867-4", "heart_rate"},
                           {"59408-5", "spo2"},
                           {"2708-6", "spo2"},
                           {"29463-7", "body_weight"},
                           {"8302-2", "body_height"},
                           {"39156-5", "bmi"},
                           {"8310-5", "body_temperature"},
                           {"2339-0", "glucose"},
                           {"9279-1", "respiratory_rate"},
                           {"4548-4", "hba1c"}};
constexpr std::pair<std::string_view, std::string_view> kComponents[] = {
    {"8480-6", "systolic"}, {"8462-4", "diastolic"}, {"8478-0", "mean"}};

[[noreturn]] void invalid(const std::string& what) {
  throw FhirError(422, "invalid", what);
}

Object::Ptr objectAt(const Object::Ptr& o, const std::string& key) {
  if (!o->has(key)) return nullptr;
  try {
    return o->getObject(key);
  } catch (const std::exception&) {
    invalid(key + ": must be an object");
  }
}

std::string stringAt(const Object::Ptr& o, const std::string& key) {
  if (!o || !o->has(key)) return {};
  auto v = o->get(key);
  if (!v.isString()) invalid(key + ": must be a string");
  return v.extract<std::string>();
}

/// The LOINC code of a CodeableConcept (the first coding of system LOINC).
std::string loincOf(const Object::Ptr& codeableConcept, const std::string& where) {
  if (!codeableConcept) invalid(where + ": required");
  auto codings = codeableConcept->getArray("coding");
  if (codings)
    for (std::size_t i = 0; i < codings->size(); ++i) {
      auto c = codings->getObject(static_cast<unsigned>(i));
      if (c && stringAt(c, "system") == kLoincSystem) return stringAt(c, "code");
    }
  invalid(where + ": a LOINC coding is required");
}

/// {"value":…, "unit" (UCUM code)} of a valueQuantity.
std::pair<double, std::string> quantityOf(const Object::Ptr& q, const std::string& where) {
  if (!q) invalid(where + ": required");
  if (q->has("system") && stringAt(q, "system") != kUcumSystem)
    invalid(where + ".system: must be UCUM (http://unitsofmeasure.org)");
  auto code = stringAt(q, "code");
  if (code.empty()) invalid(where + ".code: a UCUM unit code is required");
  auto v = q->get("value");
  if (!v.isNumeric()) invalid(where + ".value: must be a number");
  double value = v.convert<double>();
  if (!std::isfinite(value)) invalid(where + ".value: must be finite");
  return {value, code};
}

std::int64_t referencedId(const Object::Ptr& ref, std::string_view type, const std::string& where) {
  auto text = stringAt(ref, "reference");
  const auto prefix = std::string(type) + "/";
  if (!text.starts_with(prefix)) invalid(where + ": must refer to a " + std::string(type));
  auto id = numericId(std::string_view(text).substr(prefix.size()));
  if (!id) invalid(where + ": not an id");
  return *id;
}

/// What the body asks for, checked, and the device message made from it.
struct Parsed {
  std::int64_t patientId = 0, deviceId = 0;
  std::string loinc;
  TimePoint effective;
  Object::Ptr reading;  // the readings-schema reading
};

Parsed parseObservation(const std::string& body) {
  Object::Ptr o;
  try {
    o = Poco::JSON::Parser().parse(body).extract<Object::Ptr>();
  } catch (const std::exception&) {
    throw FhirError(400, "invalid", "the body is not a JSON object");
  }
  if (!o || stringAt(o, "resourceType") != "Observation")
    throw FhirError(400, "invalid", "resourceType: must be Observation");
  if (stringAt(o, "status") != "final") invalid("status: must be final (a measurement taken)");
  Parsed p;
  p.loinc = loincOf(objectAt(o, "code"), "code");
  const Kind* kind = nullptr;
  for (const auto& k : kKinds)
    if (k.loinc == p.loinc) kind = &k;
  if (!kind) invalid("code: not a vital sign this box stores");
  auto subject = objectAt(o, "subject");
  if (!subject) invalid("subject: required");
  p.patientId = referencedId(subject, "Patient", "subject");
  auto device = objectAt(o, "device");
  if (!device) invalid("device: required (readings belong to a registered device)");
  p.deviceId = referencedId(device, "Device", "device");
  auto when = stringAt(o, "effectiveDateTime");
  auto t = core::parseRfc3339(when);
  if (!t) invalid("effectiveDateTime: required, a date-time with a time zone");
  p.effective = *t;
  p.reading = json::object();
  p.reading->set("kind", std::string(kind->kind));
  p.reading->set("time", when);
  if (kind->kind == "blood_pressure") {
    auto list = o->getArray("component");
    if (!list || list->size() == 0) invalid("component: systolic and diastolic are required");
    auto components = json::object();
    std::string unit;
    for (std::size_t i = 0; i < list->size(); ++i) {
      auto c = list->getObject(static_cast<unsigned>(i));
      if (!c) invalid("component: must be objects");
      auto code = loincOf(objectAt(c, "code"), "component.code");
      std::string_view name;
      for (const auto& [loinc, n] : kComponents)
        if (loinc == code) name = n;
      if (name.empty()) invalid("component.code: not a blood pressure component");
      auto [value, u] = quantityOf(objectAt(c, "valueQuantity"), "component.valueQuantity");
      if (!unit.empty() && u != unit) invalid("component.valueQuantity.code: one unit for all");
      unit = u;
      components->set(std::string(name), value);
    }
    p.reading->set("unit", unit);
    p.reading->set("components", components);
  } else {
    auto [value, unit] = quantityOf(objectAt(o, "valueQuantity"), "valueQuantity");
    p.reading->set("unit", unit);
    p.reading->set("value", value);
  }
  return p;
}

std::string messageOf(const Parsed& p) {
  static std::atomic<std::int64_t> seq{0};
  auto m = json::object();
  m->set("v", 1);
  // The message sequence only names the message in an ack; FHIR creates are answered over
  // HTTP, so any number will do (dedup goes by the reading's time and kind).
  m->set("seq", ++seq);
  auto list = json::array();
  list->add(p.reading);
  m->set("readings", list);
  std::ostringstream s;
  Poco::JSON::Stringifier::stringify(m, s);
  return s.str();
}

}  // namespace

FhirResponse FhirServer::createObservation(const FhirCaller& caller, const std::string& body,
                                           const std::string& base) {
  if (caller.client && !caller.client->allows("Observation", Interaction::create))
    require(caller, "Observation", Interaction::create, std::nullopt, "Observation");
  auto parsed = parseObservation(body);
  const auto objectId = std::string("Observation");
  auto d = require(caller, "Observation", Interaction::create, parsed.patientId, objectId);
  d.action = "reading.record";
  struct Device {
    std::optional<std::string> uid;
    std::optional<std::int64_t> patient;
  };
  auto device = db_.read([&](store::Connection& c) {
    Device out;
    if (auto dev = registry::DeviceRegistry::findIn(c, parsed.deviceId)) {
      out.uid = dev->uid;
      out.patient = registry::DeviceRegistry::patientAtIn(c, parsed.deviceId, parsed.effective);
    }
    return out;
  });
  if (!device.uid) {
    audit(caller, d, "Device/" + std::to_string(parsed.deviceId), parsed.patientId,
          security::AuditOutcome::failure, "unknown_device");
    invalid("device: not a device registered on this box");
  }
  if (device.patient != parsed.patientId) {
    audit(caller, d, objectId, parsed.patientId, security::AuditOutcome::failure,
          "not_assigned_then");
    invalid("subject: the device was not assigned to this patient when it measured");
  }
  if (!intake_) throw FhirError(503, "transient", "ingest is not running; try again later");
  auto outcome = intake_(*device.uid, messageOf(parsed));
  using K = IntakeOutcome::Kind;
  if (outcome.kind == K::unavailable)
    throw FhirError(503, "transient", "the store cannot take readings now; try again later");
  if (outcome.kind == K::rejected) {
    audit(caller, d, objectId, parsed.patientId, security::AuditOutcome::failure, outcome.reason);
    if (outcome.reason == "rate_limited")
      throw FhirError(429, "throttled", "too many readings from this device; try again later");
    throw FhirError(422, "processing",
                    "the reading was refused and kept for review: " + outcome.reason);
  }
  std::optional<std::int64_t> id;
  if (outcome.kind == K::stored && !outcome.readingIds.empty()) {
    id = outcome.readingIds.front();
  } else {
    id = db_.read([&](store::Connection& c) {
      return readings::ReadingQuery::idAtIn(c, parsed.deviceId, parsed.loinc, parsed.effective);
    });
  }
  if (!id) throw FhirError(500, "exception", "the stored reading could not be found");
  audit(caller, d, "Observation/" + std::to_string(*id), parsed.patientId,
        security::AuditOutcome::success, outcome.kind == K::stored ? "stored" : "duplicate");
  auto item = db_.read([&](store::Connection& c) {
    return readOneIn(c, "Observation", std::to_string(*id), viewOf(caller), base);
  });
  if (!item) throw FhirError(500, "exception", "the stored reading could not be found");
  FhirResponse r;
  r.status = outcome.kind == K::stored ? 201 : 200;
  r.body = item->resource;
  r.location = base + "/Observation/" + std::to_string(*id) + "/_history/1";
  r.etag = "W/\"1\"";
  return r;
}

}  // namespace vigil::fhir
