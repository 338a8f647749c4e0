// The 835 reader and writer. The reader is a small state machine over the set's segments:
// N1*PR and N1*PE open the payer and payee (N3/N4/PER/REF that follow are theirs), CLP opens a
// claim, SVC a line of it; a CAS belongs to the line when one is open, else to the claim; PLB
// segments follow the last claim. Segments the model has no place for (TS3, TS2, MIA, MOA, NM1,
// AMT, QTY, LQ ...) are read past, as the guide lets a receiver do.
#include "vigil/x12/remittance_835.hpp"

#include "segment_writer.hpp"

namespace vigil::x12 {
namespace {

[[noreturn]] void content(std::size_t segment, const std::string& what) {
  throw X12Error(X12ErrorKind::content, segment, what);
}

std::vector<Adjustment> readCas(const Segment& s) {
  std::vector<Adjustment> out;
  const std::string& group = s.element(1);
  if (group != "CO" && group != "PR" && group != "OA" && group != "PI" && group != "CR")
    content(s.number, "CAS01 is not CO, PR, OA or PI");
  for (std::size_t i = 2; i <= 17; i += 3) {
    if (s.element(i).empty()) {
      if (i == 2) content(s.number, "CAS02 (reason) is missing");
      continue;
    }
    Adjustment a;
    a.group = group;
    a.reason = s.element(i);
    a.amountCents = parseAmount(s.element(i + 1), s.number);
    a.quantity = parseQuantity(s.element(i + 2), s.number, 0);
    out.push_back(std::move(a));
  }
  return out;
}

void readPlb(const Segment& s, char component, std::vector<ProviderAdjustment>& out) {
  for (std::size_t i = 3; i <= 13; i += 2) {
    if (s.element(i).empty()) {
      if (i == 3) content(s.number, "PLB03 (reason) is missing");
      continue;
    }
    auto parts = s.components(i, component);
    ProviderAdjustment p;
    p.providerId = s.element(1);
    p.fiscalPeriod = s.element(2);
    p.reason = parts.empty() ? "" : parts[0];
    p.reference = parts.size() > 1 ? parts[1] : "";
    p.amountCents = parseAmount(s.element(i + 1), s.number);
    out.push_back(std::move(p));
  }
}

enum class Where { header, payer, payee, detail };

struct Reader {
  char component;
  Remittance& r;
  Where where = Where::header;
  bool sawBpr = false, sawTrn = false;

  Party* party() {
    return where == Where::payer ? &r.payer : where == Where::payee ? &r.payee : nullptr;
  }
  ClaimPayment* claim() { return r.claims.empty() ? nullptr : &r.claims.back(); }
  ServicePayment* line() {
    ClaimPayment* c = claim();
    return c == nullptr || c->lines.empty() ? nullptr : &c->lines.back();
  }

  void bpr(const Segment& s) {
    r.handling = s.element(1);
    r.totalCents = parseAmount(s.element(2), s.number);
    r.creditDebit = s.element(3);
    r.paymentMethod = s.element(4);
    r.paymentDate = s.element(16);
    sawBpr = true;
  }

  void clp(const Segment& s) {
    if (where != Where::detail && where != Where::payee)
      content(s.number, "CLP before the payee (N1*PE)");
    where = Where::detail;
    ClaimPayment c;
    c.claimId = s.element(1);
    c.status = s.element(2);
    if (c.claimId.empty() || c.status.empty()) content(s.number, "CLP01/CLP02 missing");
    c.chargeCents = parseAmount(s.element(3), s.number);
    c.paidCents = parseAmount(s.element(4), s.number);
    if (!s.element(5).empty()) c.patientResponsibilityCents = parseAmount(s.element(5), s.number);
    c.filingIndicator = s.element(6);
    c.payerClaimControl = s.element(7);
    c.segment = s.number;
    r.claims.push_back(std::move(c));
  }

  void svc(const Segment& s) {
    ClaimPayment* c = claim();
    if (c == nullptr || where != Where::detail) content(s.number, "SVC outside a claim (no CLP)");
    auto proc = s.components(1, component);
    if (proc.size() < 2) content(s.number, "SVC01 has no procedure code");
    ServicePayment l;
    l.procedureQualifier = proc[0];
    l.procedureCode = proc[1];
    l.modifiers.assign(proc.begin() + 2, proc.end());
    l.chargeCents = parseAmount(s.element(2), s.number);
    l.paidCents = parseAmount(s.element(3), s.number);
    l.units = parseQuantity(s.element(5), s.number, 1);
    l.segment = s.number;
    c->lines.push_back(std::move(l));
  }

