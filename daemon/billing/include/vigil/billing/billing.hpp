#pragma once
// RPM billing (issue 24, docs/billing.md): the clinicians' minutes ledger, the month-end review
// per practice, the provider's approval that creates claims, and what the claims-submission
// step reads (approved claims with everything an 837P needs) and writes (status changes).
//
// Data it reads, each through its owner: RPM enrolments and consent coverage
// (patients::RpmEnrolmentService::enrolmentsIn), readings (readings::ReadingQuery::
// transmittedIn: automatically transmitted ones only), the patient's zone and demographics
// (registry), insurance and address (patients::PatientRecordService::currentIn), video visits
// (video::VisitService), provider NPIs (licensing::LicenseService::npiIn). Tables it owns
// (migration 0031): billing_time, billing_time_revisions, billing_fee_schedule, claims,
// claim_lines, claim_status_events.
//
// Access: every call authorises and audits through security::AccessGuard in the transaction
// that reads or writes (billing_time.*, billing.review, billing.approve, fee_schedule.*,
// claim.*; security/access.cpp). The review names patients: it is audited once per listing, and
// lists the actor's care-team patients (admins: every patient).

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/billing/clearinghouse.hpp"
#include "vigil/billing/rules.hpp"
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
class PatientRecordService;
}
namespace vigil::sync {
class Link;
}

namespace vigil::billing {

// ------------------------------------------------------------------------------ the ledger

enum class TimeSource { timer, manual, video };
std::string_view toString(TimeSource source);

/// Why time was entered by hand (a fixed list: no free text, so no PHI in the ledger).
bool isValidTimeReason(std::string_view reason);

/// One span of treatment-management time.
struct TimeEntry {
  std::int64_t id = 0;
  std::int64_t patientId = 0;
  std::int64_t clinicianId = 0;
  TimePoint startedAt;
  std::optional<TimePoint> endedAt;  // nullopt: the timer runs
  TimeSource source = TimeSource::manual;
  bool interactive = false;  // real-time audio/video contact with the patient
  std::optional<std::string> reason;
  std::optional<std::int64_t> visitId;
  std::optional<TimePoint> deletedAt;
  int revisions = 0;  // edits and the deletion, each keeping the old values
  /// Whole minutes of the span (0 while it runs).
  int minutes() const;
};

/// A span by hand (or the new values of an edit).
struct TimeInput {
  TimePoint startedAt;
  TimePoint endedAt;
  bool interactive = false;
  std::string reason;
};

/// A span would overlap another of the same clinician (the API: 409 time_overlap).
class TimeOverlap : public Error {
 public:
  TimeOverlap(std::int64_t otherEntry, const std::string& message)
      : Error(message), other_(otherEntry) {}
  std::int64_t otherEntry() const { return other_; }

