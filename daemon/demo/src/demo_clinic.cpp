#include "vigil/demo/demo_clinic.hpp"

#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <ostream>
#include <sstream>

#include "demo_billing.hpp"
#include "demo_cases.hpp"
#include "demo_consents.hpp"
#include "demo_licenses.hpp"
#include "demo_notes.hpp"
#include "demo_records.hpp"
#include "demo_rpm.hpp"
#include "vigil/alerts/escalation_service.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/time.hpp"
#include "vigil/crypto/random.hpp"
#include "vigil/demo/demo_history.hpp"
#include "vigil/demo/practice_history.hpp"
#include "vigil/pki/broker_setup.hpp"
#include "vigil/pki/certificate_authority.hpp"
#include "vigil/pki/device_provisioner.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/audit_entry.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/security/keys.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/settings_repository.hpp"
#ifdef VIGIL_WITH_VIDEO
#include "demo_schedule.hpp"
#include "demo_visit_note.hpp"
#include "vigil/video/visit.hpp"
#endif

namespace vigil::demo {
namespace {

namespace fs = std::filesystem;

/// A clock that always says the same instant: the clinic's records (users, patients, devices,
/// assignments) are all written as of the day the demo patients joined the programme.
class FixedClock final : public Clock {
 public:
  explicit FixedClock(TimePoint at) : at_(at) {}
  TimePoint now() const override { return at_; }

