// The practice history generator (practice_history.hpp): the set-up (providers, groups,
// patients) and the readings here; the timeline's planners in practice_history_care.cpp and
// practice_history_visits.cpp.

#include "vigil/demo/practice_history.hpp"

#include <cmath>

#include "demo_consents.hpp"
#include "practice_history_internal.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/progress.hpp"
#include "vigil/core/time.hpp"
#include "vigil/crypto/random.hpp"
#include "vigil/demo/demo_history.hpp"
#include "vigil/licensing/licenses.hpp"
#include "vigil/patients/consent.hpp"
#include "vigil/patients/rpm_enrolment.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/keys.hpp"
#include "vigil/security/staff_groups.hpp"

namespace vigil::demo {
namespace history {

using namespace std::chrono;

void Timeline::at(TimePoint when, std::function<void()> step) {
  if (when > end_) return;
  if (running_ && when < clock_.now()) when = clock_.now();
  steps_.push({when, seq_++, std::move(step)});
}

void Timeline::run(ProgressBar* progress) {
  running_ = true;
  while (!steps_.empty()) {
    auto step = steps_.top();
    steps_.pop();
    clock_.set(step.at);
    step.fn();
    ++done_;
    if (progress && done_ % 64 == 0) {
      progress->setTotal(done_ + steps_.size());
      progress->update(done_);
    }
  }
  if (progress) {
    progress->setTotal(done_);
    progress->update(done_);
  }
  running_ = false;
}

Practice::Practice(const DemoServices& services, const security::Actor& admin_,
                   const PracticePlan& plan_, TimePoint until_, PracticeHistoryResult& result_)
    : s(services),
      admin(admin_),
      plan(plan_),
      until(until_),
      firstDay(floor<days>(until_ - plan_.days)),
      result(result_),
      clock(TimePoint(firstDay) - days(2)),
      timeline(clock, until_),
      rng(plan_.seed),
      registry(s.db, s.keys.cipher(), s.keys.blindIndex(), clock),
      records(s.db, s.audit, s.keys.cipher(), registry, clock),
      notes(s.db, s.audit, s.keys.cipher(), registry, clock),
      cases(s.db, s.audit, s.keys.cipher(), notes, clock, cases::BusinessHours{}, {}),
      billing(s.db, s.audit, s.keys.cipher(), registry, records, clock),
      alertRepo(s.db, s.keys.cipher()),
      alerts(clock, {})
#ifdef VIGIL_WITH_VIDEO
      ,
      schedule(s.db, s.audit, s.keys.cipher(), clock),
      visits(s.db, s.audit, clock, {}, &s.keys.cipher()),
      onDemand(s.db, s.audit, clock),
      surveys(s.db, s.audit, s.keys.cipher(), records, clock)
#endif
{
  alerts.setJournal(&alertRepo);
  // The alerts already stored (the ids go on from theirs); vigild restores them all at start.
  alerts.restore(alertRepo.unresolvedAlerts(), alertRepo.activeSuppressions(clock.now()),
                 alertRepo.maxAlertId() + 1);
}

Practice::~Practice() {
  alertRepo.flush();
}

double Practice::uniform() {
  return std::uniform_real_distribution<double>(0, 1)(rng);
}

int Practice::countFor(double rate) {
  const double whole = std::floor(rate);
  return static_cast<int>(whole) + (uniform() < rate - whole ? 1 : 0);
}

minutes Practice::minutesBetween(int lo, int hi) {
  return minutes(lo + static_cast<int>(uniform() * (hi - lo)));
}

std::size_t Practice::pick(std::size_t n) {
  return static_cast<std::size_t>(uniform() * static_cast<double>(n)) % n;
}

TimePoint Practice::day(int d) const {
  return TimePoint(firstDay + days(d));
}

int Practice::dayCount() const {
  return static_cast<int>(plan.days.count());
}

void Practice::attempt(const std::function<void()>& step) {
  try {
    step();
  } catch (const Error&) {
    ++result.refused;
  }
}

namespace {

constexpr const char* kGiven[] = {"Ada",  "Ben",   "Carla", "Dev",  "Elena", "Farid", "Grace",
                                  "Hugo", "Iris",  "Jonah", "Kira", "Luis",  "Maya",  "Nils",
                                  "Olga", "Pavel", "Rita",  "Saul", "Tara",  "Victor"};
constexpr const char* kFamily[] = {"Abbott", "Baker",  "Castro", "Dunn",  "Ellis", "Foster",
                                   "Garcia", "Holm",   "Ibarra", "Jones", "Kowal", "Lind",
                                   "Moreno", "Novak",  "Ortiz",  "Price", "Quinn", "Reyes",
                                   "Sato",   "Torres", "Usman",  "Vance", "Weber", "Young"};

std::string randomPassword() {
  std::string out = "hist-";
  for (auto b : crypto::randomBytes(12)) out.push_back(static_cast<char>('a' + b % 26));
  return out;
}

/// A valid NPI (Luhn over 80840 and the nine digits) for the n-th created provider.
std::string npiFor(int n) {
  const std::string base = "1" + std::to_string(70000000 + n);
  const std::string payload = "80840" + base;
  int sum = 0;
  bool twice = true;  // the check digit goes right of the payload's last digit
  for (auto it = payload.rbegin(); it != payload.rend(); ++it, twice = !twice) {
    int d = *it - '0';
    if (twice) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return base + std::to_string((10 - sum % 10) % 10);
}

licensing::LicenseInput illinois(int n) {
  licensing::LicenseInput in;
  in.state = "IL";
  in.type = "MD";
  in.number = "036." + std::to_string(200000 + n);
  in.issuedOn = licensing::parseDate("2016-07-01");
  in.expiresOn = *licensing::parseDate("2030-06-30");
  return in;
}

/// The plan's providers: the existing ones, then created ones with an NPI, an Illinois license
/// and weekly hours (Monday to Friday 09:00-12:00 and 13:00-17:00, America/Chicago).
void setUpProviders(Practice& x) {
  licensing::LicenseService licenses(x.s.db, x.s.audit, nullptr, x.clock);
  for (int i = 0; i < x.plan.providers; ++i) {
    std::optional<security::User> user;
    if (static_cast<std::size_t>(i) < x.plan.existingProviders.size()) {
      user = x.s.accounts.findUserByEmail(x.plan.existingProviders[static_cast<std::size_t>(i)]);
      if (!user) throw ValidationError("practice history: a provider is missing");
    } else {
      const auto email = x.plan.tag + ".dr" + std::to_string(i) + "@demo.vigil";
      user = x.s.accounts.findUserByEmail(email);
      if (!user) {
        const auto k = static_cast<std::size_t>(i) - x.plan.existingProviders.size();
        security::NewUser u;
        u.role = security::Role::provider;
        u.email = email;
        u.displayName = k < x.plan.providerNames.size() ? x.plan.providerNames[k]
                                                        : "Dr. Provider " + std::to_string(i + 1);
        u.password = randomPassword();
        x.s.accounts.createUser(x.admin, u);
        user = x.s.accounts.findUserByEmail(email);
        licenses.setNpi(x.admin, user->id, npiFor(i));
        licenses.add(x.admin, user->id, illinois(i));
        ++x.result.providers;
      }
    }
    x.providers.push_back({{user->id, security::Role::provider, {}}, {}});
#ifdef VIGIL_WITH_VIDEO
    if (x.schedule.settings(x.admin, user->id)) continue;
    x.schedule.saveSettings(x.admin, {user->id, "America/Chicago", 5});
    std::vector<scheduling::TemplateBlock> week;
    for (int day = 1; day <= 5; ++day) {
      week.push_back({0, user->id, day, 9 * 60, 12 * 60, {}});
      week.push_back({0, user->id, day, 13 * 60, 17 * 60, {}});
    }
    x.schedule.setTemplate(x.admin, user->id, week);
#endif
  }
  if (!x.plan.nurseEmail.empty())
    if (auto n = x.s.accounts.findUserByEmail(x.plan.nurseEmail))
      x.nurse = security::Actor{n->id, security::Role::nurse, {}};
  // The clinic's chain for the history's escalations: the first provider, then the nurse (or
  // the second provider).
  std::vector<std::int64_t> chain{x.providers.front().actor.id};
  if (x.nurse)
    chain.push_back(x.nurse->id);
  else if (x.providers.size() > 1)
    chain.push_back(x.providers[1].actor.id);
  x.alerts.setClinicChain(chain);
}

/// The two clinic groups, the providers split in halves (the first half north).
void setUpGroups(Practice& x) {
  if (x.plan.firstGroup.empty() || x.providers.size() < 2) return;
  security::StaffGroupService groups(x.s.db, x.s.audit, x.s.keys.cipher(), x.clock);
  for (const auto& g : groups.list())
    if (g.name == x.plan.firstGroup) return;  // made before
  const auto north = groups.create(x.admin, x.plan.firstGroup);
  const auto south = groups.create(x.admin, x.plan.secondGroup);
  const auto half = (x.providers.size() + 1) / 2;
  for (std::size_t i = 0; i < x.providers.size(); ++i)
    groups.addMember(x.admin, i < half ? north : south, x.providers[i].actor.id);
}

void insure(Practice& x, const Patient& p, const std::string& name, const std::string& birth) {
  patients::RecordUpdate up;
  patients::InsuranceCoverage cov;
  cov.primary = patients::Insurance{"Medicare Part B",
                                    "",
                                    "1EG4TE5MK" + std::to_string(p.id),
                                    "",
                                    name,
                                    birth,
                                    patients::SubscriberRelationship::self};
  up.insurance = cov;
  patients::Contact contact;
  contact.address = {
      std::to_string(10 + p.id) + " Lake Street", "", "Springfield", "IL", "62701", "US"};
  up.contact = contact;
  x.records.update(x.admin, p.id, up);
}

/// One patient: the record, the care team, a portal login, the telehealth and RPM consents,
/// Medicare, a cuff and (for most) an RPM enrolment from the history's first day.
void setUpPatient(Practice& x, int n, const std::vector<patients::ConsentDocument>& documents,
                  patients::ConsentService& consents, patients::RpmEnrolmentService& rpm,
                  registry::DeviceRegistry& devices) {
  Patient p;
  p.provider = static_cast<std::size_t>(n) % x.providers.size();
  const std::string given = kGiven[static_cast<std::size_t>(n) % std::size(kGiven)];
  const std::string family = kFamily[static_cast<std::size_t>(n / 7) % std::size(kFamily)];
  const std::string birth = std::to_string(1940 + n % 35) + "-0" + std::to_string(1 + n % 9) +
                            "-1" + std::to_string(n % 10);
  registry::Patient rec;
  rec.mrn = x.plan.tag + "-" + std::to_string(100000 + n).substr(1);
  rec.givenName = given;
  rec.familyName = family;
  rec.birthDate = birth;
  rec.state = "IL";
  rec.timeZone = "America/Chicago";
  p.id = x.registry.create(rec);
  const auto& provider = x.providers[p.provider].actor;
  x.s.accounts.assignCareTeam(x.admin, provider.id, p.id);
  if (x.nurse) x.s.accounts.assignCareTeam(x.admin, x.nurse->id, p.id);
  security::NewUser u;
  u.role = security::Role::patient;
  u.email = x.plan.tag + ".patient" + std::to_string(n) + "@demo.vigil";
  u.displayName = given + " " + family;
  u.password = randomPassword();
  u.patientId = p.id;
  p.actor = {x.s.accounts.createUser(x.admin, u), security::Role::patient, p.id};
  for (const auto& d : documents)
    if (d.kind == patients::ConsentKind::telehealth || d.kind == patients::ConsentKind::rpm)
      consents.sign(p.actor, p.id, {d.id, d.sha256, u.displayName, true, "127.0.0.1"});
  insure(x, p, u.displayName, birth);
  registry::NewDevice d;
  d.uid = x.plan.tag + "-bp-" + std::to_string(n);
  d.kind = registry::DeviceKind::blood_pressure;
  d.model = "Demo bp";
  d.serial = "SNH" + std::to_string(n);
  d.firmware = "1.4.2";
  p.deviceUid = d.uid;
  p.deviceId = devices.add(d).id;
  devices.assign(p.deviceId, p.id, x.admin.id);
  // Adherence: most days, about two days in three, about one in three (each third).
  static constexpr double kDayOff[] = {0.04, 0.35, 0.7};
  p.dayOffChance = kDayOff[static_cast<std::size_t>(n) % 3];
  p.enrolled = x.uniform() < x.plan.rpmShare;
  if (p.enrolled) {
    rpm.enrol(provider, p.id,
              {"I10",
               "Essential (primary) hypertension",
               {p.deviceId},
               core::formatUtc(TimePoint(x.firstDay)).substr(0, 10)});
    x.enrolled.push_back(x.patients.size());
    ++x.result.enrolled;
  }
  x.providers[p.provider].panel.push_back(x.patients.size());
  x.patients.push_back(std::move(p));
  ++x.result.patients;
}

void setUpPatients(Practice& x, ProgressBar* progress) {
  patients::ConsentService consents(x.s.db, x.s.audit, x.s.keys.cipher(), x.registry, x.clock);
  patients::RpmEnrolmentService rpm(x.s.db, x.s.audit, x.s.keys.cipher(), x.clock);
  registry::DeviceRegistry devices(x.s.db, x.clock);
  const auto documents = consents.documents(x.admin);
  for (int n = 0; n < x.plan.patients; ++n) {
    setUpPatient(x, n, documents, consents, rpm, devices);
    if (progress) progress->update(static_cast<std::uint64_t>(n + 1));
  }
}

/// The cuffs' readings over the history, a few hundred patients per backfill (memory).
void addReadings(Practice& x, ProgressBar* progress) {
  constexpr std::size_t kChunk = 250;
  for (std::size_t first = 0; first < x.patients.size(); first += kChunk) {
    std::vector<DemoHistoryPatient> chunk;
    for (std::size_t i = first; i < std::min(first + kChunk, x.patients.size()); ++i) {
      DemoHistoryPatient h;
      h.persona = fleet::PersonaKind::hypertensive;
      h.seed = x.plan.seed * 1000003 + i;
      h.utcOffsetMinutes = -6 * 60;
      h.devices.push_back({x.patients[i].deviceUid, fleet::VitalDevice::bloodPressure});
      h.dayOffChance = x.patients[i].dayOffChance;
      h.oncePerDay = x.plan.readingsOncePerDay;
      chunk.push_back(std::move(h));
    }
    x.result.readings +=
        backfillDemoHistory(x.s.db, x.s.keys.cipher(), chunk, x.until, x.plan.days).stored;
    if (progress) progress->update(std::min(first + kChunk, x.patients.size()));
  }
}

}  // namespace
}  // namespace history

PracticePlan demoPracticePlan() {
  PracticePlan plan;
  plan.existingProviders = {"dr.lee@demo.vigil"};
  plan.providerNames = {"Dr. Priya Shah", "Dr. Marcus Webb"};
  plan.nurseEmail = "nurse.kim@demo.vigil";
  // Every step is a transaction of its own (an fsync on the box): ~3,000 of them; with the 26
  // logins' password hashes, ~4 s of the seed on a 2-vCPU box (docs/reports.md).
  plan.visitsPerProviderDay = 1.5;
  plan.onDemandPerDay = 1.2;
  plan.casesPerDay = 1;
  plan.alertsPerDay = 2;
  return plan;
}

PracticeHistoryResult generatePracticeHistory(const DemoServices& services,
                                              const security::Actor& admin,
                                              const PracticePlan& plan, TimePoint until,
                                              ProgressBar* progress) {
  using namespace history;
  PracticeHistoryResult result;
  const auto t0 = steady_clock::now();
  const auto msSince = [](steady_clock::time_point t) {
    return static_cast<std::int64_t>(duration_cast<milliseconds>(steady_clock::now() - t).count());
  };
  Practice x(services, admin, plan, until, result);
  // The documents the patients sign (published once; no demo patient signs here).
  ensureDemoConsents(services, admin, "");
  setUpProviders(x);
  setUpGroups(x);
  {
    std::optional<ProgressBar> bar;
    if (progress) bar.emplace("patients", static_cast<std::uint64_t>(plan.patients));
    setUpPatients(x, bar ? &*bar : nullptr);
  }
  const auto setUpMs = msSince(t0);
  const auto t1 = steady_clock::now();
  {
    std::optional<ProgressBar> bar;
    if (progress) bar.emplace("readings", static_cast<std::uint64_t>(plan.patients));
    addReadings(x, bar ? &*bar : nullptr);
  }
  const auto readingsMs = msSince(t1);
  const auto t2 = steady_clock::now();
  planVisits(x);
  planOnDemand(x);
  planCases(x);
  planAlerts(x);
  planBilling(x);
  x.timeline.run(progress);
  log::info("demo.practice_history",
            {{"patients", static_cast<std::int64_t>(result.patients)},
             {"appointments", static_cast<std::int64_t>(result.appointments)},
             {"cases", static_cast<std::int64_t>(result.casesOpened)},
             {"alerts", static_cast<std::int64_t>(result.alertsRaised)},
             {"claims", static_cast<std::int64_t>(result.claims)},
             {"refused", static_cast<std::int64_t>(result.refused)},
             {"setup_ms", setUpMs},
             {"readings_ms", readingsMs},
             {"timeline_ms", msSince(t2)}});
  return result;
}

}  // namespace vigil::demo
