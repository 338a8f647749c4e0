#pragma once
// Small builders of FHIR JSON shared by the mappers and the server (private to vigil::fhir).

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <string>
#include <string_view>

#include "vigil/core/time.hpp"

namespace vigil::fhir::json {

using JsonObject = Poco::JSON::Object::Ptr;

inline JsonObject object() {
  return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

inline Poco::JSON::Array::Ptr array() {
  return new Poco::JSON::Array();
}

inline JsonObject coding(std::string_view system, std::string_view code,
                         std::string_view display = {}) {
  auto o = object();
  o->set("system", std::string(system));
  o->set("code", std::string(code));
  if (!display.empty()) o->set("display", std::string(display));
  return o;
}

/// {"coding":[coding], "text": text?}
inline JsonObject codeable(JsonObject c, std::string_view text = {}) {
  auto o = object();
  auto codings = array();
  codings->add(c);
  o->set("coding", codings);
  if (!text.empty()) o->set("text", std::string(text));
  return o;
}

inline JsonObject textConcept(std::string_view text) {
  auto o = object();
  o->set("text", std::string(text));
  return o;
}

inline JsonObject reference(const std::string& ref) {
  auto o = object();
  o->set("reference", ref);
  return o;
}

inline Poco::JSON::Array::Ptr one(const JsonObject& o) {
  auto a = array();
  a->add(o);
  return a;
}

inline JsonObject start(std::string_view type, const std::string& id) {
  auto o = object();
  o->set("resourceType", std::string(type));
  o->set("id", id);
  return o;
}

/// A FHIR dateTime/instant in UTC with milliseconds.
inline std::string instant(TimePoint t) {
  return core::formatUtc(t, core::Fraction::millis);
}

}  // namespace vigil::fhir::json
