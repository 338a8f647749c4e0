#include "vigil/fhir/bundle.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/UUIDGenerator.h>

#include "vigil/core/time.hpp"

namespace vigil::fhir {

std::string newUuid() {
  return Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
}

Poco::JSON::Object::Ptr collectionBundle(const std::string& id, TimePoint timestamp,
                                         const std::vector<BundleEntry>& entries) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("resourceType", std::string("Bundle"));
  o->set("id", id);
  o->set("type", std::string("collection"));
  o->set("timestamp", core::formatUtc(timestamp, core::Fraction::millis));
  Poco::JSON::Array::Ptr list = new Poco::JSON::Array();
  for (const auto& e : entries) {
    Poco::JSON::Object::Ptr entry = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    entry->set("fullUrl", e.fullUrl);
    entry->set("resource", e.resource);
    list->add(entry);
  }
  o->set("entry", list);
  return o;
}

}  // namespace vigil::fhir
