#pragma once
// RPM enrolment (issue 21): a provider enrols a patient in remote patient monitoring for one
// condition (an ICD-10-CM code and its description), with the devices used (chosen among the
// devices assigned to the patient at that moment, kept with the enrolment), from the date device
// set-up and education start (the episode's start: CPT 99453 is billed once per episode from
// it), until it is ended (a date and a reason).
//
// Rules, each checked inside the one write job that enrols:
//   - the patient holds an active RPM consent (ConsentService::hasActiveConsentIn), else
//     ConsentRequired{rpm};
//   - at most one active enrolment per patient and condition: a partial unique index on
//     rpm_enrolments refuses a second one even if two requests race (EnrolmentConflict
//     "already_enrolled");
//   - every device is currently assigned to the patient (ValidationError otherwise).
// Withdrawing the RPM consent ends every active enrolment of the patient in the same
// transaction as the withdrawal (end reason consent_withdrawn, today's date, one audit entry
// per enrolment): ConsentService::withdraw calls endAllForWithdrawalIn. A new RPM consent
// version that requires re-signing ends nothing: the enrolment stays active (the clinical order
// stands) but is not billable (`billable` false, and enrolmentsIn leaves the uncovered time
// out) until the patient signs the new version.
//
// Every call with an actor authorises and audits through security::AccessGuard in the same
// transaction as what it reads or writes (rpm_enrolment.create, .end, .list).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/core/error.hpp"
#include "vigil/patients/consent.hpp"
#include "vigil/security/access.hpp"

namespace vigil::registry {
class DeviceRegistry;
}

namespace vigil::patients {

/// Why an episode ended (stored and in the API as these words).
enum class EnrolmentEndReason {
  completed,
  consentWithdrawn,  // set only by the withdrawal of the RPM consent
  patientRequest,
  notMedicallyNecessary,
  other
};
std::string_view toString(EnrolmentEndReason reason);
std::optional<EnrolmentEndReason> parseEnrolmentEndReason(std::string_view name);

/// True for an ICD-10-CM code as written with its dot: a letter, a digit, a digit or letter,
/// then optionally "." and 1 to 4 digits or letters ("I10", "I50.9", "E11.65", "S72.001A").
/// The format only: the box holds no code list. One definition for the record's problems and
/// RPM enrolment (src/record_validation.cpp; also declared in patient_record.hpp).
bool validIcd10Cm(std::string_view code);

/// One device of an enrolment, as the chart shows it (no serial: the kind and model).
struct EnrolmentDevice {
  std::int64_t id = 0;
  std::string uid;
  std::string kind;  // registry::toString(DeviceKind)
  std::string model;
};

/// One episode (description decrypted: PHI, only for authorised readers).
struct Enrolment {
  std::int64_t id = 0;
  std::int64_t patientId = 0;
  std::string conditionCode;
  std::string conditionDescription;
  std::string startDate;  // YYYY-MM-DD
  std::int64_t enrolledBy = 0;
  TimePoint enrolledAt;
  std::optional<std::string> endDate;  // YYYY-MM-DD, the last day of the episode
  std::optional<EnrolmentEndReason> endReason;
  std::optional<TimePoint> endedAt;
  std::optional<std::int64_t> endedBy;
  std::vector<EnrolmentDevice> devices;
  bool active() const { return !endDate.has_value(); }
};

/// A patient's enrolments, newest first, and whether the RPM consent is active now (an active
/// enrolment is billable only then).
struct PatientEnrolments {
  std::vector<Enrolment> enrolments;
  bool consentActive = false;
};

/// What a provider sends to enrol.
struct NewEnrolment {
  std::string conditionCode;            // ICD-10-CM (validIcd10Cm)
  std::string conditionDescription;     // 1..200 bytes
  std::vector<std::int64_t> deviceIds;  // 1..16, each assigned to the patient now
  std::string startDate;                // YYYY-MM-DD, not later than 30 days from today (UTC)
};

/// A part of an enrolment that the billing query counts: in force and covered by an RPM consent.
struct EnrolmentPeriod {
  std::int64_t enrolmentId = 0;
  std::string conditionCode;
  std::string startDate;  // the episode's start (99453 once per episode, from this date)
  TimePoint from;         // inclusive
  TimePoint until;        // exclusive
  std::optional<std::string> endDate;  // the episode's last day (YYYY-MM-DD) once ended
  std::int64_t enrolledBy = 0;         // the enrolling provider (billing's billing provider)
};

/// The enrolment needs a consent the patient does not hold (the API: 409
/// {"error":"consent_required","kind":"rpm"}).
class ConsentRequired : public Error {
 public:
  explicit ConsentRequired(ConsentKind kind)
      : Error("consent required: the patient has no active consent of this kind"), kind_(kind) {}
  ConsentKind kind() const { return kind_; }