 private:
  std::int64_t other_;
};
/// A ledger or claim action the current state refuses (a timer already running, none to stop,
/// an entry already deleted, a video entry edited, a claim status that cannot follow): the API
/// answers 409 with `code`.
class BillingConflict : public Error {
 public:
  BillingConflict(std::string code, const std::string& message)
      : Error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

// ------------------------------------------------------------------------------ the review

/// One 30-day period of an episode, as the review shows it.
struct DevicePeriod {
  std::int64_t enrolmentId = 0;
  Period period;
  std::vector<std::string> days;  // YYYY-MM-DD, the distinct days with data
  std::optional<std::string> code;
  bool complete = false;  // its last day has passed (in the patient's zone)
  bool setup = false;     // the episode's first period with enough days: 99453 with it
};

/// One clinician's minutes in the month.
struct ClinicianMinutes {
  std::int64_t clinicianId = 0;
  int minutes = 0;
};

/// A proposed claim line.
struct ProposedLine {
  std::string code;
  int units = 1;
  std::string serviceDate;     // YYYY-MM-DD
  std::string placeOfService;  // "10", "02"
  std::string modifiers;       // comma-separated
  std::int64_t chargeCents = 0;
};

/// A patient's month: codes, evidence, provider, exceptions, and the claim once approved.
struct PatientMonth {
  std::int64_t patientId = 0;
  std::string timeZone;
  std::vector<DevicePeriod> periods;  // periods that end in the month
  int minutes = 0;
  std::vector<ClinicianMinutes> minutesBy;
  std::optional<std::string> interactiveContact;  // the first contact's date in the month
  std::vector<std::string> diagnosisCodes;
  std::optional<std::int64_t> billingProviderId;  // the enrolling provider
  std::optional<std::string> billingNpi;
  std::vector<ProposedLine> lines;
  /// consent_missing, not_enrolled, insurance_missing, too_few_days, no_npi,
  /// no_interactive_contact, period_open
  std::vector<std::string> exceptions;
  std::optional<std::int64_t> claimId;
  std::optional<std::string> claimStatus;
  /// Approvable: lines to bill and nothing that stops a claim (NPI, insurance, consent).
  bool approvable() const;
};

/// A completed video visit in the month, for a visit claim.
struct VisitForBilling {
  std::int64_t visitId = 0;
  std::int64_t patientId = 0;
  std::int64_t providerId = 0;
  std::string date;  // the patient's local date of the visit
  int minutes = 0;
  std::optional<std::string> npi;
  bool insured = false;
  std::optional<std::int64_t> claimId;
};

struct MonthReview {
  std::string month;  // YYYY-MM
  std::vector<PatientMonth> patients;
  std::vector<VisitForBilling> visits;
};

/// The outcome of an approval: the claim, and whether this call created it.
struct Approval {
  std::int64_t claimId = 0;
  bool created = false;
};

// ------------------------------------------------------------------------------ claims

struct FeeScheduleEntry {
  std::string code;
  std::string description;
  std::int64_t chargeCents = 0;
  std::optional<TimePoint> updatedAt;
};

struct ClaimLine {
  int lineNo = 0;
  std::string code;
  std::vector<std::string> modifiers;
  int units = 1;
  std::string serviceDate;
  std::string placeOfService;
  std::int64_t chargeCents = 0;
};

enum class ClaimStatus { approved, submitted, accepted, rejected, paid, denied };
std::string_view toString(ClaimStatus status);
std::optional<ClaimStatus> parseClaimStatus(std::string_view name);
/// Whether a claim may move from `from` to `to` (docs/billing.md's table).
bool claimTransitionAllowed(ClaimStatus from, ClaimStatus to);

/// A claim as stored (no patient details).
struct Claim {
  std::int64_t id = 0;
  std::int64_t patientId = 0;
  std::string kind;  // rpm_month, visit
  std::optional<std::string> serviceMonth;
  std::optional<std::int64_t> visitId;
  std::int64_t billingProviderId = 0, renderingProviderId = 0;
  std::string billingNpi, renderingNpi;
  std::vector<std::string> diagnosisCodes;
  std::int64_t totalCents = 0;
  ClaimStatus status = ClaimStatus::approved;
  std::optional<std::string> statusDetail;
  TimePoint statusAt, approvedAt;
  std::int64_t approvedBy = 0;
  std::vector<ClaimLine> lines;
  std::int64_t paidCents = 0;  // what posted remittances paid (claims(): the list's column)
};

/// The subscriber and payer of a claim, from the patient record's primary insurance.
struct ClaimInsurance {
  std::string payer, plan, memberId, groupNumber;
  std::string subscriberName, subscriberBirthDate;
  std::string relationship;  // self, spouse, child, other
};

/// Everything the 837P writer needs for one claim (PHI: decrypted for the submission step).
struct ClaimForSubmission {
  Claim claim;
  std::string patientGivenName, patientFamilyName, patientBirthDate;
  std::string addressLine1, addressLine2, city, region, postalCode;
  std::string patientState;  // registry's state of residence
  std::optional<ClaimInsurance> primary, secondary;
};

/// Billing: the ledger, the review, approvals, the fee schedule and claims.
class BillingService {
 public:
  BillingService(store::Database& db, security::AuditLog& audit, const crypto::FieldCipher& cipher,
                 registry::PatientRepository& patients, patients::PatientRecordService& records,
                 Clock& clock);

