// The demo clinic's month of RPM billing (issue 24): three patients who joined the programme
// the 30 days before the end of last month, so their first 30-day period is exactly last
// month's last 30 days and the review (#/billing, which opens on last month) has something to
// approve. Their readings come through the normal store path (backfillDemoHistory: the
// simulator's device payloads through an IngestService, source demo-history); their minutes are
// the nurse's and Dr. Lee's ledger entries (BillingService::addManual, audited), one of them a
// real-time contact.
//
//   Helen Park    readings every day      47 min with a contact   99453 99454 99457 99458
//   Omar Haddad   readings every day      65 min with a contact   99453 99454 99457 99458x2,
//                                                                 but no insurance: an exception
//   Lucy Brennan  readings on 14 days     15 min with a contact   99453 99445 99470
//
// Idempotent: the patients are found by MRN, the readings by their dedup keys, the minutes and
// the whole step by the setting demo.billing.

#include "demo_billing.hpp"

#include "vigil/billing/billing.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/time.hpp"
#include "vigil/demo/demo_history.hpp"
#include "vigil/patients/consent.hpp"
#include "vigil/patients/patient_record.hpp"
#include "vigil/patients/rpm_enrolment.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/audit_entry.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/security/keys.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/settings_repository.hpp"

namespace vigil::demo {
namespace {

using namespace std::chrono;

class AtClock final : public Clock {
 public:
  explicit AtClock(TimePoint at) : at_(at) {}
  TimePoint now() const override { return at_; }

