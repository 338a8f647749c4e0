// Mappers of the FHIR API's order-like resources (issue 26): MedicationRequest (prescriptions,
// daemon/rx), Flag (open alerts, daemon/alerts) and Appointment (daemon/scheduling, only when
// scheduling is built).

#include <Poco/NumberParser.h>

#include "json_util.hpp"
#include "vigil/fhir/resources.hpp"

namespace vigil::fhir {
namespace {

using namespace json;

constexpr std::string_view kFlagCategorySystem =
    "http://terminology.hl7.org/CodeSystem/flag-category";

/// A prescription's quantity ("30", "8.5") as a JSON number: whole numbers stay integers.
Poco::Dynamic::Var decimal(const std::string& text) {
  Poco::Int64 whole = 0;
  if (Poco::NumberParser::tryParse64(text, whole)) return whole;
  double value = 0;
  if (Poco::NumberParser::tryParseFloat(text, value)) return value;
  return Poco::Dynamic::Var();
}

/// The words of an alert's kind (alert_rule.hpp's RuleKind), without the rule's numbers.
std::string_view kindText(alerts::RuleKind kind) {
  switch (kind) {
    case alerts::RuleKind::threshold:
      return "out of range";
    case alerts::RuleKind::rateOfChange:
      return "changing fast";
    case alerts::RuleKind::missingData:
      return "no readings";
    case alerts::RuleKind::consecutive:
      return "out of range in a row";
    case alerts::RuleKind::countWithin:
      return "often out of range";
  }
  return "alert";
}

/// Severity said as the portal says it: a priority, never a bare "low" that reads as a value.
std::string_view severityText(alerts::Severity severity) {
  switch (severity) {
    case alerts::Severity::critical:
      return "critical";
    case alerts::Severity::high:
      return "high priority";
    case alerts::Severity::low:
      return "low priority";
    case alerts::Severity::info:
      return "for information";
  }
  return "";
}

}  // namespace

std::string_view medicationRequestStatus(std::string_view rxStatus) {
  // The prescription's status (docs/prescribing.md, "Routing": the statuses signing, cancel()
  // and the pharmacy's rx.status answers set; migration 0032's CHECK) onto R4's
  // medicationrequest-status (http://hl7.org/fhir/R4/valueset-medicationrequest-status.html):
  //   draft                                    -> draft     (not signed, not sent)
  //   signed, received, change_requested,
  //   cancel_requested, cancel_denied          -> active    (in force: a cancel only asked, or
  //                                                          refused, leaves it in force)
  //   filled                                   -> completed (dispensed: the box hears of no more)
  //   not_filled, error (the pharmacy rejected) -> stopped  (halted before it was dispensed)
  //   cancelled                                -> cancelled (the pharmacy confirmed the CancelRx)
  // entered-in-error is not used: a draft written in error is discarded (deleted), and a signed
  // prescription is never withdrawn as an error, only cancelled.
  if (rxStatus == "draft") return "draft";
  if (rxStatus == "filled") return "completed";
  if (rxStatus == "cancelled") return "cancelled";
  if (rxStatus == "not_filled" || rxStatus == "error") return "stopped";
  if (rxStatus == "signed" || rxStatus == "received" || rxStatus == "change_requested" ||
      rxStatus == "cancel_requested" || rxStatus == "cancel_denied")
    return "active";
  return "unknown";
}

JsonObject medicationRequestResource(const rx::Prescription& p, const std::string& id,
                                     const std::string& patientRef,
                                     const std::string& requesterRef) {
  auto o = start("MedicationRequest", id);
  o->set("status", std::string(medicationRequestStatus(p.status)));
  o->set("intent", std::string("order"));
  o->set("medicationCodeableConcept",
         p.drug.rxcui.empty()
             ? textConcept(p.drug.name)
             : codeable(coding(kRxNormSystem, p.drug.rxcui, p.drug.name), p.drug.name));
  o->set("subject", reference(patientRef));
  o->set("authoredOn", instant(p.signedAt.value_or(p.createdAt)));
  if (!requesterRef.empty()) o->set("requester", reference(requesterRef));
  if (!p.sig.empty()) {
    auto dosage = object();
    dosage->set("text", p.sig);
    o->set("dosageInstruction", one(dosage));
  }
  auto dispense = object();
  dispense->set("numberOfRepeatsAllowed", p.refills);
  if (auto value = decimal(p.quantity); !value.isEmpty()) {
    auto quantity = object();
    quantity->set("value", value);
    if (!p.quantityUnit.empty()) quantity->set("unit", p.quantityUnit);
    dispense->set("quantity", quantity);
  }
  if (p.daysSupply > 0) {
    auto duration = object();
    duration->set("value", p.daysSupply);
    duration->set("unit", std::string("days"));
    duration->set("system", std::string(kUcumSystem));
    duration->set("code", std::string("d"));
    dispense->set("expectedSupplyDuration", duration);
  }
  o->set("dispenseRequest", dispense);
  auto substitution = object();
  substitution->set("allowedBoolean", p.substitution);
  o->set("substitution", substitution);
  return o;
}

JsonObject flagResource(const alerts::Alert& alert, const std::string& id,
                        const std::string& patientRef) {
  auto o = start("Flag", id);
  o->set("status", std::string(alert.isOpen() ? "active" : "inactive"));
  o->set("category", one(codeable(coding(kFlagCategorySystem, "clinical", "Clinical"))));
  // What the portal's list shows of the alert without its value: the vital, the kind and the
  // severity ("Systolic blood pressure: out of range, critical"); the rule key as the code.
  std::string text;
  if (auto vital = loincDisplay(alert.code); !vital.empty())
    text = std::string(vital) + ": ";
  else if (!alert.code.empty())
    text = alert.code + ": ";
  text += kindText(alert.kind);
  text += ", " + std::string(severityText(alert.severity));
  auto code =
      codeable(coding(std::string(kVigilExtensionBase) + "alert-rule", alert.ruleKey), text);
  o->set("code", code);
  o->set("subject", reference(patientRef));
  auto period = object();
  period->set("start", instant(alert.raisedAt));
  if (alert.resolvedAt) period->set("end", instant(*alert.resolvedAt));
  o->set("period", period);
  return o;
}

#ifdef VIGIL_WITH_SCHEDULING
std::string_view appointmentStatus(scheduling::AppointmentState state) {
  // Scheduling's states (docs/scheduling.md) onto R4's appointmentstatus: a rescheduled
  // appointment was replaced by a new one (rescheduledFrom names it), so it is cancelled.
  switch (state) {
    case scheduling::AppointmentState::booked:
      return "booked";
    case scheduling::AppointmentState::cancelled:
    case scheduling::AppointmentState::rescheduled:
      return "cancelled";
    case scheduling::AppointmentState::noShow:
      return "noshow";
    case scheduling::AppointmentState::completed:
      return "fulfilled";
  }
  return "booked";
}

JsonObject appointmentResource(const scheduling::Appointment& a, const std::string& typeName,
                               const std::string& id, const std::string& patientRef,
                               const std::string& practitionerRef) {
  auto o = start("Appointment", id);
  o->set("status", std::string(appointmentStatus(a.state)));
  if (!typeName.empty()) {
    // The type's id as a code (the Slot search's service-type), its name as text.
    o->set("serviceType",
           one(codeable(coding(kAppointmentTypeSystem, std::to_string(a.typeId), typeName),
                        typeName)));
    o->set("appointmentType", textConcept(typeName));
  }
  o->set("start", instant(a.startsAt));
  o->set("end", instant(a.endsAt));
  auto participants = array();
  auto participant = [&](const std::string& ref) {
    auto p = object();
    p->set("actor", reference(ref));
    p->set("status", std::string("accepted"));
    participants->add(p);
  };
  participant(patientRef);
  if (!practitionerRef.empty()) participant(practitionerRef);
  o->set("participant", participants);
  return o;
}

JsonObject scheduleResource(const std::string& id, const std::string& practitionerRef) {
  auto o = start("Schedule", id);
  o->set("active", true);
  o->set("actor", one(reference(practitionerRef)));
  return o;
}

JsonObject slotResource(const scheduling::Slot& slot, const scheduling::AppointmentType& type,
                        const std::string& id, const std::string& scheduleRef) {
  auto o = start("Slot", id);
  o->set(
      "serviceType",
      one(codeable(coding(kAppointmentTypeSystem, std::to_string(type.id), type.name), type.name)));
  o->set("schedule", reference(scheduleRef));
  o->set("status", std::string("free"));
  o->set("start", instant(slot.startsAt));
  o->set("end", instant(slot.endsAt));
  return o;
}
#endif

}  // namespace vigil::fhir
