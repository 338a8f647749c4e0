// Seeds a fresh vigild data directory for the browser tests, through the product's own code
// (store migrations, key hierarchy, account service, registry), before vigild starts:
// an admin, a provider (licensed in TX, where the patients live) and a nurse on patient A's care
// team, patients A and B with a blood pressure cuff each and a week of readings (the last one out
// of range), and a patient login for A. The admin has published a telehealth consent (issue 21) and
// A has signed it, through the consent service, so A may join video visits. Prints the ids and
// logins as JSON on stdout. With --calm, A's last reading is in range too, so the box starts with
// no alert (the live test raises one through the broker); with --unsigned, A has not signed the
// telehealth consent (the consent test signs it in the browser); with --rpm, the admin has also
// published an RPM consent and A has signed it (the RPM enrolment test enrols her and she withdraws
// it). With
// --sync-refused, the cloud link's outbox holds what a clinic sees after a service refused a
// claim: the claim (a real envelope, sealed to a throwaway service key and signed by a throwaway
// box key), written as a domain change writes it and refused by the clearinghouse with
// `invalid_payload`, the stream's next claim waiting behind it, and a reminder in a stream of
// its own that the notification service refused with `license_expired`; their ids are printed
// too.
//
// With --schedule (issue 22): a 30-minute follow-up video visit type, and Dr. Mei Lee (licensed
// in TX, where the patients live) and Dr. Omar Novak (no license anywhere), both on A's care team,
// taking bookings 08:00-18:00 America/New_York every day. --reminders (with --schedule): Dr. Lee
// around the clock, and Ana Silva's record has her e-mail (where reminders go).
// With --billing (issue 24): A signed the RPM consent and was enrolled (I10, her cuff) so that
// her first 30-day period is last month's last 30 days, has readings on 20 of them, Medicare
// on her record, and 25 minutes of the nurse's data review plus a 22-minute call with Dr. Lee in
// the ledger: last month's review proposes 99453, 99454, 99457 and 99458.
// With --fhir (issue 26): A's readings at fixed 2025 instants, and (fhirOrders) a received
// prescription, an open alert and, with scheduling, a booked appointment.
// With --survey (issue 30): a video visit of A with the provider that A joined and the provider
// ended an hour ago, through the visit service: its satisfaction survey is due to A (its id is
// printed as "surveyVisit").
//   e2e_seed <data.dir> [--calm] [--unsigned] [--rpm] [--schedule] [--reminders] [--sync-refused]
//                       [--billing] [--rx] [--fhir] [--survey]

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "vigil/billing/billing.hpp"
#include "vigil/core/clock.hpp"
#include "vigil/core/time.hpp"
#include "vigil/crypto/ed25519.hpp"
#include "vigil/crypto/hpke.hpp"
#include "vigil/fhir/smart_clients.hpp"
#include "vigil/licensing/licenses.hpp"
#include "vigil/patients/consent.hpp"
#include "vigil/patients/patient_record.hpp"
#include "vigil/patients/rpm_enrolment.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/rx/drugs.hpp"
#include "vigil/rx/prescribers.hpp"
#include "vigil/rx/prescriptions.hpp"
#include "vigil/video/visit.hpp"
#ifdef VIGIL_E2E_SCHEDULING
#include "vigil/scheduling/scheduling.hpp"
#endif
#include "vigil/security/accounts.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/security/keys.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/sync/envelope.hpp"
#include "vigil/sync/outbox.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

constexpr const char* kPassword = "Vigil-demo-passphrase-2026";

void readings(store::Database& db, std::int64_t device, std::int64_t patient, TimePoint now,
              int lastSystolic) {
  db.writeSync([&](store::Connection& c) {
    for (int i = 0; i < 7 * 4; ++i) {  // four a day for a week
      auto t = now - std::chrono::hours(6 * (7 * 4 - i));
      int sys = i == 7 * 4 - 1 ? lastSystolic : 124 + (i * 7) % 17;
      int dia = 78 + (i * 5) % 9;
      c.execute(
          "INSERT INTO readings (device_id, patient_id, dedup_key, kind, loinc, unit, components, "
          "device_time, received_at, source) VALUES (?1, ?2, ?3, 'blood_pressure', '85354-9', "
          "'mm[Hg]', ?4, ?5, ?5, 'mqtt-json')",
          device, patient, "seed:" + std::to_string(i),
          "{\"8480-6\":" + std::to_string(sys) + ",\"8462-4\":" + std::to_string(dia) + "}",
          core::toMillis(t));
      c.execute(
          "INSERT INTO readings (device_id, patient_id, dedup_key, kind, loinc, unit, value, "
          "device_time, received_at, source) VALUES (?1, ?2, ?3, 'heart_rate', '8867-4', "
          "'/min', ?4, ?5, ?5, 'mqtt-json')",
          device, patient, "seed-hr:" + std::to_string(i), 64.0 + (i * 3) % 15, core::toMillis(t));
    }
  });
}

