#pragma once
// Registering a patient with duplicate detection (issue 21: "Staff can also register a patient
// at the front desk. Duplicate detection (same name and birth date) asks staff to merge or
// confirm.").
//
// Trade-off: the check and the insert run in ONE write job (the store's single writer), so two
// desks registering the same person at the same moment are serialised: the second sees the
// first's row and is asked, never both created. The check uses the registry's blind indexes of
// the normalised names and the birth date (one indexed query); only the matching rows the actor
// may read are decrypted, never the whole table. Normalisation is the search's (ASCII case, blanks,
// hyphens, apostrophes and dots ignored); accented letters are compared as written, so "José" and
// "Jose" are not found as the same person (docs/patients.md#registration-and-duplicates).
//
// "Merge" here means: the person at the desk IS an existing patient, so nothing is created and
// the existing id is returned. Merging two existing records that are both in use (moving
// readings, devices, consents) is not done anywhere.

#include <cstdint>
#include <optional>
#include <vector>

#include "vigil/core/error.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/access.hpp"

namespace vigil::store {
class Database;
}
namespace vigil::security {
class AuditLog;
}

namespace vigil::patients {

/// What the registering staff member asks for.
struct Registration {
  registry::Patient patient;  // id ignored
  /// The staff member saw the candidates and says this is a different person: create anyway.
  bool confirmedNotDuplicate = false;
  /// The person is this existing patient (one of the candidates): create nothing.
  std::optional<std::int64_t> mergeInto;
};

/// What came of a registration.
struct RegistrationResult {
  enum class Outcome { created, merged, possibleDuplicate };
  Outcome outcome = Outcome::created;
  std::int64_t patientId = 0;  // created or merged into; 0 for possibleDuplicate
  /// possibleDuplicate: the candidates the actor may see (demographics), ascending ids.
  std::vector<registry::Patient> candidates;
  /// possibleDuplicate: how many more candidates exist that the actor may not see (a provider
  /// or nurse registering someone outside their care team); never their demographics.
  std::size_t otherCandidates = 0;
};

/// A mergeInto that names no candidate of this registration (API 400).
class NotADuplicateCandidate : public Error {
 public:
  using Error::Error;
};

/// Registers patients (patient.register: the gate checks the role; this service audits the
/// outcome in the registration's own transaction).
class PatientRegistrationService {
 public:
  PatientRegistrationService(store::Database& db, security::AuditLog& audit,
                             registry::PatientRepository& patients)
      : db_(db), audit_(audit), patients_(patients) {}

  /// In one write job: finds the candidates (same normalised given and family name, same birth
  /// date); with none, or with confirmedNotDuplicate, creates the patient (audited
  /// patient.register, reason "new_patient" or "duplicate_confirmed"); with mergeInto naming a
  /// visible candidate, creates nothing (audited patient.register on that patient, reason
  /// "merged_into_existing"); otherwise creates nothing and returns the candidates, each shown
  /// candidate audited (patient.duplicate_candidate, reason "possible_duplicate"). `visible`:
  /// the patients the actor may read (nullopt: all); other candidates are only counted.
  /// Throws ValidationError (zone, state), registry::MrnTaken (on create),
  /// NotADuplicateCandidate, and ValidationError when both resolutions are given.
  RegistrationResult registerPatient(const security::Actor& actor, const Registration& request,
                                     const std::optional<std::vector<std::int64_t>>& visible = {});

 private:
  store::Database& db_;
  security::AuditLog& audit_;
  registry::PatientRepository& patients_;
};

}  // namespace vigil::patients