  // --- the ledger (billing_time.*: providers and nurses on the care team) ---
  /// Starts the actor's timer on the patient (billing_time.record). BillingConflict
  /// "timer_running" when one runs already (on any patient).
  TimeEntry startTimer(const security::Actor& actor, std::int64_t patientId,
                       std::string_view breakGlassReason = {});
  /// Stops the actor's running timer on the patient (billing_time.record). BillingConflict
  /// "no_timer"; TimeOverlap when the span now overlaps another entry of the actor; a span under
  /// a minute is dropped (marked deleted, reason: too short) and returned so.
  TimeEntry stopTimer(const security::Actor& actor, std::int64_t patientId,
                      std::string_view breakGlassReason = {});
  /// Adds a span by hand (billing_time.record): reason from the list, end after start, not in
  /// the future, at most 4 hours. TimeOverlap, ValidationError.
  TimeEntry addManual(const security::Actor& actor, std::int64_t patientId, const TimeInput& in,
                      std::string_view breakGlassReason = {});
  /// Changes a span's times, flag or reason (billing_time.edit; the clinician who logged it, or
  /// a provider of the care team); the old values are kept. Video spans are not edited (their
  /// times are the visit's).
  TimeEntry edit(const security::Actor& actor, std::int64_t patientId, std::int64_t entryId,
                 const TimeInput& in, std::string_view breakGlassReason = {});
  /// Deletes a span (billing_time.edit; as edit), keeping it with its old values.
  TimeEntry remove(const security::Actor& actor, std::int64_t patientId, std::int64_t entryId,
                   std::string_view breakGlassReason = {});
  /// The patient's entries of a month (patient's zone), deleted ones included, oldest first
  /// (billing_time.list).
  std::vector<TimeEntry> entries(const security::Actor& actor, std::int64_t patientId,
                                 std::chrono::year_month month,
                                 std::string_view breakGlassReason = {});
  /// The actor's running timer, if any (no PHI: ids; no audit).
  std::optional<TimeEntry> runningTimer(const security::Actor& actor);
  /// Adds the time of completed video visits (with the patient admitted) that are not in the
  /// ledger yet, as interactive video spans of the visit's provider; a visit whose span would
  /// overlap another entry of the provider is left out and logged. Audited as the system.
  /// Returns how many were added.
  int importVisitTime();

  // --- the review and approval ---
  /// The month's review (billing.review: providers their care team's patients, admins all).
  MonthReview review(const security::Actor& actor, std::chrono::year_month month);
  /// One patient's month, without an audit (the caller audits): what review() and approve()
  /// compute, on `c`.
  PatientMonth patientMonthIn(store::Connection& c, std::int64_t patientId,
                              std::chrono::year_month month) const;
  /// Approves a patient's month (billing.approve, step-up: providers on the care team): creates
  /// the claim and its lines; approving again creates nothing and returns the same claim.
  /// BillingConflict "not_approvable" (nothing to bill, no NPI, no insurance, no consent).
  Approval approveMonth(const security::Actor& actor, std::int64_t patientId,
                        std::chrono::year_month month, std::string_view breakGlassReason = {});
  /// Approves a completed video visit with the provider's E/M code (99202-99205, 99212-99215),
  /// modifier 95, place of service 02, and diagnosis codes (1..12 ICD-10-CM; empty: the
  /// patient's RPM conditions). Idempotent per visit.
  Approval approveVisit(const security::Actor& actor, std::int64_t visitId,
                        const std::string& emCode, const std::vector<std::string>& diagnoses);

