#pragma once
// The box's data as FHIR R4 resources (https://hl7.org/fhir/R4/): one mapper per resource,
// each a pure function of the domain value and the references it needs, so the record download
// (issue 21) and the FHIR API (issue 26) build the same resources.
//
// References: a mapper takes the resource's own id and the Patient's reference as given (the
// Bundle's `urn:uuid:` fullUrls, or a server's `Patient/<id>` later); it invents none.
//
// Choices, from the spec:
// - Observation follows the vital-signs profile (category vital-signs, LOINC code as stored,
//   valueQuantity in UCUM, system http://unitsofmeasure.org); blood pressure is the panel
//   85354-9 with one component per stored component (8480-6, 8462-4, 8478-0) and no value of
//   its own. Glucose and HbA1c are not vital signs in FHIR: category laboratory, no profile.
//   A stored special value (no number) has dataAbsentReason "unknown". effectiveDateTime is the
//   device's time when it had a UTC offset, else the receipt time; issued is the receipt time.
// - A clinical entry the patient reported names the Patient as its asserter
//   (Condition.asserter, AllergyIntolerance.asserter, MedicationStatement.informationSource).
// - Consent: the document's kind, version and SHA-256 (hex, in an extension: R4's
//   Attachment.hash is SHA-1) on sourceAttachment; status inactive once withdrawn, the
//   provision's period from the signature to the withdrawal. The typed name and the signer's
//   IP address are not exported.

#include <Poco/JSON/Object.h>

#include <optional>
#include <string>
#include <string_view>

#include "vigil/alerts/alert.hpp"
#include "vigil/patients/consent.hpp"
#include "vigil/patients/patient_record.hpp"
#include "vigil/readings/reading_query.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/rx/prescriptions.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/video/visit.hpp"
#ifdef VIGIL_WITH_SCHEDULING
#include "vigil/scheduling/scheduling.hpp"
#endif

