#include "vigil/rx/prescriptions.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "rx_internal.hpp"
#include "vigil/core/time.hpp"
#include "vigil/crypto/field_cipher.hpp"
#include "vigil/crypto/random.hpp"
#include "vigil/licensing/licenses.hpp"
#include "vigil/patients/patient_record.hpp"
#include "vigil/rx/prescribers.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::rx {

using security::Actor;
using store::Connection;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

crypto::FieldRef textRef(std::int64_t id) {
  return {"prescriptions", "text", std::to_string(id)};
}

std::string severityName(patients::AllergySeverity s) {
  switch (s) {
    case patients::AllergySeverity::mild:
      return "mild";
    case patients::AllergySeverity::moderate:
      return "moderate";
    case patients::AllergySeverity::severe:
      return "severe";
    default:
      return "unknown";
  }
}

std::string licenseMessage(const std::string& reason) {
  if (reason == licensing::kPatientStateUnknown) return "The patient's state is not recorded.";
  if (reason == licensing::kLicenseExpired)
    return "Your license in the patient's state has expired.";
  if (reason == licensing::kLicenseSuspended)
    return "Your license in the patient's state is suspended.";
  if (reason == licensing::kLicenseRevoked)
    return "Your license in the patient's state is revoked.";
  if (reason == licensing::kLicenseNotYetValid)
    return "Your license in the patient's state is not valid yet.";
  return "You hold no license in the patient's state.";
}

void validateInput(const PrescriptionInput& in) {
  if (in.sig.empty() || in.sig.size() > 1000) throw ValidationError("sig: 1 to 1000 characters");
  if (in.note.size() > 210) throw ValidationError("note: at most 210 characters");
  bool dot = false, digit = false, ok = !in.quantity.empty() && in.quantity.size() <= 11;
  for (char ch : in.quantity) {
    if (ch == '.' && !dot) {
      dot = true;
    } else if (std::isdigit(static_cast<unsigned char>(ch))) {
      digit = digit || ch != '0';
    } else {
      ok = false;
    }
  }
  if (!ok || !digit) throw ValidationError("quantity: a positive number such as 30 or 8.5");
  static const char* kUnits[] = {"tablet", "capsule", "mL", "inhaler", "each", "g", "patch"};
  if (std::none_of(std::begin(kUnits), std::end(kUnits),
                   [&](const char* u) { return in.quantityUnit == u; }))
    throw ValidationError("quantity_unit: tablet, capsule, mL, inhaler, each, g or patch");
  if (in.daysSupply < 1 || in.daysSupply > 365) throw ValidationError("days_supply: 1 to 365");
  if (in.refills < 0 || in.refills > 11) throw ValidationError("refills: 0 to 11");
  for (const auto& k : in.acknowledged)
    if (k != "allergy" && k != "duplicate")
      throw ValidationError("acknowledged: allergy or duplicate");
}

}  // namespace

