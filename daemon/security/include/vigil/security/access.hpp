#pragma once
// Access control in one place. Every service operation is an Operation: the permission it
// needs and whether it touches one patient. authorize() decides from the actor's role (the
// role -> permission matrix below) and the patient relation:
//   patient  - only their own record;
//   device   - only readings for the patient it is assigned to;
//   provider, nurse - patients on their care team; others only by break-glass (a reason must
//              be given; allowed, audited and flagged for review);
//   admin    - every patient, but no clinical authoring (notes, prescriptions, readings, alert
//              limits) and no clinical free text (notes, messages, documents): minimum
//              necessary.
//   front_desk - every patient (registration and scheduling concern the whole clinic, like
//              admin), administrative data only (issue 21: "registers, schedules, no clinical
//              data"). Staff, so a second factor is required like the other staff roles.
//              Granted: patientSearch and patientRegister (the front desk finds and registers
//              patients), patientRead and patientWrite (demographics: the patient routes strip
//              latest readings and open-alert flags for this role, so it reads who the patient
//              is, never how they are), visitManage (schedule a visit with a clinician on the
//              care team; admitting, inviting, ending and recordings stay with the visit's
//              provider, which VisitService checks), consentDocumentRead (the clinic's consent
//              texts, no PHI: to hand a patient the text to sign) and sessionManageOwn.
//              Not granted: readings, alerts and alert limits, escalation, notes,
//              prescriptions, visitRead and visitJoin (a visit's chat and documents are
//              clinical; the front desk schedules but takes no part in visits), messages,
//              documents, record export, a patient's consents (consentRead: what a patient
//              agreed to is theirs and their clinicians'), devices (deviceManage also
//              provisions credentials; the mission gives devices to IT/installers and to the
//              provider's RPM enrolment, and an assignment decides whose chart readings land
//              in), care teams, users, unlock, audit, keys, billing, the cloud link.
// Alert limits are clinical orders: a patient's limits are changed only by providers and nurses
// on the care team (others by break-glass), the clinic defaults only by providers; patients
// read their own limits.
// Escalation (issue 17): admins set the clinic's escalation chain and on-call coverage (who is
// on call is staffing, not a clinical order); a provider on the care team may give a patient a
// chain of their own; staff read both.
// The cloud link (issue 20): admins see its status and retry or cancel an entry a service
// refused.
// Consent e-signature (issue 21): admins publish consent documents, which everyone signed in
// reads; only the patient signs or withdraws their own consent; the patient, their care team
// and admins (compliance, RPM billing) read a patient's signatures.
// RPM enrolment (issue 21): enrolling a patient in remote monitoring and ending the episode are
// clinical orders: providers on the care team (others by break-glass); nurses on the care team,
// admins (billing, compliance) and the patient (their own) read enrolments. Withdrawing the RPM
// consent ends the patient's episodes by itself (audited as rpm_enrolment.end by the patient).
// The patient record (issue 21): the patient reads and updates their own record; providers and
// nurses on the care team read and write every section (others by break-glass); admins read and
// write the administrative sections (demographics, contact, language, emergency contact,
// insurance, pharmacy) through patientRead/patientWrite, but not the clinical ones (problems,
// medications, allergies: recordClinicalRead/recordClinicalWrite), minimum necessary. A role
// that registers patients without clinical data (front desk) gets the record as admins do.
// State licensing (issue 22): admins keep every provider's NPI and licenses, ask the registry
// to verify them and list those expiring; providers and nurses read their own (LicenseService
// narrows license.read to the caller's own licenses for them). Licenses are public registry
// data, not PHI; the front desk books through scheduling, which asks the eligibility check
// itself, so it needs no license permission.
// Scheduling (issue 22): appointment types and free slots are read by everyone signed in (no
// PHI); admins edit the types; providers set up their own schedule (zone, buffer, template,
// exceptions), admins anyone's; patients book, reschedule, cancel and wait-list for themselves
// (SchedulingService narrows them to their care team's providers), clinicians for their care
// team's patients, front desk and admins for every patient; staff mark no-shows and read
// providers' day lists (a provider their own).
// Clinical notes (issue 23, docs/notes.md): providers and nurses on the care team (others by
// break-glass) read, write and amend notes; providers sign and refer (noteSign), nurses sign
// for a provider's co-signature, and co-signing needs a provider on the care team (NoteService
// gives no break-glass there). Patients do not read notes (noteRead): they read the visit
// summaries of their own signed notes (visitSummaryRead). Admins edit the templates (no PHI)
// and read no note (clinical free text, minimum necessary).
// Async care (issue 23, docs/cases.md): the patient opens a case about themselves and adds its
// photos (caseOpen); the patient and the care team (others by break-glass; CaseService also
// lets the clinician a case was escalated to) read it and write messages; clinicians ask for
// photos or a visit and close it (caseRespond). Admins and the front desk see no case.
// Clinic groups (issue 30, staff_groups.hpp): admins make groups of providers and nurses and
// change their members, as they keep care teams (staffing, not a clinical order); providers and
// nurses read the list too, to choose a group in the practice reports. A group holds staff
// names only, no patient.
// Patient satisfaction (issue 30, docs/reports.md): only the patient lists the surveys due to
// them and answers one about their own visit (surveyAnswer); SurveyService also checks that
// the visit is theirs. The practice reports read the answers' figures, never the comments.
// New features add their operations to allOperations() (access.cpp) so the table-driven test
// walks them with every role.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace vigil::security {