namespace vigil::fhir {

using JsonObject = Poco::JSON::Object::Ptr;
struct NoteData;  // bundle.hpp

inline constexpr std::string_view kLoincSystem = "http://loinc.org";
inline constexpr std::string_view kUcumSystem = "http://unitsofmeasure.org";
inline constexpr std::string_view kIcd10CmSystem = "http://hl7.org/fhir/sid/icd-10-cm";
inline constexpr std::string_view kRxNormSystem = "http://www.nlm.nih.gov/research/umls/rxnorm";
inline constexpr std::string_view kVigilExtensionBase = "urn:vigil:fhir:";
/// The system of the box's medical record numbers (Patient.identifier).
inline constexpr std::string_view kMrnSystem = "urn:vigil:mrn";
/// The system of the clinic's appointment types (Appointment and Slot serviceType codes).
inline constexpr std::string_view kAppointmentTypeSystem = "urn:vigil:appointment-type";

/// Patient: official name, birthDate, telecom (phone, email), home address, emergency contact,
/// communication language (BCP 47, preferred).
/// With `mrn`, the medical record number as an identifier (type MR, system kMrnSystem).
JsonObject patientResource(const patients::PatientRecord& record, const std::string& id,
                           const std::string& mrn = {});

/// Observation for one stored reading, subject `patientRef`; `deviceRef` (the Device that
/// measured it) when not empty.
JsonObject observationResource(const readings::ReceivedReading& reading, const std::string& id,
                               const std::string& patientRef, const std::string& deviceRef = {});

/// Device: the registry's device (its uid as identifier, model, serial number, firmware as
/// version, active until retired), the Patient it is assigned to now when `patientRef` is set.
JsonObject deviceResource(const registry::Device& device, const std::string& id,
                          const std::string& patientRef);

/// Practitioner: a provider or nurse by display name, the NPI when known (us-npi), active
/// unless the account is disabled.
JsonObject practitionerResource(const security::User& user, const std::string& npi,
                                const std::string& id);

/// Condition (problem-list-item, ICD-10-CM).
JsonObject conditionResource(const patients::Problem& problem, const std::string& id,
                             const std::string& patientRef);

/// MedicationStatement (RxNorm coding when the rxcui is known, else text only).
JsonObject medicationStatementResource(const patients::Medication& medication,
                                       const std::string& id, const std::string& patientRef);

/// AllergyIntolerance (substance as text, reaction and severity when given).
JsonObject allergyIntoleranceResource(const patients::Allergy& allergy, const std::string& id,
                                      const std::string& patientRef);

/// Coverage: `order` 1 for the primary insurance, 2 for the secondary.
JsonObject coverageResource(const patients::Insurance& insurance, int order, const std::string& id,
                            const std::string& patientRef);

/// Consent for one signature; `document` (the signed version, body not needed) adds its title.
JsonObject consentResource(const patients::Signature& signature,
                           const std::optional<patients::ConsentDocument>& document,
                           const std::string& id, const std::string& patientRef);

/// Encounter for a video visit: class VR (virtual), status from the visit's state (scheduled →
/// planned, in progress → in-progress, ended → finished, cancelled → cancelled), period (the
/// scheduled window; ended visits end when they ended), the clinician who ran it as the primary
/// performer (by name: the Practitioner resource is issue 26's).
JsonObject encounterResource(const video::Visit& visit, const std::string& providerName,
                             const std::string& id, const std::string& patientRef);

/// A signed note as plain text: the title, the encounter, who signed (and co-signed) and when,
/// the sections (Assessment and Plan only in the patient's summary copy) and the addenda.
std::string noteText(const NoteData& note);

/// DocumentReference for a signed note: status current, docStatus final, type LOINC 11506-3
/// (progress note), category clinical-note, the signer as author and authenticator (by name),
/// the note's text as a text/plain attachment (base64), the encounter when `encounterRef` is
/// not empty.
JsonObject documentReferenceResource(const NoteData& note, const std::string& id,
                                     const std::string& patientRef,
                                     const std::string& encounterRef);

/// R4's medicationrequest-status for a prescription's status (the mapping is commented in
/// resources_orders.cpp, from docs/prescribing.md's statuses); "unknown" for others.
std::string_view medicationRequestStatus(std::string_view rxStatus);

/// MedicationRequest for a prescription: status from its status, intent order, the drug (RxNorm
/// coding when its rxcui is known, the name as text), authoredOn (signed, else created),
/// `requesterRef` (Practitioner/<prescriber>) when not empty, the sig as the dosage's text,
/// dispenseRequest (quantity with its unit, refills as numberOfRepeatsAllowed, days' supply as
/// expectedSupplyDuration in UCUM d), substitution.allowedBoolean.
JsonObject medicationRequestResource(const rx::Prescription& prescription, const std::string& id,
                                     const std::string& patientRef,
                                     const std::string& requesterRef);

/// Flag for an alert: status active while unresolved, category clinical, code the rule key
/// (system urn:vigil:fhir:alert-rule) with the vital, kind and severity in words ("Systolic
/// blood pressure: out of range, critical"; never the value), period from the raise (to the
/// resolution).
JsonObject flagResource(const alerts::Alert& alert, const std::string& id,
                        const std::string& patientRef);

#ifdef VIGIL_WITH_SCHEDULING
/// Appointment: status (booked; cancelled and rescheduled → cancelled; no-show → noshow;
/// completed → fulfilled), the type's name as serviceType and appointmentType text, start and
/// end, the Patient and the Practitioner as accepted participants.
JsonObject appointmentResource(const scheduling::Appointment& appointment,
                               const std::string& typeName, const std::string& id,
                               const std::string& patientRef, const std::string& practitionerRef);

/// Schedule: one per provider (`id` the provider's user id), active, the Practitioner as actor.
JsonObject scheduleResource(const std::string& id, const std::string& practitionerRef);

/// Slot: a free slot of an appointment type in a provider's Schedule (status free, start, end,
/// the type as serviceType: code the type's id in kAppointmentTypeSystem, text its name).
JsonObject slotResource(const scheduling::Slot& slot, const scheduling::AppointmentType& type,
                        const std::string& id, const std::string& scheduleRef);
#endif

/// The display name of a LOINC code the box stores ("Heart rate"), empty for others.
std::string_view loincDisplay(std::string_view code);

}  // namespace vigil::fhir
