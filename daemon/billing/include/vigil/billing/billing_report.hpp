#pragma once
// Billing for the practice reports (issue 30, docs/reports.md "Billing"): claim lines by code
// and month of service, claims by status, payments posted per month and denials by reason, each
// with the patients behind it so vigil::analytics can hide a small cell. No audit here: the
// caller authorises and audits the report. Served by the indexes claim_lines_by_service_date
// and remittance_claims_by_posted (migration 0041).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/core/tally.hpp"

namespace vigil::store {
class Connection;
}

namespace vigil::billing {

/// The claim lines of one CPT/HCPCS code in one month of service.
struct CodeMonth {
  std::string code;
  std::string month;  // YYYY-MM of the lines' date of service
  std::int64_t units = 0;
  std::int64_t chargeCents = 0;
  PatientTally lines;  // count: claim lines
};

/// The claims in one status (their current status).
struct StatusClaims {
  std::string status;  // approved, submitted, accepted, rejected, paid, denied
  std::int64_t chargeCents = 0;
  PatientTally claims;  // count: claims
};

/// The payments posted in one month (UTC month of posting).
struct MonthPayments {
  std::string month;  // YYYY-MM
  std::int64_t paidCents = 0;
  PatientTally postings;  // count: paid or reversed claim postings
};

/// The adjustments of denied claims under one CAS group and reason code (CARC).
struct DenialReasonTally {
  std::string group, reason;
  std::int64_t amountCents = 0;
  PatientTally claims;  // count: distinct denied claims with such an adjustment
};

struct BillingReport {
  TimePoint from;
  TimePoint to;
  /// Claim lines whose date of service (its 00:00 UTC) falls in [from, to), by code then month.
  std::vector<CodeMonth> byCodeAndMonth;
  /// The claims with at least one of those lines, by status (alphabetical).
  std::vector<StatusClaims> byStatus;
  /// Payments posted in [from, to) to a claim, oldest month first.
  std::vector<MonthPayments> payments;
  std::int64_t paidCents = 0;
  /// Claims whose denial (an 835 posting with outcome denied) was posted in [from, to).
  PatientTally denied;  // count: distinct claims
  /// Their adjustments by reason, most claims first, then amount, group, reason.
  std::vector<DenialReasonTally> denialsByReason;
};

/// The billing figures of [from, to) (from < to) for the patients `scope` covers.
BillingReport billingReportIn(store::Connection& c, TimePoint from, TimePoint to,
                              const ReportScope& scope);

}  // namespace vigil::billing