/// Who an actor is. Devices are identities apart from users.
enum class Role { patient, provider, nurse, admin, front_desk, device };
inline constexpr Role kAllRoles[] = {Role::patient, Role::provider,   Role::nurse,
                                     Role::admin,   Role::front_desk, Role::device};
std::string_view toString(Role role);
std::optional<Role> parseRole(std::string_view name);
/// Roles that must use a second factor (TOTP).
bool requiresMfa(Role role);

/// What an operation needs.
enum class Permission {
  patientRead,
  patientSearch,
  patientRegister,
  patientWrite,
  readingRead,
  readingWrite,
  alertRead,
  alertManage,
  thresholdWrite,          // a patient's alert limits: clinicians on the care team
  alertDefaultsWrite,      // the clinic's default alert rules: providers
  escalationSetup,         // the clinic's escalation chain and on-call coverage: admins
  escalationPatientWrite,  // a patient's own escalation chain: providers on the care team
  noteRead,
  noteWrite,
  noteSign,
  prescriptionRead,
  prescriptionWrite,
  visitRead,
  visitManage,
  visitJoin,
  messageRead,
  messageSend,
  documentRead,
  documentWrite,
  recordExport,
  deviceManage,
  careTeamManage,
  userManage,
  userUnlock,
  auditRead,
  auditExport,
  keyManage,
  billingRead,
  sessionManageOwn,
  syncManage,            // the cloud link: its status, and retrying or cancelling a refused entry
  consentDocumentRead,   // the clinic's consent documents (no PHI): everyone signed in
  consentDocumentWrite,  // publishing a new version of a consent document: admins
  consentRead,           // a patient's signatures: the patient, the care team, admins
  consentSign,           // signing or withdrawing: the patient themself only
  rpmEnrolmentRead,      // a patient's RPM enrolments: the patient, the care team, admins
  rpmEnrolmentWrite,     // enrolling in RPM and ending an episode: providers (a clinical order)
  recordClinicalRead,    // the record's problems, medications, allergies: patient, clinicians
  recordClinicalWrite,   // changing them: the patient (patient-reported), clinicians
  licenseRead,           // providers' licenses and NPIs: admins all, providers/nurses their own
  licenseManage,         // adding, editing, removing, verifying licenses, setting NPIs: admins
  scheduleRead,          // appointment types and free slots (no PHI): everyone signed in
  scheduleSetup,       // a provider's zone, buffer, weekly template, exceptions: admins, providers
  scheduleTypesWrite,  // the clinic's appointment types: admins
  scheduleBook,        // booking, rescheduling, cancelling, the waitlist: patients (their own),
                       // clinicians (care team), front desk and admins (every patient)
  scheduleManage,      // no-shows, providers' day lists, schedules read: staff
  noteTemplateRead,    // the clinic's note templates (no PHI): providers, nurses, admins
  noteTemplateWrite,   // publishing a new template version: admins
  visitSummaryRead,    // the assessment and plan of signed notes: the patient, clinicians
  onDemandRequest,     // asking to be seen now, following and cancelling it: the patient only
  onDemandServe,       // duty, the on-demand queue, starting a request: providers (licensed)
  caseOpen,            // opening an async-care case and adding its photos: the patient
  caseRead,            // a case, its messages and photos: the patient, clinicians
  caseMessage,         // a message on a case: the patient (follow-up), clinicians (reply)
  caseRespond,         // asking for photos, a visit, closing; the case queue: clinicians
  billingTime,         // the RPM minutes ledger (timer, manual time, edits): providers, nurses
  billingApprove,      // approving a patient's month or a visit into claims: providers
  billingManage,       // the fee schedule, claims out to the clearinghouse and their status: admins
  epcsApprove,         // approving a prescriber's EPCS access (issue 25): admins and providers
  apiClientManage,     // EHR clients of the FHIR API (SMART backend services, issue 26): admins
  staffGroupRead,      // clinic groups and their members (issue 30): admins, providers, nurses
  staffGroupManage,    // making, naming, deleting groups, their members: admins
  reportRead,          // the practice reports (issue 30): admins any scope, providers their own and
                       // their clinic groups' (analytics::ReportService narrows it)
  surveyAnswer,        // a visit's satisfaction survey, listing and answering: the patient only
};

