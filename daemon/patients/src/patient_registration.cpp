#include "vigil/patients/patient_registration.hpp"

#include <algorithm>
#include <string>

#include "vigil/security/audit_log.hpp"
#include "vigil/store/database.hpp"

namespace vigil::patients {

RegistrationResult PatientRegistrationService::registerPatient(
    const security::Actor& actor, const Registration& request,
    const std::optional<std::vector<std::int64_t>>& visible) {
  if (request.confirmedNotDuplicate && request.mergeInto)
    throw ValidationError("confirmNotDuplicate, mergeInto: give one of them, not both");
  auto audit = [&](store::Connection& c, std::string_view action, std::int64_t patientId,
                   std::string_view reason) {
    audit_.append(c, security::auditEventFor(actor, action, "patient", std::to_string(patientId),
                                             patientId, security::AuditOutcome::success, reason));
  };
  return db_.writeSync([&](store::Connection& c) {
    RegistrationResult result;
    const auto candidates = patients_.duplicateCandidatesIn(c, request.patient);
    const bool anyCandidate = !candidates.empty();
    for (auto id : candidates) {
      // Only the candidates the actor may read are decrypted (minimum necessary).
      if (visible && std::find(visible->begin(), visible->end(), id) == visible->end()) {
        ++result.otherCandidates;
      } else if (auto p = patients_.getIn(c, id)) {
        result.candidates.push_back(std::move(*p));
      }
    }
    if (request.mergeInto) {
      const auto target = *request.mergeInto;
      if (std::none_of(result.candidates.begin(), result.candidates.end(),
                       [&](const registry::Patient& p) { return p.id == target; }))
        throw NotADuplicateCandidate("mergeInto: not a possible duplicate of this registration");
      audit(c, "patient.register", target, "merged_into_existing");
      result.outcome = RegistrationResult::Outcome::merged;
      result.patientId = target;
      result.candidates.clear();
      result.otherCandidates = 0;
      return result;
    }
    if (anyCandidate && !request.confirmedNotDuplicate) {
      for (const auto& p : result.candidates)
        audit(c, "patient.duplicate_candidate", p.id, "possible_duplicate");
      result.outcome = RegistrationResult::Outcome::possibleDuplicate;
      return result;
    }
    result.outcome = RegistrationResult::Outcome::created;
    result.patientId = patients_.createIn(c, request.patient);
    audit(c, "patient.register", result.patientId,
          anyCandidate ? "duplicate_confirmed" : "new_patient");
    result.candidates.clear();
    result.otherCandidates = 0;
    return result;
  });
}

}  // namespace vigil::patients