/// --fhir: patient A's readings at fixed instants in 2025 (the FHIR API test's date searches
/// know them by heart): heart rate at 03-01 08:00, 03-15 12:30, 03-15 23:59:59, 03-16 00:00 and
/// 04-01 00:00 UTC, and a blood pressure at 03-15 12:30.
void fhirReadings(store::Database& db, std::int64_t device, std::int64_t patient) {
  const char* hr[] = {"2025-03-01T08:00:00Z", "2025-03-15T12:30:00Z", "2025-03-15T23:59:59Z",
                      "2025-03-16T00:00:00Z", "2025-04-01T00:00:00Z"};
  db.writeSync([&](store::Connection& c) {
    int i = 0;
    for (const char* t : hr) {
      auto ms = core::toMillis(*core::parseRfc3339(t));
      c.execute(
          "INSERT INTO readings (device_id, patient_id, dedup_key, kind, loinc, unit, value, "
          "device_time, received_at, source) VALUES (?1, ?2, ?3, 'heart_rate', '8867-4', "
          "'/min', ?4, ?5, ?5, 'mqtt-json')",
          device, patient, "fhir-hr:" + std::to_string(i), 60.0 + i, ms);
      ++i;
    }
    auto ms = core::toMillis(*core::parseRfc3339("2025-03-15T12:30:00Z"));
    c.execute(
        "INSERT INTO readings (device_id, patient_id, dedup_key, kind, loinc, unit, components, "
        "device_time, received_at, source) VALUES (?1, ?2, 'fhir-bp', 'blood_pressure', "
        "'85354-9', 'mm[Hg]', '{\"8480-6\":128,\"8462-4\":82}', ?3, ?3, 'mqtt-json')",
        device, patient, ms);
  });
}

/// --fhir (issue 26's other resource types): Dr. Lee's prescription of lisinopril 10 mg for A
/// (30 tablets, 30 days, 2 refills, the sig "Take 1 tablet by mouth once daily"), signed
/// 2025-03-10 14:00 UTC and received by the pharmacy; an open critical alert of the
/// bp.systolic.high rule raised 2025-03-12 09:00 UTC; and, with scheduling, a booked 30-minute
/// "Follow-up video visit" with Dr. Lee on 2025-03-20 15:00 UTC. Each id is printed under "fhir".
struct FhirOrders {
  std::int64_t prescription = 0, alert = 0, appointment = 0, type = 0;
};

