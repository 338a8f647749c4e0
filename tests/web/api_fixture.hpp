#pragma once
// The API on a real server: a temp store with the product schema, keys, audit log, account
// service, registry, readings, alert lifecycle + repository, rule set and event bus, all real,
// driven by a ManualClock; an HttpServer on 127.0.0.1 port 0 (plain HTTP, so the cookie is
// `vigil_session`). Users: an admin, a provider and a nurse on patient A's care team, a spare
// nurse (the target of admin actions), a front-desk user (issue 21: registers and schedules, no
// clinical data), and a patient user whose record is A. Patient B has no
// care team. Each patient has one open alert and one device. The cloud link's outbox is empty.
// The admin has published a telehealth consent (version 1) that nobody has signed.
// E-prescribing (issue 25) is wired as vigild wires it (ApiWiring::wireRx): the drug list with
// the bundled starter list, the state rules, DEA/EPCS and prescriptions, without a cloud link
// (signing and cancelling answer their documented refusal, 422). Nobody has an NPI, a DEA
// registration or EPCS access; no patient has an address or pharmacy. The FHIR API's SMART
// backend services (issue 26) are wired with the token URL kTokenUrl and no EHR client.

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPCookie.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/WebSocket.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "vigil/alerts/alert_lifecycle.hpp"
#include "vigil/alerts/alert_repository.hpp"
#include "vigil/alerts/escalation_service.hpp"
#include "vigil/alerts/rule_set.hpp"
#include "vigil/analytics/sections.hpp"
#include "vigil/billing/billing.hpp"
#include "vigil/cases/cases.hpp"
#include "vigil/core/clock.hpp"
#include "vigil/events/event_bus.hpp"
#include "vigil/fhir/record_export.hpp"
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
#include "vigil/security/accounts.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/security/keys.hpp"
#include "vigil/security/staff_groups.hpp"
#include "vigil/security/totp.hpp"
#include "vigil/store/database.hpp"
#include "vigil/surveys/surveys.hpp"
#include "vigil/sync/outbox.hpp"
#ifdef VIGIL_WITH_SCHEDULING
#include "vigil/ondemand/ondemand.hpp"
#include "vigil/scheduling/reminders.hpp"
#include "vigil/scheduling/scheduling.hpp"
#endif
#include "vigil/testsupport/manual_clock.hpp"
#include "vigil/testsupport/test_store.hpp"
#include "vigil/web/api.hpp"
#include "vigil/web/ble_admin.hpp"
#include "vigil/web/http.hpp"
#include "vigil/worklist/worklist.hpp"

