// `vigil-devtool x12 parse FILE`: what the box reads from an X12 file, as JSON on stdout. An
// 835 gives its envelope and per transaction set the payment, payer, payee, each claim (status,
// charge, paid, patient responsibility, claim- and line-level adjustments, service lines), the
// PLB entries and "balanced"; an 837P gives the batch's claims and lines (no patient names or
// member ids: the JSON is for checking a file, not for reading PHI off it); a 999 or 277CA the
// acknowledgements. Exit 2 (with the segment number on stderr) for a file that is not readable
// X12, truncated or whose envelope does not add up.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "commands.hpp"
#include "vigil/core/json_text.hpp"
#include "vigil/x12/acknowledgement.hpp"
#include "vigil/x12/claim_837p.hpp"
#include "vigil/x12/remittance_835.hpp"

namespace vigil::devtool {
namespace {

using core::jsonString;
namespace x12 = vigil::x12;

constexpr const char* kUsage =
    "usage: vigil-devtool x12 parse FILE\n"
    "  prints what the file holds as JSON: an 835 remittance (claims, adjustments, PLB, the\n"
    "  balance check), an 837P claim batch, a 999 or a 277CA acknowledgement.\n"
    "  exit 2 with the segment number for a malformed, truncated or unbalanced envelope.\n";

constexpr std::size_t kMaxFile = 64u * 1024 * 1024;

std::string amount(std::int64_t cents) {
  std::string sign = cents < 0 ? "-" : "";
  std::uint64_t abs =
      cents < 0 ? static_cast<std::uint64_t>(-(cents + 1)) + 1 : static_cast<std::uint64_t>(cents);
  std::string frac = std::to_string(abs % 100);
  return sign + std::to_string(abs / 100) + "." + (frac.size() < 2 ? "0" : "") + frac;
}

std::string number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

std::string strings(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const auto& s : items) out += (out.size() > 1 ? "," : "") + jsonString(s);
  return out + "]";
}

std::string envelope(const x12::Envelope& e, const std::string& version) {
  return "{\"sender\":{\"qualifier\":" + jsonString(e.senderQualifier) +
         ",\"id\":" + jsonString(e.senderId) +
         "},\"receiver\":{\"qualifier\":" + jsonString(e.receiverQualifier) +
         ",\"id\":" + jsonString(e.receiverId) +
         "},\"controlNumber\":" + jsonString(e.controlNumber) +
         ",\"groupControlNumber\":" + jsonString(e.groupControlNumber) +
         ",\"date\":" + jsonString(e.date) + ",\"time\":" + jsonString(e.time) +
         ",\"usage\":" + jsonString(std::string(1, e.usage)) +
         ",\"version\":" + jsonString(version) + "}";
}

// Appends the adjustments to a JSON array under construction ("[" ... without its "]").
void appendAdjustments(std::string& out, const std::vector<x12::Adjustment>& list,
                       const char* level) {
  for (const auto& a : list)
    out += std::string(out.size() > 1 ? "," : "") + "{\"group\":" + jsonString(a.group) +
           ",\"reason\":" + jsonString(a.reason) + ",\"amount\":" + amount(a.amountCents) +
           ",\"level\":\"" + level + "\"}";
}

std::string party(const x12::Party& p) {
  return "{\"name\":" + jsonString(p.name) + ",\"idQualifier\":" + jsonString(p.idQualifier) +
         ",\"id\":" + jsonString(p.id) + "}";
}

std::string claimJson(const x12::ClaimPayment& c) {
  // Adjustments of the claim and of its lines in one list (level says which), and again
  // per line.
  std::string all = "[";
  appendAdjustments(all, c.adjustments, "claim");
  std::string lines = "[";
  for (const auto& l : c.lines) {
    appendAdjustments(all, l.adjustments, "line");
    std::string lineAdj = "[";
    appendAdjustments(lineAdj, l.adjustments, "line");
    lines += std::string(lines.size() > 1 ? "," : "") +
             "{\"procedureCode\":" + jsonString(l.procedureCode) +
             ",\"qualifier\":" + jsonString(l.procedureQualifier) +
             ",\"modifiers\":" + strings(l.modifiers) + ",\"charge\":" + amount(l.chargeCents) +
             ",\"paid\":" + amount(l.paidCents) + ",\"units\":" + number(l.units) +
             ",\"date\":" + jsonString(l.serviceDate) + ",\"adjustments\":" + lineAdj + "]}";
  }
  all += "]";
  lines += "]";
  return "{\"id\":" + jsonString(c.claimId) + ",\"status\":" + jsonString(c.status) +
         ",\"charge\":" + amount(c.chargeCents) + ",\"paid\":" + amount(c.paidCents) +
         ",\"patientResponsibility\":" + amount(c.patientResponsibilityCents) +
         ",\"payerClaimControl\":" + jsonString(c.payerClaimControl) + ",\"adjustments\":" + all +
         ",\"serviceLines\":" + lines + ",\"balanced\":" + (c.balanced() ? "true" : "false") + "}";
}

std::string remittanceJson(const x12::RemittanceFile& file, const std::string& version) {
  std::string sets = "[";
  for (const auto& r : file.remittances) {
    std::string claims = "[";
    for (const auto& c : r.claims) claims += (claims.size() > 1 ? "," : "") + claimJson(c);
    std::string plb = "[";
    for (const auto& p : r.providerAdjustments)
      plb += std::string(plb.size() > 1 ? "," : "") + "{\"provider\":" + jsonString(p.providerId) +
             ",\"fiscalPeriod\":" + jsonString(p.fiscalPeriod) +
             ",\"reason\":" + jsonString(p.reason) + ",\"reference\":" + jsonString(p.reference) +
             ",\"amount\":" + amount(p.amountCents) + "}";
    sets += std::string(sets.size() > 1 ? "," : "") +
            "{\"controlNumber\":" + jsonString(r.controlNumber) +
            ",\"payment\":{\"handling\":" + jsonString(r.handling) +
            ",\"total\":" + amount(r.totalCents) + ",\"method\":" + jsonString(r.paymentMethod) +
            ",\"date\":" + jsonString(r.paymentDate) + ",\"trace\":" + jsonString(r.traceNumber) +
            "},\"payer\":" + party(r.payer) + ",\"payee\":" + party(r.payee) +
            ",\"claims\":" + claims + "],\"plb\":" + plb +
            "],\"claimPaymentsMinusPlb\":" + amount(r.computedTotalCents()) +
            ",\"balanced\":" + (r.balanced() ? "true" : "false") + "}";
  }
  return "{\"type\":\"835\",\"envelope\":" + envelope(file.envelope, version) +
         ",\"transactions\":" + sets + "],\"balanced\":" + (file.balanced() ? "true" : "false") +
         "}";
}

std::string claimsJson(const x12::ClaimBatch& b, const std::string& version) {
  std::string claims = "[";
  for (const auto& c : b.claims) {
    std::string lines = "[";
    for (const auto& l : c.lines)
      lines += std::string(lines.size() > 1 ? "," : "") +
               "{\"procedureCode\":" + jsonString(l.procedureCode) +
               ",\"modifiers\":" + strings(l.modifiers) + ",\"charge\":" + amount(l.chargeCents) +
               ",\"units\":" + number(l.units) + ",\"date\":" + jsonString(l.serviceDate) + "}";
    claims += std::string(claims.size() > 1 ? "," : "") + "{\"id\":" + jsonString(c.claimId) +
              ",\"charge\":" + amount(c.totalChargeCents) +
              ",\"placeOfService\":" + jsonString(c.placeOfService) +
              ",\"frequency\":" + jsonString(std::string(1, c.frequency)) +
              ",\"diagnosisCodes\":" + strings(c.diagnosisCodes) +
              ",\"payer\":{\"name\":" + jsonString(c.payer.name) +
              ",\"id\":" + jsonString(c.payer.id) +
              "},\"subscriberIdPresent\":" + (c.subscriber.memberId.empty() ? "false" : "true") +
              ",\"renderingProviderNpi\":" + jsonString(c.renderingProviderNpi) +
              ",\"serviceLines\":" + lines + "]}";
  }
  const auto& p = b.billingProvider;
  return "{\"type\":\"837P\",\"envelope\":" + envelope(b.envelope, version) +
         ",\"batchId\":" + jsonString(b.batchId) +
         ",\"submitter\":{\"name\":" + jsonString(b.submitter.name) +
         ",\"id\":" + jsonString(b.submitter.id) +
         "},\"receiver\":{\"name\":" + jsonString(b.receiver.name) +
         ",\"id\":" + jsonString(b.receiver.id) +
         "},\"billingProvider\":{\"name\":" + jsonString(p.organizationName) +
         ",\"npi\":" + jsonString(p.npi) + ",\"taxonomy\":" + jsonString(p.taxonomy) +
         "},\"claims\":" + claims + "]}";
}

std::string ackJson(const x12::Acknowledgement999& a, const std::string& version) {
  std::string sets = "[";
  for (const auto& s : a.sets)
    sets += std::string(sets.size() > 1 ? "," : "") + "{\"setId\":" + jsonString(s.setId) +
            ",\"controlNumber\":" + jsonString(s.controlNumber) +
            ",\"code\":" + jsonString(s.code) +
            ",\"accepted\":" + (s.accepted() ? "true" : "false") +
            ",\"errorCodes\":" + strings(s.errorCodes) + "}";
  return "{\"type\":\"999\",\"envelope\":" + envelope(a.envelope, version) +
         ",\"group\":{\"functionalId\":" + jsonString(a.groupFunctionalId) +
         ",\"controlNumber\":" + jsonString(a.groupControlNumber) +
         ",\"code\":" + jsonString(a.groupCode) +
         ",\"received\":" + std::to_string(a.setsReceived) +
         ",\"accepted\":" + std::to_string(a.setsAccepted) + "},\"sets\":" + sets + "]}";
}

std::string statusJson(const x12::ClaimStatusReport& r, const std::string& version) {
  std::string claims = "[";
  for (const auto& c : r.claims)
    claims +=
        std::string(claims.size() > 1 ? "," : "") + "{\"id\":" + jsonString(c.claimId) +
        ",\"accepted\":" + (c.accepted ? "true" : "false") +
        ",\"category\":" + jsonString(c.category) + ",\"statusCode\":" + jsonString(c.statusCode) +
        ",\"entityCode\":" + jsonString(c.entityCode) + ",\"charge\":" + amount(c.chargeCents) +
        ",\"payerClaimControl\":" + jsonString(c.payerClaimControl) + "}";
  return "{\"type\":\"277CA\",\"envelope\":" + envelope(r.envelope, version) +
         ",\"batchId\":" + jsonString(r.batchId) + ",\"claims\":" + claims + "]}";
}

int parseFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "vigil-devtool x12 parse: cannot open %s\n", path.c_str());
    return kExitFailure;
  }
  std::string text;
  text.resize(kMaxFile + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxFile) {
    std::fprintf(stderr, "vigil-devtool x12 parse: the file is over 64 MiB\n");
    return kExitInvalid;
  }
  try {
    x12::Interchange interchange = x12::parseInterchange(text);
    std::string version = interchange.groups.front().version;
    std::string json;
    if (!x12::setsOf(interchange, "835").empty()) {
      json = remittanceJson(x12::parse835(text), version);
    } else if (!x12::setsOf(interchange, "837").empty()) {
      json = claimsJson(x12::parse837p(text), version);
    } else if (!x12::setsOf(interchange, "999").empty()) {
      json = ackJson(x12::parse999(text), version);
    } else if (!x12::setsOf(interchange, "277").empty()) {
      json = statusJson(x12::parse277ca(text), version);
    } else {
      std::fprintf(stderr, "vigil-devtool x12 parse: no 835, 837, 999 or 277 set in the file\n");
      return kExitInvalid;
    }
    std::printf("%s\n", json.c_str());
    return kExitOk;
  } catch (const x12::X12Error& e) {
    // e.what() starts with "segment N: " (N 1-based) and names no value.
    std::fprintf(stderr, "vigil-devtool x12 parse: %s: %s\n", std::string(e.kindName()).c_str(),
                 e.what());
    return kExitInvalid;
  }
}

}  // namespace

int runX12(std::span<const std::string> args) {
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (args.size() != 2 || args[0] != "parse") {
    std::fputs(kUsage, stderr);
    return kExitInvalid;
  }
  return parseFile(args[1]);
}

}  // namespace vigil::devtool