FhirOrders fhirOrders(store::Database& db, security::AuditLog& audit,
                      security::AccountService& accounts, const security::Keys& keys,
                      registry::PatientRepository& patients, Clock& clock,
                      const security::Actor& admin, std::int64_t provider, std::int64_t a) {
  FhirOrders out;
  patients::PatientRecordService records(db, audit, keys.cipher(), patients, clock);
  rx::PrescriptionService prescriptions(db, audit, keys.cipher(), records, accounts, nullptr,
                                        clock);
  auto drug = db.read([](store::Connection& c) {
    return c.queryValue<std::int64_t>(
        "SELECT id FROM rx_drugs WHERE name = 'lisinopril 10 MG Oral Tablet' LIMIT 1");
  });
  if (!drug) {
    std::cerr << "e2e_seed: the starter drug list has no lisinopril 10 MG Oral Tablet\n";
    std::exit(2);
  }
  rx::PrescriptionInput in;
  in.drugId = *drug;
  in.sig = "Take 1 tablet by mouth once daily";
  in.quantity = "30";
  in.quantityUnit = "tablet";
  in.daysSupply = 30;
  in.refills = 2;
  out.prescription =
      prescriptions.create({provider, security::Role::provider, std::nullopt}, a, in).id;
  const auto signedAt = core::toMillis(*core::parseRfc3339("2025-03-10T14:00:00Z"));
  const auto raisedAt = core::toMillis(*core::parseRfc3339("2025-03-12T09:00:00Z"));
  db.writeSync([&](store::Connection& c) {
    // Signing routes through the cloud link; the seed has none, so the row is moved as a signed
    // and received prescription would be (a draft's row may change, a signed one's may not).
    c.execute(
        "UPDATE prescriptions SET status = 'received', signed_at = ?2, signed_with = 'session' "
        "WHERE id = ?1",
        out.prescription, signedAt);
    c.execute(
        "INSERT INTO alerts (patient_id, rule_key, rule_version, kind, code, severity, state, "
        "count, latest_value, worst_value, higher_is_worse, first_reading_id, last_reading_id, "
        "first_observed_at, last_observed_at, raised_at, ack_deadline) VALUES (?1, "
        "'bp.systolic.high', 1, 'threshold', '8480-6', 'critical', 'open', 1, 184, 184, 1, 0, 0, "
        "?2, ?2, ?2, ?3)",
        a, raisedAt, raisedAt + 15 * 60 * 1000);
    out.alert = c.lastInsertRowid();
  });
#ifdef VIGIL_E2E_SCHEDULING
  scheduling::SchedulingService sched(db, audit, keys.cipher(), clock);
  auto type = sched.saveType(admin, {0, "Follow-up video visit", 30, scheduling::Modality::video,
                                     scheduling::VisitKind::followUp, true});
  out.type = type.id;
  // The provider's week, 09:00-17:00 Chicago time every day: free Slots for the FHIR API.
  sched.saveSettings(admin, {provider, "America/Chicago", 0});
  std::vector<scheduling::TemplateBlock> week;
  for (int d = 1; d <= 7; ++d) week.push_back({0, provider, d, 9 * 60, 17 * 60, {}});
  sched.setTemplate(admin, provider, week);
  const auto startsAt = core::toMillis(*core::parseRfc3339("2025-03-20T15:00:00Z"));
  db.writeSync([&](store::Connection& c) {
    c.execute(
        "INSERT INTO appointments (provider_user_id, patient_id, type_id, starts_at, ends_at, "
        "state, booked_by, booked_at) VALUES (?1, ?2, ?3, ?4, ?5, 'booked', ?6, ?4)",
        provider, a, type.id, startsAt, startsAt + 30 * 60 * 1000, admin.id);
    out.appointment = c.lastInsertRowid();
  });
#else
  (void)admin;
#endif
  return out;
}

struct SyncSeed {
  std::string refused, behind, reminder;
};

/// The outbox entries of --sync-refused (see the file comment).
SyncSeed syncEntries(store::Database& db, security::AuditLog& audit, Clock& clock) {
  sync::Outbox outbox(db, audit, clock);
  const auto serviceKey = crypto::hpke::X25519KeyPair::generate();
  const auto boxKey = crypto::Ed25519Signer::generate();
  auto enqueue = [&](const std::string& stream, const std::string& kind, const std::string& to,
                     const std::string& payload) {
    return db.writeSync([&](store::Connection& c) {
      return outbox.enqueueIn(c, stream, kind, to, [&](std::string_view id, std::int64_t seq) {
        sync::Header header{sync::kEnvelopeVersion,
                            std::string(id),
                            stream,
                            seq,
                            kind,
                            "box-e2e",
                            to,
                            sync::createdAtText(clock.now()),
                            to + "-enc-e2e",
                            "box-e2e-sig-1"};
        return sync::seal(header, payload, serviceKey.publicKey(), boxKey).toJson();
      });
    });
  };
  SyncSeed seed;
  seed.refused = enqueue("claims/2026-12", "claim.submit", "clearinghouse",
                         R"({"claimId":"e2e-claim-1","batch":"2026-12","lines":[]})");
  seed.behind = enqueue("claims/2026-12", "claim.submit", "clearinghouse",
                        R"({"claimId":"e2e-claim-2","batch":"2026-12","lines":[]})");
  seed.reminder = enqueue("notify/reminders", "notify.send", "notify",
                          R"({"channel":"email","template":"visit-reminder","params":{}})");
  if (!outbox.markRefused(seed.refused, clock.now(), "invalid_payload") ||
      !outbox.markRefused(seed.reminder, clock.now(), "license_expired"))
    throw std::runtime_error("a seeded entry was not pending");
  return seed;
}

}  // namespace