  // --- the fee schedule (fee_schedule.read: billing readers; fee_schedule.set: admins) ---
  std::vector<FeeScheduleEntry> feeSchedule(const security::Actor& actor);
  void setFee(const security::Actor& actor, const std::string& code, std::int64_t chargeCents);

  // --- claims (for the page and for the claims-submission step) ---
  /// Claims of a month or all (claim.list; billing readers), newest first, at most 500.
  std::vector<Claim> claims(const security::Actor& actor,
                            std::optional<std::chrono::year_month> serviceMonth);
  /// Claims in status `status` (approved: waiting to be sent) with the patient's demographics,
  /// address and insurance, oldest first, at most `limit` (claim.export: admins and the system
  /// actor of the submission step; one audit entry per claim's patient).
  std::vector<ClaimForSubmission> claimsForSubmission(const security::Actor& actor,
                                                      ClaimStatus status, std::size_t limit);
  /// Records a claim's new status (claim.status: admins; the submission step passes the system
  /// actor, {0, admin}); `detail` is a code or short reason from the clearinghouse, no PHI, at
  /// most 200 bytes. BillingConflict "bad_transition"; NotFound.
  Claim recordClaimStatus(const security::Actor& actor, std::int64_t claimId, ClaimStatus status,
                          const std::string& detail);
  /// The claim's status history (status, detail, time), oldest first (claim.list).
  struct StatusEvent {
    std::string status;
    std::string detail;
    TimePoint at;
    std::int64_t by = 0;
    std::string source;   // submission, 999, 277CA, 835, admin ("" before migration 0033)
    bool applied = true;  // false: a late answer kept in the history only
  };
  std::vector<StatusEvent> claimHistory(const security::Actor& actor, std::int64_t claimId);

  // --- through the clearinghouse (clearinghouse.hpp: settings, results, handlers, reports) ---
  /// Sends the approved claims (at most settings.maxClaims): one 837P batch per billing NPI,
  /// each queued as claim.submit in its own stream, the claims marked submitted, in one write
  /// job per batch (claim.export per claim, audited; the system actor {0, admin} from the
  /// periodic step, an admin from the portal). A claim the 837P cannot carry (a missing member
  /// id, address, ...) stays approved with the reason in its status detail. Nothing is sent
  /// without an enrolled link or with incomplete settings (the run says why).
  SubmissionRun submitApproved(const security::Actor& actor, sync::Link* link,
                               const SubmissionSettings& settings);
  /// submitApproved with the settings vigild gave (setSubmissionSettings; none: nothing sent).
  SubmissionRun submitApproved(const security::Actor& actor, sync::Link* link);
  void setSubmissionSettings(SubmissionSettings settings);
  /// One claim with its history and what remittances posted to it (claim.list).
  ClaimDetail claimDetail(const security::Actor& actor, std::int64_t claimId);
  /// Claims by status, denial reasons, days to payment and the monthly trend (billing.report;
  /// no patient named).
  ClaimsReport claimsReport(const security::Actor& actor);

 private:
  std::vector<ClaimForSubmission> claimsForSubmissionIn(store::Connection& c,
                                                        const security::Actor& actor,
                                                        ClaimStatus status, std::size_t limit);
  MonthReview reviewIn(store::Connection& c, const std::vector<std::int64_t>& patients,
                       std::chrono::year_month month) const;
  TimeEntry writeEntry(const security::Actor& actor, std::int64_t patientId,
                       std::string_view operation, std::string_view breakGlassReason,
                       const std::function<TimeEntry(store::Connection&)>& fn);

  store::Database& db_;
  security::AuditLog& audit_;
  const crypto::FieldCipher& cipher_;
  registry::PatientRepository& patients_;
  patients::PatientRecordService& records_;
  Clock& clock_;
  std::optional<SubmissionSettings> submission_;  // set once at start-up, before any thread
};

}  // namespace vigil::billing
