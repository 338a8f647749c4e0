#include "vigil/security/access.hpp"

#include <algorithm>
#include <cassert>
#include <initializer_list>

namespace vigil::security {
namespace {

using P = Permission;
// Re-authentication within AccountConfig::stepUpWindow before these (issue 18).
constexpr bool kStepUp = true;

constexpr Operation kOperations[] = {
    // Patients
    {"patient.get", P::patientRead, true},
    {"patient.search", P::patientSearch, false},  // results filtered to visible patients
    {"patient.register", P::patientRegister, false},
    {"patient.update", P::patientWrite, true},
    // Opens a record outside the care team for kEmergencyAccessWindow (break-glass, reason
    // required); the gate then lets the clinician's requests about the patient through.
    {"patient.emergency_access", P::patientRead, true},
    // Onboarding (issue 21): inviting a registered patient to the portal, by whoever registers
    // patients (for clinicians: their care team, others in an emergency).
    {"patient.invite", P::patientRegister, true},
    {"patient.invitation_list", P::patientRegister, true},
    {"patient.invitation_revoke", P::patientRegister, true},
    // Monitoring
    {"reading.list", P::readingRead, true},
    {"reading.record", P::readingWrite, true},
    {"alert.list", P::alertRead, true},
    {"alert.queue", P::alertRead, false},  // results filtered to the care team
    {"alert.acknowledge", P::alertManage, true},
    {"alert.report", P::alertRead, false},  // clinic-wide aggregates, no patient data
    // Alert limits (issue 17): read by whoever reads the patient's readings, changed only by
    // clinicians; the clinic defaults read by staff, changed by providers.
    {"threshold.get", P::readingRead, true},
    {"threshold.set", P::thresholdWrite, true, kStepUp},
    {"alert_rule.list_defaults", P::alertRead, false},
    {"alert_rule.set_default", P::alertDefaultsWrite, false, kStepUp},
    // Escalation (issue 17): the clinic's chain and on-call coverage, and a patient's own chain.
    {"escalation.get", P::alertRead, false},
    {"escalation.set", P::escalationSetup, false},
    {"escalation.patient_get", P::alertRead, true},
    {"escalation.patient_set", P::escalationPatientWrite, true},
    // Clinical records
    // Clinical notes (issue 23): templates, notes, signing, co-signing, addenda, referrals,
    // the patient's visit summaries.
    {"note_template.list", P::noteTemplateRead, false},
    {"note_template.publish", P::noteTemplateWrite, false},
    {"note.list", P::noteRead, true},
    {"note.get", P::noteRead, true},
    {"note.history", P::noteRead, true},
    {"note.create", P::noteWrite, true},
    {"note.write", P::noteWrite, true},
    {"note.sign", P::noteSign, true},
    {"note.submit", P::noteWrite, true},  // a nurse's signature, for a provider's co-signature
    {"note.cosign", P::noteSign, true},   // NoteService: care team only, no break-glass
    {"note.cosign_queue", P::noteSign, false},  // filtered to the care team
    // The worklist (issue 23): a provider's or nurse's own work; the listing names patients
    // (audited once per listing, like the alert queue), the counts carry no PHI.
    {"worklist.read", P::noteWrite, false},
    {"worklist.count", P::noteWrite, false},
    {"note.addendum", P::noteWrite, true},
    {"referral.create", P::noteSign, true},  // a letter signed by the referring provider
    {"referral.list", P::noteRead, true},
    {"referral.get", P::noteRead, true},
    {"visit_summary.list", P::visitSummaryRead, true},
    // Patient satisfaction (issue 30): the surveys due to the patient and their answer.
    {"survey.list_pending", P::surveyAnswer, true},
    {"survey.answer", P::surveyAnswer, true},
    // Async care (issue 23): cases, their messages and photos.
    {"case.open", P::caseOpen, true},
    {"case.photo_add", P::caseOpen, true},
    {"case.list", P::caseRead, true},
    {"case.get", P::caseRead, true},
    {"case.photo_get", P::caseRead, true},
    {"case.reply", P::caseMessage, true},
    {"case.request_photos", P::caseRespond, true},
    {"case.book_visit", P::caseRespond, true},
    {"case.close", P::caseRespond, true},
    {"case.queue", P::caseRespond, false},   // filtered to the care team and escalations
    {"case.counts", P::caseRespond, false},  // the worklist's counts, same filter
    // E-prescribing (issue 25): the patient reads their own; the care team's providers check,
    // write, sign and cancel (PrescriptionService narrows signing and cancelling to the
    // prescriber); the drug list and the state rules are not PHI.
    {"prescription.list", P::prescriptionRead, true},
    {"prescription.write", P::prescriptionWrite, true},
    {"prescription.precheck", P::prescriptionWrite, true},
    {"prescription.sign", P::prescriptionWrite, true},
    {"prescription.cancel", P::prescriptionWrite, true},
    {"prescription.signing_log", P::prescriptionWrite, false},  // the prescriber's own
    {"drug.search", P::prescriptionRead, false},
    {"rx_rule.list", P::prescriptionRead, false},
    {"rx_rule.set", P::licenseManage, false, kStepUp},
    // Prescribers' DEA registrations (admins; providers read their own: PrescriberService) and
    // EPCS access: each approval is its own action; two approvers, one an admin (21 CFR 1311.125).
    {"dea.read", P::licenseRead, false},
    {"dea.manage", P::licenseManage, false},
    {"epcs.approve", P::epcsApprove, false, kStepUp},
    {"epcs.revoke", P::licenseManage, false},
    {"visit.list", P::visitRead, true},
    {"visit.schedule", P::visitManage, true},
    {"visit.join", P::visitJoin, true},
    // The visit's recordings (VisitService narrows it to the visit's provider and admins).
    {"visit.recording_play", P::visitManage, true},
    // Visits to find recordings in (VisitService: admins all, providers and nurses their own).
    {"visit.archive", P::visitManage, false},
    // An admin's audited request (with a reason) to read a past visit's chat and documents.
    {"visit.record_access", P::auditRead, true},
    {"message.list", P::messageRead, true},
    {"message.send", P::messageSend, true},
    {"document.get", P::documentRead, true},
    {"document.upload", P::documentWrite, true},
    {"record.export", P::recordExport, true},
    // Administration
    {"device.provision", P::deviceManage, false},
    {"device.assign", P::deviceManage, true},
    {"device.issue_credentials", P::deviceManage, false, kStepUp},  // a bundle: a new key
    {"device.list", P::deviceManage, false},
    {"care_team.assign", P::careTeamManage, true},
    // Who is on which care team, by name (staff and patient display names; issue 21): audited
    // once per listing, like the device list and the alert queue.
    {"care_team.list", P::careTeamManage, false},
    {"user.create", P::userManage, false, kStepUp},
    {"user.list", P::userManage, false},
    {"user.disable", P::userManage, false},
    {"user.reset_mfa", P::userManage, false, kStepUp},
    {"user.unlock", P::userUnlock, false},
    {"session.revoke_user", P::userManage, false},
    {"audit.read", P::auditRead, false},
    {"audit.verify", P::auditRead, false},
    {"audit.export", P::auditExport, false, kStepUp},
    {"keys.rotate", P::keyManage, false, kStepUp},
    {"keys.reencrypt", P::keyManage, false, kStepUp},
    {"billing.report", P::billingRead, false},
    // RPM billing (issue 24, docs/billing.md): the month's review names patients (audited once
    // per listing; BillingService narrows providers to their care team); approving creates
    // claims (a provider of the care team, step-up); the minutes ledger is the care team's.
    {"billing.review", P::billingRead, false},
    {"billing.approve", P::billingApprove, true, kStepUp},
    {"billing_time.list", P::billingTime, true},
    {"billing_time.record", P::billingTime, true},
    {"billing_time.edit", P::billingTime, true},
    {"fee_schedule.read", P::billingRead, false},
    {"fee_schedule.set", P::billingManage, false},
    {"claim.list", P::billingRead, false},
    {"claim.export", P::billingManage, true},  // names the patient: one entry per claim
    {"claim.status", P::billingManage, false},
    // Sending the approved claims now (issue 24): the service audits each claim it sends.
    {"claim.submit", P::billingManage, false},
    {"session.list_own", P::sessionManageOwn, false},
    // The cloud link (issue 20): its status, and the admins' answer to a refused entry.
    {"sync.status", P::syncManage, false},
    {"sync.retry", P::syncManage, false},
    {"sync.cancel", P::syncManage, false},
    {"sync.enrol", P::syncManage, false, kStepUp},  // binds the box to a cloud identity
    // Consent e-signature (issue 21): documents (the clinic's text), a patient's signatures.
    {"consent_document.list", P::consentDocumentRead, false},
    {"consent_document.get", P::consentDocumentRead, false},
    {"consent_document.publish", P::consentDocumentWrite, false},
    {"consent.list", P::consentRead, true},
    {"consent.sign", P::consentSign, true},
    {"consent.withdraw", P::consentSign, true},
    // RPM enrolment (issue 21): a provider's clinical order, gated on the RPM consent.
    {"rpm_enrolment.list", P::rpmEnrolmentRead, true},
    {"rpm_enrolment.create", P::rpmEnrolmentWrite, true},
    {"rpm_enrolment.end", P::rpmEnrolmentWrite, true},
    // The patient record (issue 21): the whole record to whoever reads the patient, the clinical
    // sections only with recordClinicalRead (PatientRecordService leaves them out otherwise); an
    // update naming a clinical section needs patient_record.update_clinical besides.
    {"patient_record.get", P::patientRead, true},
    {"patient_record.update", P::patientWrite, true},
    {"patient_record.update_clinical", P::recordClinicalWrite, true},
    {"patient_record.history", P::patientRead, true},
    // The record download (issue 21, HIPAA right of access): the patient's own, and for the
    // practice answering a request, providers (care team; others by break-glass) and admins.
    // Nurses and the front desk have no recordExport. What the role may not read (admins: the
    // clinical lists) is left out of the download.
    {"patient_record.export", P::recordExport, true},
    // Intake (issue 21): the wizard's completion and the insurance card photos, read and
    // changed like the record's administrative sections.
    {"intake.get", P::patientRead, true},
    {"intake.complete", P::patientWrite, true},
    {"insurance_card.get", P::patientRead, true},
    {"insurance_card.put", P::patientWrite, true},
    {"insurance_card.remove", P::patientWrite, true},
    // State licensing (issue 22): licenses and NPIs (public registry data, no patient).
    {"license.read", P::licenseRead, false},  // LicenseService: non-admins their own only
    {"license.manage", P::licenseManage, false},
    {"license.verify", P::licenseManage, false},  // queues registry lookups (cloud link)
    {"license.expiring", P::licenseManage, false},
    // Scheduling (issue 22)
    {"appointment_type.list", P::scheduleRead, false},
    {"appointment_type.save", P::scheduleTypesWrite, false},
    {"schedule.get", P::scheduleManage, false},
    {"schedule.setup", P::scheduleSetup, false},           // SchedulingService: providers their own
    {"schedule.slots", P::scheduleRead, false},            // a patient's search: their care team
    {"schedule.provider_list", P::scheduleManage, false},  // providers their own; names: audited
    {"appointment.book", P::scheduleBook, true},
    {"appointment.reschedule", P::scheduleBook, true},
    {"appointment.cancel", P::scheduleBook, true},
    {"appointment.list", P::scheduleBook, true},
    {"appointment.no_show", P::scheduleManage, true},
    {"waitlist.join", P::scheduleBook, true},
    // Appointment reminders (issue 22): the patient's channel and how much a message may say,
    // set by the patient or by staff who book for them.
    {"reminder_settings.get", P::scheduleBook, true},
    {"reminder_settings.update", P::scheduleBook, true},
    // Providers' calendar feeds (issue 22): the secret URL and the names opt-in, like the
    // schedule's set-up (CalendarFeedService: providers their own, admins anyone's).
    {"calendar_feed.read", P::scheduleSetup, false},
    {"calendar_feed.manage", P::scheduleSetup, false},
    // The on-demand queue (issue 22): the patient's own request; providers' duty, queue, start.
    // A start is about a patient who may not be on the provider's care team yet (the queue
    // matched them by license and duty): OnDemandService authorises it (on duty, licensed in
    // the patient's state) and audits it with the patient, and puts the provider on the team.
    {"ondemand.request", P::onDemandRequest, true},
    {"ondemand.status", P::onDemandRequest, true},
    {"ondemand.cancel", P::onDemandRequest, true},
    {"ondemand.duty", P::onDemandServe, false},
    {"ondemand.queue", P::onDemandServe, false},  // the provider's own queue (names: audited)
    {"ondemand.start", P::onDemandServe, false},
    // EHR connections (issue 26, docs/fhir.md): the FHIR API's registered backend clients.
    // Registering one hands a system outside the box a standing way in: step-up.
    {"fhir_client.list", P::apiClientManage, false},
    {"fhir_client.register", P::apiClientManage, false, kStepUp},
    {"fhir_client.disable", P::apiClientManage, false},
    // The practice reports (issue 30, docs/reports.md): aggregates with small cells suppressed
    // for readers who may not see the patients behind them; ReportService narrows providers to
    // their own figures and their clinic groups'. Each CSV export is its own audited access.
    {"report.view", P::reportRead, false},
    {"report.export", P::reportRead, false},
    // Clinic groups (issue 30): the list names staff only (no patient), and providers and nurses
    // read it to choose a group in the practice reports (a report's own operation decides what
    // it shows them); the front desk reads no report, so no group. Changes are staffing, like
    // care_team.assign: admins, without step-up (nothing is granted to a system or a person
    // outside the practice; a member sees no more patients for being in a group).
    {"group.list", P::staffGroupRead, false},
    {"group.manage", P::staffGroupManage, false},
};

bool in(Permission p, std::initializer_list<Permission> set) {
  return std::find(set.begin(), set.end(), p) != set.end();
}

}  // namespace

std::string_view toString(Role role) {
  switch (role) {
    case Role::patient:
      return "patient";
    case Role::provider:
      return "provider";
    case Role::nurse:
      return "nurse";
    case Role::admin:
      return "admin";
    case Role::front_desk:
      return "front_desk";
    case Role::device:
      return "device";
  }
  return "unknown";
}

std::optional<Role> parseRole(std::string_view name) {
  for (Role r : kAllRoles)
    if (toString(r) == name) return r;
  return std::nullopt;
}

bool requiresMfa(Role role) {
  return role == Role::provider || role == Role::nurse || role == Role::admin ||
         role == Role::front_desk;
}

// clang-format off
bool roleHas(Role role, Permission p) {
  switch (role) {
    case Role::patient:
      return in(p, {P::patientRead, P::patientWrite,
                    P::readingRead, P::readingWrite,
                    P::visitSummaryRead, P::prescriptionRead,
                    P::visitRead, P::visitJoin,
                    P::messageRead, P::messageSend,
                    P::documentRead, P::documentWrite,
                    P::recordExport, P::sessionManageOwn,
                    P::consentDocumentRead, P::consentRead, P::consentSign,
                    P::rpmEnrolmentRead,
                    P::recordClinicalRead, P::recordClinicalWrite,
                    P::scheduleRead, P::scheduleBook, P::onDemandRequest,
                    P::caseOpen, P::caseRead, P::caseMessage, P::surveyAnswer});
    case Role::provider:
      return in(p, {P::patientRead, P::patientSearch, P::patientRegister, P::patientWrite,
                    P::readingRead, P::readingWrite, P::alertRead, P::alertManage,
                    P::thresholdWrite, P::alertDefaultsWrite, P::escalationPatientWrite,
                    P::noteRead, P::noteWrite, P::noteSign,
                    P::prescriptionRead, P::prescriptionWrite,
                    P::visitRead, P::visitManage, P::visitJoin,
                    P::messageRead, P::messageSend, P::documentRead, P::documentWrite,
                    P::recordExport, P::billingRead, P::sessionManageOwn,
                    P::consentDocumentRead, P::consentRead,
                    P::rpmEnrolmentRead, P::rpmEnrolmentWrite,
                    P::recordClinicalRead, P::recordClinicalWrite, P::licenseRead,
                    P::scheduleRead, P::scheduleSetup, P::scheduleBook, P::scheduleManage,
                    P::noteTemplateRead, P::visitSummaryRead, P::onDemandServe,
                    P::caseRead, P::caseMessage, P::caseRespond,
                    P::billingTime, P::billingApprove, P::epcsApprove, P::reportRead,
                    P::staffGroupRead});
    case Role::nurse:  // as provider, without signing notes, prescribing, export and billing
      return in(p, {P::patientRead, P::patientSearch, P::patientRegister, P::patientWrite,
                    P::readingRead, P::readingWrite, P::alertRead, P::alertManage,
                    P::thresholdWrite,
                    P::noteRead, P::noteWrite,
                    P::prescriptionRead,
                    P::visitRead, P::visitManage, P::visitJoin,
                    P::messageRead, P::messageSend, P::documentRead, P::documentWrite,
                    P::sessionManageOwn, P::consentDocumentRead, P::consentRead,
                    P::rpmEnrolmentRead,
                    P::recordClinicalRead, P::recordClinicalWrite, P::licenseRead,
                    P::scheduleRead, P::scheduleBook, P::scheduleManage,
                    P::noteTemplateRead, P::visitSummaryRead,
                    P::caseRead, P::caseMessage, P::caseRespond, P::billingTime,
                    P::staffGroupRead});
    case Role::admin:  // every patient, no clinical authoring or clinical free text
      return in(p, {P::patientRead, P::patientSearch, P::patientRegister, P::patientWrite,
                    P::readingRead, P::alertRead, P::prescriptionRead,
                    P::visitRead, P::visitManage, P::recordExport,
                    P::deviceManage, P::careTeamManage, P::escalationSetup,
                    P::userManage, P::userUnlock,
                    P::auditRead, P::auditExport, P::keyManage, P::billingRead,
                    P::sessionManageOwn, P::syncManage,
                    P::consentDocumentRead, P::consentDocumentWrite, P::consentRead,
                    P::rpmEnrolmentRead, P::licenseRead, P::licenseManage,
                    P::scheduleRead, P::scheduleSetup, P::scheduleTypesWrite, P::scheduleBook,
                    P::scheduleManage, P::noteTemplateRead, P::noteTemplateWrite,
                    P::billingManage, P::epcsApprove, P::apiClientManage, P::reportRead,
                    P::staffGroupRead, P::staffGroupManage});
    case Role::front_desk:  // every patient, registration and scheduling, no clinical data
      return in(p, {P::patientRead, P::patientSearch, P::patientRegister, P::patientWrite,
                    P::visitManage, P::consentDocumentRead, P::sessionManageOwn,
                    P::scheduleRead, P::scheduleBook, P::scheduleManage});
    case Role::device:
      return p == P::readingWrite;
  }
  return false;
}
// clang-format on

std::span<const Operation> allOperations() {
  return kOperations;
}

const Operation* findOperation(std::string_view name) {
  for (const auto& op : kOperations)
    if (op.name == name) return &op;
  return nullptr;
}

const Operation& operation(std::string_view name) {
  const Operation* op = findOperation(name);
  assert(op != nullptr && "operation not declared in access.cpp");
  return *op;
}

AccessDecision authorize(const Actor& actor, const Operation& op,
                         std::optional<std::int64_t> patientId, const CareTeam& careTeam,
                         std::string_view breakGlassReason) {
  if (!roleHas(actor.role, op.permission)) return {false, false, "role_lacks_permission"};
  if (!op.touchesPatient) return {true, false, "role"};
  if (!patientId) return {false, false, "patient_required"};
  switch (actor.role) {
    case Role::admin:
      return {true, false, "admin"};
    case Role::front_desk:
      return {true, false, "front_desk"};
    case Role::patient:
      if (actor.patientId && *actor.patientId == *patientId) return {true, false, "own_record"};
      return {false, false, "not_own_record"};
    case Role::device:
      if (actor.patientId && *actor.patientId == *patientId)
        return {true, false, "device_assigned"};
      return {false, false, "device_not_assigned"};
    case Role::provider:
    case Role::nurse:
      if (careTeam.isAssigned(actor.id, *patientId)) return {true, false, "care_team"};
      if (!breakGlassReason.empty()) return {true, true, "break_glass"};
      return {false, false, "not_on_care_team"};
  }
  return {false, false, "unknown_role"};
}

}  // namespace vigil::security
