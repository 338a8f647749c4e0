#pragma once
// Prescriptions (issue 25): entry, pre-checks, warnings, signing, cancelling, the patient's list.
//
// PRE-CHECKS, before the entry screen opens (precheck()): the prescriber's NPI and an active
// license in the patient's state on the date (licensing), and for a controlled drug a DEA
// registration in that state and EPCS access (prescribers.hpp); the patient's birth date,
// address and preferred pharmacy with its NCPDP id (the patient record). Each missing item is
// named with how to fix it; create() runs the same checks in its transaction and refuses with
// the same list (PrecheckFailed), so no prescription exists without them.
//
// ENTRY (create()): a draft from a drug of the list, with strength and form from it, sig,
// quantity and unit, days' supply, refills, substitution and a note to the pharmacist. The sig
// and note are PHI: encrypted, bound to the row. A controlled drug is checked against the state
// rules (rules.hpp; RuleBroken quotes the rule). A documented allergy whose substance the drug's
// name or ingredient contains, and an exact duplicate (an active medication of the record, or an
// open prescription, of the same RXCUI or name) are warnings: create() refuses with them
// (WarningsToAcknowledge) until the prescriber acknowledges each kind; the acknowledged kinds
// are kept on the prescription.
//
// SIGNING (sign()): a non-controlled prescription is signed by its prescriber in their session.
// A controlled one (EPCS, 21 CFR 1311.140) needs the prescriber's EPCS access and both factors
// at that moment: the password and a TOTP code, checked by security::AccountService (scrypt,
// RFC 6238) and the TOTP step consumed in the signing transaction, so a code signs once; the
// session's earlier sign-in or step-up counts for nothing. Missing, wrong, stale (outside the
// window) or reused factors refuse (AuthError) and count towards lock-out. The signing is
// audited (prescription.sign, with the factors used) and logged for the prescriber's review
// (signingLog()). Signing queues the NCPDP SCRIPT NewRx through the cloud link in the same
// transaction (routing.hpp). A signed prescription is never edited (the table's triggers
// refuse it): cancel() queues a CancelRx, and a replacement is a new prescription naming the
// one it replaces.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/core/error.hpp"
#include "vigil/rx/drugs.hpp"
#include "vigil/rx/rules.hpp"
#include "vigil/security/access.hpp"

namespace vigil::crypto {
class FieldCipher;
}
namespace vigil::patients {
class PatientRecordService;
struct Medication;
struct Allergy;
}  // namespace vigil::patients
namespace vigil::security {
class AccountService;
}
namespace vigil::sync {
class Link;
struct Header;
}  // namespace vigil::sync

namespace vigil::rx {

/// One thing missing before a prescription can be written, and how to fix it.
struct MissingItem {
  std::string item;  // "npi", "license", "dea", "epcs_access", "birth_date", "address", "pharmacy"
  std::string message;
  std::string fix;
};

/// The patient's allergies and active medications, shown on the entry screen.
struct MedicationSummary {
  std::string rxcui, name, instructions;
};
struct AllergySummary {
  std::string substance, reaction, severity;
};

/// What the entry screen needs, or what is missing.
struct Precheck {
  bool ready = false;  // nothing missing
  std::vector<MissingItem> missing;
  std::string patientState;
  std::string pharmacyName;
  std::string pharmacyNcpdp;
  std::vector<AllergySummary> allergies;
  std::vector<MedicationSummary> medications;
  bool epcsAccess = false;
};

/// The pre-checks failed: the list says what is missing.
class PrecheckFailed : public ValidationError {
 public:
  explicit PrecheckFailed(std::vector<MissingItem> missing)
      : ValidationError("prescribing: required information is missing"),
        missing_(std::move(missing)) {}
  const std::vector<MissingItem>& missing() const { return missing_; }

