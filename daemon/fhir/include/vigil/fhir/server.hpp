#pragma once
// The FHIR R4 API (issue 26, docs/fhir.md): read, search, $everything, Observation _history and
// create, the CapabilityStatement, over the same mappers as the record download.
//
// Who may call: an EHR's backend client with a SMART access token (ClientGrant: its scopes
// decide per resource type and interaction, over every patient of the practice, the way a
// clinician of the practice reads), or a patient signed in to the portal (their own
// compartment only, with what their role may read: visit summaries rather than whole notes).
// Every access is audited before the answer leaves, allowed or denied, like the portal's: the
// action is the portal operation the resource corresponds to (Observation → reading.list,
// Encounter and Appointment → visit.list, MedicationRequest → prescription.list, Flag →
// alert.list ...), the object "fhir" and the resource type (and id), the actor the
// client ("fhir_client") or the patient; the patient the access touched.
//
// Ids: Patient, Observation (the reading), Device and Practitioner (the user) carry the box's
// row ids; resources of a patient's record (Encounter, Consent, DocumentReference, Condition,
// MedicationStatement, AllergyIntolerance, Coverage, MedicationRequest (the prescription),
// Flag (the open alert), Appointment) are "<patient id>-<row id>" (Coverage: "-1" primary, "-2"
// secondary), so a read finds the compartment it belongs to. Appointment is served only where
// scheduling is built (VIGIL_WITH_SCHEDULING); Slot is not served (see docs/fhir.md).
// Readings never change: an Observation has version 1, its lastUpdated the receipt time.

#include <Poco/JSON/Object.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/fhir/search.hpp"
#include "vigil/fhir/smart_scope.hpp"
#include "vigil/security/access.hpp"
#include "vigil/security/audit_entry.hpp"

namespace vigil::store {
class Database;
class Connection;
}  // namespace vigil::store
namespace vigil::crypto {
class FieldCipher;
}
namespace vigil::security {
class AuditLog;
}
namespace vigil::registry {
class PatientRepository;
}
namespace vigil::patients {
class PatientRecordService;
}

namespace vigil::fhir {

class RecordExportService;

/// Who is asking: a registered client's grant, or a patient through the portal session.
struct FhirCaller {
  std::optional<ClientGrant> client;
  std::optional<security::Actor> user;
};

/// An answer: status, the resource (or Bundle, or OperationOutcome), and headers.
struct FhirResponse {
  int status = 200;
  Poco::JSON::Object::Ptr body;
  std::string location;  // create: "<base>/Observation/<id>/_history/1"
  std::string etag;      // W/"1" for a single resource
  std::string lastModified;
};

/// What a create of an Observation hands to ingest: the device's uid, one device message (the
/// MQTT readings schema) and the outcome once the store has committed or refused it.
struct IntakeOutcome {
  enum class Kind { stored, duplicate, rejected, unavailable } kind = Kind::unavailable;
  std::string reason;  // rejected: the quarantine reason (never a value)
  std::vector<std::int64_t> readingIds;
};
using ObservationIntake =
    std::function<IntakeOutcome(const std::string& deviceUid, const std::string& payload)>;

struct FhirServerOptions {
  /// The most entries a searchset page holds (_count is cut to this).
  std::size_t maxCount = 1000;
};

class FhirServer {
 public:
  FhirServer(store::Database& db, security::AuditLog& audit, const crypto::FieldCipher& cipher,
             const RecordExportService& records, registry::PatientRepository& patients,
             Clock& clock, ObservationIntake intake = {}, FhirServerOptions options = {});

  /// GET /fhir/metadata (no caller needed).
  FhirResponse capability(const std::string& base) const;
  /// GET /fhir/<type>/<id>. Throws FhirError (404 unknown type or id, 403 denied).
  FhirResponse read(const FhirCaller& caller, std::string_view type, std::string_view id,
                    const std::string& base);
  /// GET /fhir/<type>?params: a searchset Bundle with self and next links.
  FhirResponse search(const FhirCaller& caller, std::string_view type, const SearchParams& params,
                      const std::string& base);
  /// GET /fhir/Observation/<id>/_history (a history Bundle) and .../_history/<vid>.
  FhirResponse history(const FhirCaller& caller, std::string_view type, std::string_view id,
                       std::optional<std::string_view> versionId, const std::string& base);
  /// GET /fhir/Patient/<id>/$everything: the patient's compartment as one searchset Bundle.
  FhirResponse everything(const FhirCaller& caller, std::string_view patientId,
                          const std::string& base);
  /// POST /fhir/Observation: through ingest (the device's assignment, dedup, quarantine).
  FhirResponse createObservation(const FhirCaller& caller, const std::string& body,
                                 const std::string& base);

  /// The resource types served, in the CapabilityStatement's order.
  static const std::vector<std::string_view>& resourceTypes();

  struct Item;      // server_internal.hpp
  struct Decision;  // server_internal.hpp

 private:
  Decision decide(const FhirCaller& caller, std::string_view type, Interaction interaction,
                  std::optional<std::int64_t> patientId) const;
  /// Records one access; `reason` replaces the decision's when given.
  void audit(const FhirCaller& caller, const Decision& d, std::string objectId,
             std::optional<std::int64_t> patientId, security::AuditOutcome outcome,
             std::string reason = {}) const;
  /// decide + audit the denial (throws FhirError 403); returns the decision to audit later.
  Decision require(const FhirCaller& caller, std::string_view type, Interaction interaction,
                   std::optional<std::int64_t> patientId, const std::string& objectId) const;
  security::Role viewOf(const FhirCaller& caller) const;
  std::vector<Item> compartmentIn(store::Connection& c, std::string_view type,
                                  std::int64_t patientId, security::Role view,
                                  const std::string& base) const;
  FhirResponse searchObservations(const FhirCaller& caller, const SearchParams& params,
                                  const std::string& base);
  FhirResponse searchPatients(const FhirCaller& caller, const SearchParams& params,
                              const std::string& base);
  /// Schedule (one per provider) and Slot (free times): no PHI, read through the scheduling
  /// library's free-slot computation (server_slots.cpp; not served without scheduling).
  FhirResponse searchSchedules(const FhirCaller& caller, const SearchParams& params,
                               const std::string& base, bool singleRead);
  FhirResponse searchSlots(const FhirCaller& caller, const SearchParams& params,
                           const std::string& base);
  FhirResponse readSlot(const FhirCaller& caller, std::string_view id, const std::string& base);
  FhirResponse searchPractitioners(const FhirCaller& caller, const SearchParams& params,
                                   const std::string& base, bool singleRead);
  FhirResponse searchCompartment(const FhirCaller& caller, std::string_view type,
                                 const SearchParams& params, const std::string& base);
  std::optional<Item> readOneIn(store::Connection& c, std::string_view type, std::string_view id,
                                security::Role view, const std::string& base) const;

  store::Database& db_;
  security::AuditLog& audit_;
  const crypto::FieldCipher& cipher_;
  const RecordExportService& records_;
  registry::PatientRepository& patients_;
  Clock& clock_;
  ObservationIntake intake_;
  FhirServerOptions options_;
};

}  // namespace vigil::fhir
