#pragma once
// Claims through the cloud clearinghouse (issue 24, docs/billing.md "Submission" to "Reports"):
// what the submission step needs to write an 837P (the practice as billing provider, the
// submitter, the payers' ids), what a run sent, the inbound handlers that apply the
// clearinghouse's answers once (claim.ack: the 999; claim.status: the 277CA; remittance: the
// 835), and the posted claim and the reports the portal shows.
//
// The handlers run inside the cloud link's inbox job (the message id recorded, the cursor moved
// and the change made in one transaction: a message is applied once). Beyond that, each answer
// is idempotent by its content: a 999 for a batch already acknowledged, a 277CA line already in
// the claim's history, or an 835 whose payment (payer id + trace number) is posted already
// changes nothing, under whatever message id it comes again. Answers may arrive out of order (the
// inbox does not order messages across pages): a claim's status only moves along the allowed
// transitions (an 835 on a claim still "submitted" first records the acceptance it implies), and
// a late answer is kept in the history with applied = false. Logs carry claim, batch and message
// ids and counts only: the X12 text (names, member ids, birth dates) never leaves the store.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vigil/core/clock.hpp"

namespace vigil::store {
class Connection;
}
namespace vigil::security {
class AuditLog;
}
namespace vigil::sync {
struct Header;
class Link;
}  // namespace vigil::sync

namespace vigil::billing {

/// The practice as the 837P's billing provider and submitter (configuration: billing.*).
struct SubmissionSettings {
  std::string practiceName;  // 2010AA NM103 and 1000A NM103
  std::string practiceNpi;   // type-2 group NPI; empty: each claim's billing NPI
  std::string taxonomy = "207Q00000X";
  std::string taxId;                          // 9 digits
  std::string addressLine, city, state, zip;  // zip: 9 digits
  std::string submitterId;                    // ETIN the clearinghouse assigned
  std::string contactName, contactPhone, contactEmail;
  std::string receiverName = "VIGIL CLOUD CLEARINGHOUSE";
  std::string receiverId = "CLEARHOUSE";
  char usage = 'P';
  /// Payer name (as the patient record holds it, case-insensitive) -> payer id (NM109 PI).
  std::map<std::string, std::string> payerIds;
  std::size_t maxClaims = 100;
  /// The names of settings the 837P needs that are empty or malformed ("" when complete).
  std::vector<std::string> missing() const;
};

/// "Name=ID,Name=ID" (billing.payer_ids) as a map with upper-cased names.
std::map<std::string, std::string> parsePayerIds(std::string_view text);

/// The payer id a claim is sent under: the configured one, else the payer's name reduced to
/// upper-case letters and digits (at most 10), which a real clearinghouse would refuse.
std::string payerIdFor(const SubmissionSettings& settings, std::string_view payerName);

/// SBR09 from the payer's name: MB (Medicare), MC (Medicaid), else CI (commercial).
std::string filingIndicatorFor(std::string_view payerName);

/// One 837P batch queued.
struct SubmittedBatch {
  std::string batch;    // BHT03, stream claims/<batch>
  std::string entryId;  // the outbox entry
  std::string billingNpi;
  std::vector<std::int64_t> claimIds;
  std::int64_t totalCents = 0;
};

/// What one submission run did.
struct SubmissionRun {
  std::vector<SubmittedBatch> batches;
  /// Claims left approved: (claim id, why: the 837P field, never a value).
  std::vector<std::pair<std::int64_t, std::string>> notSent;
  /// Why nothing was sent at all ("no_link", "settings: taxId, zip"), "" otherwise.
  std::string skipped;
};

// ------------------------------------------------------------------------ posted remittances

struct PostedAdjustment {
  std::optional<int> lineNo;  // nullopt: claim level
  std::string group, reason;
  std::int64_t amountCents = 0;
};

struct PostedLine {
  std::optional<int> lineNo;
  std::string procedureCode;
  std::int64_t chargeCents = 0, paidCents = 0;
  double units = 1;
};

/// What one 835 posted to one claim.
struct Posting {
  std::string traceNumber, payerName, paymentDate;
  std::string statusCode;  // CLP02
  std::string outcome;     // paid, denied, reversal
  std::int64_t chargeCents = 0, paidCents = 0, patientResponsibilityCents = 0;
  std::string payerClaimControl;
  bool balanced = true;
  TimePoint postedAt;
  std::vector<PostedLine> lines;
  std::vector<PostedAdjustment> adjustments;
};

struct ClaimSending {
  std::string batch, patientControl;
  TimePoint submittedAt;
  std::optional<std::string> ackCode;  // the 999's IK5
};

/// A claim's way through the clearinghouse: its sendings, status history and postings.
struct ClaimDetail {
  std::int64_t claimId = 0;
  std::string status;
  std::vector<ClaimSending> sendings;
  std::vector<Posting> postings;
  std::int64_t paidCents = 0, patientResponsibilityCents = 0;
};

// ---------------------------------------------------------------------------------- reports

struct StatusCount {
  std::string status;
  std::int64_t claims = 0, chargeCents = 0;
};
struct DenialReason {
  std::string group, reason;  // CAS group and CARC
  std::int64_t claims = 0, amountCents = 0;
};
struct MonthTrend {
  std::string month;  // the claims' service month (visits: the approval month), YYYY-MM
  std::int64_t claims = 0, chargeCents = 0, paidCents = 0, denied = 0;
  std::optional<double> averageDaysToPayment;
};
/// RPM enrolment and billing in one month: the patients with an RPM episode in force (enrolled,
/// with an RPM consent) on any day of the month (UTC month bounds), and those with an RPM month
/// claim approved for it.
struct EnrolmentMonth {
  std::string month;  // YYYY-MM
  std::int64_t enrolled = 0, claimed = 0;
};
struct ClaimsReport {
  std::vector<StatusCount> byStatus;
  std::vector<DenialReason> denialReasons;  // adjustments of denied claims, most claims first
  std::int64_t paidClaims = 0;
  std::optional<double> averageDaysToPayment;  // first sending to first payment posted
  std::optional<double> medianDaysToPayment;
  std::optional<double> maxDaysToPayment;
  std::vector<MonthTrend> months;         // oldest first, at most 12
  std::vector<EnrolmentMonth> enrolment;  // the 12 months to the current one, oldest first
  std::int64_t unbalancedRemittances = 0;
  std::int64_t unmatchedPayments = 0;
};

// ---------------------------------------------------------------------- the inbound handlers

using ClearinghouseHandler =
    std::function<void(store::Connection&, const sync::Header&, std::string_view)>;

/// claim.ack: a 999 for a batch; its set rejected -> the batch's claims rejected (the IK5 and
/// IK3 codes as detail); accepted -> recorded in their history.
ClearinghouseHandler acknowledgementHandler(security::AuditLog& audit, Clock& clock);
/// claim.status: a 277CA; per claim (TRN02 = CLM01) accepted (A1, A2, A5) or rejected, with
/// the STC category, status and entity codes as detail.
ClearinghouseHandler claimStatusHandler(security::AuditLog& audit, Clock& clock);
/// remittance: an 835; posts each payment once, claims paid or denied (paid 0 with
/// adjustments).
ClearinghouseHandler remittanceHandler(security::AuditLog& audit, Clock& clock);
/// Registers the three on `link` (before link.start()).
void registerClearinghouseHandlers(sync::Link& link, security::AuditLog& audit, Clock& clock);

}  // namespace vigil::billing