 private:
  TimePoint at_;
};

struct DemoPatient {
  const char* mrn;
  const char* given;
  const char* family;
  const char* birthDate;
  const char* state;
  const char* persona;  // the simulator's persona for this patient's devices
  registry::DeviceKind devices[2];
};

// Fictional people. The personas make some of them breach thresholds, so the queue is live.
constexpr DemoPatient kPatients[] = {
    {"DEMO-1001",
     "Rosa",
     "Alvarez",
     "1948-03-12",
     "IL",
     "hypertensive",
     {registry::DeviceKind::blood_pressure, registry::DeviceKind::weight_scale}},
    {"DEMO-1002",
     "Walter",
     "Nguyen",
     "1952-07-30",
     "IL",
     "heart_failure",
     {registry::DeviceKind::weight_scale, registry::DeviceKind::blood_pressure}},
    {"DEMO-1003",
     "Agnes",
     "Okafor",
     "1945-11-02",
     "WI",
     "copd",
     {registry::DeviceKind::pulse_oximeter, registry::DeviceKind::thermometer}},
    {"DEMO-1004",
     "Samuel",
     "Bergstrom",
     "1960-01-21",
     "IL",
     "diabetic",
     {registry::DeviceKind::glucometer, registry::DeviceKind::blood_pressure}},
    {"DEMO-1005",
     "Mei",
     "Tanaka",
     "1971-05-17",
     "IN",
     "normal",
     {registry::DeviceKind::blood_pressure, registry::DeviceKind::heart_rate}},
    {"DEMO-1006",
     "Frank",
     "Delgado",
     "1939-09-09",
     "IL",
     "hypertensive",
     {registry::DeviceKind::blood_pressure, registry::DeviceKind::pulse_oximeter}},
};

const char* deviceTag(registry::DeviceKind k) {
  switch (k) {
    case registry::DeviceKind::blood_pressure:
      return "bp";
    case registry::DeviceKind::weight_scale:
      return "scale";
    case registry::DeviceKind::pulse_oximeter:
      return "spo2";
    case registry::DeviceKind::thermometer:
      return "temp";
    case registry::DeviceKind::glucometer:
      return "glucose";
    case registry::DeviceKind::heart_rate:
      return "hr";
    case registry::DeviceKind::hub:
      return "hub";
  }
  return "dev";
}

constexpr const char* kAdminEmail = "admin@demo.vigil";

// The demo patients live in America/Chicago (CST; a demo ignores daylight saving time).
constexpr int kDemoUtcOffsetMinutes = -6 * 60;

std::string lowerAscii(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::string deviceUid(registry::DeviceKind kind, int patientIndex) {
  return std::string("demo-") + deviceTag(kind) + "-" + std::to_string(1001 + patientIndex);
}

/// FNV-1a of the MRN: each demo patient's history RNG seed, the same on every installation.
std::uint64_t historySeed(std::string_view mrn) {
  std::uint64_t h = 14695981039346656037ULL;
  for (char c : mrn) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

/// Two weeks of readings for the demo patients (demo_history.hpp), once: the window's end is
/// kept in the settings before the readings are written, so a seed interrupted half-way and run
/// again writes the same readings (their dedup keys find the rows), and a finished one is
/// skipped. Audited once per patient.
void seedHistory(store::Database& db, store::SqliteSettingsRepository& settings,
                 const DemoServices& services, const security::Actor& admin) {
  if (settings.get("demo.history").value_or("") == "done") return;
  auto until = SystemClock::instance().now();
  if (auto kept = settings.get("demo.history_until")) {
    until = core::fromMillis(std::stoll(*kept));
  } else {
    settings.set("demo.history_until", std::to_string(core::toMillis(until)));
  }
  std::vector<DemoHistoryPatient> patients;
  int n = 0;
  for (const auto& p : kPatients) {
    DemoHistoryPatient h;
    h.persona = fleet::personaFromName(p.persona).value();
    h.seed = historySeed(p.mrn);
    h.utcOffsetMinutes = kDemoUtcOffsetMinutes;
    for (auto kind : p.devices)
      h.devices.push_back(
          {deviceUid(kind, n), fleet::vitalDeviceFromName(registry::toString(kind)).value()});
    patients.push_back(std::move(h));
    ++n;
  }
  auto started = std::chrono::steady_clock::now();
  auto result = backfillDemoHistory(db, services.keys.cipher(), patients, until);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  started);
  registry::PatientRepository records(db, services.keys.cipher(), services.keys.blindIndex(),
                                      SystemClock::instance());
  for (const auto& p : kPatients) {
    auto pid = records.findByMrn(p.mrn);
    if (!pid) continue;
    services.audit.record(
        db, security::auditEventFor(admin, "readings.backfill", "patient", std::to_string(*pid),
                                    *pid, security::AuditOutcome::success, "demo_seed"));
  }
  settings.set("demo.history", "done");
  log::info("demo.history_seeded", {{"messages", result.messages},
                                    {"readings", result.stored},
                                    {"duplicates", result.duplicates},
                                    {"days", static_cast<std::int64_t>(kDemoHistoryDays.count())},
                                    {"ms", static_cast<std::int64_t>(ms.count())}});
}

/// 90 days of practice history for the reports (practice_history.hpp), once: the window's end
/// is kept in the settings first (as the readings' history does), the whole step marked done
/// after. Audited through the services it writes with.
void seedPracticeHistory(store::SqliteSettingsRepository& settings, const DemoServices& services,
                         const security::Actor& admin) {
  if (settings.get("demo.practice_history").value_or("") == "done") return;
  auto until = SystemClock::instance().now();
  if (auto kept = settings.get("demo.practice_history_until")) {
    until = core::fromMillis(std::stoll(*kept));
  } else {
    settings.set("demo.practice_history_until", std::to_string(core::toMillis(until)));
  }
  const auto started = std::chrono::steady_clock::now();
  const auto r = generatePracticeHistory(services, admin, demoPracticePlan(), until);
  settings.set("demo.practice_history", "done");
  log::info("demo.practice_history_seeded",
            {{"appointments", static_cast<std::int64_t>(r.appointments)},
             {"alerts", static_cast<std::int64_t>(r.alertsRaised)},
             {"ms", static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                  std::chrono::steady_clock::now() - started)
                                                  .count())}});
}

std::string randomPassword() {
  static constexpr char kAlphabet[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
  auto bytes = crypto::randomBytes(16);
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i && i % 4 == 0) out.push_back('-');
    out.push_back(kAlphabet[bytes[i] % (sizeof kAlphabet - 1)]);
  }
  return out;
}