namespace detail {

std::string textJson(const std::string& sig, const std::string& note) {
  Poco::JSON::Object o;
  o.set("sig", sig);
  o.set("note", note);
  std::ostringstream out;
  o.stringify(out);
  return out.str();
}

std::optional<Prescription> loadIn(Connection& c, const crypto::FieldCipher& cipher,
                                   std::int64_t id) {
  auto s = c.prepare(
      "SELECT p.id, p.uuid, p.patient_id, p.prescriber_id, p.drug_id, p.rxcui, p.drug_name, "
      "p.strength, p.form, p.schedule, p.quantity, p.quantity_unit, p.days_supply, p.refills, "
      "p.substitution, p.text_enc, p.patient_state, p.pharmacy_ncpdp, p.in_person_on, "
      "p.rule_quoted, p.warnings, p.status, p.status_reason, p.signed_at, p.signed_with, "
      "p.replaces_id, p.created_at, p.updated_at, d.ingredient_rxcui, d.generic, d.route "
      "FROM prescriptions p JOIN rx_drugs d ON d.id = p.drug_id WHERE p.id = ?1");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  Prescription p;
  p.id = s.getInt64(0);
  p.uuid = s.getText(1);
  p.patientId = s.getInt64(2);
  p.prescriberId = s.getInt64(3);
  p.drug.id = s.getInt64(4);
  p.drug.rxcui = s.isNull(5) ? "" : s.getText(5);
  p.drug.name = s.getText(6);
  p.drug.strength = s.getText(7);
  p.drug.form = s.getText(8);
  p.drug.schedule = static_cast<int>(s.getInt64(9));
  p.quantity = s.getText(10);
  p.quantityUnit = s.getText(11);
  p.daysSupply = static_cast<int>(s.getInt64(12));
  p.refills = static_cast<int>(s.getInt64(13));
  p.substitution = s.getInt64(14) != 0;
  const auto blob = s.getBlob(15);
  p.patientState = s.getText(16);
  p.pharmacyNcpdp = s.getText(17);
  if (!s.isNull(18)) p.inPersonOn = licensing::parseDate(s.getText(18));
  p.ruleQuoted = s.getText(19);
  p.warnings = s.getText(20);
  p.status = s.getText(21);
  p.statusReason = s.getText(22);
  if (!s.isNull(23)) p.signedAt = core::fromMillis(s.getInt64(23));
  p.signedWith = s.isNull(24) ? "" : s.getText(24);
  p.replacesId = s.get<std::optional<std::int64_t>>(25);
  p.createdAt = core::fromMillis(s.getInt64(26));
  p.updatedAt = core::fromMillis(s.getInt64(27));
  p.drug.ingredientRxcui = s.isNull(28) ? "" : s.getText(28);
  p.drug.generic = s.getText(29);
  p.drug.route = s.getText(30);
  Poco::JSON::Parser parser;
  auto text =
      parser.parse(cipher.decryptText(textRef(p.id), blob)).extract<Poco::JSON::Object::Ptr>();
  p.sig = text->getValue<std::string>("sig");
  p.note = text->getValue<std::string>("note");
  return p;
}

std::vector<std::int64_t> idsOfPatientIn(Connection& c, std::int64_t patientId) {
  auto s = c.prepare(
      "SELECT id FROM prescriptions WHERE patient_id = ?1 ORDER BY created_at DESC, id DESC");
  s.bind(1, patientId);
  std::vector<std::int64_t> out;
  while (s.step()) out.push_back(s.getInt64(0));
  return out;
}

bool eventIn(Connection& c, std::int64_t prescriptionId, TimePoint at, std::string_view kind,
             std::string_view detail, std::optional<std::int64_t> byUser,
             const std::optional<std::string>& messageId) {
  return c.execute(
             "INSERT INTO prescription_events (prescription_id, at, kind, detail, by_user, "
             "message_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (message_id) DO NOTHING",
             prescriptionId, core::toMillis(at), kind, detail, byUser, messageId) == 1;
}

}  // namespace detail

PrescriptionService::PrescriptionService(store::Database& db, security::AuditLog& audit,
                                         const crypto::FieldCipher& cipher,
                                         patients::PatientRecordService& records,
                                         security::AccountService& accounts, sync::Link* link,
                                         Clock& clock)
    : db_(db),
      audit_(audit),
      cipher_(cipher),
      records_(records),
      accounts_(accounts),
      link_(link),
      clock_(clock) {}

namespace {

/// The prescription's patient (the access check's subject); NotFound when there is none.
std::int64_t patientOfPrescription(store::Database& db, std::int64_t prescriptionId) {
  auto patientId = db.read([&](Connection& c) {
    return c.queryValue<std::int64_t>("SELECT patient_id FROM prescriptions WHERE id = ?1",
                                      prescriptionId);
  });
  if (!patientId) throw NotFound("prescription");
  return *patientId;
}

}  // namespace

std::string PrescriptionService::reasonFor(const Actor& actor, std::int64_t patientId,
                                           std::string_view given) {
  return db_.read([&](Connection& c) {
    return security::AccessGuard::breakGlassReasonIn(c, actor, patientId, given, clock_.now());
  });
}

