#pragma once
// The professional claim, X12 837P 005010X222A1, as a plain model: what billing fills in from
// approved claims and what the writer turns into one interchange (one GS, one ST, a subscriber
// hierarchical level per claim). What is written, loop by loop, is in docs/billing-x12.md; the
// writer refuses (X12Error, kind model, naming the field) anything the implementation guide
// requires and the model lacks, so a file that leaves the box is complete.
//
// Dates are CCYYMMDD text, amounts whole cents, codes as the payer wants them (ICD-10-CM
// without the dot: "E119"; CPT/HCPCS "99454"; modifiers "95").

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/x12/interchange.hpp"

namespace vigil::x12 {

inline constexpr std::string_view k837pVersion = "005010X222A1";

/// A postal address (N3/N4). zip is 5 or 9 digits (the billing provider's must be 9).
struct Address {
  std::string line1;
  std::string line2;
  std::string city;
  std::string state;  // two letters
  std::string zip;
};

/// Loop 1000A: who sends the file (the practice or its billing service) and a contact (PER*IC).
struct Submitter {
  std::string name;  // organisation
  std::string id;    // NM109: the submitter id the clearinghouse assigned (ETIN)
  std::string contactName;
  std::string phone;  // digits
  std::string email;
};

/// Loop 1000B: who receives the file (the clearinghouse).
struct Receiver {
  std::string name;
  std::string id;
};

/// Loop 2000A/2010AA: the billing provider (an organisation with a type-2 NPI).
struct BillingProvider {
  std::string organizationName;
  std::string npi;       // 10 digits, Luhn-checked with the 80840 prefix
  std::string taxonomy;  // PRV*BI*PXC, e.g. 207Q00000X
  std::string taxId;     // REF*EI, 9 digits
  Address address;
};

/// A person on a claim: the subscriber (2010BA) or the patient when not the subscriber (2010CA).
struct Person {
  std::string lastName;
  std::string firstName;
  std::string middleName;
  std::string memberId;   // the subscriber's; unused for a dependent patient
  std::string birthDate;  // CCYYMMDD
  char gender = 'U';      // F, M, U
  Address address;
};

/// Loop 2010BB: the payer.
struct Payer {
  std::string name;
  std::string id;  // NM109 with qualifier PI (payer id)
};

/// Loop 2400: one service line.
struct ServiceLine {
  std::string procedureCode;           // CPT/HCPCS, SV101-2 with qualifier HC
  std::vector<std::string> modifiers;  // up to 4, e.g. "95"
  std::int64_t chargeCents = 0;
  double units = 1;                       // SV104 with SV103 UN
  std::string serviceDate;                // DTP*472*D8
  std::vector<int> diagnosisPointers{1};  // SV107: 1-based into Claim::diagnosisCodes, up to 4
  std::string lineControl;                // REF*6R (optional): the box's line id
};

/// Loop 2300: one claim with its subscriber (2000B) and, when the patient is not the
/// subscriber, the patient (2000C).
struct Claim {
  std::string claimId;                // CLM01, the patient control number the 835 returns in CLP01
  std::int64_t totalChargeCents = 0;  // must equal the sum of the lines
  std::string placeOfService = "10";  // 02 telehealth, 10 telehealth in the home, 11 office
  char frequency = '1';               // CLM05-3: 1 original, 7 replacement, 8 void
  std::vector<std::string> diagnosisCodes;  // first is principal (ABK), others ABF; up to 12
  std::string payerResponsibility = "P";    // SBR01: P primary, S secondary, T tertiary
  std::string claimFilingIndicator = "MB";  // SBR09: MB Medicare Part B, CI commercial, MC Medicaid
  Person subscriber;
  std::optional<Person> patient;    // set when the patient is not the subscriber
  std::string patientRelationship;  // PAT01 when patient is set: 01 spouse, 19 child, G8 other
  Payer payer;
  std::string renderingProviderNpi;  // 2310B, written when it differs from the billing NPI
  std::string renderingLastName;
  std::string renderingFirstName;
  std::string renderingTaxonomy;   // PRV*PE (optional)
  std::vector<ServiceLine> lines;  // 1-50
};

/// One 837P file: the envelope, the BHT and the claims of one billing provider.
struct ClaimBatch {
  Envelope envelope;  // sender/receiver ids, date, time, control numbers, usage
  std::string transactionControlNumber = "0001";  // ST02/SE02
  std::string batchId;  // BHT03: the originator's reference, returned in the 999/277CA
  Submitter submitter;
  Receiver receiver;
  BillingProvider billingProvider;
  std::vector<Claim> claims;
};

/// The 837P text of `batch`. Throws X12Error(model) naming the first field that is missing or
/// invalid (see docs/billing-x12.md, "What the writer checks").
std::string write837p(const ClaimBatch& batch);

/// Reads an 837P interchange back into the model (every claim of every 837 set, with the values
/// written; fields the model has no place for are skipped). Throws X12Error on malformed,
/// truncated or envelope faults, and kind content for an 837 whose loops are out of order (a CLM
/// before its subscriber, an SV1 before its LX).
ClaimBatch parse837p(std::string_view text);

/// True when `npi` is 10 digits whose last is the Luhn check digit over "80840" + the first 9.
bool validNpi(std::string_view npi);

}  // namespace vigil::x12