 private:
  TimePoint at_;
};

struct BillingPatient {
  const char* mrn;
  const char* given;
  const char* family;
  const char* birthDate;
  int historyWindows;  // 14-day windows of readings before the period's end
  bool insured;
  int nurseMinutes;
  int providerMinutes;  // the real-time contact
};

constexpr BillingPatient kBillingPatients[] = {
    {"DEMO-2001", "Helen", "Park", "1949-04-18", 3, true, 25, 22},
    {"DEMO-2002", "Omar", "Haddad", "1951-10-05", 3, false, 40, 25},
    {"DEMO-2003", "Lucy", "Brennan", "1957-02-27", 1, true, 5, 10},
};

constexpr int kCentralOffsetMinutes = -6 * 60;  // the demo's America/Chicago, as the history

std::string lower(std::string s) {
  for (auto& ch : s)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return s;
}

/// The nurse's review and Dr. Lee's call in the middle of the period.
void addDemoMinutes(billing::BillingService& billing, const security::Actor& nurse,
                    const security::Actor& doctor, std::int64_t patientId, sys_days start, int n,
                    const BillingPatient& p) {
  // Minutes in the middle of the period: the nurse's review, then Dr. Lee's call.
  const auto day = TimePoint(start + days(12)) + hours(14 + 2 * n);
  // A seed interrupted after these were written finds them again: the overlap is refused
  // and the entry is already there.
  try {
    billing.addManual(nurse, patientId, {day, day + minutes(p.nurseMinutes), false, "data_review"});
  } catch (const billing::TimeOverlap&) {
  }
  try {
    billing.addManual(
        doctor, patientId,
        {day + hours(26), day + hours(26) + minutes(p.providerMinutes), true, "phone_call"});
  } catch (const billing::TimeOverlap&) {
  }
}

/// Medicare on the record, and an address: the 837P needs the subscriber's (issue 24,
/// docs/billing.md "Submission").
void insure(patients::PatientRecordService& records, const security::Actor& admin,
            std::int64_t patientId, const std::string& name, const std::string& birthDate, int n) {
  patients::RecordUpdate up;
  patients::InsuranceCoverage cov;
  cov.primary = patients::Insurance{"Medicare Part B",
                                    "",
                                    "1EG4TE5MK7" + std::to_string(n),
                                    "",
                                    name,
                                    birthDate,
                                    patients::SubscriberRelationship::self};
  up.insurance = cov;
  patients::Contact contact;
  contact.address = {
      std::to_string(100 + n) + " Prairie Avenue", "", "Springfield", "IL", "62701", "US"};
  up.contact = contact;
  records.update(admin, patientId, up);
}

}  // namespace

void ensureDemoBilling(const DemoServices& services, const std::string& providerEmail,
                       const std::string& nurseEmail) {
  store::SqliteSettingsRepository settings(services.db);
  if (settings.get("demo.billing").value_or("") == "done") return;
  auto lee = services.accounts.findUserByEmail(providerEmail);
  auto kim = services.accounts.findUserByEmail(nurseEmail);
  auto admin = services.accounts.findUserByEmail("admin@demo.vigil");
  if (!lee || !kim || !admin) return;
  const security::Actor doctor{lee->id, security::Role::provider, {}};
  const security::Actor nurse{kim->id, security::Role::nurse, {}};
  const security::Actor adminActor{admin->id, security::Role::admin, {}};

  // Last month's last day (UTC calendar; the demo's zone is six hours behind, close enough for
  // choosing dates) and the 30 days that end with it.
  auto& system = SystemClock::instance();
  const auto today = floor<days>(system.now());
  const year_month_day ymd(today);
  const sys_days lastDay = sys_days(ymd.year() / ymd.month() / 1) - days(1);
  const sys_days start = lastDay - days(29);
  AtClock joined(TimePoint(start - days(2)) + hours(15));

  registry::PatientRepository registry(services.db, services.keys.cipher(),
                                       services.keys.blindIndex(), joined);
  registry::DeviceRegistry devices(services.db, joined);
  patients::ConsentService consentsThen(services.db, services.audit, services.keys.cipher(),
                                        registry, joined);
  patients::RpmEnrolmentService rpmThen(services.db, services.audit, services.keys.cipher(),
                                        joined);
  registry::PatientRepository registryNow(services.db, services.keys.cipher(),
                                          services.keys.blindIndex(), system);
  patients::PatientRecordService records(services.db, services.audit, services.keys.cipher(),
                                         registryNow, system);
  billing::BillingService billing(services.db, services.audit, services.keys.cipher(), registryNow,
                                  records, system);
  const auto rpmDoc = [&]() -> std::optional<patients::ConsentDocument> {
    for (const auto& d : consentsThen.documents(adminActor))
      if (d.kind == patients::ConsentKind::rpm) return d;
    return std::nullopt;
  }();
  if (!rpmDoc) return;

  int n = 0;
  for (const auto& p : kBillingPatients) {
    ++n;
    auto pid = registry.findByMrn(p.mrn);
    if (!pid) {
      registry::Patient rec;
      rec.mrn = p.mrn;
      rec.givenName = p.given;
      rec.familyName = p.family;
      rec.birthDate = p.birthDate;
      rec.state = "IL";
      rec.timeZone = "America/Chicago";
      pid = registry.create(rec);
      // The seed is an admin action like any other: each record it writes is audited.
      const auto audited = [&](const char* action, const char* type, std::int64_t id) {
        services.audit.record(
            services.db, security::auditEventFor(adminActor, action, type, std::to_string(id), *pid,
                                                 security::AuditOutcome::success, "demo_seed"));
      };
      audited("patient.create", "patient", *pid);
      services.accounts.assignCareTeam(adminActor, doctor.id, *pid);
      services.accounts.assignCareTeam(adminActor, nurse.id, *pid);
      registry::NewDevice d;
      d.uid = "demo-billing-bp-" + std::to_string(n);
      d.kind = registry::DeviceKind::blood_pressure;
      d.model = "Demo bp";
      d.serial = "SN6000" + std::to_string(n);
      d.firmware = "1.4.2";
      auto dev = devices.add(d);
      audited("device.add", "device", dev.id);
      devices.assign(dev.id, *pid, adminActor.id);
      audited("device.assign", "device", dev.id);
      security::NewUser u;
      u.role = security::Role::patient;
      u.email = lower(std::string(p.given) + "." + p.family) + "@demo.vigil";
      u.displayName = std::string(p.given) + " " + p.family;
      u.password = "demo-billing-" + std::to_string(dev.id) + "-unused-passphrase";
      u.patientId = *pid;
      const auto userId = services.accounts.createUser(adminActor, u);
      const security::Actor self{userId, security::Role::patient, *pid};
      consentsThen.sign(self, *pid, {rpmDoc->id, rpmDoc->sha256, u.displayName, true, "127.0.0.1"});
      rpmThen.enrol(doctor, *pid,
                    {"I10",
                     "Essential (primary) hypertension",
                     {dev.id},
                     core::formatUtc(TimePoint(start)).substr(0, 10)});
      if (p.insured) insure(records, adminActor, *pid, u.displayName, p.birthDate, n);
    }
    // Readings: the last `historyWindows` 14-day windows before the period's end, the oldest
    // window first (the patient's reading ids grow with reception time, as live ones do).
    DemoHistoryPatient h;
    h.persona = fleet::personaFromName("hypertensive").value();
    h.seed = static_cast<std::uint64_t>(2000 + n);  // stable per patient
    h.utcOffsetMinutes = kCentralOffsetMinutes;
    h.devices.push_back({"demo-billing-bp-" + std::to_string(n),
                         fleet::vitalDeviceFromName("blood_pressure").value()});
    for (int w = p.historyWindows - 1; w >= 0; --w)
      backfillDemoHistory(services.db, services.keys.cipher(), {h},
                          TimePoint(lastDay + days(1)) + hours(6) - kDemoHistoryDays * w);
    services.audit.record(
        services.db,
        security::auditEventFor(adminActor, "readings.backfill", "patient", std::to_string(*pid),
                                *pid, security::AuditOutcome::success, "demo_seed"));
    addDemoMinutes(billing, nurse, doctor, *pid, start, n, p);
  }
  settings.set("demo.billing", "done");
  log::info("demo.billing_seeded",
            {{"patients", static_cast<std::int64_t>(n)},
             {"month", billing::formatMonth(ymd.year() / ymd.month() - months(1))}});
}

}  // namespace vigil::demo
