// The 277CA writer and reader (005010X214). Levels: 2000A information source (the
// clearinghouse, HL code 20), 2000B information receiver (the submitter, 21) with the batch's
// accepted and rejected counts and amounts, 2000C billing provider (19), one 2000D patient level
// (PT) per claim with its TRN (the claim id) and STC.
#include "segment_writer.hpp"
#include "vigil/x12/acknowledgement.hpp"

namespace vigil::x12 {

std::string write277ca(const ClaimStatusReport& r) {
  using detail::require;
  using detail::SegmentWriter;
  require(r.batchId, "report.batchId");
  require(r.createdDate, "report.createdDate");
  require(r.sourceName, "report.sourceName");
  require(r.sourceId, "report.sourceId");
  require(r.receiverName, "report.receiverName");
  require(r.receiverId, "report.receiverId");
  require(r.providerName, "report.providerName");
  require(r.providerNpi, "report.providerNpi");
  SegmentWriter w;
  w.beginSet("277", r.controlNumber, k277caVersion);
  w.add({"BHT", "0085", "08", r.batchId, r.createdDate, r.envelope.time, "TH"});
  w.add({"HL", "1", "", "20", "1"});
  w.add({"NM1", "AY", "2", r.sourceName, "", "", "", "", "46", r.sourceId});
  w.add({"TRN", "1", r.batchId});
  w.add({"DTP", "050", "D8", r.createdDate});
  w.add({"DTP", "009", "D8", r.createdDate});
  w.add({"HL", "2", "1", "21", "1"});
  w.add({"NM1", "41", "2", r.receiverName, "", "", "", "", "46", r.receiverId});
  w.add({"TRN", "2", r.batchId});
  std::int64_t acceptedCents = 0, rejectedCents = 0;
  std::size_t accepted = 0, rejected = 0;
  for (const auto& c : r.claims) {
    (c.accepted ? acceptedCents : rejectedCents) += c.chargeCents;
    ++(c.accepted ? accepted : rejected);
  }
  w.add({"STC", SegmentWriter::composite({"A1", "19", "PR"}), r.createdDate, "WQ",
         formatAmount(acceptedCents + rejectedCents)});
  if (accepted > 0) w.add({"QTY", "90", std::to_string(accepted)});
  if (rejected > 0) w.add({"QTY", "AA", std::to_string(rejected)});
  if (accepted > 0) w.add({"AMT", "YU", formatAmount(acceptedCents)});
  if (rejected > 0) w.add({"AMT", "YY", formatAmount(rejectedCents)});
  w.add({"HL", "3", "2", "19", "1"});
  w.add({"NM1", "85", "2", r.providerName, "", "", "", "", "XX", r.providerNpi});
  w.add({"TRN", "1", "0"});
  int hl = 3;
  for (const auto& c : r.claims) {
    require(c.claimId, "report.claims.claimId");
    require(c.category, "report.claims.category");
    require(c.statusCode, "report.claims.statusCode");
    require(c.patientLastName, "report.claims.patientLastName");
    w.add({"HL", std::to_string(++hl), "3", "PT"});
    w.add({"NM1", "QC", "1", c.patientLastName, c.patientFirstName, "", "", "",
           c.memberId.empty() ? "" : "MI", c.memberId});
    w.add({"TRN", "2", c.claimId});
    w.add({"STC", SegmentWriter::composite({c.category, c.statusCode, c.entityCode}), r.createdDate,
           c.accepted ? "WQ" : "U", formatAmount(c.chargeCents)});
    if (c.accepted && !c.payerClaimControl.empty()) w.add({"REF", "1K", c.payerClaimControl});
    if (!c.serviceDate.empty()) w.add({"DTP", "472", "D8", c.serviceDate});
  }
  w.endSet(r.controlNumber);
  return detail::enveloped(r.envelope, "HN", k277caVersion, w.text());
}

ClaimStatusReport parse277ca(std::string_view text) {
  Interchange in = parseInterchange(text);
  auto sets = setsOf(in, "277");
  if (sets.empty()) throw X12Error(X12ErrorKind::content, 1, "no 277 transaction set");
  const TransactionSet& set = *sets.front();
  const char component = in.separators.component;
  ClaimStatusReport r;
  r.envelope = in.envelope;
  r.controlNumber = set.controlNumber;
  std::string level;
  ClaimAcknowledgement* claim = nullptr;
  for (const Segment& s : set.segments) {
    if (s.id == "BHT") {
      r.batchId = s.element(3);
      r.createdDate = s.element(4);
    } else if (s.id == "HL") {
      level = s.element(3);
      claim = nullptr;
      if (level == "PT") {
        r.claims.emplace_back();
        claim = &r.claims.back();
      }
    } else if (s.id == "NM1") {
      const std::string& code = s.element(1);
      if (code == "AY" || code == "PR") {
        r.sourceName = s.element(3);
        r.sourceId = s.element(9);
      } else if (code == "41") {
        r.receiverName = s.element(3);
        r.receiverId = s.element(9);
      } else if (code == "85") {
        r.providerName = s.element(3);
        r.providerNpi = s.element(9);
      } else if (code == "QC" && claim != nullptr) {
        claim->patientLastName = s.element(3);
        claim->patientFirstName = s.element(4);
        claim->memberId = s.element(9);
      }
    } else if (s.id == "TRN" && claim != nullptr && s.element(1) == "2") {
      claim->claimId = s.element(2);
    } else if (s.id == "STC" && claim != nullptr) {
      auto parts = s.components(1, component);
      if (parts.size() < 2) throw X12Error(X12ErrorKind::content, s.number, "STC01 incomplete");
      claim->category = parts[0];
      claim->statusCode = parts[1];
      claim->entityCode = parts.size() > 2 ? parts[2] : "";
      // A1 (received), A2 (accepted into adjudication) and A5 (split) go on; every other
      // category (A3 returned, A4 not found, A6/A7/A8 rejected) does not.
      claim->accepted = parts[0] == "A1" || parts[0] == "A2" || parts[0] == "A5";
      if (!s.element(4).empty()) claim->chargeCents = parseAmount(s.element(4), s.number);
    } else if (s.id == "REF" && claim != nullptr && s.element(1) == "1K") {
      claim->payerClaimControl = s.element(2);
    } else if (s.id == "DTP" && claim != nullptr && s.element(1) == "472") {
      auto date = s.element(3);
      claim->serviceDate = date.substr(0, 8);
    }
  }
  for (const auto& c : r.claims)
    if (c.claimId.empty() || c.category.empty())
      throw X12Error(X12ErrorKind::content, set.stSegment, "a 277CA claim without TRN or STC");
  return r;
}

}  // namespace vigil::x12