/// The clinic itself: users, patients, devices with their bundles, care teams. Returns the
/// logins text.
std::string createClinic(const DemoSettings& config, const DemoServices& services,
                         const fs::path& bundlesDir) {
  auto& db = services.db;
  auto& accounts = services.accounts;
  // The patients joined the programme, with their devices, just before the history starts.
  FixedClock clock(SystemClock::instance().now() - kDemoHistoryDays - std::chrono::days{1});

  std::ostringstream logins;
  logins << "Demo logins (fictional clinic; passwords are random for this installation):\n";
  auto add = [&](security::Role role, const std::string& email, const std::string& name,
                 std::optional<std::int64_t> patientId, const security::Actor* admin) {
    security::NewUser u;
    u.role = role;
    u.email = email;
    u.displayName = name;
    u.patientId = patientId;
    u.password = randomPassword();
    auto id = admin ? accounts.createUser(*admin, u) : accounts.bootstrapAdmin(u);
    logins << "  " << security::toString(role) << "\t" << email << "\t" << u.password << "\n";
    return id;
  };
  auto adminId = add(security::Role::admin, kAdminEmail, "Demo Admin", {}, nullptr);
  security::Actor admin{adminId, security::Role::admin, {}};
  auto providerId =
      add(security::Role::provider, "dr.lee@demo.vigil", "Dr. Jordan Lee", {}, &admin);
  auto nurseId = add(security::Role::nurse, "nurse.kim@demo.vigil", "Alex Kim, RN", {}, &admin);
  // Registers patients and schedules visits, sees no clinical data (issue 21).
  add(security::Role::front_desk, "front.desk@demo.vigil", "Sam Rivera (front desk)", {}, &admin);

  registry::PatientRepository patients(db, services.keys.cipher(), services.keys.blindIndex(),
                                       clock);
  registry::DeviceRegistry devices(db, clock);
  pki::BrokerLayout layout(config.dataDir);
  pki::BrokerSettings brokerSettings;
  brokerSettings.certificatePort = config.mqttPort;
  auto ca = pki::CertificateAuthority::open(layout.pkiDir);
  pki::DeviceProvisioner provisioner(ca, pki::provisionerConfigFor(layout, brokerSettings));
  fs::create_directories(bundlesDir);

  std::ostringstream fleet;  // uid persona kind bundle, read by scripts/demo.sh
  int n = 0;
  for (const auto& p : kPatients) {
    registry::Patient rec;
    rec.mrn = p.mrn;
    rec.givenName = p.given;
    rec.familyName = p.family;
    rec.birthDate = p.birthDate;
    rec.state = p.state;
    rec.timeZone = "America/Chicago";
    auto pid = patients.create(rec);
    // The seed is an admin action like any other: each record it writes is audited.
    auto audited = [&](const char* action, const char* type, std::int64_t id) {
      services.audit.record(db,
                            security::auditEventFor(admin, action, type, std::to_string(id), pid,
                                                    security::AuditOutcome::success, "demo_seed"));
    };
    audited("patient.create", "patient", pid);
    accounts.assignCareTeam(admin, providerId, pid);
    accounts.assignCareTeam(admin, nurseId, pid);
    // Portal logins for the patients enrolled in RPM (issue 21: they sign the RPM consent
    // themselves); Rosa Alvarez's is the README's patient login.
    const auto email = lowerAscii(std::string(p.given) + "." + p.family) + "@demo.vigil";
    for (const auto& rpmEmail : demoRpmPatientEmails())
      if (rpmEmail == email)
        add(security::Role::patient, email, std::string(p.given) + " " + p.family, pid, &admin);
    for (auto kind : p.devices) {
      std::string uid = deviceUid(kind, n);
      registry::NewDevice d;
      d.uid = uid;
      d.kind = kind;
      d.model = "Demo " + std::string(deviceTag(kind));
      d.serial = "SN" + std::to_string(500000 + n * 10 + static_cast<int>(kind));
      d.firmware = "1.4.2";
      auto dev = devices.add(d);
      audited("device.add", "device", dev.id);
      devices.assign(dev.id, pid, adminId);
      audited("device.assign", "device", dev.id);
      provisioner.provisionCertificate(uid, bundlesDir / uid, pki::Apply::deferred);
      fleet << uid << " " << p.persona << " " << registry::toString(kind) << " "
            << (bundlesDir / uid).string() << " " << kDemoUtcOffsetMinutes << "\n";
    }
    ++n;
  }
  provisioner.apply();  // one ACL rewrite and one broker reload for the whole fleet

  {
    std::ofstream f(bundlesDir / "fleet.txt", std::ios::trunc);
    f << fleet.str();
  }
  return logins.str();
}