Precheck PrescriptionService::precheckIn(Connection& c, const Actor& actor, std::int64_t patientId,
                                         const std::optional<Drug>& drug) {
  Precheck out;
  auto& m = out.missing;
  // The prescriber.
  if (!licensing::LicenseService::npiIn(c, actor.id))
    m.push_back({"npi", "You have no NPI on file.",
                 "An admin adds your NPI under Admin > Licenses (your provider row)."});
  const auto record = records_.currentIn(c, patientId, true);
  out.patientState = record.demographics.state;
  const auto today = licensing::utcDate(clock_.now());
  if (out.patientState.empty()) {
    m.push_back({"patient_state", "The patient's state of residence is not recorded.",
                 "Record the patient's state on their record (Demographics)."});
  } else {
    auto e = licensing::LicenseService::eligibilityIn(c, actor.id, out.patientState, today);
    if (!e.eligible)
      m.push_back({"license", licenseMessage(e.reason),
                   "An admin adds or renews your " + out.patientState +
                       " license under Admin > Licenses."});
  }
  // The patient.
  if (record.demographics.birthDate.empty())
    m.push_back({"birth_date", "The patient's birth date is not recorded.",
                 "Record it on the patient's record (Demographics)."});
  const auto& a = record.contact.address;
  if (a.line1.empty() || a.city.empty() || a.region.empty() || a.postalCode.empty())
    m.push_back({"address", "The patient's address is incomplete (street, city, state, ZIP).",
                 "Complete it on the patient's record (Contact)."});
  out.pharmacyName = record.pharmacy.name;
  out.pharmacyNcpdp = record.pharmacy.ncpdpId;
  if (record.pharmacy.name.empty() || record.pharmacy.ncpdpId.empty())
    m.push_back({"pharmacy", "The patient has no preferred pharmacy with its NCPDP ID.",
                 "Add the preferred pharmacy and its 7-digit NCPDP ID on the patient's record "
                 "(Pharmacy)."});
  // A controlled substance: DEA in the state, EPCS access.
  out.epcsAccess = PrescriberService::epcsAccessIn(c, actor.id).granted;
  if (drug && drug->schedule != 0) {
    bool dea = false;
    for (const auto& r : PrescriberService::deaOfIn(c, actor.id))
      dea = dea || (r.state == out.patientState &&
                    std::chrono::sys_days(r.expiresOn) >= std::chrono::sys_days(today));
    if (!dea)
      m.push_back(
          {"dea",
           "You have no current DEA registration in " +
               (out.patientState.empty() ? std::string("the patient's state") : out.patientState) +
               " for controlled substances.",
           "An admin adds your DEA registration for that state under Admin > Licenses "
           "(DEA)."});
    if (!out.epcsAccess)
      m.push_back({"epcs_access",
                   "Your EPCS access (signing controlled substances) is not granted.",
                   "Two people approve it, one of them an admin: Admin > Licenses > EPCS access."});
  }
  for (const auto& al : record.allergies)
    out.allergies.push_back({al.substance, al.reaction, severityName(al.severity)});
  for (const auto& med : record.medications)
    if (med.status == patients::MedicationStatus::active)
      out.medications.push_back({med.rxcui, med.name, med.instructions});
  out.ready = m.empty();
  return out;
}

std::vector<Warning> PrescriptionService::warningsIn(Connection& c, std::int64_t patientId,
                                                     const Drug& drug) {
  std::vector<Warning> out;
  const auto record = records_.currentIn(c, patientId, true);
  const auto name = lower(drug.name), generic = lower(drug.generic);
  for (const auto& al : record.allergies) {
    const auto substance = lower(al.substance);
    if (substance.size() < 3) continue;
    if (name.find(substance) != std::string::npos || generic.find(substance) != std::string::npos ||
        substance.find(generic) != std::string::npos)
      out.push_back({"allergy", "Documented allergy: " + al.substance +
                                    (al.reaction.empty() ? "" : " (" + al.reaction + ")") +
                                    ", severity " + severityName(al.severity) + "."});
  }
  for (const auto& med : record.medications) {
    if (med.status != patients::MedicationStatus::active) continue;
    if ((!drug.rxcui.empty() && med.rxcui == drug.rxcui) || lower(med.name) == name)
      out.push_back({"duplicate", "Already an active medication: " + med.name + "."});
  }
  auto open = c.queryValue<std::int64_t>(
      "SELECT count(*) FROM prescriptions WHERE patient_id = ?1 AND drug_id = ?2 AND status IN "
      "('draft', 'signed', 'received', 'change_requested')",
      patientId, drug.id);
  if (open.value_or(0) > 0)
    out.push_back({"duplicate", "An open prescription of " + drug.name + " exists already."});
  return out;
}