/// --schedule: what booking needs (the e2e build has video, so scheduling). `allDay`
/// (--reminders): Dr. Lee takes bookings around the clock, so a slot within the next hour is
/// always offered.
void seedSchedule(store::Database& db, security::AuditLog& audit,
                  security::AccountService& accounts, security::Keys& keys, Clock& clock,
                  const security::Actor& admin, std::int64_t lee, std::int64_t patient,
                  bool allDay) {
#ifdef VIGIL_E2E_SCHEDULING
  auto novak = accounts.createUser(admin, {security::Role::provider, "dr.novak@clinic.example",
                                           "Dr. Omar Novak", std::nullopt, kPassword});
  accounts.assignCareTeam(admin, novak, patient);
  scheduling::SchedulingService sched(db, audit, keys.cipher(), clock);
  sched.saveType(admin, {0, "Follow-up video visit", 30, scheduling::Modality::video,
                         scheduling::VisitKind::followUp, true});
  for (auto p : {lee, novak}) {
    sched.saveSettings(admin, {p, "America/New_York", 0});
    std::vector<scheduling::TemplateBlock> week;
    for (int d = 1; d <= 7; ++d)
      week.push_back(
          {0, p, d, allDay && p == lee ? 0 : 8 * 60, allDay && p == lee ? 24 * 60 : 18 * 60, {}});
    sched.setTemplate(admin, p, week);
  }
#else
  (void)db, (void)audit, (void)accounts, (void)keys, (void)clock, (void)admin, (void)lee,
      (void)patient, (void)allDay;
  std::cerr << "e2e_seed: built without scheduling (VIGIL_WITH_VIDEO off)\n";
  std::exit(2);
#endif
}

class FixedClock final : public Clock {
 public:
  explicit FixedClock(TimePoint at) : at_(at) {}
  TimePoint now() const override { return at_; }
  void set(TimePoint at) { at_ = at; }

 private:
  TimePoint at_;
};

/// --survey: see the file comment. The visit runs on a clock two hours back: scheduled for an
/// hour later, joined by both and admitted at its start, ended 25 minutes after (an hour ago).
std::int64_t seedSurveyVisit(store::Database& db, security::AuditLog& audit,
                             const security::Keys& keys, std::int64_t provider,
                             std::int64_t patientUser, std::int64_t a) {
  using namespace std::chrono;
  FixedClock then(SystemClock::instance().now() - 2h - 25min);
  video::VisitService visits(db, audit, then, {}, &keys.cipher());
  const security::Actor dr{provider, security::Role::provider, std::nullopt};
  const security::Actor ana{patientUser, security::Role::patient, a};
  video::NewVisit v;
  v.patientId = a;
  v.providerUserId = provider;
  v.patientUserId = patientUser;
  v.startsAt = then.now() + 1h;
  v.endsAt = v.startsAt + 30min;
  const auto id = visits.schedule(dr, v);
  then.set(v.startsAt);
  visits.join(dr, id);
  visits.join(ana, id);
  visits.admit(dr, id, patientUser);
  then.set(v.startsAt + 25min);
  visits.end(dr, id);
  return id;
}