/// The clinic's escalation chain, once: Dr. Lee first, then the nurse, so an alert the provider
/// does not acknowledge in time reaches Alex Kim, RN (issue 17). Also on a clinic seeded before
/// escalation chains existed. Audited like the admin's change in the portal.
void ensureEscalationChain(const DemoServices& services, const security::Actor& admin) {
  auto& db = services.db;
  auto& accounts = services.accounts;
  auto provider = accounts.findUserByEmail("dr.lee@demo.vigil");
  auto nurse = accounts.findUserByEmail("nurse.kim@demo.vigil");
  if (!provider || !nurse) return;
  auto& clock = SystemClock::instance();
  alerts::AlertLifecycle lifecycle(clock, {});  // the daemon loads the stored chain at start
  alerts::EscalationService escalation(
      db, services.keys.cipher(), lifecycle, clock, [&](std::int64_t id) {
        auto u = accounts.findUser(id);
        return u && !u->disabled &&
               (u->role == security::Role::provider || u->role == security::Role::nurse);
      });
  if (!escalation.clinicChain().users.empty()) return;
  escalation.setClinicChain({provider->id, nurse->id}, admin.id);
  services.audit.record(
      db, security::auditEventFor(admin, "escalation.set", "escalation", "clinic", std::nullopt,
                                  security::AuditOutcome::success, "demo_seed"));
}

/// Keeps a video visit between the demo provider and the demo patient open now: schedules one
/// (now for 8 hours, the longest a visit may last) unless one that is not over covers now.
/// Runs on every `demo seed`, so each start of scripts/demo.sh has a visit to hold.
void ensureDemoVisit(const DemoSettings& config, const DemoServices& services, std::ostream& out) {
#ifdef VIGIL_WITH_VIDEO
  if (!config.video) return;
  auto& accounts = services.accounts;
  auto provider = accounts.findUserByEmail("dr.lee@demo.vigil");
  auto patient = accounts.findUserByEmail("rosa.alvarez@demo.vigil");
  auto admin = accounts.findUserByEmail("admin@demo.vigil");
  if (!provider || !patient || !admin || !patient->patientId) return;
  auto& clock = SystemClock::instance();
  const auto now = clock.now();
  video::VisitService visits(services.db, services.audit, clock, {}, &services.keys.cipher());
  std::optional<video::Visit> open;
  for (auto& v : visits.forUser(patient->id, now)) {
    const bool over =
        v.state == video::VisitState::ended || v.state == video::VisitState::cancelled;
    if (!over && v.startsAt <= now + std::chrono::minutes(15) && v.providerUserId == provider->id)
      open = v;
  }
  if (!open) {
    video::NewVisit nv;
    nv.patientId = *patient->patientId;
    nv.providerUserId = provider->id;
    nv.patientUserId = patient->id;
    nv.startsAt = std::chrono::time_point_cast<std::chrono::minutes>(now);
    nv.endsAt = nv.startsAt + std::chrono::hours(8);
    // Scheduled by the admin, like the rest of the seed (audited as visit.schedule).
    const security::Actor actor{admin->id, security::Role::admin, {}};
    open = visits.find(visits.schedule(actor, nv));
  }
  out << "Video visit " << open->id
      << ": dr.lee@demo.vigil with rosa.alvarez@demo.vigil, open until "
      << core::formatUtc(open->endsAt) << " (portal: Visits)\n";
#else
  (void)config;
  (void)services;
  (void)out;
#endif
}

}  // namespace

