#pragma once
// Pieces of the FHIR server shared by its source files (private to vigil::fhir).

#include <Poco/JSON/Object.h>

#include <optional>
#include <string>
#include <string_view>

#include "vigil/core/clock.hpp"
#include "vigil/fhir/server.hpp"

namespace vigil::fhir {

/// One resource as a search or read finds it.
struct FhirServer::Item {
  std::string type;
  std::string id;
  std::optional<TimePoint> date;  // what the type's `date` parameter compares
  Poco::JSON::Object::Ptr resource;
};

/// An access decision and the words its audit entry carries.
struct FhirServer::Decision {
  bool allowed = false;
  std::string action;  // the portal operation the access corresponds to
  std::string reason;  // smart_scope, self; or why not
};

namespace server {

inline std::string patientRef(std::int64_t patientId) {
  return "Patient/" + std::to_string(patientId);
}
/// "<patient>-<local>": the id of a resource of the patient's record.
inline std::string compartmentId(std::int64_t patientId, std::int64_t localId) {
  return std::to_string(patientId) + "-" + std::to_string(localId);
}
/// The patient of a compartment id; nullopt when malformed.
std::optional<std::int64_t> patientOfCompartmentId(std::string_view id);

/// The portal operation a resource type's reads correspond to ("reading.list"); empty for
/// types without PHI (Practitioner). `view` patient: DocumentReference is visit_summary.list.
std::string_view operationOf(std::string_view type, security::Role view);
/// Whether resources of the type belong to one patient's compartment read through the record.
bool recordCompartmentType(std::string_view type);

/// A searchset Bundle with self (and next) links; `total` when known.
Poco::JSON::Object::Ptr searchset(const std::vector<FhirServer::Item>& items,
                                  const std::string& base, const std::string& selfUrl,
                                  const std::string& nextUrl, std::optional<std::int64_t> total);

/// A read answered through a search's code (Practitioner, Schedule): the one resource (404 when
/// none), else the searchset of `items`.
FhirResponse oneOrSearchset(const std::vector<FhirServer::Item>& items, bool singleRead,
                            const std::string& base, std::string_view type,
                            const SearchParams& params);

/// The offset a search's `_page` names (0 without one); throws FhirError 400 for another token.
std::size_t pageOffset(const SearchParams& params);

/// A searchset of `items[offset, offset + count)` with `total` the whole list's size and a next
/// link when more follow (the small types' paging: offset tokens).
Poco::JSON::Object::Ptr offsetPage(const std::vector<FhirServer::Item>& items, std::size_t offset,
                                   std::size_t count, const std::string& base,
                                   std::string_view type, const SearchParams& params);

/// `<base>/<type>?<params without _page>` and the same with `_page=<token>`.
std::string searchUrl(const std::string& base, std::string_view type, const SearchParams& params,
                      const std::string& pageToken = {});

/// Sets meta.versionId "1" and meta.lastUpdated on a resource (keeping its profiles).
void setMeta(Poco::JSON::Object::Ptr resource, std::optional<TimePoint> lastUpdated);

/// Throws FhirError 400 for a parameter the type's search does not support.
void checkParams(std::string_view type, const SearchParams& params,
                 std::initializer_list<std::string_view> supported);

}  // namespace server
}  // namespace vigil::fhir
