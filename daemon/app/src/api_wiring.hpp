#pragma once
// The portal API's services as vigild has them: the store, the security core, the alert
// subsystem (lifecycle, repository, rules, and the event bus the live stream reads), the
// registry and reading queries built on the store, the device provisioner on the device CA
// and broker files (pki.*) when a CA is there, and the sync subsystem's outbox (the cloud link's
// status and the admins' retry and cancel; cancel seals its stream.skip with the link's keys)
// (docs/api.md lists what each group needs).

#include <memory>

#include "periodic_task.hpp"
#include "vigil/billing/billing.hpp"
#include "vigil/cases/cases.hpp"
#include "vigil/fhir/record_export.hpp"
#include "vigil/fhir/server.hpp"
#include "vigil/fhir/smart_clients.hpp"
#include "vigil/licensing/licenses.hpp"
#include "vigil/notes/notes.hpp"
#include "vigil/onboarding/invitations.hpp"
#include "vigil/patients/consent.hpp"
#include "vigil/patients/intake.hpp"
#include "vigil/patients/patient_record.hpp"
#include "vigil/patients/rpm_enrolment.hpp"
#include "vigil/pki/certificate_authority.hpp"
#include "vigil/pki/device_provisioner.hpp"
#include "vigil/readings/reading_query.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/rx/drugs.hpp"
#include "vigil/rx/prescribers.hpp"
#include "vigil/rx/prescriptions.hpp"
#include "vigil/rx/rules.hpp"
#include "vigil/security/staff_groups.hpp"
#include "vigil/surveys/surveys.hpp"
#ifdef VIGIL_WITH_SCHEDULING
#include "vigil/ondemand/ondemand.hpp"
#include "vigil/scheduling/licensing_eligibility.hpp"
#include "vigil/scheduling/reminders.hpp"
#include "vigil/scheduling/scheduling.hpp"
#endif
#include "vigil/analytics/practice_report.hpp"
#include "vigil/web/api.hpp"
#include "vigil/worklist/worklist.hpp"

namespace vigil::app {

class Config;
class StoreSubsystem;
class SecuritySubsystem;
class AlertsSubsystem;
class SyncSubsystem;
class IngestSubsystem;

/// Owns the query objects the API needs and the ApiServices pointing at them.
class ApiWiring {
 public:
  /// `ble`: the BLE admin routes' gateway, when vigild runs one (else nullptr).
  /// `ingest`: the subsystem FHIR creates of Observations go through (nullptr: refused, 503).
  ApiWiring(const Config& config, StoreSubsystem& store, SecuritySubsystem& security,
            AlertsSubsystem& alerting, SyncSubsystem& syncing, web::BleAdmin* ble = nullptr,
            IngestSubsystem* ingest = nullptr);
  const web::ApiServices& services() const { return services_; }
  /// Several nodes: where visits' rooms live (from the video subsystem, when it runs).
  void setVisitRoomElsewhere(std::function<std::optional<std::string>(std::int64_t)> fn) {
    services_.visitRoomElsewhere = std::move(fn);
  }

  /// The provisioner for `config` (pki.*), or null when it is off or there is no usable device
  /// CA (logged, not fatal: the rest of the portal runs without it).
  static std::unique_ptr<pki::DeviceProvisioner> makeProvisioner(
      const Config& config, std::unique_ptr<pki::CertificateAuthority>& ca);

 private:
  void wireReports(store::Database& db, SecuritySubsystem& security, Clock& clock);
  void wireBilling(const Config& config, store::Database& db, SecuritySubsystem& security,
                   SyncSubsystem& syncing, Clock& clock);
  void wireRx(const Config& config, store::Database& db, SecuritySubsystem& security,
              SyncSubsystem& syncing, Clock& clock);
  void wireSmart(store::Database& db, SecuritySubsystem& security, Clock& clock);
  void wireCases(const Config& config, store::Database& db, SecuritySubsystem& security,
                 AlertsSubsystem& alerting, Clock& clock);
  void wireFhir(store::Database& db, SecuritySubsystem& security, IngestSubsystem* ingest,
                Clock& clock);
  void wireReminders(const Config& config, store::Database& db, SecuritySubsystem& security,
                     SyncSubsystem& syncing, Clock& clock);
  void wireSurveys(const Config& config, store::Database& db, SecuritySubsystem& security,
                   SyncSubsystem& syncing, Clock& clock);