/// True if the role's matrix grants the permission (before any patient check).
bool roleHas(Role role, Permission permission);

/// A service operation: a stable name (also the audit action), its permission, whether it is
/// about one patient (then the caller must name the patient), and whether it needs step-up: the
/// user proved who they are (password, and the code for staff) within the last few minutes
/// (AccountService::stepUpCurrent; creating users, MFA reset, device credentials, alert limits,
/// audit export, key rotation).
struct Operation {
  std::string_view name;
  Permission permission;
  bool touchesPatient;
  bool stepUp = false;
};

/// Every declared operation (the catalogue the services use).
std::span<const Operation> allOperations();
/// The operation with this name; nullptr if none.
const Operation* findOperation(std::string_view name);
/// The operation with this name; asserts it exists (for services naming their own operations).
const Operation& operation(std::string_view name);

/// How long emergency access opened from the portal (operation patient.emergency_access, a
/// reason required) lasts: the clinician's requests about that patient are allowed and audited
/// with break_glass = 1 until then (issue 17).
inline constexpr std::chrono::minutes kEmergencyAccessWindow{30};

/// Who is asking.
struct Actor {
  std::int64_t id = 0;  // user id, or device id for Role::device
  Role role = Role::patient;
  std::optional<std::int64_t> patientId;  // patient users: their record; devices: assignee
};

/// The care-team relation: which staff users are assigned to which patients.
class CareTeam {
 public:
  virtual ~CareTeam() = default;
  virtual bool isAssigned(std::int64_t staffUserId, std::int64_t patientId) const = 0;
};

/// The outcome of an access check; reason is a stable PHI-free word for the audit log.
struct AccessDecision {
  bool allowed = false;
  bool breakGlass = false;
  std::string_view reason;
};

/// Decides whether `actor` may run `op` on `patientId` (required iff op.touchesPatient).
/// `breakGlassReason` non-empty asks for emergency access (providers and nurses only).
AccessDecision authorize(const Actor& actor, const Operation& op,
                         std::optional<std::int64_t> patientId, const CareTeam& careTeam,
                         std::string_view breakGlassReason = {});

}  // namespace vigil::security