 private:
  ConsentKind kind_;
};

/// A well-formed request the enrolments' state refuses: `code` "already_enrolled" (an active
/// enrolment for the condition exists) or "already_ended".
class EnrolmentConflict : public Error {
 public:
  EnrolmentConflict(std::string code, const std::string& message)
      : Error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

/// RPM enrolments, authorised and audited.
class RpmEnrolmentService {
 public:
  RpmEnrolmentService(store::Database& db, security::AuditLog& audit,
                      const crypto::FieldCipher& cipher, Clock& clock);

  /// Enrols the patient (rpm_enrolment.create: providers on the care team, others by
  /// break-glass). Throws ValidationError, ConsentRequired, EnrolmentConflict, AccessDenied.
  Enrolment enrol(const security::Actor& actor, std::int64_t patientId, const NewEnrolment& e,
                  std::string_view breakGlassReason = {});
  /// Ends an active enrolment (rpm_enrolment.end: as enrol). `endDate` YYYY-MM-DD, not before
  /// the start, not after today (UTC); reason not consentWithdrawn. NotFound (not this
  /// patient's), EnrolmentConflict("already_ended").
  Enrolment end(const security::Actor& actor, std::int64_t patientId, std::int64_t enrolmentId,
                const std::string& endDate, EnrolmentEndReason reason,
                std::string_view breakGlassReason = {});
  /// The patient's enrolments (rpm_enrolment.list: the patient, the care team, admins;
  /// break-glass as elsewhere). Audited.
  PatientEnrolments enrolments(const security::Actor& actor, std::int64_t patientId,
                               std::string_view breakGlassReason = {});

  // --- SQL, for composing inside a job ---
  /// Ends every active enrolment of the patient (reason consent_withdrawn, end date the UTC
  /// date of `now`) and appends one audit entry per enrolment (rpm_enrolment.end by `actor`,
  /// reason "consent_withdrawn"). Returns the ids ended. Called by ConsentService::withdraw.
  static std::vector<std::int64_t> endAllForWithdrawalIn(store::Connection& c,
                                                         security::AuditLog& audit,
                                                         const security::Actor& actor,
                                                         std::int64_t patientId, TimePoint now);
  /// For billing (no audit here: the billing service audits its own read): the parts of the
  /// patient's enrolments that overlap [from, to) while an RPM consent was in force. An episode
  /// runs from its start date's 00:00 UTC to the end of its end date (UTC; open while active);
  /// an RPM signature is in force from its signing until its withdrawal or the publication of a
  /// later version that requires re-signing, whichever comes first. Ordered by start.
  static std::vector<EnrolmentPeriod> enrolmentsIn(store::Connection& c, std::int64_t patientId,
                                                   TimePoint from, TimePoint to);
  /// The patients with at least one enrolment (any state), ascending (billing's month review).
  static std::vector<std::int64_t> enrolledPatientsIn(store::Connection& c);
  /// Whether the patient has an active enrolment and an active RPM consent now.
  static bool isEnrolledIn(store::Connection& c, std::int64_t patientId);

 private:
  std::vector<Enrolment> enrolmentsOfIn(store::Connection& c, std::int64_t patientId) const;
  Enrolment enrolIn(store::Connection& c, const security::Actor& actor, std::int64_t patientId,
                    const NewEnrolment& e);

  store::Database& db_;
  security::AuditLog& audit_;
  const crypto::FieldCipher& cipher_;
  Clock& clock_;
};

}  // namespace vigil::patients