  std::unique_ptr<registry::PatientRepository> patients_;
  std::unique_ptr<patients::ConsentService> consents_;
  std::unique_ptr<patients::RpmEnrolmentService> rpm_;
  std::unique_ptr<onboarding::InvitationService> invitations_;
  std::unique_ptr<patients::PatientRecordService> records_;
  std::unique_ptr<notes::NoteService> notes_;
  std::unique_ptr<worklist::WorklistService> worklist_;
  // Async care (issue 23) and its escalation check (every cases.check_seconds; declared after
  // the service so it stops first).
  std::unique_ptr<cases::CaseService> cases_;
  std::unique_ptr<billing::BillingService> billing_;
  std::unique_ptr<analytics::ReportService> reports_;
  std::unique_ptr<PeriodicTask> visitTimeImport_;
  std::unique_ptr<PeriodicTask> claimSubmission_;
  std::unique_ptr<PeriodicTask> caseEscalation_;
  // Patient satisfaction (issue 30): the visits' surveys and the task that sends their notices
  // ("survey_notices", every surveys.notice_interval_seconds; declared after the service).
  std::unique_ptr<surveys::SurveyService> surveys_;
  std::unique_ptr<PeriodicTask> surveyNotices_;
  std::unique_ptr<fhir::RecordExportService> recordExport_;
  std::unique_ptr<fhir::FhirServer> fhir_;  // the FHIR R4 API (issue 26)
  // SMART backend services (issue 26): EHR clients, the token endpoint, bearer tokens.
  std::unique_ptr<fhir::SmartClientService> smartClients_;
  std::unique_ptr<patients::IntakeService> intake_;
  std::unique_ptr<licensing::LicenseService> licenses_;
  std::unique_ptr<security::StaffGroupService> groups_;  // clinic groups (issue 30)
  std::unique_ptr<rx::DrugCatalog> drugs_;
  std::unique_ptr<rx::StateRuleService> rxRules_;
  std::unique_ptr<rx::PrescriberService> prescribers_;
  std::unique_ptr<rx::PrescriptionService> prescriptions_;
  // Asks the registry about every license once a day (issue 22; only with an enrolled link).
  std::unique_ptr<PeriodicTask> licenseRefresh_;
#ifdef VIGIL_WITH_SCHEDULING
  // Bookings (issue 22), with the licensing check (scheduling::LicensingEligibility).
  std::unique_ptr<scheduling::SchedulingService> scheduling_;
  // Reminders 24 h and 1 h before, through the cloud link's notify.send; the task that sends
  // them ("reminders", every scheduling.reminder_interval_seconds).
  std::unique_ptr<scheduling::ReminderService> reminders_;
  std::unique_ptr<PeriodicTask> reminderTask_;
  // The on-demand queue (issue 22): duty, requests matched by licensing, live on the event bus.
  std::unique_ptr<ondemand::OnDemandService> ondemand_;
#endif
  std::unique_ptr<registry::DeviceRegistry> devices_;
  std::unique_ptr<readings::ReadingQuery> readings_;
  std::unique_ptr<pki::CertificateAuthority> ca_;
  std::unique_ptr<pki::DeviceProvisioner> provisioner_;
  // Re-issues the CRL once half its validity has passed and reloads the broker: an expired CRL
  // makes the broker refuse every device.
  std::unique_ptr<PeriodicTask> crlRefresh_;
  web::ApiServices services_;
};

}  // namespace vigil::app
