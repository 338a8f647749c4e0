#pragma once
// The clearinghouse's two answers to an 837P:
// - the 999 implementation acknowledgement (005010X231A1): per transaction set of the received
//   group, accepted (A), accepted with errors (E) or rejected (R), with the syntax error codes;
// - the 277CA claim acknowledgement (005010X214): per claim, accepted into adjudication or
//   rejected, with the claim status category (A1..A8), status code and entity code of the
//   STC segment.
// Writers and readers of both; the readers share the tokenizer and envelope checks.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/x12/interchange.hpp"

namespace vigil::x12 {

inline constexpr std::string_view k999Version = "005010X231A1";
inline constexpr std::string_view k277caVersion = "005010X214";

/// IK3 (+ IK4): where in a set a syntax error was found.
struct SegmentError {
  std::string segmentId;        // IK301
  std::size_t position = 0;     // IK302: the segment's position in the set (ST is 1)
  std::string loop;             // IK303
  std::string code;             // IK304: 8 segment has data element errors, 3 missing segment ...
  std::string elementPosition;  // IK401 (when the error is in an element)
  std::string elementCode;      // IK403: 1 mandatory element missing, 7 invalid code value ...
};

/// AK2 ... IK5: one transaction set's acknowledgement.
struct SetAcknowledgement {
  std::string setId;                    // AK201, 837
  std::string controlNumber;            // AK202, the 837's ST02
  std::string version;                  // AK203
  std::string code;                     // IK501: A accepted, E accepted with errors, R rejected
  std::vector<std::string> errorCodes;  // IK502..: 5 segment errors, 1 not supported ...
  std::vector<SegmentError> segmentErrors;
  bool accepted() const { return code == "A" || code == "E"; }
};

/// A 999 for one received functional group.
struct Acknowledgement999 {
  Envelope envelope;
  std::string controlNumber = "0001";    // the 999's ST02
  std::string groupFunctionalId = "HC";  // AK101
  std::string groupControlNumber;        // AK102: the received GS06
  std::string groupVersion;              // AK103
  std::string groupCode;                 // AK901: A, E, P (partially accepted), R
  std::size_t setsIncluded = 0;          // AK902
  std::size_t setsReceived = 0;          // AK903
  std::size_t setsAccepted = 0;          // AK904
  std::vector<SetAcknowledgement> sets;
};

/// The 999 text. Throws X12Error(model) for a missing field.
std::string write999(const Acknowledgement999& ack);
/// Reads the first 999 set. Throws X12Error.
Acknowledgement999 parse999(std::string_view text);

/// One claim's line in a 277CA (loops 2000D/2200D).
struct ClaimAcknowledgement {
  std::string claimId;  // TRN02: the 837's CLM01
  bool accepted = false;
  std::string category;    // STC01-1: A1/A2 acknowledged/accepted, A3 returned, A6/A7/A8 rejected
  std::string statusCode;  // STC01-2: 20 accepted for processing, 21 missing or invalid info ...
  std::string entityCode;  // STC01-3: IL subscriber, QC patient, 85 billing provider ...
  std::int64_t chargeCents = 0;   // STC04
  std::string payerClaimControl;  // REF*1K (accepted claims)
  std::string serviceDate;        // DTP*472 (first line's date)
  std::string patientLastName;    // NM1*QC
  std::string patientFirstName;
  std::string memberId;
};

/// A 277CA for one received 837 batch.
struct ClaimStatusReport {
  Envelope envelope;
  std::string controlNumber = "0001";
  std::string batchId;      // BHT03: the 837's BHT03
  std::string createdDate;  // BHT04, CCYYMMDD
  std::string sourceName;   // 2100A NM1*AY: the clearinghouse
  std::string sourceId;
  std::string receiverName;  // 2100B NM1*41: the submitter
  std::string receiverId;
  std::string providerName;  // 2100C NM1*85: the billing provider
  std::string providerNpi;
  std::vector<ClaimAcknowledgement> claims;
};

/// The 277CA text. Throws X12Error(model) for a missing field.
std::string write277ca(const ClaimStatusReport& report);
/// Reads the first 277 set. Throws X12Error.
ClaimStatusReport parse277ca(std::string_view text);

}  // namespace vigil::x12