/// --billing: see the file comment.
void seedBilling(store::Database& db, security::AuditLog& audit, security::Keys& keys,
                 registry::PatientRepository& patients, security::Actor admin,
                 std::int64_t provider, std::int64_t nurse, std::int64_t patientUser,
                 std::int64_t a, std::int64_t cuff) {
  using namespace std::chrono;
  auto& clock = SystemClock::instance();
  const year_month_day today(floor<days>(clock.now()));
  const sys_days lastDay = sys_days(today.year() / today.month() / 1) - days(1);
  const sys_days start = lastDay - days(29);
  FixedClock then(TimePoint(start - days(3)));
  patients::ConsentService consents(db, audit, keys.cipher(), patients, then);
  auto doc = consents.publish(
      admin, {patients::ConsentKind::rpm, "Consent to remote patient monitoring",
              "# Consent to remote patient monitoring\n\nI agree that my home devices send my "
              "readings to this clinic.\n",
              false});
  consents.sign({patientUser, security::Role::patient, a}, a,
                {doc.id, doc.sha256, "Ana Silva", true, "127.0.0.1"});
  patients::RpmEnrolmentService rpm(db, audit, keys.cipher(), then);
  rpm.enrol({provider, security::Role::provider, std::nullopt}, a,
            {"I10",
             "Essential (primary) hypertension",
             {cuff},
             core::formatUtc(TimePoint(start)).substr(0, 10)});
  db.writeSync([&](store::Connection& c) {
    for (int d = 0; d < 20; ++d)
      c.execute(
          "INSERT INTO readings (device_id, patient_id, dedup_key, kind, loinc, unit, value, "
          "device_time, received_at, source) VALUES (?1, ?2, ?3, 'heart_rate', '8867-4', "
          "'/min', 72, ?4, ?4, 'mqtt-json')",
          cuff, a, "bill:" + std::to_string(d),
          core::toMillis(TimePoint(start + days(d + 5)) + hours(14)));
  });
  patients::PatientRecordService records(db, audit, keys.cipher(), patients, clock);
  patients::RecordUpdate u;
  patients::InsuranceCoverage cov;
  cov.primary = patients::Insurance{"Medicare Part B",
                                    "",
                                    "1EG4TE5MK73",
                                    "",
                                    "Ana Silva",
                                    "1956-03-02",
                                    patients::SubscriberRelationship::self};
  u.insurance = cov;
  // The subscriber's address: the 837P carries it (issue 24, claims to the clearinghouse).
  u.contact = patients::Contact{"", "", {"12 Elm Street", "", "Albany", "NY", "12207", "US"}};
  records.update(admin, a, u);
  billing::BillingService billing(db, audit, keys.cipher(), patients, records, clock);
  const auto day = TimePoint(start + days(10)) + hours(15);
  billing.addManual({nurse, security::Role::nurse, std::nullopt}, a,
                    {day, day + minutes(25), false, "data_review"});
  billing.addManual({provider, security::Role::provider, std::nullopt}, a,
                    {day + hours(24), day + hours(24) + minutes(22), true, "phone_call"});
}

/// --rx (issue 25): the provider may prescribe controlled substances in Texas (a DEA registration
/// there, EPCS access approved by the admin and by Dr. Ray Park, a second provider); patient A's
/// record has an address and a preferred pharmacy, the stand-in's 1000001 (NPI and license
/// are seeded for everyone above).
void seedRx(store::Database& db, security::AuditLog& audit, security::AccountService& accounts,
            const security::Keys& keys, registry::PatientRepository& patients, Clock& clock,
            const security::Actor& admin, std::int64_t provider, std::int64_t a) {
  rx::DrugCatalog(db).loadStarterList();
  rx::PrescriberService prescribers(db, audit, clock);
  prescribers.setDea(admin, provider, "TX", "BL1234563", *licensing::parseDate("2030-12-31"));
  auto peer = accounts.createUser(admin, {security::Role::provider, "dr.park@clinic.example",
                                          "Dr. Ray Park", std::nullopt, kPassword});
  prescribers.approveEpcs(admin, provider);
  prescribers.approveEpcs({peer, security::Role::provider, std::nullopt}, provider);
  patients::PatientRecordService records(db, audit, keys.cipher(), patients, clock);
  patients::RecordUpdate u;
  u.contact = patients::Contact{
      "ana.silva@example.org", "", {"12 Elm Street", "", "Austin", "TX", "78701", "US"}};
  patients::Pharmacy pharmacy;
  pharmacy.name = "Riverside Pharmacy";
  pharmacy.ncpdpId = "1000001";
  u.pharmacy = pharmacy;
  records.update(admin, a, u);
}

