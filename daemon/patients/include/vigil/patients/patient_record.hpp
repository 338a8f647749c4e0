#pragma once
// The patient record (issue 21): demographics, contact details, preferred language, emergency
// contact, insurance (primary and secondary), preferred pharmacy, and the clinical history
// (problems, medications, allergies), with every change kept.
//
// Storage: one row of patient_record_versions per change (migration 0019), each holding the
// whole record as it stood after the change in two FieldCipher ciphertexts bound to that row
// (AAD patient_record_versions/<column>/<row id>): `administrative` (demographics ... pharmacy)
// and `clinical` (problems, medications, allergies). Two documents, not one, so that an admin
// (or the coming front-desk role) reading the administrative sections never has the clinical
// ones decrypted for them: minimum necessary. A row is never edited or deleted (key rotation may
// re-seal its ciphertexts); the newest row is the current record. Demographics also live in the
// registry's patients table (names, birth date, time zone, state: what every other service
// reads, with the blind indexes search uses); an update of the demographics section rewrites
// that row through registry::PatientRepository in the same transaction.
//
// Access (docs/patients.md): every call authorises and audits through security::AccessGuard in
// the transaction that reads or writes (patient_record.get / .update / .history). The clinical
// sections need Permission::recordClinicalRead / recordClinicalWrite besides: a role without
// them (admins) reads the record with the clinical sections left out, and an update naming a
// clinical section is refused whole (patient_record.update_clinical, audited as denied).
//
// Entries of the clinical lists carry a stable id (given by the service) and their source:
// "patient" when a patient reported them, "clinician" when a provider or nurse wrote them. An
// update replaces a list whole; an entry sent back unchanged with its id keeps its source, a
// new or changed entry takes the updating actor's.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/core/error.hpp"
#include "vigil/security/access.hpp"

namespace vigil::store {
class Connection;
class Database;
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

/// The record's sections; the first six are administrative, the last three clinical.
enum class RecordSection {
  demographics,
  contact,
  language,
  emergencyContact,
  insurance,
  pharmacy,
  problems,
  medications,
  allergies
};
inline constexpr RecordSection kAllRecordSections[] = {
    RecordSection::demographics,     RecordSection::contact,     RecordSection::language,
    RecordSection::emergencyContact, RecordSection::insurance,   RecordSection::pharmacy,
    RecordSection::problems,         RecordSection::medications, RecordSection::allergies};
/// "demographics", "contact", "language", "emergencyContact", "insurance", "pharmacy",
/// "problems", "medications", "allergies" (the keys of the record in JSON).
std::string_view toString(RecordSection section);
std::optional<RecordSection> parseRecordSection(std::string_view name);
/// Problems, medications and allergies.
bool isClinical(RecordSection section);

/// Who reported a clinical entry.
enum class EntrySource { patient, clinician };
std::string_view toString(EntrySource source);

/// A postal address (all parts optional; an address with any part needs line1 and city).
struct Address {
  std::string line1, line2, city, region, postalCode, country;
  bool empty() const;
  bool operator==(const Address&) const = default;
};

/// The registry's identifying fields (MRN excepted: it never changes here).
struct Demographics {
  std::string givenName, familyName;  // 1..100 bytes each
  std::string birthDate;              // YYYY-MM-DD, not in the future
  std::string timeZone = "UTC";       // IANA zone name
  std::string state;                  // two capital letters, or empty
  bool operator==(const Demographics&) const = default;
};

struct Contact {
  std::string email;  // optional; local@domain
  std::string phone;  // optional; 7..15 digits, with + ( ) - . and spaces
  Address address;
  bool operator==(const Contact&) const = default;
};

/// Empty (no name) means none given.
struct EmergencyContact {
  std::string name, relationship, phone;
  bool operator==(const EmergencyContact&) const = default;
};

enum class SubscriberRelationship { self, spouse, child, other };
std::string_view toString(SubscriberRelationship r);

struct Insurance {
  std::string payer;        // 1..200
  std::string plan;         // optional
  std::string memberId;     // 1..64 of [A-Za-z0-9-]
  std::string groupNumber;  // optional, <= 64 of [A-Za-z0-9-]
  std::string subscriberName;
  std::string subscriberBirthDate;  // optional YYYY-MM-DD
  SubscriberRelationship relationship = SubscriberRelationship::self;
  bool operator==(const Insurance&) const = default;
};

struct InsuranceCoverage {
  std::optional<Insurance> primary;
  std::optional<Insurance> secondary;  // only with a primary
  bool operator==(const InsuranceCoverage&) const = default;
};

/// Empty (no name) means none given.
struct Pharmacy {
  std::string name;
  std::string ncpdpId;  // optional: 7 digits
  std::string phone;
  Address address;
  bool operator==(const Pharmacy&) const = default;
};

enum class ProblemStatus { active, resolved };
enum class MedicationStatus { active, stopped };
enum class AllergySeverity { mild, moderate, severe, unknown };

struct Problem {
  std::int64_t id = 0;  // 0 in an update: a new entry
  std::string code;     // ICD-10-CM, e.g. "E11.9" (upper-cased)
  std::string description;
  ProblemStatus status = ProblemStatus::active;
  std::string onsetDate;  // optional YYYY-MM-DD
  EntrySource source = EntrySource::clinician;
};

struct Medication {
  std::int64_t id = 0;
  std::string rxcui;  // RxNorm concept id (digits) when known, else empty
  std::string name;   // as prescribed or as the patient calls it
  std::string instructions;
  MedicationStatus status = MedicationStatus::active;
  EntrySource source = EntrySource::clinician;
};

struct Allergy {
  std::int64_t id = 0;
  std::string substance;
  std::string reaction;
  AllergySeverity severity = AllergySeverity::unknown;
  EntrySource source = EntrySource::clinician;
};

/// The record as one reader may see it.
struct PatientRecord {
  std::int64_t patientId = 0;
  int version = 0;  // 0: nothing recorded since registration
  std::optional<TimePoint> updatedAt;
  std::optional<std::int64_t> updatedBy;
  Demographics demographics;
  Contact contact;
  std::string language;  // BCP 47 tag, e.g. "en-US", "es", "zh-Hant-TW"; empty if not given
  EmergencyContact emergencyContact;
  InsuranceCoverage insurance;
  Pharmacy pharmacy;
  /// False for readers without recordClinicalRead: the three lists are then empty, unread.
  bool clinicalIncluded = false;
  std::vector<Problem> problems;
  std::vector<Medication> medications;
  std::vector<Allergy> allergies;
  std::int64_t nextEntryId = 1;  // internal: the next clinical entry id
};

/// A change: each section given replaces the current one; sections left out stay as they are.
struct RecordUpdate {
  /// The version the editor read; a different current version refuses the update
  /// (RecordConflict), so two editors do not overwrite each other unseen.
  std::optional<int> baseVersion;
  std::optional<Demographics> demographics;
  std::optional<Contact> contact;
  std::optional<std::string> language;
  std::optional<EmergencyContact> emergencyContact;
  std::optional<InsuranceCoverage> insurance;
  std::optional<Pharmacy> pharmacy;
  std::optional<std::vector<Problem>> problems;
  std::optional<std::vector<Medication>> medications;
  std::optional<std::vector<Allergy>> allergies;
  bool touchesClinical() const { return problems || medications || allergies; }
  bool empty() const;
};

/// One kept change (no content: who, when, which sections).
struct RecordChange {
  int version = 0;
  TimePoint changedAt;
  std::int64_t changedBy = 0;
  std::string changedByRole;
  std::vector<RecordSection> sections;
};

/// The most entries a clinical list holds, and the largest free-text field (bytes).
inline constexpr std::size_t kMaxRecordEntries = 200;
inline constexpr std::size_t kMaxRecordText = 500;

/// An update based on a version that is no longer the current one.
class RecordConflict : public Error {
 public:
  using Error::Error;
};

/// Checks every field of the update (codes upper-cased and text trimmed first by the service);
/// throws ValidationError naming the first bad field by its JSON path, never its value, e.g.
/// "problems[2].code: not an ICD-10-CM code (such as E11.9)". Dates must not be after `now`.
void validate(const RecordUpdate& update, TimePoint now);
/// ICD-10-CM code format: a capital letter, a digit, a capital letter or digit, then optionally
/// a dot and 1 to 4 capital letters or digits ("I10", "E11.9", "S72.001A").
bool validIcd10Cm(std::string_view code);

/// The patient record service, authorised and audited.
class PatientRecordService {
 public:
  PatientRecordService(store::Database& db, security::AuditLog& audit,
                       const crypto::FieldCipher& cipher, registry::PatientRepository& patients,
                       Clock& clock);