  void segment(const Segment& s) {
    const std::string& id = s.id;
    if (id == "BPR") return bpr(s);
    if (id == "TRN") {
      r.traceNumber = s.element(2);
      r.originatorId = s.element(3);
      sawTrn = true;
      return;
    }
    if (id == "DTM" && where == Where::header && s.element(1) == "405") {
      r.productionDate = s.element(2);
      return;
    }
    if (id == "N1") {
      if (where == Where::detail) return;  // no N1 in the detail; read past
      const std::string& code = s.element(1);
      if (code != "PR" && code != "PE") return;
      where = code == "PR" ? Where::payer : Where::payee;
      Party& p = *party();
      p.name = s.element(2);
      p.idQualifier = s.element(3);
      p.id = s.element(4);
      return;
    }
    if ((id == "N3" || id == "N4") && party() != nullptr) {
      Party& p = *party();
      if (id == "N3") p.addressLine = s.element(1);
      if (id == "N4") {
        p.city = s.element(1);
        p.state = s.element(2);
        p.zip = s.element(3);
      }
      return;
    }
    if (id == "PER" && where == Where::payer && s.element(1) == "BL") {
      for (std::size_t i = 3; i + 1 <= s.size(); i += 2)
        if (s.element(i) == "TE") r.payerContactPhone = s.element(i + 1);
      return;
    }
    if (id == "LX") {
      if (where != Where::payee && where != Where::detail)
        content(s.number, "LX before the payee (N1*PE)");
      where = Where::detail;
      return;
    }
    if (id == "CLP") return clp(s);
    if (id == "CAS") {
      if (claim() == nullptr || where != Where::detail) content(s.number, "CAS outside a claim");
      auto adj = readCas(s);
      auto& into = line() != nullptr ? line()->adjustments : claim()->adjustments;
      into.insert(into.end(), adj.begin(), adj.end());
      return;
    }
    if (id == "SVC") return svc(s);
    if (id == "DTM" && line() != nullptr && (s.element(1) == "472" || s.element(1) == "150")) {
      if (line()->serviceDate.empty() || s.element(1) == "472") line()->serviceDate = s.element(2);
      return;
    }
    if (id == "REF" && line() != nullptr && s.element(1) == "6R") {
      line()->lineControl = s.element(2);
      return;
    }
    if (id == "PLB") readPlb(s, component, r.providerAdjustments);
  }
};

void writeCas(detail::SegmentWriter& w, const std::vector<Adjustment>& adjustments) {
  // One CAS per group, in the order the groups first appear; up to 6 reasons each.
  std::vector<std::string> groups;
  for (const auto& a : adjustments) {
    bool seen = false;
    for (const auto& g : groups) seen = seen || g == a.group;
    if (!seen) groups.push_back(a.group);
  }
  for (const auto& g : groups) {
    std::vector<std::string> e;
    for (const auto& a : adjustments) {
      if (a.group != g) continue;
      e.push_back(a.reason);
      e.push_back(formatAmount(a.amountCents));
      e.push_back("");
    }
    if (e.size() > 18) throw X12Error(X12ErrorKind::model, 0, "more than 6 adjustments in a group");
    e.resize(18);
    w.add({"CAS", g,    e[0],  e[1],  e[2],  e[3],  e[4],  e[5],  e[6],  e[7],
           e[8],  e[9], e[10], e[11], e[12], e[13], e[14], e[15], e[16], e[17]});
  }
}

}  // namespace

std::int64_t ClaimPayment::adjustmentCents() const {
  std::int64_t total = 0;
  for (const auto& a : adjustments) total += a.amountCents;
  for (const auto& l : lines)
    for (const auto& a : l.adjustments) total += a.amountCents;
  return total;
}

std::int64_t Remittance::computedTotalCents() const {
  std::int64_t total = 0;
  for (const auto& c : claims) total += c.paidCents;
  for (const auto& p : providerAdjustments) total -= p.amountCents;
  return total;
}

bool RemittanceFile::balanced() const {
  for (const auto& r : remittances)
    if (!r.balanced()) return false;
  return true;
}

RemittanceFile parse835(std::string_view text) {
  Interchange in = parseInterchange(text);
  RemittanceFile out;
  out.envelope = in.envelope;
  auto sets = setsOf(in, "835");
  if (sets.empty()) throw X12Error(X12ErrorKind::content, 1, "no 835 transaction set");
  for (const TransactionSet* set : sets) {
    Remittance r;
    r.controlNumber = set->controlNumber;
    Reader reader{in.separators.component, r};
    for (const Segment& s : set->segments) reader.segment(s);
    if (!reader.sawBpr || !reader.sawTrn)
      throw X12Error(X12ErrorKind::content, set->stSegment, "835 without BPR or TRN");
    if (r.payer.name.empty() || r.payee.name.empty())
      throw X12Error(X12ErrorKind::content, set->stSegment, "835 without N1*PR or N1*PE");
    out.remittances.push_back(std::move(r));
  }
  return out;
}

std::string write835(const Envelope& envelope, const Remittance& r) {
  using detail::require;
  require(r.controlNumber, "remittance.controlNumber");
  require(r.traceNumber, "remittance.traceNumber");
  require(r.originatorId, "remittance.originatorId");
  require(r.paymentDate, "remittance.paymentDate");
  require(r.payer.name, "remittance.payer.name");
  require(r.payee.name, "remittance.payee.name");
  require(r.payee.id, "remittance.payee.id");
  detail::SegmentWriter w;
  w.beginSet("835", r.controlNumber, k835Version);
  std::string method =
      r.paymentMethod.empty() ? (r.totalCents == 0 ? "NON" : "CHK") : r.paymentMethod;
  w.add({"BPR", r.handling.empty() ? "I" : r.handling, formatAmount(r.totalCents),
         r.creditDebit.empty() ? "C" : r.creditDebit, method, "", "", "", "", "", "", "", "", "",
         "", "", r.paymentDate});
  w.add({"TRN", "1", r.traceNumber, r.originatorId});
  if (!r.productionDate.empty()) w.add({"DTM", "405", r.productionDate});
  w.add({"N1", "PR", r.payer.name, r.payer.idQualifier, r.payer.id});
  if (!r.payer.addressLine.empty()) w.add({"N3", r.payer.addressLine});
  if (!r.payer.city.empty()) w.add({"N4", r.payer.city, r.payer.state, r.payer.zip});
  if (!r.payerContactPhone.empty()) w.add({"PER", "BL", "", "TE", r.payerContactPhone});
  w.add({"N1", "PE", r.payee.name, r.payee.idQualifier.empty() ? "XX" : r.payee.idQualifier,
         r.payee.id});
  if (!r.claims.empty()) w.add({"LX", "1"});
  for (const auto& c : r.claims) {
    require(c.claimId, "claim.claimId");
    w.add({"CLP", c.claimId, c.status, formatAmount(c.chargeCents), formatAmount(c.paidCents),
           c.patientResponsibilityCents == 0 ? "" : formatAmount(c.patientResponsibilityCents),
           c.filingIndicator, c.payerClaimControl});
    writeCas(w, c.adjustments);
    for (const auto& l : c.lines) {
      std::string_view m[4];
      for (std::size_t k = 0; k < l.modifiers.size() && k < 4; ++k) m[k] = l.modifiers[k];
      std::string units =
          l.units == 1 ? "" : formatAmount(static_cast<std::int64_t>(l.units * 100));
      w.add({"SVC",
             detail::SegmentWriter::composite(
                 {l.procedureQualifier, l.procedureCode, m[0], m[1], m[2], m[3]}),
             formatAmount(l.chargeCents), formatAmount(l.paidCents), "", units});
      if (!l.serviceDate.empty()) w.add({"DTM", "472", l.serviceDate});
      writeCas(w, l.adjustments);
      if (!l.lineControl.empty()) w.add({"REF", "6R", l.lineControl});
    }
  }
  for (const auto& p : r.providerAdjustments)
    w.add({"PLB", p.providerId, p.fiscalPeriod,
           detail::SegmentWriter::composite({p.reason, p.reference}), formatAmount(p.amountCents)});
  w.endSet(r.controlNumber);
  return detail::enveloped(envelope, "HP", k835Version, w.text());
}

}  // namespace vigil::x12
