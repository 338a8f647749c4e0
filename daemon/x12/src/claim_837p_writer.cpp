// The 837P writer. The segment order is the implementation guide's (005010X222A1):
//   ST BHT | 1000A NM1*41 PER*IC | 1000B NM1*40 |
//   2000A HL*20 PRV*BI | 2010AA NM1*85 N3 N4 REF*EI |
//   per claim: 2000B HL*22 SBR | 2010BA NM1*IL N3 N4 DMG | 2010BB NM1*PR |
//              [2000C HL*23 PAT | 2010CA NM1*QC N3 N4 DMG] |
//              2300 CLM HI | [2310B NM1*82 PRV*PE] |
//              2400 LX SV1 DTP*472 [REF*6R] ... | SE
// One subscriber level per claim keeps every claim self-contained (a rejected claim is resent
// alone); the guide allows several 2000B under one 2000A. Validation runs before any text is
// written, so a refused batch yields nothing.
#include <cctype>
#include <cmath>
#include <set>

#include "segment_writer.hpp"
#include "vigil/x12/claim_837p.hpp"

namespace vigil::x12 {
namespace {

using detail::require;
using detail::SegmentWriter;

[[noreturn]] void refuse(const std::string& field, const std::string& rule) {
  throw X12Error(X12ErrorKind::model, 0, field + " " + rule);
}

bool allDigits(std::string_view v, std::size_t size) {
  if (v.size() != size) return false;
  for (char c : v)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

bool isDate(std::string_view v) {
  if (!allDigits(v, 8)) return false;
  int month = (v[4] - '0') * 10 + (v[5] - '0');
  int day = (v[6] - '0') * 10 + (v[7] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

void checkAddress(const Address& a, const std::string& field, bool nineDigitZip) {
  require(a.line1, field + ".line1");
  require(a.city, field + ".city");
  if (a.state.size() != 2 || !std::isupper(static_cast<unsigned char>(a.state[0])) ||
      !std::isupper(static_cast<unsigned char>(a.state[1])))
    refuse(field + ".state", "must be a two-letter state code");
  if (!(allDigits(a.zip, 9) || (!nineDigitZip && allDigits(a.zip, 5))))
    refuse(field + ".zip", nineDigitZip ? "must be 9 digits" : "must be 5 or 9 digits");
}

void checkPerson(const Person& p, const std::string& field, bool subscriberIsPatient) {
  require(p.lastName, field + ".lastName");
  if (subscriberIsPatient || field == "patient") {
    checkAddress(p.address, field + ".address", false);
    if (!isDate(p.birthDate)) refuse(field + ".birthDate", "must be CCYYMMDD");
    if (p.gender != 'F' && p.gender != 'M' && p.gender != 'U')
      refuse(field + ".gender", "must be F, M or U");
  }
}

bool validDiagnosis(std::string_view code) {
  // ICD-10-CM without the dot: a letter, a digit, then 1-5 letters or digits.
  if (code.size() < 3 || code.size() > 7) return false;
  if (!std::isupper(static_cast<unsigned char>(code[0])) ||
      !std::isdigit(static_cast<unsigned char>(code[1])))
    return false;
  for (char c : code.substr(2))
    if (!std::isupper(static_cast<unsigned char>(c)) &&
        !std::isdigit(static_cast<unsigned char>(c)))
      return false;
  return true;
}

bool validProcedure(std::string_view code) {
  // CPT: 5 digits or 4 digits and a letter; HCPCS level II: a letter and 4 digits.
  if (code.size() != 5) return false;
  for (char c : code)
    if (!std::isupper(static_cast<unsigned char>(c)) &&
        !std::isdigit(static_cast<unsigned char>(c)))
      return false;
  return true;
}

void checkLine(const ServiceLine& l, const std::string& field, std::size_t diagnoses) {
  if (!validProcedure(l.procedureCode))
    refuse(field + ".procedureCode", "must be a 5-character CPT/HCPCS code");
  if (l.modifiers.size() > 4) refuse(field + ".modifiers", "at most 4");
  for (const auto& m : l.modifiers)
    if (m.size() != 2) refuse(field + ".modifiers", "each must be 2 characters");
  if (l.chargeCents < 0) refuse(field + ".chargeCents", "must not be negative");
  if (!(l.units > 0) || l.units > 99999) refuse(field + ".units", "must be above 0");
  if (!isDate(l.serviceDate)) refuse(field + ".serviceDate", "must be CCYYMMDD");
  if (l.diagnosisPointers.empty() || l.diagnosisPointers.size() > 4)
    refuse(field + ".diagnosisPointers", "must be 1-4 pointers");
  for (int p : l.diagnosisPointers)
    if (p < 1 || static_cast<std::size_t>(p) > diagnoses)
      refuse(field + ".diagnosisPointers", "must point at a diagnosis code of the claim");
}

void checkClaim(const Claim& c, const std::string& field, const BillingProvider& billing) {
  require(c.claimId, field + ".claimId");
  if (c.claimId.size() > 38) refuse(field + ".claimId", "must be at most 38 characters");
  static const std::set<std::string> kPlaces{"02", "10", "11"};
  if (kPlaces.count(c.placeOfService) == 0)
    refuse(field + ".placeOfService", "must be 02, 10 or 11");
  if (c.frequency != '1' && c.frequency != '7' && c.frequency != '8')
    refuse(field + ".frequency", "must be 1, 7 or 8");
  if (c.diagnosisCodes.empty() || c.diagnosisCodes.size() > 12)
    refuse(field + ".diagnosisCodes", "must be 1-12 codes");
  for (const auto& d : c.diagnosisCodes)
    if (!validDiagnosis(d)) refuse(field + ".diagnosisCodes", "must be ICD-10-CM without the dot");
  if (c.payerResponsibility != "P" && c.payerResponsibility != "S" && c.payerResponsibility != "T")
    refuse(field + ".payerResponsibility", "must be P, S or T");
  require(c.claimFilingIndicator, field + ".claimFilingIndicator");
  checkPerson(c.subscriber, field + ".subscriber", !c.patient.has_value());
  require(c.subscriber.memberId, field + ".subscriber.memberId");
  if (c.patient) {
    checkPerson(*c.patient, "patient", false);
    static const std::set<std::string> kRelations{"01", "19", "20", "21", "39", "40", "53", "G8"};
    if (kRelations.count(c.patientRelationship) == 0)
      refuse(field + ".patientRelationship",
             "must be a PAT01 code (01, 19, 20, 21, 39, 40, 53, G8)");
  }
  require(c.payer.name, field + ".payer.name");
  require(c.payer.id, field + ".payer.id");
  if (!c.renderingProviderNpi.empty() && c.renderingProviderNpi != billing.npi) {
    if (!validNpi(c.renderingProviderNpi))
      refuse(field + ".renderingProviderNpi", "is not a valid NPI");
    require(c.renderingLastName, field + ".renderingLastName");
  }
  if (c.lines.empty() || c.lines.size() > 50) refuse(field + ".lines", "must be 1-50 lines");
  std::int64_t sum = 0;
  for (std::size_t i = 0; i < c.lines.size(); ++i) {
    checkLine(c.lines[i], field + ".lines[" + std::to_string(i) + "]", c.diagnosisCodes.size());
    sum += c.lines[i].chargeCents;
  }
  if (sum != c.totalChargeCents)
    refuse(field + ".totalChargeCents", "must equal the sum of the line charges");
}

void checkBatch(const ClaimBatch& b) {
  require(b.batchId, "batchId");
  if (b.transactionControlNumber.size() < 4 || b.transactionControlNumber.size() > 9)
    refuse("transactionControlNumber", "must be 4-9 characters");
  require(b.submitter.name, "submitter.name");
  require(b.submitter.id, "submitter.id");
  require(b.submitter.contactName, "submitter.contactName");
  if (b.submitter.phone.empty() && b.submitter.email.empty())
    refuse("submitter", "needs a phone or an e-mail");
  require(b.receiver.name, "receiver.name");
  require(b.receiver.id, "receiver.id");
  const BillingProvider& p = b.billingProvider;
  require(p.organizationName, "billingProvider.organizationName");
  if (!validNpi(p.npi)) refuse("billingProvider.npi", "is not a valid NPI");
  if (p.taxonomy.size() != 10) refuse("billingProvider.taxonomy", "must be 10 characters");
  if (!allDigits(p.taxId, 9)) refuse("billingProvider.taxId", "must be 9 digits");
  checkAddress(p.address, "billingProvider.address", true);
  if (b.claims.empty()) refuse("claims", "must hold at least one claim");
  std::set<std::string> ids;
  for (std::size_t i = 0; i < b.claims.size(); ++i) {
    checkClaim(b.claims[i], "claims[" + std::to_string(i) + "]", p);
    if (!ids.insert(b.claims[i].claimId).second)
      refuse("claims[" + std::to_string(i) + "].claimId", "is not unique in the batch");
  }
}

std::string quantity(double units) {
  double whole = std::floor(units);
  if (whole == units) return std::to_string(static_cast<long long>(whole));
  std::string s = std::to_string(units);  // 6 decimals, trailing zeros dropped
  while (!s.empty() && s.back() == '0') s.pop_back();
  return s;
}

void writeAddress(SegmentWriter& w, const Address& a) {
  w.add({"N3", a.line1, a.line2});
  w.add({"N4", a.city, a.state, a.zip});
}

void writePerson(SegmentWriter& w, const Person& p, std::string_view entity, bool withId) {
  w.add({"NM1", entity, "1", p.lastName, p.firstName, p.middleName, "", "", withId ? "MI" : "",
         withId ? std::string_view(p.memberId) : std::string_view()});
  writeAddress(w, p.address);
  w.add({"DMG", "D8", p.birthDate, std::string(1, p.gender)});
}

void writeLines(SegmentWriter& w, const Claim& c) {
  for (std::size_t i = 0; i < c.lines.size(); ++i) {
    const ServiceLine& l = c.lines[i];
    auto mod = [&](std::size_t k) {
      return k < l.modifiers.size() ? std::string_view(l.modifiers[k]) : std::string_view();
    };
    std::string pointers[4];
    for (std::size_t k = 0; k < l.diagnosisPointers.size() && k < 4; ++k)
      pointers[k] = std::to_string(l.diagnosisPointers[k]);
    w.add({"LX", std::to_string(i + 1)});
    w.add({"SV1", SegmentWriter::composite({"HC", l.procedureCode, mod(0), mod(1), mod(2), mod(3)}),
           formatAmount(l.chargeCents), "UN", quantity(l.units), "", "",
           SegmentWriter::composite({pointers[0], pointers[1], pointers[2], pointers[3]})});
    w.add({"DTP", "472", "D8", l.serviceDate});
    if (!l.lineControl.empty()) w.add({"REF", "6R", l.lineControl});
  }
}

void writeClaim(SegmentWriter& w, const Claim& c, const BillingProvider& billing, int& hl) {
  const int subscriberHl = ++hl;
  const bool dependent = c.patient.has_value();
  w.add({"HL", std::to_string(subscriberHl), "1", "22", dependent ? "1" : "0"});
  w.add({"SBR", c.payerResponsibility, dependent ? "" : "18", "", "", "", "", "", "",
         c.claimFilingIndicator});
  if (dependent) {
    w.add({"NM1", "IL", "1", c.subscriber.lastName, c.subscriber.firstName, c.subscriber.middleName,
           "", "", "MI", c.subscriber.memberId});
  } else {
    writePerson(w, c.subscriber, "IL", true);
  }
  w.add({"NM1", "PR", "2", c.payer.name, "", "", "", "", "PI", c.payer.id});
  if (dependent) {
    w.add({"HL", std::to_string(++hl), std::to_string(subscriberHl), "23", "0"});
    w.add({"PAT", c.patientRelationship});
    writePerson(w, *c.patient, "QC", false);
  }
  w.add({"CLM", c.claimId, formatAmount(c.totalChargeCents), "", "",
         SegmentWriter::composite({c.placeOfService, "B", std::string(1, c.frequency)}), "Y", "A",
         "Y", "Y"});
  // HI: up to 12 codes in one segment, ABK for the principal, ABF for the others.
  std::vector<detail::Composite> codes;
  for (std::size_t i = 0; i < c.diagnosisCodes.size(); ++i)
    codes.push_back(SegmentWriter::composite({i == 0 ? "ABK" : "ABF", c.diagnosisCodes[i]}));
  codes.resize(12);
  w.add({"HI", codes[0], codes[1], codes[2], codes[3], codes[4], codes[5], codes[6], codes[7],
         codes[8], codes[9], codes[10], codes[11]});
  if (!c.renderingProviderNpi.empty() && c.renderingProviderNpi != billing.npi) {
    w.add({"NM1", "82", "1", c.renderingLastName, c.renderingFirstName, "", "", "", "XX",
           c.renderingProviderNpi});
    if (!c.renderingTaxonomy.empty()) w.add({"PRV", "PE", "PXC", c.renderingTaxonomy});
  }
  writeLines(w, c);
}

}  // namespace

bool validNpi(std::string_view npi) {
  if (!allDigits(npi, 10)) return false;
  // Luhn over the prefix 80840 and the first nine digits; the tenth is the check digit.
  std::string digits = "80840" + std::string(npi.substr(0, 9));
  int sum = 0;
  bool doubled = true;  // the rightmost digit of the payload is doubled
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (doubled) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    doubled = !doubled;
  }
  int check = (10 - sum % 10) % 10;
  return check == npi[9] - '0';
}

std::string write837p(const ClaimBatch& b) {
  checkBatch(b);
  SegmentWriter w;
  w.beginSet("837", b.transactionControlNumber, k837pVersion);
  w.add({"BHT", "0019", "00", b.batchId, b.envelope.date, b.envelope.time, "CH"});
  w.add({"NM1", "41", "2", b.submitter.name, "", "", "", "", "46", b.submitter.id});
  if (!b.submitter.phone.empty() && !b.submitter.email.empty())
    w.add({"PER", "IC", b.submitter.contactName, "TE", b.submitter.phone, "EM", b.submitter.email});
  else if (!b.submitter.phone.empty())
    w.add({"PER", "IC", b.submitter.contactName, "TE", b.submitter.phone});
  else
    w.add({"PER", "IC", b.submitter.contactName, "EM", b.submitter.email});
  w.add({"NM1", "40", "2", b.receiver.name, "", "", "", "", "46", b.receiver.id});
  const BillingProvider& p = b.billingProvider;
  int hl = 1;
  w.add({"HL", "1", "", "20", "1"});
  w.add({"PRV", "BI", "PXC", p.taxonomy});
  w.add({"NM1", "85", "2", p.organizationName, "", "", "", "", "XX", p.npi});
  writeAddress(w, p.address);
  w.add({"REF", "EI", p.taxId});
  for (const auto& c : b.claims) writeClaim(w, c, p, hl);
  w.endSet(b.transactionControlNumber);
  return detail::enveloped(b.envelope, "HC", k837pVersion, w.text());
}

}  // namespace vigil::x12