 private:
  std::vector<MissingItem> missing_;
};

/// A state or federal rule refuses the prescription; the breaches quote it.
class RuleBroken : public ValidationError {
 public:
  RuleBroken(std::vector<RuleBreach> breaches, std::string quoted)
      : ValidationError("prescribing: a controlled-substance rule refuses this prescription"),
        breaches_(std::move(breaches)),
        quoted_(std::move(quoted)) {}
  const std::vector<RuleBreach>& breaches() const { return breaches_; }
  const std::string& quoted() const { return quoted_; }

 private:
  std::vector<RuleBreach> breaches_;
  std::string quoted_;
};

/// A warning the prescriber must see and acknowledge.
struct Warning {
  std::string kind;  // "allergy" or "duplicate"
  std::string message;
};

/// create() found warnings not acknowledged.
class WarningsToAcknowledge : public ValidationError {
 public:
  explicit WarningsToAcknowledge(std::vector<Warning> warnings)
      : ValidationError("prescribing: warnings to acknowledge"), warnings_(std::move(warnings)) {}
  const std::vector<Warning>& warnings() const { return warnings_; }

 private:
  std::vector<Warning> warnings_;
};

/// What the prescriber enters.
struct PrescriptionInput {
  std::int64_t drugId = 0;
  std::string sig;                        // 1..1000
  std::string quantity;                   // a positive decimal, e.g. "30" or "8.5"
  std::string quantityUnit;               // "tablet", "capsule", "mL", "inhaler", "each"
  int daysSupply = 0;                     // 1..365
  int refills = 0;                        // 0..11
  bool substitution = true;               // false: dispense as written
  std::string note;                       // to the pharmacist, 0..210 (NCPDP's Note length)
  bool telehealth = true;                 // prescribed from a telehealth encounter
  std::optional<Date> inPersonOn;         // the prior in-person evaluation, when a rule needs it
  std::vector<std::string> acknowledged;  // warning kinds seen
  std::optional<std::int64_t> replaces;   // a cancelled prescription this one replaces
};

/// A prescription as its readers see it.
struct Prescription {
  std::int64_t id = 0;
  std::string uuid;
  std::int64_t patientId = 0;
  std::int64_t prescriberId = 0;
  Drug drug;
  std::string sig, quantity, quantityUnit, note;
  int daysSupply = 0, refills = 0;
  bool substitution = true;
  std::string patientState, pharmacyNcpdp;
  std::optional<Date> inPersonOn;
  std::string ruleQuoted;
  std::string warnings;
  std::string status;
  std::string statusReason;
  std::optional<TimePoint> signedAt;
  std::string signedWith;
  std::optional<std::int64_t> replacesId;
  TimePoint createdAt, updatedAt;
};

/// One entry of the prescriber's signing log.
struct SigningLogEntry {
  std::int64_t prescriptionId = 0;
  std::int64_t patientId = 0;
  std::string drugName;
  int schedule = 0;
  std::string kind;  // "signed", "sign_refused", "cancelled"
  std::string detail;
  TimePoint at;
};

/// The factors typed at the moment of signing (never kept).
struct SigningFactors {
  std::string password;
  std::string totp;
};

/// The clinic as the prescriber's practice in NCPDP messages (config rx.clinic_*).
struct ClinicInfo {
  std::string name = "Vigil Clinic";
  std::string address1 = "1 Main Street";
  std::string city = "Springfield";
  std::string state = "IL";
  std::string postalCode = "62701";
  std::string phone = "2175550100";
};

/// Prescriptions. Every call about a patient takes the request's break-glass reason (emergency
/// access, X-Break-Glass-Reason): a clinician outside the care team is let in with it, flagged
/// and audited, as for the other clinical records.
class PrescriptionService {
 public:
  /// `link` may be null (no cloud link): signing then refuses (nowhere to route it).
  PrescriptionService(store::Database& db, security::AuditLog& audit,
                      const crypto::FieldCipher& cipher, patients::PatientRecordService& records,
                      security::AccountService& accounts, sync::Link* link, Clock& clock);