  /// The current record (patient_record.get: the patient, the care team, admins; others by
  /// break-glass). NotFound for no such patient.
  PatientRecord get(const security::Actor& actor, std::int64_t patientId,
                    std::string_view breakGlassReason = {});
  /// The record as it was at `version` (1 .. the current one), under the same rules and audit
  /// as get() (the entry's target names the version). Demographics are those the version
  /// recorded (the registry's row only where it recorded none). NotFound for no such patient
  /// or version.
  PatientRecord getVersion(const security::Actor& actor, std::int64_t patientId, int version,
                           std::string_view breakGlassReason = {});
  /// Applies the update as the next version (patient_record.update, plus
  /// patient_record.update_clinical when a clinical section is given). Throws ValidationError,
  /// RecordConflict, NotFound, AccessDenied; returns the record as the actor may read it.
  PatientRecord update(const security::Actor& actor, std::int64_t patientId,
                       const RecordUpdate& update, std::string_view breakGlassReason = {});
  /// Every change, newest first (patient_record.history).
  std::vector<RecordChange> history(const security::Actor& actor, std::int64_t patientId,
                                    std::string_view breakGlassReason = {});

  /// The current record read on `c`, the clinical sections only with `clinical`; no access
  /// check and no audit: for a service that authorises and audits its own read in that snapshot
  /// (fhir::RecordExportService). NotFound for no such patient.
  PatientRecord currentIn(store::Connection& c, std::int64_t patientId, bool clinical) const;

 private:
  /// The record at `version` (nullopt: the current one) read on `c`.
  PatientRecord versionIn(store::Connection& c, std::int64_t patientId, bool clinical,
                          std::optional<int> version) const;

 private:
  PatientRecord updateIn(store::Connection& c, const security::Actor& actor, std::int64_t patientId,
                         const RecordUpdate& update);

  store::Database& db_;
  security::AuditLog& audit_;
  const crypto::FieldCipher& cipher_;
  registry::PatientRepository& patients_;
  Clock& clock_;
};

}  // namespace vigil::patients