int seedDemoClinic(const DemoSettings& config, const DemoServices& services,
                   const fs::path& bundlesDir, std::ostream& out) {
  auto& db = services.db;
  store::SqliteSettingsRepository settings(db);
  fs::path loginsFile = config.dataDir / "demo-logins.txt";
  if (!settings.get("demo.seeded")) {
    auto logins = createClinic(config, services, bundlesDir);
    {
      std::ofstream f(loginsFile, std::ios::trunc);
      f << logins;
    }
    ::chmod(loginsFile.c_str(), 0600);
    settings.set("demo.seeded", "1");
    log::info("demo.seeded", {{"patients", static_cast<std::int64_t>(std::size(kPatients))}});
  }
  // Also on a clinic seeded before the history existed (only from its devices' assignment on).
  auto admin = services.accounts.findUserByEmail(kAdminEmail);
  if (!admin) throw ValidationError("demo: the demo admin is missing");
  const security::Actor adminActor{admin->id, security::Role::admin, {}};
  seedHistory(db, settings, services, adminActor);
  ensureEscalationChain(services, adminActor);
  // Consent documents, and the demo patient's telehealth and RPM signatures (issue 21): also
  // on a clinic seeded before consents existed, so its video visit still opens.
  ensureDemoConsents(services, adminActor, "rosa.alvarez@demo.vigil");
  // RPM consents and enrolments of the patients whose persona has a condition (issue 21).
  ensureDemoEnrolments(services, "dr.lee@demo.vigil");
  // The patients' intake (issue 21): contact, insurance, pharmacy, problems, medications,
  // allergies; also on a clinic seeded before the record existed.
  ensureDemoRecords(services, adminActor);
  // Provider NPIs and state licenses (issue 22): before the visit, whose join checks them.
  ensureDemoLicenses(services, adminActor);
#ifdef VIGIL_WITH_VIDEO
  // Appointment types and the providers' weekly hours (issue 22): bookable slots.
  ensureDemoSchedule(services, adminActor);
#endif
  // Clinical notes (issue 23): a signed RPM review with an addendum and a draft follow-up.
  ensureDemoNotes(services, "dr.lee@demo.vigil");
#ifdef VIGIL_WITH_VIDEO
  // A video visit a week ago with Dr. Lee's signed note (issue 23): Rosa's visit summary.
  ensureDemoVisitNote(services, "dr.lee@demo.vigil", "rosa.alvarez@demo.vigil");
#endif
  // Async care (issue 23): an open, unanswered question from Rosa Alvarez.
  ensureDemoCase(services, "rosa.alvarez@demo.vigil");
  // RPM billing (issue 24): last month ready for the month-end review.
  ensureDemoBilling(services, "dr.lee@demo.vigil", "nurse.kim@demo.vigil");
  // Issue 30: three providers' 90 days (visits, on-demand care, cases, alerts, RPM, claims) and
  // the North and South clinic groups, so every practice report has figures.
  if (config.practiceHistory) seedPracticeHistory(settings, services, adminActor);
  std::ostringstream visit;
  ensureDemoVisit(config, services, visit);
  // Seal the seed's audit entries, the visit's too, with a signed checkpoint (audit verify
  // reports it).
  services.audit.checkpoint(db);
  std::ifstream in(loginsFile);
  out << in.rdbuf() << visit.str();
  return 0;
}

}  // namespace vigil::demo