Precheck PrescriptionService::precheck(const Actor& actor, std::int64_t patientId,
                                       std::optional<std::int64_t> drugId,
                                       std::string_view breakGlassReason) {
  const auto reason = reasonFor(actor, patientId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  return guard.read(
      actor, security::operation("prescription.precheck"), patientId,
      {"patient", std::to_string(patientId)},
      [&](Connection& c) {
        std::optional<Drug> drug;
        if (drugId) {
          drug = DrugCatalog::getIn(c, *drugId);
          if (!drug) throw NotFound("drug");
        }
        return precheckIn(c, actor, patientId, drug);
      },
      reason);
}

std::vector<Warning> PrescriptionService::warnings(const Actor& actor, std::int64_t patientId,
                                                   const PrescriptionInput& input,
                                                   std::string_view breakGlassReason) {
  const auto reason = reasonFor(actor, patientId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  return guard.read(
      actor, security::operation("prescription.precheck"), patientId,
      {"patient", std::to_string(patientId)},
      [&](Connection& c) {
        auto drug = DrugCatalog::getIn(c, input.drugId);
        if (!drug) throw NotFound("drug");
        return warningsIn(c, patientId, *drug);
      },
      reason);
}

Prescription PrescriptionService::create(const Actor& actor, std::int64_t patientId,
                                         const PrescriptionInput& in,
                                         std::string_view breakGlassReason) {
  validateInput(in);
  const auto reason = reasonFor(actor, patientId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  return guard.write(
      actor, security::operation("prescription.write"), patientId,
      {"patient", std::to_string(patientId)},
      [&](Connection& c) {
        auto drug = DrugCatalog::getIn(c, in.drugId);
        if (!drug) throw NotFound("drug");
        auto pre = precheckIn(c, actor, patientId, drug);
        if (!pre.ready) throw PrecheckFailed(pre.missing);
        std::string quoted;
        if (drug->schedule != 0) {
          auto rule = StateRuleService::applicableIn(c, pre.patientState, drug->schedule);
          auto broken = breaches(rule, in.daysSupply, in.refills, in.telehealth, in.inPersonOn);
          if (!broken.empty()) throw RuleBroken(std::move(broken), rule.quoted);
          quoted = rule.quoted;
        }
        if (in.replaces) {
          auto old = detail::loadIn(c, cipher_, *in.replaces);
          if (!old || old->patientId != patientId) throw NotFound("prescription to replace");
          if (old->status != "cancelled")
            throw ValidationError("replaces: only a cancelled prescription is replaced");
        }
        auto warns = warningsIn(c, patientId, *drug);
        std::vector<Warning> unacked;
        std::string acked;
        for (const auto& w : warns) {
          const bool seen = std::find(in.acknowledged.begin(), in.acknowledged.end(), w.kind) !=
                            in.acknowledged.end();
          if (!seen) unacked.push_back(w);
          if (seen && acked.find(w.kind) == std::string::npos)
            acked += (acked.empty() ? "" : ",") + w.kind;
        }
        if (!unacked.empty()) throw WarningsToAcknowledge(std::move(unacked));
        const auto now = core::toMillis(clock_.now());
        c.execute(
            "INSERT INTO prescriptions (uuid, patient_id, prescriber_id, drug_id, rxcui, "
            "drug_name, strength, form, schedule, quantity, quantity_unit, days_supply, refills, "
            "substitution, text_enc, patient_state, pharmacy_ncpdp, in_person_on, rule_quoted, "
            "warnings, status, replaces_id, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, "
            "NULLIF(?5, ''), ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?22, ?15, ?16, ?17, ?18, "
            "?19, 'draft', ?20, ?21, ?21)",
            crypto::randomUuid(), patientId, actor.id, drug->id, drug->rxcui, drug->name,
            drug->strength, drug->form, static_cast<std::int64_t>(drug->schedule), in.quantity,
            in.quantityUnit, static_cast<std::int64_t>(in.daysSupply),
            static_cast<std::int64_t>(in.refills), static_cast<std::int64_t>(in.substitution),
            pre.patientState, pre.pharmacyNcpdp,
            in.inPersonOn ? std::optional<std::string>(licensing::formatDate(*in.inPersonOn))
                          : std::nullopt,
            quoted, acked, in.replaces, now, store::Blob{});  // text_enc: set below
        const auto id = c.lastInsertRowid();
        auto enc = cipher_.encrypt(textRef(id), detail::textJson(in.sig, in.note));
        c.execute("UPDATE prescriptions SET text_enc = ?2 WHERE id = ?1", id, store::BlobView{enc});
        detail::eventIn(c, id, clock_.now(), "created", acked, actor.id);
        return *detail::loadIn(c, cipher_, id);
      },
      reason);
}

void PrescriptionService::discard(const Actor& actor, std::int64_t prescriptionId,
                                  std::string_view breakGlassReason) {
  const auto patientId = patientOfPrescription(db_, prescriptionId);
  const auto reason = reasonFor(actor, patientId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  guard.write(
      actor, security::operation("prescription.write"), patientId,
      {"prescription", std::to_string(prescriptionId)},
      [&](Connection& c) {
        auto p = detail::loadIn(c, cipher_, prescriptionId);
        if (!p || p->prescriberId != actor.id) throw NotFound("prescription");
        if (p->status != "draft")
          throw ValidationError("status: a signed prescription is cancelled, not discarded");
        c.execute("DELETE FROM prescription_events WHERE prescription_id = ?1", prescriptionId);
        c.execute("DELETE FROM prescriptions WHERE id = ?1", prescriptionId);
      },
      reason);
}

Prescription PrescriptionService::get(const Actor& actor, std::int64_t prescriptionId,
                                      std::string_view breakGlassReason) {
  const auto patientId = patientOfPrescription(db_, prescriptionId);
  const auto reason = reasonFor(actor, patientId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  auto p = guard.read(
      actor, security::operation("prescription.list"), patientId,
      {"prescription", std::to_string(prescriptionId)},
      [&](Connection& c) { return detail::loadIn(c, cipher_, prescriptionId); }, reason);
  if (!p || (actor.role == security::Role::patient && p->status == "draft"))
    throw NotFound("prescription");
  return *p;
}

std::vector<Prescription> PrescriptionService::list(const Actor& actor, std::int64_t patientId,
                                                    std::string_view breakGlassReason) {
  const auto reason = reasonFor(actor, patientId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  return guard.read(
      actor, security::operation("prescription.list"), patientId,
      {"patient", std::to_string(patientId)},
      [&](Connection& c) {
        std::vector<Prescription> out;
        for (auto id : detail::idsOfPatientIn(c, patientId)) {
          auto p = detail::loadIn(c, cipher_, id);
          if (!p) continue;
          if (actor.role == security::Role::patient && p->status == "draft") continue;
          out.push_back(std::move(*p));
        }
        return out;
      },
      reason);
}

std::vector<Prescription> PrescriptionService::forPatientIn(Connection& c,
                                                            const crypto::FieldCipher& cipher,
                                                            std::int64_t patientId) {
  std::vector<Prescription> out;
  for (auto id : detail::idsOfPatientIn(c, patientId))
    if (auto p = detail::loadIn(c, cipher, id)) out.push_back(std::move(*p));
  return out;
}

std::vector<SigningLogEntry> PrescriptionService::signingLog(const Actor& actor, int limit) {
  if (limit < 1 || limit > 500) throw ValidationError("limit: 1 to 500");
  security::AccessGuard guard(db_, audit_);
  return guard.read(
      actor, security::operation("prescription.signing_log"), std::nullopt,
      {"prescriber", std::to_string(actor.id)}, [&](Connection& c) {
        auto s = c.prepare(
            "SELECT e.prescription_id, p.patient_id, p.drug_name, p.schedule, e.kind, e.detail, "
            "e.at FROM prescription_events e JOIN prescriptions p ON p.id = e.prescription_id "
            "WHERE p.prescriber_id = ?1 AND e.kind IN ('signed', 'sign_refused', 'cancelled', "
            "'cancel_requested') ORDER BY e.at DESC, e.id DESC LIMIT ?2");
        s.bind(1, actor.id).bind(2, static_cast<std::int64_t>(limit));
        std::vector<SigningLogEntry> out;
        while (s.step())
          out.push_back({s.getInt64(0), s.getInt64(1), s.getText(2),
                         static_cast<int>(s.getInt64(3)), s.getText(4), s.getText(5),
                         core::fromMillis(s.getInt64(6))});
        return out;
      });
}

}  // namespace vigil::rx
