// The claims-submission step (docs/billing.md, "Submission"): approved claims become one 837P
// batch per billing NPI, queued as claim.submit through the cloud link, and marked submitted,
// all in one write job, so a claim is either sent and submitted or neither.
//
// Each claim is first written alone: a claim the 837P cannot carry (no insurance, a member id
// or address missing, a ZIP that is not 5 or 9 digits) stays approved with the writer's reason
// (the field's name, never its value) as its status detail, and does not hold back the others.
// A claim goes out under a patient control number (CLM01) "V<claim>S<sending>", unique per
// sending, so the 277CA's TRN02 and the 835's CLP01 name the sending they answer.

#include <algorithm>
#include <cctype>

#include "billing_internal.hpp"
#include "vigil/core/json_text.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/time.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/store/database.hpp"
#include "vigil/sync/link.hpp"
#include "vigil/x12/claim_837p.hpp"

namespace vigil::billing {

using security::Actor;
using store::Connection;

namespace {

bool allDigits(std::string_view s, std::size_t n) {
  return s.size() == n &&
         std::all_of(s.begin(), s.end(), [](unsigned char ch) { return std::isdigit(ch) != 0; });
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& ch : out) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

/// "2026-01-31" -> "20260131".
std::string ccyymmdd(std::string_view date) {
  std::string out;
  for (char ch : date)
    if (ch != '-') out += ch;
  return out;
}

/// ICD-10-CM as the 837P wants it: no dot, upper case.
std::string icd(std::string_view code) {
  std::string out;
  for (char ch : code)
    if (ch != '.') out += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

std::string zipDigits(std::string_view zip) {
  std::string out;
  for (char ch : zip)
    if (std::isdigit(static_cast<unsigned char>(ch)) != 0) out += ch;
  return out;
}

/// "Given Middle Family" -> {family, given}.
std::pair<std::string, std::string> splitName(std::string_view name) {
  const auto text = trim(name);
  const auto space = text.rfind(' ');
  if (space == std::string::npos) return {text, ""};
  const auto first = text.substr(0, text.find(' '));
  return {text.substr(space + 1), first};
}

x12::Address patientAddress(const ClaimForSubmission& k) {
  return {k.addressLine1, k.addressLine2, k.city, upper(k.region), zipDigits(k.postalCode)};
}

std::string relationshipCode(const std::string& relationship) {
  if (relationship == "spouse") return "01";
  if (relationship == "child") return "19";
  return "G8";
}

x12::Claim claimFor(const ClaimForSubmission& k, const std::string& patientControl,
                    const std::string& billingNpi, const std::string& renderingName,
                    const SubmissionSettings& settings) {
  if (!k.primary) throw x12::X12Error(x12::X12ErrorKind::model, 0, "insurance: no primary");
  const auto& ins = *k.primary;
  x12::Claim out;
  out.claimId = patientControl;
  out.placeOfService = k.claim.lines.empty() ? "10" : k.claim.lines.front().placeOfService;
  for (const auto& d : k.claim.diagnosisCodes) out.diagnosisCodes.push_back(icd(d));
  out.payerResponsibility = "P";
  out.claimFilingIndicator = filingIndicatorFor(ins.payer);
  out.payer = {upper(ins.payer).substr(0, 60), payerIdFor(settings, ins.payer)};
  x12::Person patient;
  patient.lastName = k.patientFamilyName;
  patient.firstName = k.patientGivenName;
  patient.birthDate = ccyymmdd(k.patientBirthDate);
  patient.address = patientAddress(k);
  if (ins.relationship == "self") {
    out.subscriber = patient;
    out.subscriber.memberId = ins.memberId;
  } else {
    auto [last, first] = splitName(ins.subscriberName);
    out.subscriber.lastName = last;
    out.subscriber.firstName = first;
    out.subscriber.memberId = ins.memberId;
    out.subscriber.birthDate = ccyymmdd(ins.subscriberBirthDate);
    out.subscriber.address = patientAddress(k);
    out.patient = patient;
    out.patientRelationship = relationshipCode(ins.relationship);
  }
  if (k.claim.renderingNpi != billingNpi) {
    out.renderingProviderNpi = k.claim.renderingNpi;
    auto [last, first] = splitName(renderingName);
    out.renderingLastName = last.empty() ? "PROVIDER" : last;
    out.renderingFirstName = first;
  }
  const int pointers = static_cast<int>(std::min<std::size_t>(4, out.diagnosisCodes.size()));
  for (const auto& l : k.claim.lines) {
    x12::ServiceLine s;
    s.procedureCode = l.code;
    s.modifiers = l.modifiers;
    s.chargeCents = l.chargeCents;
    s.units = l.units;
    s.serviceDate = ccyymmdd(l.serviceDate);
    s.diagnosisPointers.clear();
    for (int i = 1; i <= std::max(1, pointers); ++i) s.diagnosisPointers.push_back(i);
    s.lineControl = std::to_string(k.claim.id) + "-" + std::to_string(l.lineNo);
    out.totalChargeCents += l.chargeCents;
    out.lines.push_back(std::move(s));
  }
  return out;
}

x12::ClaimBatch batchFor(const SubmissionSettings& settings, const std::string& billingNpi,
                         const std::string& batch, std::int64_t control, TimePoint now) {
  const auto stamp = core::formatUtc(now, core::Fraction::millis);
  x12::ClaimBatch b;
  b.envelope.senderId = settings.submitterId;
  b.envelope.receiverId = settings.receiverId;
  b.envelope.date = stamp.substr(0, 4) + stamp.substr(5, 2) + stamp.substr(8, 2);
  b.envelope.time = stamp.substr(11, 2) + stamp.substr(14, 2);
  b.envelope.controlNumber = std::to_string(control % 1'000'000'000);
  b.envelope.groupControlNumber = b.envelope.controlNumber;
  b.envelope.usage = settings.usage;
  b.batchId = batch;
  b.submitter = {settings.practiceName, settings.submitterId, settings.contactName,
                 settings.contactPhone, settings.contactEmail};
  b.receiver = {settings.receiverName, settings.receiverId};
  b.billingProvider.organizationName = settings.practiceName;
  b.billingProvider.npi = billingNpi;
  b.billingProvider.taxonomy = settings.taxonomy;
  b.billingProvider.taxId = settings.taxId;
  b.billingProvider.address = {settings.addressLine, "", settings.city, upper(settings.state),
                               zipDigits(settings.zip)};
  return b;
}

std::string payloadOf(const std::string& batch, const std::string& x12) {
  std::string out = "{\"batch\":";
  core::appendJsonString(out, batch);
  out += ",\"x12\":";
  core::appendJsonString(out, x12);
  return out + "}";
}

}  // namespace

std::vector<std::string> SubmissionSettings::missing() const {
  std::vector<std::string> out;
  if (trim(practiceName).empty()) out.emplace_back("practice_name");
  if (!practiceNpi.empty() && !x12::validNpi(practiceNpi)) out.emplace_back("practice_npi");
  if (taxonomy.size() != 10) out.emplace_back("taxonomy");
  if (!allDigits(taxId, 9)) out.emplace_back("tax_id");
  if (trim(addressLine).empty()) out.emplace_back("address");
  if (trim(city).empty()) out.emplace_back("city");
  if (state.size() != 2) out.emplace_back("state");
  if (!allDigits(zipDigits(zip), 9)) out.emplace_back("zip");
  if (submitterId.empty() || submitterId.size() > 15) out.emplace_back("submitter_id");
  if (trim(contactName).empty()) out.emplace_back("contact_name");
  if (contactPhone.empty() && contactEmail.empty()) out.emplace_back("contact_phone");
  if (receiverId.empty() || receiverId.size() > 15) out.emplace_back("receiver_id");
  return out;
}

std::map<std::string, std::string> parsePayerIds(std::string_view text) {
  std::map<std::string, std::string> out;
  std::size_t at = 0;
  while (at <= text.size()) {
    auto comma = text.find(',', at);
    auto part =
        text.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at);
    auto eq = part.find('=');
    if (eq != std::string_view::npos) {
      auto name = upper(trim(part.substr(0, eq)));
      auto id = trim(part.substr(eq + 1));
      if (!name.empty() && !id.empty()) out[name] = id;
    }
    if (comma == std::string_view::npos) break;
    at = comma + 1;
  }
  return out;
}

std::string payerIdFor(const SubmissionSettings& settings, std::string_view payerName) {
  const auto name = upper(trim(payerName));
  if (auto it = settings.payerIds.find(name); it != settings.payerIds.end()) return it->second;
  std::string id;
  for (char ch : name)
    if (std::isalnum(static_cast<unsigned char>(ch)) != 0 && id.size() < 10) id += ch;
  return id.empty() ? "UNKNOWN" : id;
}

std::string filingIndicatorFor(std::string_view payerName) {
  const auto name = upper(payerName);
  if (name.find("MEDICARE") != std::string::npos) return "MB";
  if (name.find("MEDICAID") != std::string::npos) return "MC";
  return "CI";
}

void BillingService::setSubmissionSettings(SubmissionSettings settings) {
  submission_ = std::move(settings);
}

SubmissionRun BillingService::submitApproved(const Actor& actor, sync::Link* link) {
  if (!submission_) {
    SubmissionRun run;
    run.skipped = "settings: not set";
    return run;
  }
  return submitApproved(actor, link, *submission_);
}

SubmissionRun BillingService::submitApproved(const Actor& actor, sync::Link* link,
                                             const SubmissionSettings& settings) {
  SubmissionRun run;
  if (auto m = settings.missing(); !m.empty()) {
    run.skipped = "settings: " + detail::join(m, ", ");
  } else if (link == nullptr || !link->enrolled()) {
    run.skipped = "no_link";
  }
  if (!run.skipped.empty()) {
    log::info("billing.submission_skipped", {{"reason", run.skipped}});
    return run;
  }
  db_.writeSync([&](Connection& c) {
    const auto now = clock_.now();
    auto claims = claimsForSubmissionIn(c, actor, ClaimStatus::approved, settings.maxClaims);
    // Billing NPI -> the claims of its batch, each with the x12 claim (patient control set
    // once the sending has its id).
    std::map<std::string, std::vector<std::pair<const ClaimForSubmission*, x12::Claim>>> groups;
    for (const auto& k : claims) {
      const auto npi = settings.practiceNpi.empty() ? k.claim.billingNpi : settings.practiceNpi;
      std::string rendering;
      if (k.claim.renderingNpi != npi)
        if (auto u = security::AccountService::findUserIn(c, cipher_, k.claim.renderingProviderId))
          rendering = u->displayName;
      try {
        auto x = claimFor(k, "V" + std::to_string(k.claim.id), npi, rendering, settings);
        auto alone = batchFor(settings, npi, "check", 1, now);
        alone.claims.push_back(x);
        (void)x12::write837p(alone);
        groups[npi].emplace_back(&k, std::move(x));
      } catch (const x12::X12Error& e) {
        const std::string why = std::string("not sent: ") + e.what();
        run.notSent.emplace_back(k.claim.id, why);
        c.execute("UPDATE claims SET status_detail = ?2 WHERE id = ?1", k.claim.id,
                  why.substr(0, 200));
        log::warn("billing.claim_not_sendable", {{"claim_id", k.claim.id}, {"reason", e.what()}});
      }
    }
    for (auto& [npi, group] : groups) {
      std::int64_t total = 0;
      for (const auto& g : group) total += g.second.totalChargeCents;
      c.execute(
          "INSERT INTO claim_submissions (batch, entry_id, billing_npi, claim_count, total_cents, "
          "submitted_at, submitted_by) VALUES (?1, '', ?2, ?3, ?4, ?5, ?6)",
          "pending-" + npi, npi, static_cast<std::int64_t>(group.size()), total,
          core::toMillis(now), actor.id);
      const auto sending = c.lastInsertRowid();
      const auto stamp = core::formatUtc(now, core::Fraction::millis);
      const std::string batch = stamp.substr(0, 4) + stamp.substr(5, 2) + stamp.substr(8, 2) + "-" +
                                std::to_string(sending);
      auto b = batchFor(settings, npi, batch, sending, now);
      SubmittedBatch sent{batch, "", npi, {}, total};
      for (auto& [k, x] : group) {
        x.claimId = "V" + std::to_string(k->claim.id) + "S" + std::to_string(sending);
        c.execute(
            "INSERT INTO claim_submission_claims (submission_id, claim_id, patient_control) "
            "VALUES (?1, ?2, ?3)",
            sending, k->claim.id, x.claimId);
        b.claims.push_back(x);
        sent.claimIds.push_back(k->claim.id);
      }
      const auto text = x12::write837p(b);
      sent.entryId = link->enqueueIn(c, "claims/" + batch, "claim.submit", "clearinghouse",
                                     payloadOf(batch, text));
      c.execute("UPDATE claim_submissions SET batch = ?2, entry_id = ?3 WHERE id = ?1", sending,
                batch, sent.entryId);
      for (const auto& [k, x] : group) {
        detail::writeStatusIn(c, k->claim.id, ClaimStatus::submitted, "batch " + batch,
                              {"submission", sent.entryId, true}, now, actor.id);
        security::AuditEvent e;
        e.actorId = actor.id;
        e.actorRole = actor.id == 0 ? "system" : std::string(security::toString(actor.role));
        e.action = "claim.submit";
        e.objectType = "claim";
        e.objectId = std::to_string(k->claim.id);
        e.patientId = k->claim.patientId;
        e.reason = "batch " + batch;
        audit_.append(c, e);
      }
      run.batches.push_back(std::move(sent));
    }
  });
  if (!run.batches.empty()) link->wake();
  for (const auto& b : run.batches)
    log::info("billing.claims_submitted",
              {{"batch", b.batch},
               {"entry", b.entryId},
               {"claims", static_cast<std::int64_t>(b.claimIds.size())}});
  return run;
}

}  // namespace vigil::billing
