// Routing: the NCPDP message of a prescription, the rx.submit / rx.cancel payloads that carry it
// through the cloud link (docs/cloud-api.md), and the rx.status handler that applies the
// pharmacy's answers once.
//
// Status moves only forward: a late "received" after "filled" is recorded in the history but
// does not move the status back (the inbox may deliver out of order across pages); a CancelRx
// answer ("cancelled", "cancel_denied") applies only to a prescription whose cancel was asked.

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <set>
#include <sstream>

#include "rx_internal.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/time.hpp"
#include "vigil/licensing/licenses.hpp"
#include "vigil/patients/patient_record.hpp"
#include "vigil/rx/prescribers.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/sync/envelope.hpp"

namespace vigil::rx {

using store::Connection;

std::string prescriptionStream(std::string_view uuid) {
  return "rx/" + std::string(uuid);
}

namespace detail {

ScriptMessage scriptFor(Connection& c, const crypto::FieldCipher& cipher,
                        const patients::PatientRecordService& records, const ClinicInfo& clinic,
                        const Prescription& p, TimePoint now) {
  ScriptMessage m;
  m.sentTime = core::formatUtc(now, core::Fraction::millis);
  m.orderNumber = p.uuid;
  m.epcsSigned = p.drug.schedule != 0 && p.signedWith == "password+totp";
  const auto record = records.currentIn(c, p.patientId, false);
  m.pharmacyNcpdp = p.pharmacyNcpdp;
  m.pharmacyName = record.pharmacy.name;
  m.clinicId = clinic.name;
  m.prescriberNpi = licensing::LicenseService::npiIn(c, p.prescriberId).value_or("");
  if (p.drug.schedule != 0)
    for (const auto& r : PrescriberService::deaOfIn(c, p.prescriberId))
      if (r.state == p.patientState) m.prescriberDea = r.number;
  auto user = security::AccountService::findUserIn(c, cipher, p.prescriberId);
  const std::string display = user ? user->displayName : "";
  const auto space = display.rfind(' ');
  m.prescriberLast = space == std::string::npos ? display : display.substr(space + 1);
  m.prescriberFirst = space == std::string::npos ? "" : display.substr(0, space);
  m.clinicAddress1 = clinic.address1;
  m.clinicCity = clinic.city;
  m.clinicState = clinic.state;
  m.clinicPostal = clinic.postalCode;
  m.clinicPhone = clinic.phone;
  m.patientLast = record.demographics.familyName;
  m.patientFirst = record.demographics.givenName;
  m.patientBirthDate = record.demographics.birthDate;
  const auto& a = record.contact.address;
  m.patientAddress1 = a.line1;
  m.patientCity = a.city;
  m.patientState = a.region;
  m.patientPostal = a.postalCode;
  m.drugDescription = p.drug.name;
  m.rxcui = p.drug.rxcui;
  m.schedule = p.drug.schedule;
  m.quantity = p.quantity;
  m.quantityUnit = p.quantityUnit;
  m.daysSupply = p.daysSupply;
  m.writtenDate = licensing::formatDate(licensing::utcDate(p.signedAt.value_or(now)));
  m.substitution = p.substitution;
  m.refills = p.refills;
  m.sig = p.sig;
  m.note = p.note;
  return m;
}

std::string payloadFor(const Prescription& p, const ScriptMessage& m, const std::string& xml) {
  Poco::JSON::Object o;
  o.set("prescriptionId", p.uuid);
  o.set("pharmacyId", p.pharmacyNcpdp);
  Poco::JSON::Object patient;
  patient.set("state", p.patientState);
  o.set("patient", patient);
  Poco::JSON::Object prescriber;
  prescriber.set("npi", m.prescriberNpi);
  o.set("prescriber", prescriber);
  Poco::JSON::Object medication;
  medication.set("description", p.drug.name);
  medication.set("rxcui", p.drug.rxcui);
  medication.set("schedule", p.drug.schedule);
  o.set("medication", medication);
  o.set("ncpdpVersion", "2017071");
  o.set("script", xml);
  std::ostringstream out;
  o.stringify(out);
  return out.str();
}

}  // namespace detail

namespace {

const std::set<std::string, std::less<>> kTerminal = {"filled", "not_filled", "cancelled", "error"};

/// The status a pharmacy answer moves `current` to, or nothing (kept in the history only).
std::optional<std::string> nextStatus(const std::string& current, const std::string& answer) {
  if (answer == "received") {
    if (current == "signed") return "received";
    return std::nullopt;
  }
  if (answer == "cancelled" || answer == "cancel_denied") {
    if (current == "cancel_requested") return answer;
    return std::nullopt;
  }
  if (answer == "filled" || answer == "not_filled" || answer == "change_requested" ||
      answer == "rejected") {
    if (kTerminal.contains(current) || current == "draft") return std::nullopt;
    return answer == "rejected" ? "error" : answer;
  }
  return std::nullopt;
}

}  // namespace

std::function<void(Connection&, const sync::Header&, std::string_view)> statusHandler(
    security::AuditLog& audit, Clock& clock) {
  return [&audit, &clock](Connection& c, const sync::Header& header, std::string_view payload) {
    Poco::JSON::Parser parser;
    auto o = parser.parse(std::string(payload)).extract<Poco::JSON::Object::Ptr>();
    const auto uuid = o->optValue<std::string>("prescriptionId", "");
    std::string answer = o->optValue<std::string>("status", "");
    if (answer == "dispensed") answer = "filled";  // the contract's first word for it
    const auto reason = o->optValue<std::string>("reason", "");
    auto s = c.prepare("SELECT id, patient_id, status FROM prescriptions WHERE uuid = ?1");
    s.bind(1, uuid);
    if (!s.step()) {
      log::warn("rx.status_unknown_prescription", {{"message", header.id}});
      return;
    }
    const auto id = s.getInt64(0);
    const auto patientId = s.getInt64(1);
    const auto current = s.getText(2);
    if (!detail::eventIn(c, id, clock.now(), answer, reason, std::nullopt, header.id)) return;
    auto next = nextStatus(current, answer);
    if (next)
      c.execute(
          "UPDATE prescriptions SET status = ?2, status_reason = ?3, updated_at = ?4 WHERE id = ?1",
          id, *next, reason, core::toMillis(clock.now()));
    security::AuditEvent e;
    e.actorRole = "system";
    e.action = "prescription.status";
    e.objectType = "prescription";
    e.objectId = std::to_string(id);
    e.patientId = patientId;
    e.reason = answer + (next ? "" : " (history only)");
    audit.append(c, e);
    log::info("rx.status_applied", {{"message", header.id}, {"prescription", id}});
  };
}

}  // namespace vigil::rx
