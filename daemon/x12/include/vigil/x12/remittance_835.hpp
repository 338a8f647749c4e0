#pragma once
// The remittance advice, X12 835 005010X221A1: what a payer paid, claim by claim and line by line,
// with every adjustment (CAS: group CO/PR/OA/PI, reason, amount) at claim and line level, and the
// provider-level adjustments (PLB). parse835 reads each 835 set of an interchange; balanced()
// is the guide's balance check: the claims' payments minus the PLB amounts equal the BPR total.
// write835 is for the cloud stand-in's clearinghouse and for tests.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/x12/interchange.hpp"

namespace vigil::x12 {

inline constexpr std::string_view k835Version = "005010X221A1";

/// One adjustment of a CAS segment (a CAS carries up to six of one group).
struct Adjustment {
  std::string group;   // CO contractual, PR patient responsibility, OA other, PI payer initiated
  std::string reason;  // CARC, e.g. 45, 2 (coinsurance), 96 (non-covered)
  std::int64_t amountCents = 0;
  double quantity = 0;
};

/// Loop 2110: one service line's payment.
struct ServicePayment {
  std::string procedureQualifier = "HC";
  std::string procedureCode;
  std::vector<std::string> modifiers;
  std::int64_t chargeCents = 0;
  std::int64_t paidCents = 0;
  double units = 1;         // SVC05, 1 when absent
  std::string serviceDate;  // DTM*472 (or *150, the period's start)
  std::string lineControl;  // REF*6R: the line id the 837 sent
  std::vector<Adjustment> adjustments;
  std::size_t segment = 0;  // the SVC's number in the interchange
};

/// Loop 2100: one claim's payment.
struct ClaimPayment {
  std::string claimId;  // CLP01: the 837's CLM01
  std::string status;   // CLP02: 1 primary, 2 secondary, 3 tertiary, 4 denied, 22 reversal ...
  std::int64_t chargeCents = 0;
  std::int64_t paidCents = 0;
  std::int64_t patientResponsibilityCents = 0;
  std::string filingIndicator;          // CLP06
  std::string payerClaimControl;        // CLP07
  std::vector<Adjustment> adjustments;  // claim level
  std::vector<ServicePayment> lines;
  std::size_t segment = 0;  // the CLP's number in the interchange

  /// The sum of the claim's adjustments, claim and line level.
  std::int64_t adjustmentCents() const;
  /// CLP03 - CLP04 equals adjustmentCents(): every cent of the charge is paid or explained
  /// (the guide's claim balancing; a claim that does not balance is one to work by hand).
  bool balanced() const { return chargeCents - paidCents == adjustmentCents(); }
};

/// One PLB adjustment (a PLB carries up to six).
struct ProviderAdjustment {
  std::string providerId;        // PLB01
  std::string fiscalPeriod;      // PLB02, CCYYMMDD
  std::string reason;            // PLB03-1, e.g. WO overpayment recovery, CV capital, L6 interest
  std::string reference;         // PLB03-2
  std::int64_t amountCents = 0;  // positive reduces the payment
};

/// A payer (N1*PR) or payee (N1*PE).
struct Party {
  std::string name;
  std::string idQualifier;  // N103: XX (NPI), FI (tax id), PI, XV ...
  std::string id;
  std::string addressLine;
  std::string city;
  std::string state;
  std::string zip;
};

/// One 835 transaction set.
struct Remittance {
  std::string controlNumber;      // ST02
  std::string handling;           // BPR01: I remittance with payment, H advice only ...
  std::int64_t totalCents = 0;    // BPR02
  std::string creditDebit = "C";  // BPR03
  std::string paymentMethod;      // BPR04: ACH, CHK, NON
  std::string paymentDate;        // BPR16
  std::string traceNumber;        // TRN02: check or EFT number
  std::string originatorId;       // TRN03
  std::string productionDate;     // DTM*405
  Party payer;
  std::string payerContactPhone;  // PER*BL
  Party payee;
  std::vector<ClaimPayment> claims;
  std::vector<ProviderAdjustment> providerAdjustments;

  /// Σ CLP04 − Σ PLB amounts.
  std::int64_t computedTotalCents() const;
  /// computedTotalCents() == BPR02.
  bool balanced() const { return computedTotalCents() == totalCents; }
};

/// An 835 interchange: its envelope and every 835 set.
struct RemittanceFile {
  Envelope envelope;
  std::vector<Remittance> remittances;
  bool balanced() const;
};

/// Reads every 835 set. Throws X12Error: malformed, truncated or envelope faults; content for
/// an 835 without BPR/TRN/N1*PR/N1*PE, or a CAS/SVC outside a claim.
RemittanceFile parse835(std::string_view text);

/// One interchange holding one 835 set for `remittance` (amounts as given; the caller balances).
/// Throws X12Error(model) for a missing required field.
std::string write835(const Envelope& envelope, const Remittance& remittance);

}  // namespace vigil::x12