int main(int argc, char** argv) {
  bool calm = false, syncRefused = false, unsignedConsent = false, rpm = false, schedule = false,
       reminders = false, bill = false, rxSeed = false, fhirSeed = false, survey = false,
       usage = argc < 2;
  std::string fhirClientJwks;  // --fhir-client JWKS_FILE: register an EHR client with it
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--calm") {
      calm = true;
    } else if (arg == "--sync-refused") {
      syncRefused = true;
    } else if (arg == "--unsigned") {
      unsignedConsent = true;
    } else if (arg == "--rpm") {
      rpm = true;
    } else if (arg == "--schedule") {
      schedule = true;
    } else if (arg == "--reminders") {
      schedule = reminders = true;
    } else if (arg == "--billing") {
      bill = true;
    } else if (arg == "--rx") {
      rxSeed = true;
    } else if (arg == "--fhir") {
      fhirSeed = true;
    } else if (arg == "--survey") {
      survey = true;
    } else if (arg == "--fhir-client" && i + 1 < argc) {
      fhirClientJwks = argv[++i];
    } else {
      usage = true;
    }
  }
  if (usage) {
    std::cerr << "usage: e2e_seed <data.dir> [--calm] [--unsigned] [--rpm] [--schedule] "
                 "[--reminders] [--sync-refused] [--billing] [--rx] [--fhir] [--survey] "
                 "[--fhir-client JWKS_FILE]\n";
    return 64;
  }
  std::filesystem::path dir = argv[1];
  auto& clock = SystemClock::instance();
  store::Options o;
  o.path = dir / "vigil.db";
  auto db = store::Database::open(o);
  // The master key where vigild keeps it by default: beside the data directory, not in it.
  const std::filesystem::path keyDir = dir.lexically_normal().string() + "-keys";
  std::filesystem::create_directories(keyDir);
  auto keys = security::Keys::open(*db, (keyDir / "master.key").string(), clock);
  security::AuditLog audit(*keys, clock);
  security::AccountService accounts(*db, *keys, audit, clock);
  registry::PatientRepository patients(*db, keys->cipher(), keys->blindIndex(), clock);
  registry::DeviceRegistry devices(*db, clock);

  security::Actor admin{0, security::Role::admin, std::nullopt};
  admin.id = accounts.bootstrapAdmin(
      {security::Role::admin, "admin@clinic.example", "Ada Admin", std::nullopt, kPassword});
  auto a = patients.create({0, "MRN-1001", "Ana", "Silva", "1956-03-02", "UTC", "TX", {}, true});
  auto b = patients.create({0, "MRN-1002", "Ben", "Okoro", "1961-07-19", "UTC", "TX", {}, true});
  auto provider = accounts.createUser(admin, {security::Role::provider, "dr.lee@clinic.example",
                                              "Dr. Mei Lee", std::nullopt, kPassword});
  auto nurse = accounts.createUser(admin, {security::Role::nurse, "nurse.kim@clinic.example",
                                           "Sam Kim, RN", std::nullopt, kPassword});
  auto patientUser = accounts.createUser(
      admin, {security::Role::patient, "ana.silva@example.org", "Ana Silva", a, kPassword});
  accounts.assignCareTeam(admin, provider, a);
  accounts.assignCareTeam(admin, nurse, a);
  // Issue 22: the provider holds a Texas license (the patients live in TX), so the provider may
  // start the video visits of the browser tests (the join checks it).
  {
    licensing::LicenseService licenses(*db, audit, nullptr, clock);
    licensing::LicenseInput tx;
    tx.state = "TX";
    tx.type = "MD";
    tx.number = "R4821";
    tx.expiresOn = *licensing::parseDate("2030-12-31");
    licenses.setNpi(admin, provider, "1245319599");
    licenses.add(admin, provider, tx);
  }
  auto cuffA = devices.add(
      {"bp-1001", registry::DeviceKind::blood_pressure, "Omron BP7450", "SN-4471", "1.4.2"});
  auto cuffB = devices.add(
      {"bp-1002", registry::DeviceKind::blood_pressure, "Omron BP7450", "SN-4472", "1.4.2"});
  devices.assign(cuffA.id, a, admin.id);
  devices.assign(cuffB.id, b, admin.id);
  auto now = clock.now();
  readings(*db, cuffA.id, a, now, calm ? 132 : 178);
  if (fhirSeed) fhirReadings(*db, cuffA.id, a);
  readings(*db, cuffB.id, b, now, 131);
  db->writeSync([&](store::Connection& c) {
    registry::DeviceRegistry::touchIn(c, cuffA.id, now - 20min, 82);
    registry::DeviceRegistry::touchIn(c, cuffB.id, now - 50h, 35);
  });
  patients::ConsentService consents(*db, audit, keys->cipher(), patients, clock);
  auto telehealth = consents.publish(
      admin, {patients::ConsentKind::telehealth, "Consent to telehealth visits",
              "# Consent to telehealth visits\n\nI agree to receive care from this clinic by "
              "live video and audio.\n\nI can withdraw this consent at any time in the portal.\n",
              false});
  if (!unsignedConsent)
    consents.sign({patientUser, security::Role::patient, a}, a,
                  {telehealth.id, telehealth.sha256, "Ana Silva", true, "127.0.0.1"});
  if (rpm) {  // the RPM consent published and signed by A (issue 21's RPM enrolment)
    auto rpmDoc = consents.publish(
        admin, {patients::ConsentKind::rpm, "Consent to remote patient monitoring",
                "# Consent to remote patient monitoring\n\nI agree that my home devices send my "
                "readings to this clinic.\n",
                false});
    consents.sign({patientUser, security::Role::patient, a}, a,
                  {rpmDoc.id, rpmDoc.sha256, "Ana Silva", true, "127.0.0.1"});
  }
  if (schedule) seedSchedule(*db, audit, accounts, *keys, clock, admin, provider, a, reminders);
  if (reminders) {  // the address appointment reminders go to: the record's contact section
    patients::PatientRecordService records(*db, audit, keys->cipher(), patients, clock);
    patients::RecordUpdate contact;
    contact.contact = patients::Contact{"ana.silva@example.org", "", {}};
    records.update(admin, a, contact);
  }
  if (bill)
    seedBilling(*db, audit, *keys, patients, admin, provider, nurse, patientUser, a, cuffA.id);
  if (rxSeed || fhirSeed) seedRx(*db, audit, accounts, *keys, patients, clock, admin, provider, a);
  FhirOrders orders;
  if (fhirSeed)
    orders = fhirOrders(*db, audit, accounts, *keys, patients, clock, admin, provider, a);
  const std::int64_t surveyVisit =
      survey ? seedSurveyVisit(*db, audit, *keys, provider, patientUser, a) : 0;
  SyncSeed syncSeed;
  if (syncRefused) syncSeed = syncEntries(*db, audit, clock);
  std::string fhirClientJson;
  if (!fhirClientJwks.empty()) {
    // An EHR's backend client (issue 26) registered as an admin would, every system scope.
    fhir::SmartClientService clients(*db, audit, clock, "");
    std::ifstream in(fhirClientJwks);
    std::stringstream jwks;
    jwks << in.rdbuf();
    auto client = clients.registerClient(admin, {"Test EHR", jwks.str(), "", "system/*.cruds"});
    fhirClientJson = ",\"fhirClient\":{\"id\":" + std::to_string(client.id) + ",\"clientId\":\"" +
                     client.clientId + "\"}";
  }
  db->close();

  std::cout << "{\"password\":\"" << kPassword << "\",\"admin\":{\"id\":" << admin.id
            << ",\"email\":\"admin@clinic.example\"},\"provider\":{\"id\":" << provider
            << ",\"email\":\"dr.lee@clinic.example\"},\"nurse\":{\"id\":" << nurse
            << ",\"email\":\"nurse.kim@clinic.example\"},\"patientUser\":{\"id\":" << patientUser
            << ",\"email\":\"ana.silva@example.org\"},\"patientA\":" << a << ",\"patientB\":" << b
            << ",\"deviceA\":\"bp-1001\",\"deviceB\":\"bp-1002\",\"devices\":[\"bp-1001\","
               "\"bp-1002\"]";
  if (fhirSeed)
    std::cout << ",\"fhir\":{\"prescription\":" << orders.prescription
              << ",\"alert\":" << orders.alert << ",\"appointment\":" << orders.appointment
              << ",\"type\":" << orders.type << "}";
  std::cout << fhirClientJson;
  if (survey) std::cout << ",\"surveyVisit\":" << surveyVisit;
  if (syncRefused)
    std::cout << ",\"sync\":{\"refused\":\"" << syncSeed.refused << "\",\"behind\":\""
              << syncSeed.behind << "\",\"reminder\":\"" << syncSeed.reminder << "\"}";
  std::cout << "}\n";
  return 0;
}
