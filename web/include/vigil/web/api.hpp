#pragma once
// The portal's REST + WebSocket API under /api/v1 (contract: docs/api.md).
//
// Every route names a security Operation as its permission (or one of the own-session
// pseudo-permissions below) and, when it is about one patient, where that patient id is
// (Route::patientParam). The gate (makeApiGate) runs before each authenticated route:
//   session cookie -> AccountService::authenticate (idle/absolute expiry, moves last_seen)
//   -> MFA-enrolment sessions reach only the enrolment routes
//   -> CSRF token on POST/PUT/PATCH/DELETE (header) and on the WebSocket upgrade (query),
//      plus an Origin check on the upgrade
//   -> security::authorize(actor, operation, patient, care team) on a reader snapshot
//   -> the access is appended to the audit chain: a denial synchronously before answering 403;
//      an allowed access is queued on the store's batched writer BEFORE the handler runs, the
//      handler runs while it commits, and the server sends the answer only after the commit
//      (Request::beforeResponse; 500 if it failed), so no PHI leaves without its audit entry
//      and every denial is on record.
// Routes whose patient comes from the object (an alert, a device assignment's body) are
// checked for the role by the gate and for the patient by the handler, audited the same way.
// Routes whose service audits the action itself in the transaction of its change
// (Route::auditedByHandler: the cloud link's retry and cancel) are authorised by the gate, which
// audits only a denial: each action has one audit entry.
// addApiRoutes() refuses a route whose permission is neither an Operation nor an own-session
// permission, and the route x role x patient matrix test walks router.routes().

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "vigil/core/clock.hpp"
#include "vigil/web/http.hpp"

namespace vigil::store {
class Database;
}
namespace vigil::security {
class AccountService;
class AuditLog;
class StaffGroupService;
}  // namespace vigil::security
namespace vigil::registry {
class PatientRepository;
class DeviceRegistry;
}  // namespace vigil::registry
namespace vigil::readings {
class ReadingQuery;
}
namespace vigil::alerts {
class AlertLifecycle;
class AlertRepository;
class EscalationService;
class RuleSet;
}  // namespace vigil::alerts
namespace vigil::events {
class EventBus;
}
namespace vigil::pki {
class DeviceProvisioner;
}
namespace vigil::sync {
class Link;
class Outbox;
}  // namespace vigil::sync
namespace vigil::onboarding {
class InvitationService;
}
namespace vigil::fhir {
class RecordExportService;
class FhirServer;
struct ClientGrant;  // smart_scope.hpp
class SmartClientService;
}  // namespace vigil::fhir
namespace vigil::patients {
class ConsentService;
class RpmEnrolmentService;
class PatientRecordService;
class IntakeService;
}  // namespace vigil::patients
namespace vigil::rx {
class PrescriptionService;
class DrugCatalog;
class StateRuleService;
class PrescriberService;
}  // namespace vigil::rx
namespace vigil::licensing {
class LicenseService;
}

namespace vigil::scheduling {
class SchedulingService;
class ReminderService;
}  // namespace vigil::scheduling
namespace vigil::analytics {
class ReportService;
}
namespace vigil::ondemand {
class OnDemandService;
}

namespace vigil::cases {
class CaseService;
}
namespace vigil::surveys {
class SurveyService;
}
namespace vigil::billing {
class BillingService;
}

namespace vigil::notes {
class NoteService;
}

namespace vigil::worklist {
class WorklistService;
}

