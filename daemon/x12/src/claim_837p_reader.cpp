// The 837P reader: the model back from the text, for `vigil-devtool x12 parse` and the cloud
// stand-in's clearinghouse. It follows the hierarchical levels (HL 20 billing provider, 22
// subscriber, 23 patient) and the last NM1's entity to place N3/N4/DMG/REF/PRV; it accepts what
// another writer may add (it skips segments the model has no place for) but refuses loops out of
// order (content) so a claim is never filed under the wrong subscriber.
#include <cstdlib>

#include "vigil/x12/claim_837p.hpp"

namespace vigil::x12 {
namespace {

[[noreturn]] void content(std::size_t segment, const std::string& what) {
  throw X12Error(X12ErrorKind::content, segment, what);
}

enum class Entity { none, submitter, receiver, billing, subscriber, payer, patient, rendering };

struct Reader {
  const Separators& seps;
  ClaimBatch& batch;
  Entity entity = Entity::none;
  std::string level;  // HL03 of the current hierarchical level
  // The subscriber level's data, copied into each claim under it.
  Claim context;
  bool haveSubscriber = false;
  Claim* claim = nullptr;
  ServiceLine* line = nullptr;

  Address* address() {
    switch (entity) {
      case Entity::billing:
        return &batch.billingProvider.address;
      case Entity::subscriber:
        return claim != nullptr ? &claim->subscriber.address : &context.subscriber.address;
      case Entity::patient:
        if (claim != nullptr) return claim->patient ? &claim->patient->address : nullptr;
        return context.patient ? &context.patient->address : nullptr;
      default:
        return nullptr;
    }
  }

  Person* person() {
    Claim& c = claim != nullptr ? *claim : context;
    if (entity == Entity::subscriber) return &c.subscriber;
    if (entity == Entity::patient && c.patient) return &*c.patient;
    return nullptr;
  }

  static void readName(const Segment& s, Person& p) {
    p.lastName = s.element(3);
    p.firstName = s.element(4);
    p.middleName = s.element(5);
  }

  void nm1(const Segment& s) {
    const std::string& code = s.element(1);
    line = nullptr;
    if (code == "41") {
      entity = Entity::submitter;
      batch.submitter.name = s.element(3);
      batch.submitter.id = s.element(9);
    } else if (code == "40") {
      entity = Entity::receiver;
      batch.receiver.name = s.element(3);
      batch.receiver.id = s.element(9);
    } else if (code == "85") {
      entity = Entity::billing;
      batch.billingProvider.organizationName = s.element(3);
      batch.billingProvider.npi = s.element(9);
    } else if (code == "IL") {
      if (level != "22") content(s.number, "NM1*IL outside a subscriber level");
      entity = Entity::subscriber;
      readName(s, context.subscriber);
      context.subscriber.memberId = s.element(9);
    } else if (code == "PR") {
      entity = Entity::payer;
      if (level == "22" && claim == nullptr) {
        context.payer.name = s.element(3);
        context.payer.id = s.element(9);
      }
    } else if (code == "QC") {
      if (level != "23") content(s.number, "NM1*QC outside a patient level");
      entity = Entity::patient;
      if (!context.patient) context.patient.emplace();
      readName(s, *context.patient);
    } else if (code == "82") {
      if (claim == nullptr) content(s.number, "NM1*82 before its CLM");
      entity = Entity::rendering;
      claim->renderingLastName = s.element(3);
      claim->renderingFirstName = s.element(4);
      claim->renderingProviderNpi = s.element(9);
    } else {
      entity = Entity::none;  // other names (pay-to, referring, facility ...) are not modelled
    }
  }

  void hl(const Segment& s) {
    level = s.element(3);
    claim = nullptr;
    line = nullptr;
    entity = Entity::none;
    if (level == "22") {
      context = Claim{};
      context.patient.reset();
      haveSubscriber = true;
    } else if (level == "23") {
      if (!haveSubscriber) content(s.number, "a patient level without its subscriber");
    } else if (level != "20") {
      content(s.number, "HL03 is not 20, 22 or 23");
    }
  }

  void clm(const Segment& s) {
    if (!haveSubscriber || (level != "22" && level != "23"))
      content(s.number, "CLM outside a subscriber or patient level");
    batch.claims.push_back(context);
    claim = &batch.claims.back();
    line = nullptr;
    entity = Entity::none;
    claim->lines.clear();
    claim->diagnosisCodes.clear();
    claim->claimId = s.element(1);
    claim->totalChargeCents = parseAmount(s.element(2), s.number);
    auto place = s.components(5, seps.component);
    claim->placeOfService = place.empty() ? "" : place[0];
    claim->frequency = place.size() > 2 && !place[2].empty() ? place[2][0] : '1';
  }

