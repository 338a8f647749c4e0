#include "api_wiring.hpp"

#include <filesystem>

#include "alerts_subsystem.hpp"
#include "security_subsystem.hpp"
#include "store_subsystem.hpp"
#include "sync_subsystem.hpp"
#include "vigil/analytics/sections.hpp"
#include "vigil/app/config.hpp"
#include "vigil/core/clock.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/time_zone.hpp"
#include "vigil/pki/broker_setup.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/keys.hpp"
#include "vigil/sync/notification_outbox.hpp"

namespace vigil::app {

std::unique_ptr<pki::DeviceProvisioner> ApiWiring::makeProvisioner(
    const Config& config, std::unique_ptr<pki::CertificateAuthority>& ca) {
  namespace fs = std::filesystem;
  if (!config.boolean("pki.enabled")) return nullptr;
  const auto& brokerDir = config.string("pki.broker_dir");
  pki::BrokerLayout layout(brokerDir.empty() ? config.string("data.dir") : brokerDir);
  fs::path caDir =
      config.string("pki.ca_dir").empty() ? layout.pkiDir : fs::path(config.string("pki.ca_dir"));
  if (!pki::CertificateAuthority::exists(caDir)) {
    log::warn("pki.no_ca", {{"reason", "no device CA: device bundles and revocation are off"}});
    return nullptr;
  }
  try {
    ca = std::make_unique<pki::CertificateAuthority>(pki::CertificateAuthority::open(caDir));
    pki::ProvisionerConfig pc;
    pc.endpoint = pki::readEndpoint(layout);
    pc.aclFile = layout.aclFile;
    pc.passwordFile = layout.passwordFile;
    pc.pidFile = layout.pidFile;
    pc.serviceClient = config.string("mqtt.client_id");
    log::info("pki.ready", {{"broker_port", pc.endpoint.certificatePort}});
    // The CRL is renewed by ApiWiring's crl_refresh task (at start, then every 6 hours).
    return std::make_unique<pki::DeviceProvisioner>(*ca, pc);
  } catch (const vigil::Error& e) {
    // A CA vigild may not use (key readable by others, unreadable files): say why, run without.
    log::warn("pki.unavailable", {{"reason", std::string(e.what())}});
    ca.reset();
    return nullptr;
  }
}

// E-prescribing (issue 25): the starter drug list is loaded once; prescriptions route through
// the cloud link (signing refuses without it); rx.status is applied by the sync subsystem.
void ApiWiring::wireRx(const Config& config, store::Database& db, SecuritySubsystem& security,
                       SyncSubsystem& syncing, Clock& clock) {
  drugs_ = std::make_unique<rx::DrugCatalog>(db);
  drugs_->loadStarterList();
  rxRules_ = std::make_unique<rx::StateRuleService>(db, security.audit(), clock);
  prescribers_ = std::make_unique<rx::PrescriberService>(db, security.audit(), clock);
  prescriptions_ = std::make_unique<rx::PrescriptionService>(
      db, security.audit(), security.keys().cipher(), *records_, security.accounts(),
      syncing.link(), clock);
  rx::ClinicInfo clinic;
  if (auto name = config.string("scheduling.clinic_name"); !name.empty())
    clinic.name = name.substr(0, 35);  // NCPDP's From is at most 35 characters
  prescriptions_->setClinic(clinic);
  services_.drugs = drugs_.get();
  services_.rxRules = rxRules_.get();
  services_.prescribers = prescribers_.get();
  services_.prescriptions = prescriptions_.get();
}

/// Async care (issue 23): the response target in business hours, the service, its escalation
/// check every cases.check_seconds.
void ApiWiring::wireCases(const Config& config, store::Database& db, SecuritySubsystem& security,
                          AlertsSubsystem& alerting, Clock& clock) {
  cases::BusinessHours hours;
  hours.zone = core::TimeZone::locate(config.string("cases.time_zone"));
  hours.dayStartHour = static_cast<int>(config.integer("cases.day_start_hour"));
  hours.dayEndHour = static_cast<int>(config.integer("cases.day_end_hour"));
  hours.target = std::chrono::minutes(config.integer("cases.response_hours") * 60);
  hours.escalatePercent = static_cast<int>(config.integer("cases.escalate_percent"));
  cases_ = std::make_unique<cases::CaseService>(
      db, security.audit(), security.keys().cipher(), *notes_, clock, hours,
      [&alerting] { return alerting.lifecycle().escalationSetup(); });
  services_.cases = cases_.get();
  caseEscalation_ = std::make_unique<PeriodicTask>(
      "case_escalation", std::chrono::seconds(config.integer("cases.check_seconds")),
      [this] { cases_->escalateDue(); });
}

/// Appointment reminders 24 h and 1 h before (issue 22), through the cloud link's notify.send,
/// from the "reminders" task (with scheduling only).
void ApiWiring::wireReminders(const Config& config, store::Database& db,
                              SecuritySubsystem& security, SyncSubsystem& syncing, Clock& clock) {
#ifdef VIGIL_WITH_SCHEDULING
  scheduling::ReminderOptions reminderOptions;
  reminderOptions.clinicName = config.string("scheduling.clinic_name");
  reminderOptions.portalUrl = services_.publicUrl;
  std::shared_ptr<sync::NotificationOutbox> notify;
  if (syncing.link() != nullptr)
    notify = std::make_shared<sync::LinkNotificationOutbox>(*syncing.link());
  reminders_ = std::make_unique<scheduling::ReminderService>(
      db, security.audit(), security.keys().cipher(), *records_, std::move(notify), clock,
      reminderOptions);
  scheduling_->setReminders(reminders_.get());
  services_.reminders = reminders_.get();
  reminderTask_ = std::make_unique<PeriodicTask>(
      "reminders", std::chrono::seconds(config.integer("scheduling.reminder_interval_seconds")),
      [this] { reminders_->runDue(); });
#else
  (void)config, (void)db, (void)security, (void)syncing, (void)clock;
#endif
}

/// Patient satisfaction (issue 30): a survey after each video visit the patient joined; its
/// notice goes through the cloud link's notify.send by the channel the patient chose for
/// reminders (scheduling's settings; e-mail without scheduling), once per visit, from the
/// "survey_notices" task.
void ApiWiring::wireSurveys(const Config& config, store::Database& db, SecuritySubsystem& security,
                            SyncSubsystem& syncing, Clock& clock) {
  surveys::SurveyOptions options;
  options.clinicName = config.string("scheduling.clinic_name");
  options.portalUrl = services_.publicUrl;
  surveys_ = std::make_unique<surveys::SurveyService>(
      db, security.audit(), security.keys().cipher(), *records_, clock, options);
  std::shared_ptr<sync::NotificationOutbox> outbox;
  if (syncing.link() != nullptr)
    outbox = std::make_shared<sync::LinkNotificationOutbox>(*syncing.link());
  surveys::NoticeChannel channel;
#ifdef VIGIL_WITH_SCHEDULING
  channel = [](store::Connection& c, std::int64_t patientId) -> std::optional<std::string> {
    const auto s = scheduling::reminderSettingsIn(c, patientId);
    if (s.channel == scheduling::ReminderChannel::none) return std::nullopt;
    return std::string(scheduling::toString(s.channel));
  };
#endif
  surveys_->setNotices(std::move(outbox), std::move(channel));
  services_.surveys = surveys_.get();
  surveyNotices_ = std::make_unique<PeriodicTask>(
      "survey_notices", std::chrono::seconds(config.integer("surveys.notice_interval_seconds")),
      [this] { surveys_->sendDueNotices(); });
}

namespace {

/// The practice as the 837P's billing provider and submitter (billing.*).
billing::SubmissionSettings billingSettings(const Config& config) {
  billing::SubmissionSettings s;
  s.practiceName = config.string("billing.practice_name");
  if (s.practiceName.empty()) s.practiceName = config.string("scheduling.clinic_name");
  s.practiceName = s.practiceName.substr(0, 60);
  s.practiceNpi = config.string("billing.practice_npi");
  s.taxonomy = config.string("billing.taxonomy");
  s.taxId = config.string("billing.tax_id");
  s.addressLine = config.string("billing.address");
  s.city = config.string("billing.city");
  s.state = config.string("billing.state");
  s.zip = config.string("billing.zip");
  s.submitterId = config.string("billing.submitter_id");
  s.contactName = config.string("billing.contact_name");
  s.contactPhone = config.string("billing.contact_phone");
  s.receiverId = config.string("billing.receiver_id");
  s.payerIds = billing::parsePayerIds(config.string("billing.payer_ids"));
  s.usage = config.boolean("billing.test_mode") ? 'T' : 'P';
  return s;
}

}  // namespace

/// RPM billing (issue 24): the ledger, review and claims; completed video visits' time joins
/// the ledger every 5 minutes; approved claims go to the clearinghouse every
/// billing.submit_interval_seconds (as the system; the answers are applied by the sync
/// subsystem's handlers).
void ApiWiring::wireBilling(const Config& config, store::Database& db, SecuritySubsystem& security,
                            SyncSubsystem& syncing, Clock& clock) {
  billing_ = std::make_unique<billing::BillingService>(
      db, security.audit(), security.keys().cipher(), *patients_, *records_, clock);
  services_.billing = billing_.get();
  billing_->setSubmissionSettings(billingSettings(config));
  visitTimeImport_ = std::make_unique<PeriodicTask>("billing_visit_time", std::chrono::minutes(5),
                                                    [this] { billing_->importVisitTime(); });
  if (auto missing = billingSettings(config).missing(); !missing.empty()) {
    std::string names;
    for (const auto& m : missing) names += (names.empty() ? "billing." : ",billing.") + m;
    log::info("billing.submission_off", {{"missing", names}});
  }
  if (syncing.link() != nullptr)
    claimSubmission_ = std::make_unique<PeriodicTask>(
        "claim_submission", std::chrono::seconds(config.integer("billing.submit_interval_seconds")),
        [this, link = syncing.link()] {
          billing_->submitApproved({0, security::Role::admin, std::nullopt}, link);
        });
}

namespace {

/// web.public_url without a trailing slash ("" when unset).
std::string publicUrlOf(const Config& config) {
  auto url = config.string("web.public_url");
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

/// SMART backend services (issue 26): the token URL every assertion's aud must name exactly is
/// the box's public address + /fhir/auth/token. Without web.public_url the token endpoint refuses
/// every request (the box cannot know its address).
void ApiWiring::wireSmart(store::Database& db, SecuritySubsystem& security, Clock& clock) {
  smartClients_ = std::make_unique<fhir::SmartClientService>(
      db, security.audit(), clock,
      services_.publicUrl.empty() ? std::string() : services_.publicUrl + "/fhir/auth/token");
  if (services_.publicUrl.empty())
    log::info("fhir.token_endpoint_off", {{"reason", "web.public_url is not set"}});
  services_.smartClients = smartClients_.get();
}

void ApiWiring::wireReports(store::Database& db, SecuritySubsystem& security, Clock& clock) {
  groups_ = std::make_unique<security::StaffGroupService>(db, security.audit(),
                                                          security.keys().cipher(), clock);
  services_.groups = groups_.get();
  reports_ = std::make_unique<analytics::ReportService>(
      db, security.audit(), clock, analytics::practiceSections(),
      [&accounts = security.accounts()](std::int64_t id) {
        auto u = accounts.findUser(id);
        return u ? u->displayName : "User " + std::to_string(id);
      },
      analytics::staffGroupProviders(), analytics::staffGroupsOf());
  services_.reports = reports_.get();
}

ApiWiring::ApiWiring(const Config& config, StoreSubsystem& store, SecuritySubsystem& security,
                     AlertsSubsystem& alerting, SyncSubsystem& syncing, web::BleAdmin* ble,
                     IngestSubsystem* ingest) {
  auto& db = store.database();
  auto& clock = SystemClock::instance();
  patients_ = std::make_unique<registry::PatientRepository>(db, security.keys().cipher(),
                                                            security.keys().blindIndex(), clock);
  devices_ = std::make_unique<registry::DeviceRegistry>(db, clock);
  // Patients registered before migration 0019 get their search indexes (the key is needed).
  if (auto filled = patients_->fillSearchIndexes(); filled > 0)
    log::info("patients.search_indexes_filled", {{"rows", filled}});
  records_ = std::make_unique<patients::PatientRecordService>(
      db, security.audit(), security.keys().cipher(), *patients_, clock);
  consents_ = std::make_unique<patients::ConsentService>(
      db, security.audit(), security.keys().cipher(), *patients_, clock);
  intake_ = std::make_unique<patients::IntakeService>(db, security.audit(),
                                                      security.keys().cipher(), clock);
  notes_ = std::make_unique<notes::NoteService>(db, security.audit(), security.keys().cipher(),
                                                *patients_, clock);
  // A note on a video visit names one of the patient's visits.
  notes_->setEncounterCheck(notes::EncounterKind::video_visit,
                            [](store::Connection& c, std::int64_t patientId, std::string_view ref) {
                              return video::VisitService::isVisitOfIn(c, ref, patientId);
                            });
  rpm_ = std::make_unique<patients::RpmEnrolmentService>(db, security.audit(),
                                                         security.keys().cipher(), clock);
  readings_ = std::make_unique<readings::ReadingQuery>(db);
#ifdef VIGIL_WITH_SCHEDULING
  // Only providers licensed in the patient's state on the date are offered and booked.
  scheduling_ = std::make_unique<scheduling::SchedulingService>(
      db, security.audit(), security.keys().cipher(), clock,
      std::make_shared<scheduling::LicensingEligibility>());
  services_.scheduling = scheduling_.get();
  ondemand::Policy onDemandPolicy;
  onDemandPolicy.averageVisit =
      std::chrono::minutes(config.integer("ondemand.average_visit_minutes"));
  ondemand_ = std::make_unique<ondemand::OnDemandService>(db, security.audit(), clock,
                                                          &alerting.bus(), onDemandPolicy);
  services_.ondemand = ondemand_.get();
#endif
  onboarding::InvitationOptions invitationOptions;
  invitationOptions.ttl = std::chrono::hours(config.integer("patients.invitation_ttl_hours"));
  invitations_ = std::make_unique<onboarding::InvitationService>(
      db, security.audit(), security.accounts(), security.keys().cipher(), *patients_,
      syncing.link(), clock, invitationOptions);
  services_.invitations = invitations_.get();
  services_.publicUrl = publicUrlOf(config);
  wireSmart(db, security, clock);
  wireReminders(config, db, security, syncing, clock);
  services_.db = &db;
  services_.ble = ble;
  services_.accounts = &security.accounts();
  services_.audit = &security.audit();
  services_.clock = &clock;
  services_.patients = patients_.get();
  services_.devices = devices_.get();
  services_.consents = consents_.get();
  services_.rpm = rpm_.get();
  services_.records = records_.get();
  services_.intake = intake_.get();
  services_.notes = notes_.get();
  worklist_ = std::make_unique<worklist::WorklistService>(db, alerting.lifecycle(), clock);
  services_.worklist = worklist_.get();
  wireCases(config, db, security, alerting, clock);
  wireSurveys(config, db, security, syncing, clock);
  wireBilling(config, db, security, syncing, clock);
  wireReports(db, security, clock);
  services_.readings = readings_.get();
  services_.alerts = &alerting.lifecycle();
  if (alerting.clustered()) services_.alertNode = [&alerting] { return alerting.isAlertNode(); };
  services_.alertStore = &alerting.repository();
  services_.rules = &alerting.rules();
  services_.escalation = &alerting.escalation();
  services_.events = &alerting.bus();
  provisioner_ = makeProvisioner(config, ca_);
  services_.provisioner = provisioner_.get();
  services_.outbox = &syncing.outbox();
  services_.link = syncing.link();
  licenses_ =
      std::make_unique<licensing::LicenseService>(db, security.audit(), syncing.link(), clock);
  services_.licenses = licenses_.get();
  wireRx(config, db, security, syncing, clock);
  wireFhir(db, security, ingest, clock);
  if (syncing.link() != nullptr)
    licenseRefresh_ = std::make_unique<PeriodicTask>("license_refresh", std::chrono::hours(24),
                                                     [this] { licenses_->refreshAll(); });
  if (ca_) {
    crlRefresh_ = std::make_unique<PeriodicTask>("crl_refresh", std::chrono::hours(6), [this] {
      if (!ca_->refreshCrlIfDue()) return;
      bool reloaded = provisioner_->reloadBroker() == pki::ReloadResult::reloaded;
      log::info("pki.crl_refreshed", {{"broker_reloaded", reloaded}});
      if (!reloaded)
        log::warn("pki.broker_not_reloaded", {{"reason", "crl refreshed; broker not signalable"}});
    });
  }
  // Plain HTTP is only allowed on loopback (Config::checkCombinations); there the browser
  // refuses Secure/__Host- cookies, so they are used exactly when TLS is on.
  services_.secureCookies = !config.string("web.tls.cert").empty();
  services_.idleTimeoutSeconds =
      static_cast<int>(config.integer("security.session_idle_minutes") * 60);
  services_.absoluteLifetimeSeconds =
      static_cast<int>(config.integer("security.session_absolute_hours") * 3600);
}

}  // namespace vigil::app
