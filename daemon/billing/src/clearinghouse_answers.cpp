// The clearinghouse's answers applied to claims (clearinghouse.hpp): claim.ack (999),
// claim.status (277CA), remittance (835). Each runs inside the cloud link's inbox job; an X12
// text that does not read throws (the link then lists the message as refused, apply_failed, for
// an admin) and an answer naming no claim or batch the box sent is logged and left.
//
// Idempotent by content, beyond the inbox's once-per-message-id: a batch's first 999 counts
// (claim_submissions.ack_code), a 277CA line already in the claim's history is skipped, and an
// 835 payment is posted once per (payer id, trace number).

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "billing_internal.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/time.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/sync/envelope.hpp"
#include "vigil/sync/link.hpp"
#include "vigil/x12/acknowledgement.hpp"
#include "vigil/x12/remittance_835.hpp"

namespace vigil::billing {

using store::Connection;

namespace {

struct Answer {
  std::string batch;
  std::string x12;
};

Answer answerOf(std::string_view payload) {
  Poco::JSON::Parser parser;
  Poco::JSON::Object::Ptr o;
  try {
    o = parser.parse(std::string(payload)).extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
    throw ValidationError("payload: not a JSON object");
  }
  if (!o) throw ValidationError("payload: not a JSON object");
  Answer a{o->optValue<std::string>("batch", ""), o->optValue<std::string>("x12", "")};
  if (a.x12.empty()) throw ValidationError("payload.x12: missing");
  return a;
}

/// A claim as a sending named it (CLM01 = TRN02 = CLP01).
struct SentClaim {
  std::int64_t claimId = 0, patientId = 0, submissionId = 0, latestSubmission = 0;
  std::string status;
};

std::optional<SentClaim> sentClaimIn(Connection& c, const std::string& patientControl) {
  auto s = c.prepare(
      "SELECT x.claim_id, k.patient_id, x.submission_id, k.status, (SELECT max(submission_id) "
      "FROM claim_submission_claims WHERE claim_id = x.claim_id) FROM claim_submission_claims x "
      "JOIN claims k ON k.id = x.claim_id WHERE x.patient_control = ?1");
  s.bind(1, patientControl);
  if (!s.step()) return std::nullopt;
  return SentClaim{s.get<std::int64_t>(0), s.get<std::int64_t>(1), s.get<std::int64_t>(2),
                   s.get<std::int64_t>(4), s.get<std::string>(3)};
}

void auditSystem(security::AuditLog& audit, Connection& c, const SentClaim& k,
                 const std::string& action, const std::string& reason) {
  security::AuditEvent e;
  e.actorRole = "system";
  e.action = action;
  e.objectType = "claim";
  e.objectId = std::to_string(k.claimId);
  e.patientId = k.patientId;
  e.reason = reason.substr(0, 200);
  audit.append(c, e);
}

/// Moves the claim to `target` when its sending is the latest and the transition is allowed;
/// otherwise keeps the answer in the history only. Returns whether the claim moved.
bool moveIn(Connection& c, security::AuditLog& audit, SentClaim& k, ClaimStatus target,
            const std::string& detail, const std::string& source, const sync::Header& header,
            TimePoint now) {
  const auto from = parseClaimStatus(k.status);
  const bool applies =
      k.submissionId == k.latestSubmission && from && claimTransitionAllowed(*from, target);
  detail::writeStatusIn(c, k.claimId, target, detail, {source, header.id, applies}, now, 0);
  auditSystem(audit, c, k, "claim.status",
              source + " " + std::string(toString(target)) + (applies ? "" : " (history only)"));
  if (applies) k.status = std::string(toString(target));
  return applies;
}

std::string setAckDetail(const x12::SetAcknowledgement& s) {
  std::string d = "999 " + s.code;
  if (!s.errorCodes.empty()) d += " IK5 " + detail::join(s.errorCodes);
  for (const auto& e : s.segmentErrors) {
    d += " IK3 " + e.segmentId + " at " + std::to_string(e.position) + " code " + e.code;
    if (!e.elementCode.empty()) d += " IK4 " + e.elementPosition + " code " + e.elementCode;
  }
  return d;
}

void applyAck(Connection& c, security::AuditLog& audit, Clock& clock, const sync::Header& header,
              std::string_view payload) {
  const auto answer = answerOf(payload);
  const auto ack = x12::parse999(answer.x12);
  auto s = c.prepare(
      "SELECT id, ack_code FROM claim_submissions WHERE batch = ?1 OR (?1 = '' AND CAST(id AS "
      "TEXT) = ?2) ORDER BY id LIMIT 1");
  s.bindAll(answer.batch, ack.groupControlNumber);
  if (!s.step()) {
    log::warn("billing.ack_unknown_batch", {{"message", header.id}});
    return;
  }
  const auto submission = s.get<std::int64_t>(0);
  if (s.get<std::optional<std::string>>(1)) {
    log::info("billing.ack_again", {{"message", header.id}, {"submission", submission}});
    return;
  }
  // The batch is one 837 set (ST02 0001); a 999 naming none is read from its group code.
  x12::SetAcknowledgement set;
  set.code = ack.groupCode == "A" || ack.groupCode == "E" ? ack.groupCode : "R";
  for (const auto& a : ack.sets)
    if (a.setId == "837" || a.setId.empty()) {
      set = a;
      break;
    }
  const auto now = clock.now();
  c.execute("UPDATE claim_submissions SET ack_code = ?2, ack_at = ?3 WHERE id = ?1", submission,
            set.code, core::toMillis(now));
  const auto d = setAckDetail(set);
  std::vector<std::string> controls;
  auto q = c.prepare(
      "SELECT patient_control FROM claim_submission_claims WHERE submission_id = ?1 ORDER BY "
      "claim_id");
  q.bind(1, submission);
  while (q.step()) controls.push_back(q.get<std::string>(0));
  for (const auto& pc : controls) {
    auto k = sentClaimIn(c, pc);
    if (!k) continue;
    if (set.accepted()) {
      // Accepted by syntax: in the history, the claim waits for the 277CA.
      auto status = parseClaimStatus(k->status).value_or(ClaimStatus::submitted);
      detail::writeStatusIn(c, k->claimId, status, d, {"999", header.id, false}, now, 0);
      auditSystem(audit, c, *k, "claim.status", "999 accepted");
    } else {
      moveIn(c, audit, *k, ClaimStatus::rejected, d, "999", header, now);
    }
  }
  log::info("billing.ack_applied", {{"message", header.id},
                                    {"submission", submission},
                                    {"code", set.code},
                                    {"claims", static_cast<std::int64_t>(controls.size())}});
}

void applyClaimStatus(Connection& c, security::AuditLog& audit, Clock& clock,
                      const sync::Header& header, std::string_view payload) {
  const auto answer = answerOf(payload);
  const auto report = x12::parse277ca(answer.x12);
  const auto now = clock.now();
  int applied = 0, unknown = 0;
  for (const auto& a : report.claims) {
    auto k = sentClaimIn(c, a.claimId);
    if (!k) {
      ++unknown;
      continue;
    }
    std::string d = "277CA " + a.category + ":" + a.statusCode;
    if (!a.entityCode.empty()) d += ":" + a.entityCode;
    if (a.accepted && !a.payerClaimControl.empty()) d += " payer claim " + a.payerClaimControl;
    if (c.queryValue<std::int64_t>("SELECT 1 FROM claim_status_events WHERE claim_id = ?1 AND "
                                   "source = '277CA' AND detail = ?2",
                                   k->claimId, d))
      continue;  // this answer is in the history already
    applied += moveIn(c, audit, *k, a.accepted ? ClaimStatus::accepted : ClaimStatus::rejected, d,
                      "277CA", header, now)
                   ? 1
                   : 0;
  }
  if (unknown > 0)
    log::warn("billing.status_unknown_claims", {{"message", header.id}, {"n", unknown}});
  log::info("billing.status_applied", {{"message", header.id}, {"claims", applied}});
}

std::string upper(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

/// The claim line an 835 line pays: REF*6R "<claim>-<line>" as the 837 sent it, else the
/// position.
std::optional<int> lineNoOf(const x12::ServicePayment& p, std::int64_t claimId, std::size_t index) {
  const auto prefix = std::to_string(claimId) + "-";
  if (p.lineControl.rfind(prefix, 0) == 0) {
    try {
      return std::stoi(p.lineControl.substr(prefix.size()));
    } catch (const std::exception&) {
    }
  }
  return static_cast<int>(index + 1);
}

void insertAdjustments(Connection& c, std::int64_t remittanceClaim,
                       std::optional<std::int64_t> line,
                       const std::vector<x12::Adjustment>& adjustments) {
  for (const auto& a : adjustments)
    c.execute(
        "INSERT INTO remittance_adjustments (remittance_claim_id, remittance_line_id, group_code, "
        "reason_code, amount_cents, quantity) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        remittanceClaim, line, a.group, a.reason, a.amountCents, a.quantity);
}

std::string denialDetail(const x12::ClaimPayment& p) {
  std::vector<std::string> reasons;
  auto add = [&](const x12::Adjustment& a) {
    const auto r = a.group + "-" + a.reason;
    if (std::find(reasons.begin(), reasons.end(), r) == reasons.end()) reasons.push_back(r);
  };
  for (const auto& a : p.adjustments) add(a);
  for (const auto& l : p.lines)
    for (const auto& a : l.adjustments) add(a);
  return "835 denied " + detail::join(reasons, " ");
}

/// Posts one claim payment of a remittance; returns its outcome.
std::string postClaim(Connection& c, security::AuditLog& audit, const sync::Header& header,
                      std::int64_t remittanceId, const x12::Remittance& r,
                      const x12::ClaimPayment& p, TimePoint now) {
  auto k = sentClaimIn(c, p.claimId);
  std::string outcome = "paid";
  if (p.status == "22")
    outcome = "reversal";
  else if (!k)
    outcome = "unmatched";
  else if (p.paidCents == 0 && (p.status == "4" || p.adjustmentCents() != 0))
    outcome = "denied";
  c.execute(
      "INSERT INTO remittance_claims (remittance_id, claim_id, patient_control, status_code, "
      "charge_cents, paid_cents, patient_resp_cents, payer_claim_control, balanced, outcome, "
      "posted_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
      remittanceId, k ? std::optional<std::int64_t>(k->claimId) : std::nullopt, p.claimId, p.status,
      p.chargeCents, p.paidCents, p.patientResponsibilityCents, p.payerClaimControl,
      static_cast<std::int64_t>(p.balanced() ? 1 : 0), outcome, core::toMillis(now));
  const auto posted = c.lastInsertRowid();
  insertAdjustments(c, posted, std::nullopt, p.adjustments);
  for (std::size_t i = 0; i < p.lines.size(); ++i) {
    const auto& l = p.lines[i];
    std::optional<int> lineNo;
    if (k) lineNo = lineNoOf(l, k->claimId, i);
    c.execute(
        "INSERT INTO remittance_lines (remittance_claim_id, line_no, procedure_code, modifiers, "
        "charge_cents, paid_cents, units, service_date) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        posted, lineNo ? std::optional<std::int64_t>(*lineNo) : std::nullopt, l.procedureCode,
        detail::join(l.modifiers), l.chargeCents, l.paidCents, l.units, l.serviceDate);
    insertAdjustments(c, posted, c.lastInsertRowid(), l.adjustments);
  }
  if (!k) return outcome;
  auditSystem(audit, c, *k, "claim.remittance", outcome + " trace " + r.traceNumber);
  if (outcome != "paid" && outcome != "denied") return outcome;
  if (k->status == "submitted" && k->submissionId == k->latestSubmission)
    moveIn(c, audit, *k, ClaimStatus::accepted, "835 adjudicated by the payer", "835", header, now);
  const std::string d = outcome == "paid"
                            ? "835 paid " + x12::formatAmount(p.paidCents) + ", patient " +
                                  x12::formatAmount(p.patientResponsibilityCents) + ", trace " +
                                  r.traceNumber
                            : denialDetail(p);
  moveIn(c, audit, *k, outcome == "paid" ? ClaimStatus::paid : ClaimStatus::denied, d, "835",
         header, now);
  return outcome;
}

void applyRemittance(Connection& c, security::AuditLog& audit, Clock& clock,
                     const sync::Header& header, std::string_view payload) {
  const auto answer = answerOf(payload);
  const auto file = x12::parse835(answer.x12);
  const auto now = clock.now();
  for (const auto& r : file.remittances) {
    const auto payerKey = r.originatorId.empty() ? upper(r.payer.name) : r.originatorId;
    if (c.queryValue<std::int64_t>(
            "SELECT 1 FROM remittances WHERE payer_key = ?1 AND trace_number = ?2", payerKey,
            r.traceNumber)) {
      log::info("billing.remittance_again", {{"message", header.id}});
      continue;
    }
    std::int64_t plb = 0;
    for (const auto& a : r.providerAdjustments) plb += a.amountCents;
    c.execute(
        "INSERT INTO remittances (message_id, batch, payer_key, trace_number, payer_name, "
        "payment_method, payment_date, total_cents, computed_cents, plb_cents, balanced, "
        "received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        header.id, answer.batch, payerKey, r.traceNumber, r.payer.name, r.paymentMethod,
        r.paymentDate, r.totalCents, r.computedTotalCents(), plb,
        static_cast<std::int64_t>(r.balanced() ? 1 : 0), core::toMillis(now));
    const auto remittanceId = c.lastInsertRowid();
    for (const auto& a : r.providerAdjustments)
      c.execute(
          "INSERT INTO remittance_provider_adjustments (remittance_id, provider_id, "
          "fiscal_period, reason, reference, amount_cents) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
          remittanceId, a.providerId, a.fiscalPeriod, a.reason, a.reference, a.amountCents);
    std::map<std::string, std::int64_t> outcomes;
    for (const auto& p : r.claims) ++outcomes[postClaim(c, audit, header, remittanceId, r, p, now)];
    if (!r.balanced())
      log::warn("billing.remittance_unbalanced",
                {{"message", header.id}, {"remittance", remittanceId}});
    log::info("billing.remittance_posted", {{"message", header.id},
                                            {"remittance", remittanceId},
                                            {"paid", outcomes["paid"]},
                                            {"denied", outcomes["denied"]},
                                            {"unmatched", outcomes["unmatched"]}});
  }
}

}  // namespace

ClearinghouseHandler acknowledgementHandler(security::AuditLog& audit, Clock& clock) {
  return [&audit, &clock](Connection& c, const sync::Header& h, std::string_view payload) {
    applyAck(c, audit, clock, h, payload);
  };
}

ClearinghouseHandler claimStatusHandler(security::AuditLog& audit, Clock& clock) {
  return [&audit, &clock](Connection& c, const sync::Header& h, std::string_view payload) {
    applyClaimStatus(c, audit, clock, h, payload);
  };
}

ClearinghouseHandler remittanceHandler(security::AuditLog& audit, Clock& clock) {
  return [&audit, &clock](Connection& c, const sync::Header& h, std::string_view payload) {
    applyRemittance(c, audit, clock, h, payload);
  };
}

void registerClearinghouseHandlers(sync::Link& link, security::AuditLog& audit, Clock& clock) {
  link.onInbound("claim.ack", acknowledgementHandler(audit, clock));
  link.onInbound("claim.status", claimStatusHandler(audit, clock));
  link.onInbound("remittance", remittanceHandler(audit, clock));
}

}  // namespace vigil::billing