  void hi(const Segment& s) {
    if (claim == nullptr) content(s.number, "HI before its CLM");
    for (std::size_t i = 1; i <= s.size(); ++i) {
      auto parts = s.components(i, seps.component);
      if (parts.size() >= 2 &&
          (parts[0] == "ABK" || parts[0] == "ABF" || parts[0] == "BK" || parts[0] == "BF"))
        claim->diagnosisCodes.push_back(parts[1]);
    }
  }

  void sv1(const Segment& s) {
    if (claim == nullptr || line == nullptr) content(s.number, "SV1 before its LX");
    auto proc = s.components(1, seps.component);
    if (proc.size() < 2 || proc[0] != "HC") content(s.number, "SV101 is not an HC procedure");
    line->procedureCode = proc[1];
    line->modifiers.assign(proc.begin() + 2, proc.end());
    line->chargeCents = parseAmount(s.element(2), s.number);
    line->units = parseQuantity(s.element(4), s.number, 1);
    line->diagnosisPointers.clear();
    for (const auto& p : s.components(7, seps.component)) {
      if (p.size() != 1 || p[0] < '1' || p[0] > '9') content(s.number, "SV107 is not a pointer");
      line->diagnosisPointers.push_back(p[0] - '0');
    }
  }

  void segment(const Segment& s) {
    const std::string& id = s.id;
    if (id == "BHT") {
      batch.batchId = s.element(3);
      batch.envelope.date = s.element(4);
      batch.envelope.time = s.element(5);
    } else if (id == "NM1") {
      nm1(s);
    } else if (id == "PER" && entity == Entity::submitter) {
      batch.submitter.contactName = s.element(2);
      for (std::size_t i = 3; i + 1 <= s.size(); i += 2) {
        if (s.element(i) == "TE") batch.submitter.phone = s.element(i + 1);
        if (s.element(i) == "EM") batch.submitter.email = s.element(i + 1);
      }
    } else if (id == "HL") {
      hl(s);
    } else if (id == "PRV") {
      if (s.element(1) == "BI") batch.billingProvider.taxonomy = s.element(3);
      if (s.element(1) == "PE" && claim != nullptr) claim->renderingTaxonomy = s.element(3);
    } else if (id == "N3" || id == "N4") {
      Address* a = address();
      if (a != nullptr && id == "N3") {
        a->line1 = s.element(1);
        a->line2 = s.element(2);
      } else if (a != nullptr) {
        a->city = s.element(1);
        a->state = s.element(2);
        a->zip = s.element(3);
      }
    } else if (id == "REF") {
      if (entity == Entity::billing && s.element(1) == "EI")
        batch.billingProvider.taxId = s.element(2);
      if (line != nullptr && s.element(1) == "6R") line->lineControl = s.element(2);
    } else if (id == "DMG") {
      if (Person* p = person()) {
        p->birthDate = s.element(2);
        p->gender = s.element(3).empty() ? 'U' : s.element(3)[0];
      }
    } else if (id == "SBR") {
      if (level != "22") content(s.number, "SBR outside a subscriber level");
      context.payerResponsibility = s.element(1);
      context.claimFilingIndicator = s.element(9);
    } else if (id == "PAT") {
      if (!context.patient) context.patient.emplace();
      context.patientRelationship = s.element(1);
    } else if (id == "CLM") {
      clm(s);
    } else if (id == "HI") {
      hi(s);
    } else if (id == "LX") {
      if (claim == nullptr) content(s.number, "LX before its CLM");
      claim->lines.emplace_back();
      line = &claim->lines.back();
      entity = Entity::none;
    } else if (id == "SV1") {
      sv1(s);
    } else if (id == "DTP" && line != nullptr && s.element(1) == "472") {
      line->serviceDate = s.element(3);
    }
  }
};

}  // namespace

ClaimBatch parse837p(std::string_view text) {
  Interchange in = parseInterchange(text);
  ClaimBatch batch;
  batch.envelope = in.envelope;
  auto sets = setsOf(in, "837");
  if (sets.empty()) throw X12Error(X12ErrorKind::content, 1, "no 837 transaction set");
  for (const TransactionSet* set : sets) {
    batch.transactionControlNumber = set->controlNumber;
    Reader r{in.separators, batch};
    // The claims vector grows: pointers into it are re-taken after every CLM/LX (push_back
    // may move it), so `claim` always points at the last element.
    for (const Segment& s : set->segments) {
      if (r.claim != nullptr) r.claim = &batch.claims.back();
      if (r.claim != nullptr && r.line != nullptr) r.line = &r.claim->lines.back();
      r.segment(s);
    }
  }
  return batch;
}

}  // namespace vigil::x12
