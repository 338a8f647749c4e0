#pragma once
// Shared pieces of the API routes: JSON in and out, times, errors without PHI, and the
// handler wrapper that turns the domain's exceptions into API errors.

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "vigil/core/clock.hpp"
#include "vigil/security/access.hpp"
#include "vigil/web/api.hpp"
#include "vigil/web/http.hpp"

namespace vigil::store {
class Connection;
}

namespace vigil::web::api {

using JsonObject = Poco::JSON::Object::Ptr;
using JsonArray = Poco::JSON::Array::Ptr;

inline JsonObject object() {
  return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
}
inline JsonArray array() {
  return new Poco::JSON::Array();
}

/// A request the client got wrong; the message names the field, never a value.
class BadRequest : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An API error with its HTTP status and code (for handlers that decide the answer).
class ApiFailure : public std::runtime_error {
 public:
  ApiFailure(int httpStatus, std::string errorCode, const std::string& message)
      : std::runtime_error(message), status(httpStatus), code(std::move(errorCode)) {}
  int status;
  std::string code;
};

Response jsonResponse(int status, const JsonObject& body);
Response noContent();

/// The request body as a JSON object; throws BadRequest.
JsonObject parseBody(const Request& req);
std::string requireString(const JsonObject& o, const std::string& key, std::size_t maxLen = 1024);
std::string optionalString(const JsonObject& o, const std::string& key, std::size_t maxLen = 1024);
std::int64_t requireInt(const JsonObject& o, const std::string& key);
std::optional<std::int64_t> optionalInt(const JsonObject& o, const std::string& key);

/// RFC 3339 UTC with milliseconds.
std::string iso(TimePoint t);
Poco::Dynamic::Var isoOrNull(const std::optional<TimePoint>& t);
/// RFC 3339 (Z or offset, optional fraction) or integer milliseconds; nullopt if malformed.
std::optional<TimePoint> parseTime(const std::string& text);
/// What a path id that is not a positive integer answers: "no such resource" (404, the API's
/// rule) or a malformed request (400, the visit routes' rule: "/visits/abc" is not a visit).
enum class BadPathId { notFound, badRequest };
/// The integer id in a path parameter; throws ApiFailure(404) or BadRequest when it is not a
/// positive integer.
std::int64_t pathId(const Request& req, const std::string& name,
                    BadPathId bad = BadPathId::notFound);
/// Query parameter as integer within [lo, hi], or the default; throws BadRequest.
std::int64_t queryInt(const Request& req, const std::string& name, std::int64_t def,
                      std::int64_t lo, std::int64_t hi);
/// Splits "a,b,c".
std::vector<std::string> splitList(const std::string& s);

/// Wraps a handler: BadRequest -> 400, ValidationError -> 422, NotFound -> 404,
/// AccessDenied -> 403, AuthError -> 401, ApiFailure -> its status; messages carry no PHI.
Handler guarded(Handler h);

/// Authorises `operationName` on `patientId` for the request's actor (care team on a reader)
/// and appends the audit entry (allowed or denied). Throws ApiFailure(403) when denied.
/// `escalationAssignee`: the object (an alert) is routed to the actor by escalation; a provider
/// or nurse outside the care team may then act on it (reason escalation_assignee, issue 17).
void authorizePatient(const ApiServices& s, const Request& req, std::string_view operationName,
                      std::int64_t patientId, const std::string& objectType,
                      const std::string& objectId, bool escalationAssignee = false);

/// The ids of the patients the actor may see: nullopt = all (admin); patients: their own.
std::optional<std::vector<std::int64_t>> visiblePatients(const ApiServices& s,
                                                         const security::Actor& actor);

// Route groups (one source file each).
void addAuthRoutes(Router& r, const ApiServices& s);
void addPatientRoutes(Router& r, const ApiServices& s);
void addAlertRoutes(Router& r, const ApiServices& s);
void addAdminRoutes(Router& r, const ApiServices& s);
void addEventRoutes(Router& r, const ApiServices& s);
void addReportRoutes(Router& r, const ApiServices& s);
void addEscalationRoutes(Router& r, const ApiServices& s);
void addSyncRoutes(Router& r, const ApiServices& s);
void addConsentRoutes(Router& r, const ApiServices& s);
void addRpmRoutes(Router& r, const ApiServices& s);
void addOnboardingRoutes(Router& r, const ApiServices& s);
void addRecordRoutes(Router& r, const ApiServices& s);
void addRecordExportRoutes(Router& r, const ApiServices& s);
void addIntakeRoutes(Router& r, const ApiServices& s);
void addLicenseRoutes(Router& r, const ApiServices& s);
void addRxRoutes(Router& r, const ApiServices& s);  // e-prescribing (issue 25)
#ifdef VIGIL_WITH_SCHEDULING
void addScheduleRoutes(Router& r, const ApiServices& s);      // built with video
void addReminderRoutes(Router& r, const ApiServices& s);      // built with video (scheduling)
void addCalendarFeedRoutes(Router& r, const ApiServices& s);  // providers' iCalendar feeds
void addOnDemandRoutes(Router& r, const ApiServices& s);      // built with video
#endif
void addNoteRoutes(Router& r, const ApiServices& s);
void addWorklistRoutes(Router& r, const ApiServices& s);
void addCaseRoutes(Router& r, const ApiServices& s);
void addSurveyRoutes(Router& r, const ApiServices& s);  // patient satisfaction (issue 30)
void addBillingRoutes(Router& r, const ApiServices& s);
void addGroupRoutes(Router& r, const ApiServices& s);     // clinic groups (issue 30)
void addFhirAuthRoutes(Router& r, const ApiServices& s);  // SMART backend services (issue 26)
void addFhirRoutes(Router& r, const ApiServices& s);      // the FHIR R4 API (issue 26)

}  // namespace vigil::web::api