namespace vigil::web::test {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    static int n = 0;
    path = fs::temp_directory_path() /
           ("vigil-api-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

/// One HTTP answer.
struct Reply {
  int status = 0;
  std::string body;
  std::string setCookie;
  std::map<std::string, std::string> headers;  // response headers, by name as sent
};

/// A signed-in browser: its session cookie and CSRF token.
struct Client {
  std::string cookie;  // "vigil_session=<token>"
  std::string csrf;
};

inline std::string jsonField(const std::string& body, const std::string& key) {
  // Enough for tests: "key":"value" or "key":number.
  auto pos = body.find("\"" + key + "\":");
  if (pos == std::string::npos) return {};
  pos += key.size() + 3;
  if (body[pos] == '"') {
    auto end = body.find('"', pos + 1);
    return body.substr(pos + 1, end - pos - 1);
  }
  auto end = body.find_first_of(",}]", pos);
  return body.substr(pos, end - pos);
}

/// The BLE admin seam with one discovered device, recording pairing requests (the gateway
/// itself runs against a real D-Bus in tests/ble).
struct RecordingBleAdmin final : BleAdmin {
  std::vector<std::pair<std::string, std::optional<std::uint32_t>>> pairings;
  Status status() const override { return {true, true, true}; }
  std::vector<Device> kept;  // devices the gateway only knows from the store (live = false)
  std::vector<Device> devices() const override {
    std::vector<Device> out{
        {"C4:7C:8D:6A:12:34", "ble-C47C8D6A1234", "discovered", "", false, {0x1810}, {}}};
    out.insert(out.end(), kept.begin(), kept.end());
    return out;
  }
  bool requestPairing(const std::string& address, std::optional<std::uint32_t> passkey) override {
    if (address.size() != 17) return false;
    pairings.emplace_back(address, passkey);
    return true;
  }
};

struct ApiFixture {
  TempDir dir;
  testsupport::ManualClock clock;
  /// The store's options (SQLite file or PostgreSQL database): reopen the same store with them.
  store::Options storeOptions;
  std::unique_ptr<store::Database> db;
  std::unique_ptr<security::Keys> keys;
  std::unique_ptr<security::AuditLog> audit;
  std::unique_ptr<security::AccountService> accounts;
  std::unique_ptr<registry::PatientRepository> patients;
  std::unique_ptr<patients::ConsentService> consents;
  std::unique_ptr<patients::RpmEnrolmentService> rpm;
  std::unique_ptr<onboarding::InvitationService> invitations;  // no cloud link: "manual"
  std::unique_ptr<patients::PatientRecordService> records;
  std::unique_ptr<fhir::RecordExportService> recordExport;
  std::unique_ptr<patients::IntakeService> intake;
  std::unique_ptr<licensing::LicenseService> licenses;  // no cloud link: verify refuses
  std::unique_ptr<security::StaffGroupService> groups;  // clinic groups (issue 30)
  std::unique_ptr<notes::NoteService> notes;
  std::unique_ptr<cases::CaseService> cases;
  std::unique_ptr<surveys::SurveyService> surveys;  // patient satisfaction (issue 30)
  std::unique_ptr<billing::BillingService> billing;
  std::unique_ptr<analytics::ReportService> reports;
  std::unique_ptr<rx::DrugCatalog> drugs;  // the starter list loaded
  std::unique_ptr<rx::StateRuleService> rxRules;
  std::unique_ptr<rx::PrescriberService> prescribers;
  std::unique_ptr<rx::PrescriptionService> prescriptions;  // no cloud link: signing refuses
  std::unique_ptr<registry::DeviceRegistry> devices;
  std::unique_ptr<readings::ReadingQuery> readings;
  events::EventBus bus;
  std::unique_ptr<alerts::RuleSet> rules;
  std::unique_ptr<alerts::AlertRepository> alertStore;
  std::unique_ptr<alerts::AlertLifecycle> lifecycle;
  std::unique_ptr<alerts::EscalationService> escalation;
  std::unique_ptr<worklist::WorklistService> worklist;
  std::unique_ptr<pki::CertificateAuthority> ca;
  std::unique_ptr<pki::DeviceProvisioner> provisioner;
  RecordingBleAdmin ble;
  Metrics syncMetrics;  // the outbox's counters, apart from the process's
  std::unique_ptr<sync::Outbox> outbox;
  /// SMART backend services (issue 26): no EHR client registered; the token URL is kTokenUrl.
  std::unique_ptr<fhir::SmartClientService> smartClients;
  static constexpr const char* kTokenUrl = "https://box.test/fhir/auth/token";
#ifdef VIGIL_WITH_SCHEDULING
  /// Scheduling (issue 22): the provider takes 30-minute in-person visits (`visitType`) all
  /// day, every day, in UTC.
  std::unique_ptr<scheduling::SchedulingService> scheduling;
  std::unique_ptr<scheduling::ReminderService> reminders;
  scheduling::AppointmentType visitType;
  std::int64_t secondScheduler = 0;  // made by the test that needs it
  /// The on-demand queue (issue 22), publishing on `bus`; average visit 15 minutes.
  std::unique_ptr<ondemand::OnDemandService> ondemand;
#endif
  ApiServices services;
  std::shared_ptr<Router> router = std::make_shared<Router>();
  std::unique_ptr<HttpServer> server;

  security::Actor adminActor{0, security::Role::admin, std::nullopt};
  std::int64_t patientA = 0, patientB = 0;
  std::int64_t providerId = 0, nurseId = 0, spareNurseId = 0, patientUserId = 0, frontDeskId = 0;
  std::int64_t alertA = 0, alertB = 0, deviceA = 0, deviceB = 0;
  std::map<std::int64_t, std::string> totpSecrets;  // staff user id -> base32 secret
  /// The telehealth consent the admin published (version 1); nobody has signed it.
  patients::ConsentDocument telehealth;

  static constexpr const char* kPassword = "correct horse battery staple";

  ApiFixture() {
    storeOptions = testsupport::testStoreOptions(dir.path / "vigil.db");
    storeOptions.synchronousFull = false;
    db = store::Database::open(storeOptions);
    keys = security::Keys::open(*db, dir.path / "master.key", clock);
    // As vigild: keyed chain, break-glass justifications stored encrypted.
    audit = std::make_unique<security::AuditLog>(*keys, clock, security::AuditConfig{});
    security::AccountConfig ac;
    ac.scrypt = security::ScryptParams{10, 8, 1};  // fast for tests
    accounts = std::make_unique<security::AccountService>(*db, *keys, *audit, clock, ac);
    patients = std::make_unique<registry::PatientRepository>(*db, keys->cipher(),
                                                             keys->blindIndex(), clock);
    devices = std::make_unique<registry::DeviceRegistry>(*db, clock);
    consents =
        std::make_unique<patients::ConsentService>(*db, *audit, keys->cipher(), *patients, clock);
    rpm = std::make_unique<patients::RpmEnrolmentService>(*db, *audit, keys->cipher(), clock);
    invitations = std::make_unique<onboarding::InvitationService>(
        *db, *audit, *accounts, keys->cipher(), *patients, nullptr, clock);
    records = std::make_unique<patients::PatientRecordService>(*db, *audit, keys->cipher(),
                                                               *patients, clock);
    recordExport = std::make_unique<fhir::RecordExportService>(
        *db, *audit, *records, *consents, keys->cipher(), clock, patients.get());
    intake = std::make_unique<patients::IntakeService>(*db, *audit, keys->cipher(), clock);
    licenses = std::make_unique<licensing::LicenseService>(*db, *audit, nullptr, clock);
    groups = std::make_unique<security::StaffGroupService>(*db, *audit, keys->cipher(), clock);
    notes = std::make_unique<notes::NoteService>(*db, *audit, keys->cipher(), *patients, clock);
    readings = std::make_unique<readings::ReadingQuery>(*db);
    rules = std::make_unique<alerts::RuleSet>(clock);
    alertStore = std::make_unique<alerts::AlertRepository>(*db, keys->cipher());
    lifecycle = std::make_unique<alerts::AlertLifecycle>(clock, alerts::EscalationPolicy{}, &bus);
    lifecycle->setJournal(alertStore.get());
    worklist = std::make_unique<worklist::WorklistService>(*db, *lifecycle, clock);
    escalation = std::make_unique<alerts::EscalationService>(
        *db, keys->cipher(), *lifecycle, clock, [this](std::int64_t id) {
          auto u = accounts->findUser(id);
          return u && !u->disabled &&
                 (u->role == security::Role::provider || u->role == security::Role::nurse);
        });
    ca = std::make_unique<pki::CertificateAuthority>(
        pki::CertificateAuthority::create(dir.path / "pki"));
    pki::ProvisionerConfig pc;
    pc.aclFile = dir.path / "acl";
    pc.passwordFile = dir.path / "passwd";
    pc.pidFile = dir.path / "mosquitto.pid";  // no broker: nothing to reload
    provisioner = std::make_unique<pki::DeviceProvisioner>(*ca, pc);
    outbox =
        std::make_unique<sync::Outbox>(*db, *audit, clock, sync::BackoffPolicy{}, &syncMetrics);
    // As an enrolled box's link does (sync::Link seals a real stream.skip; tests/sync).
    outbox->setSkipSealer([](const sync::OutboxEntry& cancelled, std::string_view newId) {
      return envelopeText(newId, cancelled.seq);
    });

    security::NewUser first{security::Role::admin, "admin@clinic.example", "Ada Admin",
                            std::nullopt, kPassword};
    adminActor.id = accounts->bootstrapAdmin(first);
    patientA = patients->create({0, "MRN-A", "Ana", "Silva", "1956-03-02", "UTC", "", {}, true});
    patientB = patients->create({0, "MRN-B", "Ben", "Okoro", "1961-07-19", "UTC", "", {}, true});
    providerId = user(security::Role::provider, "dr.lee@clinic.example", "Dr. Lee");
    nurseId = user(security::Role::nurse, "nurse.kim@clinic.example", "Nurse Kim");
    spareNurseId = user(security::Role::nurse, "nurse.spare@clinic.example", "Nurse Spare");
    frontDeskId = user(security::Role::front_desk, "front.desk@clinic.example", "Fran Desk");
    patientUserId = user(security::Role::patient, "ana@example.org", "Ana Silva", patientA);
    accounts->assignCareTeam(adminActor, providerId, patientA);
    accounts->assignCareTeam(adminActor, nurseId, patientA);
    deviceA = devices->add({"bp-a", registry::DeviceKind::blood_pressure, "", "", ""}).id;
    deviceB = devices->add({"bp-b", registry::DeviceKind::blood_pressure, "", "", ""}).id;
    devices->assign(deviceA, patientA);
    devices->assign(deviceB, patientB);
    alertA = raise(patientA, 182);
    alertB = raise(patientB, 176);
    telehealth = consents->publish(adminActor,
                                   {patients::ConsentKind::telehealth, "Telehealth consent",
                                    "I agree to receive care by video from this clinic.", false});

    services.db = db.get();
    services.accounts = accounts.get();
    services.audit = audit.get();
    services.clock = &clock;
    services.patients = patients.get();
    services.devices = devices.get();
    services.readings = readings.get();
    services.alerts = lifecycle.get();
    services.alertStore = alertStore.get();
    services.rules = rules.get();
    services.escalation = escalation.get();
    services.events = &bus;
    services.provisioner = provisioner.get();
    services.ble = &ble;
    services.outbox = outbox.get();
    services.consents = consents.get();
    services.rpm = rpm.get();
    services.invitations = invitations.get();
    services.records = records.get();
    services.recordExport = recordExport.get();
    services.intake = intake.get();
    services.licenses = licenses.get();
    services.groups = groups.get();
#ifdef VIGIL_WITH_SCHEDULING
    scheduling =
        std::make_unique<scheduling::SchedulingService>(*db, *audit, keys->cipher(), clock);
    visitType =
        scheduling->saveType(adminActor, {0, "Clinic visit", 30, scheduling::Modality::inPerson,
                                          scheduling::VisitKind::followUp, true});
    takeBookingsAllWeek(providerId);
    services.scheduling = scheduling.get();
    reminders = std::make_unique<scheduling::ReminderService>(
        *db, *audit, keys->cipher(), *records, nullptr, clock, scheduling::ReminderOptions{});
    scheduling->setReminders(reminders.get());
    services.reminders = reminders.get();
    ondemand = std::make_unique<ondemand::OnDemandService>(*db, *audit, clock, &bus);
    services.ondemand = ondemand.get();
#endif
    services.notes = notes.get();
    services.worklist = worklist.get();
    // Async care (issue 23): the default business hours (09:00-17:00 UTC, 8 h), the alert
    // lifecycle's escalation set-up.
    cases = std::make_unique<cases::CaseService>(*db, *audit, keys->cipher(), *notes, clock,
                                                 cases::BusinessHours{},
                                                 [this] { return lifecycle->escalationSetup(); });
    services.cases = cases.get();
    // Patient satisfaction (issue 30), no cloud link: notices are skipped.
    surveys =
        std::make_unique<surveys::SurveyService>(*db, *audit, keys->cipher(), *records, clock);
    services.surveys = surveys.get();
    billing = std::make_unique<billing::BillingService>(*db, *audit, keys->cipher(), *patients,
                                                        *records, clock);
    services.billing = billing.get();
    // As ApiWiring::wireReports: staff names from the accounts, clinic groups read on the
    // report's connection (analytics::staffGroupProviders, staffGroupsOf).
    reports = std::make_unique<analytics::ReportService>(
        *db, *audit, clock, analytics::practiceSections(),
        [this](std::int64_t id) {
          auto u = accounts->findUser(id);
          return u ? u->displayName : "User " + std::to_string(id);
        },
        analytics::staffGroupProviders(), analytics::staffGroupsOf());
    services.reports = reports.get();
    // E-prescribing (issue 25), as ApiWiring::wireRx with no cloud link.
    drugs = std::make_unique<rx::DrugCatalog>(*db);
    drugs->loadStarterList();
    rxRules = std::make_unique<rx::StateRuleService>(*db, *audit, clock);
    prescribers = std::make_unique<rx::PrescriberService>(*db, *audit, clock);
    prescriptions = std::make_unique<rx::PrescriptionService>(*db, *audit, keys->cipher(), *records,
                                                              *accounts, nullptr, clock);
    services.drugs = drugs.get();
    services.rxRules = rxRules.get();
    services.prescribers = prescribers.get();
    services.prescriptions = prescriptions.get();
    smartClients = std::make_unique<fhir::SmartClientService>(*db, *audit, clock, kTokenUrl);
    services.smartClients = smartClients.get();
    services.secureCookies = false;
    addApiRoutes(*router, services);
    ServerOptions so;
    so.threads = 4;
    server = std::make_unique<HttpServer>(so, router, makeApiGate(services));
    server->start();
  }

  ~ApiFixture() {
    server->stop();
    alertStore->flush();
  }

  std::int64_t user(security::Role role, const std::string& email, const std::string& name,
                    std::optional<std::int64_t> patient = std::nullopt) {
    return accounts->createUser(adminActor, {role, email, name, patient, kPassword});
  }

  std::int64_t raise(std::int64_t patient, double systolic,
                     const std::string& ruleKey = "bp.systolic.high") {
    alerts::Breach b;
    b.patientId = patient;
    b.ruleKey = ruleKey;
    b.ruleVersion = 1;
    b.code = "8480-6";
    b.severity = alerts::Severity::high;
    b.value = systolic;
    b.readingId = 1;
    b.observedAt = clock.now();
    auto changes = lifecycle->recordBreaches(std::span<const alerts::Breach>(&b, 1), clock.now());
    return changes.at(0).alert.id;
  }

#ifdef VIGIL_WITH_SCHEDULING
  /// The provider takes bookings every day, all day, in UTC, without a buffer.
  void takeBookingsAllWeek(std::int64_t provider) {
    scheduling->saveSettings(adminActor, {provider, "UTC", 0});
    std::vector<scheduling::TemplateBlock> week;
    for (int d = 1; d <= 7; ++d) week.push_back({0, provider, d, 0, 1440, {}});
    scheduling->setTemplate(adminActor, provider, week);
  }
#endif

  std::uint16_t port() const {
    return server->port();
  }

  Reply request(const std::string& method, const std::string& path, const Client* client,
                const std::string& body = "",
                const std::map<std::string, std::string>& extra = {}) {
    Poco::Net::HTTPClientSession session("127.0.0.1", port());
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    if (client && !client->cookie.empty()) req.set("Cookie", client->cookie);
    if (client && !client->csrf.empty() && method != "GET") req.set("X-CSRF-Token", client->csrf);
    if (!body.empty() || method == "POST" || method == "PUT") {
      req.setContentType("application/json");
      req.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    for (const auto& [k, v] : extra) req.set(k, v);  // may override the content type
    auto& os = session.sendRequest(req);
    os << body;
    Poco::Net::HTTPResponse resp;
    auto& is = session.receiveResponse(resp);
    std::stringstream ss;
    ss << is.rdbuf();
    Reply r;
    r.status = static_cast<int>(resp.getStatus());
    r.body = ss.str();
    r.setCookie = resp.get("Set-Cookie", "");
    for (const auto& [k, v] : resp) r.headers[k] = v;
    return r;
  }

  static std::string cookieFrom(const Reply& r) {
    auto end = r.setCookie.find(';');
    return r.setCookie.substr(0, end);
  }

  std::string loginBody(const std::string& email, const std::string& code = "") {
    std::string b = "{\"email\":\"" + email + "\",\"password\":\"" + kPassword + "\"";
    if (!code.empty()) b += ",\"code\":\"" + code + "\"";
    return b + "}";
  }

  /// Signs in through the API (enrolling TOTP on first use for staff); a fresh session.
  Client signIn(std::int64_t userId) {
    auto u = accounts->findUser(userId);
    auto r = request("POST", "/api/v1/auth/login", nullptr, loginBody(u->email));
    auto status = jsonField(r.body, "status");
    if (status == "mfa_enrolment_required") {
      Client c{cookieFrom(r), jsonField(r.body, "csrf")};
      totpSecrets[userId] = jsonField(r.body, "secret");
      auto code = totp(userId);
      auto confirm = request("POST", "/api/v1/auth/mfa/confirm", &c, "{\"code\":\"" + code + "\"}");
      if (confirm.status != 200) throw std::runtime_error("enrolment failed: " + confirm.body);
      return c;
    }
    if (status == "mfa_required") {
      clock.advance(std::chrono::seconds(31));  // a TOTP code works once: next step
      r = request("POST", "/api/v1/auth/mfa", nullptr, loginBody(u->email, totp(userId)));
      status = jsonField(r.body, "status");
    }
    if (status != "ok") throw std::runtime_error("sign-in failed: " + r.body);
    return Client{cookieFrom(r), jsonField(r.body, "csrf")};
  }

  /// Step-up (issue 18): the user enters their password (and, for staff, a fresh code) again.
  void stepUp(const Client& c, std::int64_t userId) {
    std::string body = std::string("{\"password\":\"") + kPassword + "\"";
    if (totpSecrets.count(userId)) {
      clock.advance(std::chrono::seconds(31));  // a TOTP code works once: next step
      body += ",\"code\":\"" + totp(userId) + "\"";
    }
    auto r = request("POST", "/api/v1/auth/reauth", &c, body + "}");
    if (r.status != 204) throw std::runtime_error("step-up failed: " + r.body);
  }

  /// A cloud-link outbox entry on `stream`, written in a write job as a domain change writes it;
  /// its (stand-in) envelope holds the marker text kEnvelopeMarker, which no answer may show.
  std::string enqueueSyncEntry(const std::string& stream, const std::string& kind = "claim.submit",
                               const std::string& recipient = "clearinghouse") {
    return db->writeSync([&](store::Connection& c) {
      return outbox->enqueueIn(c, stream, kind, recipient, envelopeText);
    });
  }
  static constexpr const char* kEnvelopeMarker = "U0VBTEVELVBBWUxPQUQ=";
  static std::string envelopeText(std::string_view id, std::int64_t seq) {
    return std::string("{\"v\":1,\"id\":\"") + std::string(id) +
           "\",\"seq\":" + std::to_string(seq) + ",\"ct\":\"" + kEnvelopeMarker + "\"}";
  }

  /// An entry the service refused for good with `reason`: it blocks its stream.
  std::string refusedSyncEntry(const std::string& stream, const std::string& reason) {
    auto id = enqueueSyncEntry(stream);
    if (!outbox->markRefused(id, clock.now(), reason))
      throw std::runtime_error("markRefused: the entry was not pending");
    return id;
  }

  std::string totp(std::int64_t userId) {
    return security::totpCode(security::base32Decode(totpSecrets.at(userId)), clock.now());
  }
};

/// Opens /api/v1/events; returns the socket or the HTTP status that refused it.
inline std::pair<std::unique_ptr<Poco::Net::WebSocket>, int> openEvents(ApiFixture& f,
                                                                        const Client& c,
                                                                        const std::string& csrf,
                                                                        const std::string& origin) {
  Poco::Net::HTTPClientSession session("127.0.0.1", f.port());
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, "/api/v1/events?csrf=" + csrf,
                             Poco::Net::HTTPMessage::HTTP_1_1);
  req.set("Cookie", c.cookie);
  if (!origin.empty()) req.set("Origin", origin);
  Poco::Net::HTTPResponse resp;
  try {
    auto ws = std::make_unique<Poco::Net::WebSocket>(session, req, resp);
    ws->setReceiveTimeout(Poco::Timespan(5, 0));
    return {std::move(ws), 101};
  } catch (const Poco::Net::WebSocketException&) {
    return {nullptr, static_cast<int>(resp.getStatus())};
  }
}

/// The next text frame that is not a ping; "" on close or when none comes within 10 s (each
/// receive also stops at the socket's 5 s timeout).
inline std::string nextText(Poco::Net::WebSocket& ws) {
  char buf[4096];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    int flags = 0;
    int n = ws.receiveFrame(buf, sizeof buf, flags);
    if (n <= 0) return {};
    std::string text(buf, static_cast<std::size_t>(n));
    if (text.find("\"ping\"") == std::string::npos) return text;
  }
  return {};
}

}  // namespace vigil::web::test
