// The clearinghouse and its one payer, in order:
// 1. the 837P's interchange must read (vigil::x12::parseInterchange), else the entry is refused
//    (422 invalid_payload, the segment number in the detail): no 999 can name a group it could
//    not read;
// 2. the 837 sets are read (parse837p); a set whose loops are out of order is rejected in the 999
//    (IK3 at the segment's position in the set, IK5 R 5, AK9 R) and nothing else is answered;
// 3. otherwise the 999 accepts the set, the 277CA accepts each claim (A2:20) except one without a
//    subscriber member id (NM1*IL NM109), rejected A6:21:IL, and the 835 pays the accepted
//    claims per line: allowed = min(charge, fee x units); CO-45 the charge above it; PR-2 the
//    20 % coinsurance of the allowed amount (rounded half up to the cent); paid the rest. A code
//    outside the fee schedule is denied: paid 0, CO-96 for the whole charge. A claim whose
//    lines are all denied has status 4; the 835 balances (BPR = sum of CLP04, no PLB).
#include "clearinghouse.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "vigil/core/json_text.hpp"
#include "vigil/core/time.hpp"
#include "vigil/x12/acknowledgement.hpp"
#include "vigil/x12/claim_837p.hpp"
#include "vigil/x12/remittance_835.hpp"

namespace vigil::cloudsim {
namespace {

namespace x12 = vigil::x12;

struct Fee {
  std::string_view cpt;
  std::int64_t cents;
};
constexpr std::array<Fee, 9> kFeeSchedule{{
    {"99453", 1973},
    {"99454", 4302},
    {"99445", 2150},
    {"99457", 4787},
    {"99458", 3849},
    {"99470", 2600},
    {"99091", 5100},
    {"99213", 9100},
    {"99214", 12800},
}};

constexpr std::string_view kClearinghouseName = "VIGIL CLOUD CLEARINGHOUSE";
constexpr std::string_view kPayerName = "VIGIL STAND-IN PAYER";
constexpr std::string_view kPayerTaxId = "1999999999";

std::string payload(const std::string& batch, const std::string& text) {
  std::string out = "{\"batch\":";
  core::appendJsonString(out, batch);
  out += ",\"x12\":";
  core::appendJsonString(out, text);
  return out + "}";
}

// The replies' envelope: from the 837's receiver back to its sender, dated now.
x12::Envelope replyEnvelope(const x12::Envelope& in, std::int64_t nowMs) {
  std::string stamp = core::formatUtc(core::fromMillis(nowMs), core::Fraction::millis);
  x12::Envelope e;
  e.senderQualifier = in.receiverQualifier.empty() ? "ZZ" : in.receiverQualifier;
  e.senderId = in.receiverId.empty() ? "CLEARHOUSE" : in.receiverId;
  e.receiverQualifier = in.senderQualifier.empty() ? "ZZ" : in.senderQualifier;
  e.receiverId = in.senderId.empty() ? "SUBMITTER" : in.senderId;
  e.date = stamp.substr(0, 4) + stamp.substr(5, 2) + stamp.substr(8, 2);
  e.time = stamp.substr(11, 2) + stamp.substr(14, 2);
  e.controlNumber = std::to_string((nowMs / 1000) % 1'000'000'000);
  e.groupControlNumber = e.controlNumber;
  e.usage = in.usage == 'T' ? 'T' : 'P';
  return e;
}

x12::Acknowledgement999 ack999(const x12::Interchange& in, std::int64_t nowMs) {
  x12::Acknowledgement999 a;
  a.envelope = replyEnvelope(in.envelope, nowMs);
  const x12::FunctionalGroup& g = in.groups.front();
  a.groupFunctionalId = g.functionalId.empty() ? "HC" : g.functionalId;
  a.groupControlNumber = g.controlNumber;
  a.groupVersion = g.version;
  a.setsIncluded = a.setsReceived = g.sets.size();
  for (const auto& s : g.sets) {
    x12::SetAcknowledgement ack;
    ack.setId = s.id;
    ack.controlNumber = s.controlNumber;
    ack.version = s.version;
    ack.code = s.id == "837" ? "A" : "R";
    if (s.id != "837") ack.errorCodes = {"1"};  // transaction set not supported
    a.sets.push_back(std::move(ack));
  }
  return a;
}

void finish999(x12::Acknowledgement999& a) {
  a.setsAccepted = 0;
  for (const auto& s : a.sets)
    if (s.accepted()) ++a.setsAccepted;
  a.groupCode = a.setsAccepted == a.setsReceived ? "A" : a.setsAccepted == 0 ? "R" : "P";
}

// A set whose content broke a loop rule: rejected with the segment's position in its set.
void rejectContent(x12::Acknowledgement999& a, const x12::Interchange& in,
                   const x12::X12Error& error) {
  for (auto& ack : a.sets) {
    for (const auto& s : in.groups.front().sets) {
      if (s.controlNumber != ack.controlNumber) continue;
      std::size_t last = s.stSegment + s.segments.size() + 1;
      if (error.segment() < s.stSegment || error.segment() > last) continue;
      std::string segId = "ST";
      std::size_t at = error.segment() - s.stSegment;
      if (at >= 1 && at <= s.segments.size()) segId = s.segments[at - 1].id;
      ack.code = "R";
      ack.errorCodes = {"5"};                                  // one or more segments in error
      ack.segmentErrors = {{segId, at + 1, "", "2", "", ""}};  // 2: unexpected segment
    }
  }
}

x12::ClaimPayment adjudicate(const x12::Claim& claim, const std::string& payerControl) {
  x12::ClaimPayment p;
  p.claimId = claim.claimId;
  p.chargeCents = claim.totalChargeCents;
  p.filingIndicator = claim.claimFilingIndicator;
  p.payerClaimControl = payerControl;
  bool anyPaid = false;
  for (const auto& line : claim.lines) {
    x12::ServicePayment s;
    s.procedureCode = line.procedureCode;
    s.modifiers = line.modifiers;
    s.chargeCents = line.chargeCents;
    s.units = line.units;
    s.serviceDate = line.serviceDate;
    s.lineControl = line.lineControl;
    std::int64_t fee = feeCents(line.procedureCode);
    if (fee < 0) {
      s.paidCents = 0;
      s.adjustments.push_back({"CO", "96", line.chargeCents, 0});  // non-covered charge
    } else {
      auto schedule = static_cast<std::int64_t>(static_cast<double>(fee) * line.units + 0.5);
      std::int64_t allowed = std::min(line.chargeCents, schedule);
      std::int64_t coinsurance = (allowed * kCoinsurancePercent + 50) / 100;
      s.paidCents = allowed - coinsurance;
      if (line.chargeCents > allowed)
        s.adjustments.push_back({"CO", "45", line.chargeCents - allowed, 0});
      if (coinsurance > 0) s.adjustments.push_back({"PR", "2", coinsurance, 0});
      p.patientResponsibilityCents += coinsurance;
      anyPaid = true;
    }
    p.paidCents += s.paidCents;
    p.lines.push_back(std::move(s));
  }
  p.status = anyPaid ? "1" : "4";
  return p;
}

}  // namespace

std::int64_t feeCents(const std::string& cpt) {
  for (const auto& f : kFeeSchedule)
    if (f.cpt == cpt) return f.cents;
  return -1;
}

namespace {

std::vector<Reply> answer(const std::string& entryId, const std::string& batch,
                          const std::string& text, std::int64_t nowMs) {
  x12::Interchange in;
  try {
    in = x12::parseInterchange(text);
  } catch (const x12::X12Error& e) {
    throw PayloadRefused("invalid_payload", "payload.x12: " + std::string(e.kindName()) +
                                                " at segment " + std::to_string(e.segment()));
  }
  if (in.groups.size() != 1)
    throw PayloadRefused("invalid_payload", "payload.x12: one functional group per claim.submit");
  std::vector<Reply> out;
  x12::Acknowledgement999 ack = ack999(in, nowMs);
  x12::ClaimBatch claims;
  bool readable = true;
  try {
    claims = x12::parse837p(text);
  } catch (const x12::X12Error& e) {
    rejectContent(ack, in, e);
    readable = false;
  }
  finish999(ack);
  out.push_back({"clearinghouse", "claim.ack", payload(batch, x12::write999(ack))});
  if (!readable || ack.setsAccepted == 0) return out;

  x12::Envelope envelope = replyEnvelope(in.envelope, nowMs);
  x12::ClaimStatusReport report;
  report.envelope = envelope;
  report.batchId = claims.batchId.empty() ? batch : claims.batchId;
  report.createdDate = envelope.date;
  report.sourceName = kClearinghouseName;
  report.sourceId = envelope.senderId;
  report.receiverName = claims.submitter.name.empty() ? "SUBMITTER" : claims.submitter.name;
  report.receiverId = claims.submitter.id.empty() ? envelope.receiverId : claims.submitter.id;
  report.providerName = claims.billingProvider.organizationName.empty()
                            ? "BILLING PROVIDER"
                            : claims.billingProvider.organizationName;
  report.providerNpi =
      claims.billingProvider.npi.empty() ? "0000000000" : claims.billingProvider.npi;
  x12::Remittance remittance;
  remittance.controlNumber = "0001";
  remittance.paymentDate = envelope.date;
  remittance.productionDate = envelope.date;
  remittance.traceNumber = entryId;
  remittance.originatorId = std::string(kPayerTaxId);
  remittance.payer = {std::string(kPayerName), "", "", "", "", "", ""};
  remittance.payee = {report.providerName, "XX", report.providerNpi, "", "", "", ""};
  int n = 0;
  for (const auto& c : claims.claims) {
    x12::ClaimAcknowledgement a;
    a.claimId = c.claimId.empty() ? "UNKNOWN" : c.claimId;
    a.chargeCents = c.totalChargeCents;
    const x12::Person& patient = c.patient ? *c.patient : c.subscriber;
    a.patientLastName = patient.lastName.empty() ? "UNKNOWN" : patient.lastName;
    a.patientFirstName = patient.firstName;
    a.memberId = c.subscriber.memberId;
    a.serviceDate = c.lines.empty() ? "" : c.lines.front().serviceDate;
    if (c.subscriber.memberId.empty()) {
      a.category = "A6";    // rejected for missing information
      a.statusCode = "21";  // missing or invalid information
      a.entityCode = "IL";  // the subscriber
    } else {
      a.accepted = true;
      a.category = "A2";    // accepted into the adjudication system
      a.statusCode = "20";  // accepted for processing
      a.payerClaimControl = "PCN" + std::to_string(nowMs % 1'000'000) + "-" + std::to_string(++n);
      remittance.claims.push_back(adjudicate(c, a.payerClaimControl));
    }
    report.claims.push_back(std::move(a));
  }
  if (report.claims.empty()) return out;
  out.push_back({"clearinghouse", "claim.status", payload(batch, x12::write277ca(report))});
  if (remittance.claims.empty()) return out;
  remittance.totalCents = remittance.computedTotalCents();
  remittance.handling = remittance.totalCents == 0 ? "H" : "I";
  remittance.paymentMethod = remittance.totalCents == 0 ? "NON" : "ACH";
  out.push_back(
      {"clearinghouse", "remittance", payload(batch, x12::write835(envelope, remittance))});
  return out;
}

}  // namespace

std::vector<Reply> clearinghouseReplies(const std::string& entryId, const std::string& batch,
                                        const std::string& text, std::int64_t nowMs) {
  try {
    return answer(entryId, batch, text, nowMs);
  } catch (const x12::X12Error& e) {
    // A value read from the 837 that cannot be written back (a separator inside an element).
    if (e.kind() != x12::X12ErrorKind::model) throw;
    throw PayloadRefused("invalid_payload", "payload.x12: a value cannot be acknowledged");
  }
}

}  // namespace vigil::cloudsim
