#pragma once
// NCPDP SCRIPT Standard, version 2017071: the NewRx and CancelRx messages the box sends to a
// pharmacy (through the cloud Rx service). Only the elements the standard requires for these
// transactions in ambulatory prescribing are written, in the standard's order (docs/
// prescribing.md, "NCPDP SCRIPT"): the Header (To: the pharmacy's NCPDP ID, From: the
// prescriber's clinic, MessageID, SentTime, PrescriberOrderNumber; RelatesToMessageID on a
// CancelRx; the digital-signature indicator on a controlled substance signed under EPCS), the
// Patient (name, gender, date of birth, address), the Pharmacy (NCPDP ID, name), the Prescriber
// (NPI, DEA number for a controlled substance, name, address, telephone) and the
// MedicationPrescribed (description, the RxNorm code when known, the DEA schedule, quantity with
// its NCI unit code, days' supply, written date, substitution, refills, sig, note). Text is
// escaped for XML; nothing here is logged.

#include <optional>
#include <string>

namespace vigil::rx {

/// Everything a NewRx or CancelRx carries.
struct ScriptMessage {
  std::string messageId;    // unique per message
  std::string sentTime;     // RFC 3339 UTC
  std::string orderNumber;  // the prescription's uuid (PrescriberOrderNumber)
  std::string relatesTo;    // CancelRx: the NewRx's MessageID
  bool epcsSigned = false;
  // The pharmacy
  std::string pharmacyNcpdp, pharmacyName;
  // The prescriber
  std::string clinicId;  // the box (From)
  std::string prescriberNpi, prescriberDea, prescriberLast, prescriberFirst;
  std::string clinicAddress1, clinicCity, clinicState, clinicPostal, clinicPhone;
  // The patient
  std::string patientLast, patientFirst, patientGender = "U", patientBirthDate;
  std::string patientAddress1, patientCity, patientState, patientPostal;
  // The medication
  std::string drugDescription, rxcui;
  int schedule = 0;
  std::string quantity, quantityUnit;
  int daysSupply = 0;
  std::string writtenDate;  // YYYY-MM-DD
  bool substitution = true;
  int refills = 0;
  std::string sig, note;
};

/// The NCI Thesaurus code NCPDP uses for a DEA schedule (C48672 C-II ... C48677 C-V) or
/// nothing for a drug that is not controlled.
std::optional<std::string> deaScheduleCode(int schedule);
/// The NCI code of a quantity unit ("tablet" C48542, "capsule" C48480, "mL" C28254), else
/// C38046 (unspecified).
std::string quantityUnitCode(const std::string& unit);
/// Escapes &, <, >, " and ' and drops control characters other than tab and newline.
std::string xmlEscape(const std::string& text);

/// An id as SCRIPT's 35-character identifiers take it (MessageID, PrescriberOrderNumber): a
/// UUID without its dashes (32 hex digits).
std::string scriptId(const std::string& uuid);

std::string newRxXml(const ScriptMessage& m);
std::string cancelRxXml(const ScriptMessage& m);

}  // namespace vigil::rx