namespace vigil::web {

class BleAdmin;

/// Pseudo-permissions of routes about the caller's own session (no patient, no Operation).
inline constexpr const char* kOwnSession = "session.own";   // any full session
inline constexpr const char* kEnrolment = "session.enrol";  // also an MFA-enrolment session

/// The services the API calls. Groups of routes are registered only when their services are
/// set (see addApiRoutes); all pointers are borrowed and must outlive the server.
struct ApiServices {
  store::Database* db = nullptr;                    // required
  security::AccountService* accounts = nullptr;     // required: sign-in, sessions, users
  security::AuditLog* audit = nullptr;              // required: access and denial entries
  Clock* clock = nullptr;                           // required
  registry::PatientRepository* patients = nullptr;  // patients group
  registry::DeviceRegistry* devices = nullptr;      // device administration
  readings::ReadingQuery* readings = nullptr;       // patients group (latest, charts)
  alerts::AlertLifecycle* alerts = nullptr;         // alerts group
  alerts::AlertRepository* alertStore = nullptr;    // alerts group (history, resolved)
  alerts::RuleSet* rules = nullptr;                 // thresholds, default rules
  alerts::EscalationService* escalation = nullptr;  // escalation chains and on-call coverage
  events::EventBus* events = nullptr;               // GET /api/v1/events
  pki::DeviceProvisioner* provisioner = nullptr;    // device bundle and revocation
  BleAdmin* ble = nullptr;                          // BLE discovery and pairing (admin)
  sync::Outbox* outbox = nullptr;                   // the cloud link's status, retry, cancel
  sync::Link* link = nullptr;  // enrolment, the link's state (only with sync.url set)
  patients::ConsentService* consents = nullptr;          // consent documents and signatures
  patients::RpmEnrolmentService* rpm = nullptr;          // RPM enrolments
  onboarding::InvitationService* invitations = nullptr;  // patient invitations (onboarding)
  /// The portal's origin in links the box sends (web.public_url); empty: the request's origin.
  std::string publicUrl;
  patients::PatientRecordService* records = nullptr;  // the patient record and its history
  fhir::RecordExportService* recordExport = nullptr;  // the record download (FHIR, HTML)
  patients::IntakeService* intake = nullptr;          // intake completion, insurance card photos
  licensing::LicenseService* licenses = nullptr;      // providers' NPIs and licenses (issue 22)
  /// E-prescribing (issue 25): prescriptions, the drug list, the state rules, DEA and EPCS.
  rx::PrescriptionService* prescriptions = nullptr;
  rx::DrugCatalog* drugs = nullptr;
  rx::StateRuleService* rxRules = nullptr;
  rx::PrescriberService* prescribers = nullptr;
  /// Appointment types, schedules, slots, bookings, the waitlist (built with video: the routes
  /// exist only when VIGIL_WITH_SCHEDULING is defined).
  vigil::scheduling::SchedulingService* scheduling = nullptr;
  notes::NoteService* notes = nullptr;            // clinical notes, referrals, visit summaries
  worklist::WorklistService* worklist = nullptr;  // a provider's or nurse's work in one place
  /// Patients' reminder settings (issue 22; with scheduling).
  vigil::scheduling::ReminderService* reminders = nullptr;
  /// The on-demand queue: duty, requests, starts (built with video, like scheduling).
  vigil::ondemand::OnDemandService* ondemand = nullptr;
  cases::CaseService* cases = nullptr;            // async care: cases, photos, replies, escalation
  billing::BillingService* billing = nullptr;     // RPM billing: ledger, review, claims (issue 24)
  surveys::SurveyService* surveys = nullptr;      // patient satisfaction surveys (issue 30)
  security::StaffGroupService* groups = nullptr;  // clinic groups of staff (issue 30)
  /// The practice reports (issue 30): sections per period and scope, CSV export.
  analytics::ReportService* reports = nullptr;
  /// The FHIR R4 API under /fhir (issue 26) and how it checks a backend client's bearer token
  /// (SMART backend services): the grant of a current token, nullopt otherwise.
  fhir::FhirServer* fhir = nullptr;
  std::function<std::optional<fhir::ClientGrant>(std::string_view token)> fhirBearer;
  /// SMART backend services (issue 26): EHR clients, the token endpoint; the FHIR routes'
  /// bearer-token check (SmartClientService::authenticate).
  fhir::SmartClientService* smartClients = nullptr;
  /// Several nodes (docs/scale-out.md): whether this node is the alert node now. Set only when
  /// clustered; then the alert queue's routes (alerts, alert rules, thresholds, escalation)
  /// answer 421 `alert_node_elsewhere` on the other nodes.
  std::function<bool()> alertNode;
  /// Several nodes: the node a visit's room lives on when it is not this one (nullopt: here).
  /// Then the visit's routes (/api/v1/visits/{id}…) answer 307 to the same request with
  /// ?node=<id>, which the load balancer routes on (docs/scale-out.md "Video rooms").
  std::function<std::optional<std::string>(std::int64_t visitId)> visitRoomElsewhere;
  /// Cookie flags: true (default) sends `__Host-vigil_session; Secure`. false only for plain
  /// HTTP on loopback (development, tests): `vigil_session` without Secure.
  bool secureCookies = true;
  /// Idle seconds announced to the portal (security.session.idle_minutes * 60).
  int idleTimeoutSeconds = 15 * 60;
  /// Absolute session lifetime in seconds (for the portal's display).
  int absoluteLifetimeSeconds = 12 * 3600;
};

/// Registers every /api/v1 route whose services are present. Throws std::invalid_argument for
/// a route with an undeclared permission (a bug in this library).
void addApiRoutes(Router& router, const ApiServices& services);

/// The gate that authenticates, checks CSRF and authorises each authenticated route (see the
/// file comment). `services` must outlive the gate.
Gate makeApiGate(const ApiServices& services);

/// The session cookie's name for the given security setting.
std::string sessionCookieName(bool secureCookies);

/// True if `permission` is a declared Operation or an own-session pseudo-permission.
bool isDeclaredPermission(std::string_view permission);

}  // namespace vigil::web