  /// The pre-checks and the entry screen's data (prescription.precheck: the care team's
  /// providers); `drugId` adds the controlled-substance checks for that drug.
  Precheck precheck(const security::Actor& actor, std::int64_t patientId,
                    std::optional<std::int64_t> drugId = std::nullopt,
                    std::string_view breakGlassReason = {});
  /// The warnings the input would raise (no write; prescription.precheck).
  std::vector<Warning> warnings(const security::Actor& actor, std::int64_t patientId,
                                const PrescriptionInput& input,
                                std::string_view breakGlassReason = {});
  /// A draft (prescription.write). Throws PrecheckFailed, RuleBroken, WarningsToAcknowledge,
  /// ValidationError (a field), NotFound (drug), AccessDenied.
  Prescription create(const security::Actor& actor, std::int64_t patientId,
                      const PrescriptionInput& input, std::string_view breakGlassReason = {});
  /// Discards a draft (prescription.write; signed ones are cancelled instead).
  void discard(const security::Actor& actor, std::int64_t prescriptionId,
               std::string_view breakGlassReason = {});
  /// Signs and routes (prescription.sign: the prescriber only). `factors` are required for a
  /// controlled drug. Throws AuthError (factors), AccountLocked, ValidationError (not a draft,
  /// no EPCS access, no cloud link), PrecheckFailed (something changed since entry),
  /// AccessDenied.
  Prescription sign(const security::Actor& actor, std::int64_t prescriptionId,
                    const std::optional<SigningFactors>& factors,
                    std::string_view breakGlassReason = {});
  /// Cancels a signed prescription (prescription.cancel: the prescriber): queues a CancelRx;
  /// the status moves to cancel_requested, then the pharmacy's answer. Throws ValidationError
  /// (not signed, already filled or cancelled).
  Prescription cancel(const security::Actor& actor, std::int64_t prescriptionId,
                      std::string_view reason, std::string_view breakGlassReason = {});
  /// One prescription (prescription.list's rule: the patient, the care team, admins).
  Prescription get(const security::Actor& actor, std::int64_t prescriptionId,
                   std::string_view breakGlassReason = {});
  /// The patient's prescriptions, newest first (prescription.list). Drafts are shown to staff
  /// only.
  std::vector<Prescription> list(const security::Actor& actor, std::int64_t patientId,
                                 std::string_view breakGlassReason = {});
  /// The patient's prescriptions read on `c`, newest first, drafts included: no check, no
  /// audit (the FHIR API authorises and audits its reads itself, issue 26).
  static std::vector<Prescription> forPatientIn(store::Connection& c,
                                                const crypto::FieldCipher& cipher,
                                                std::int64_t patientId);
  /// The prescriber's own signing log, newest first (prescription.signing_log).
  std::vector<SigningLogEntry> signingLog(const security::Actor& actor, int limit = 100);

  void setClinic(ClinicInfo clinic) { clinic_ = std::move(clinic); }

 private:
  /// The break-glass reason of an access to the patient: the request's, or "within emergency
  /// access" inside the window the clinician opened (AccessGuard::breakGlassReasonIn).
  std::string reasonFor(const security::Actor& actor, std::int64_t patientId,
                        std::string_view given);
  Precheck precheckIn(store::Connection& c, const security::Actor& actor, std::int64_t patientId,
                      const std::optional<Drug>& drug);
  std::vector<Warning> warningsIn(store::Connection& c, std::int64_t patientId, const Drug& drug);

  store::Database& db_;
  security::AuditLog& audit_;
  const crypto::FieldCipher& cipher_;
  patients::PatientRecordService& records_;
  security::AccountService& accounts_;
  sync::Link* link_;
  Clock& clock_;
  ClinicInfo clinic_;
};

/// The inbound handler of rx.status (register with sync::Link::onInbound before the link
/// starts): applies the pharmacy's status to the prescription once (its message id), audited
/// as the system.
std::function<void(store::Connection&, const sync::Header&, std::string_view)> statusHandler(
    security::AuditLog& audit, Clock& clock);

/// The sync stream of one prescription (its NewRx, then any CancelRx, in order).
std::string prescriptionStream(std::string_view uuid);

}  // namespace vigil::rx
