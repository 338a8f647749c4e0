#pragma once
// The billing tests' store (shared by billing_test.cpp, rpm_report_test.cpp,
// billing_report_test.cpp and claims_link_test.cpp): a real SQLite store with the security
// fixture's accounts, a provider and a nurse on the care team of every patient made here, an RPM
// consent to sign, and readings written straight into the readings table.

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <map>

#include "security_fixture.hpp"
#include "vigil/billing/billing.hpp"
#include "vigil/core/time.hpp"
#include "vigil/licensing/licenses.hpp"
#include "vigil/patients/consent.hpp"
#include "vigil/patients/patient_record.hpp"
#include "vigil/patients/rpm_enrolment.hpp"
#include "vigil/registry/registry.hpp"

namespace vigil::billing::test {

using security::Actor;
using security::Role;
using std::chrono::year;
using std::chrono::year_month;

inline TimePoint utc(int y, unsigned mo, unsigned d, int h, int mi = 0) {
  using namespace std::chrono;
  return TimePoint(sys_days(year(y) / month(mo) / day(d)) + hours(h) + minutes(mi));
}

inline year_month ym(int y, unsigned m) {
  return year(y) / std::chrono::month(m);
}

/// Patient ids, as a report's PatientTally lists them: ascending.
using Ids = std::vector<std::int64_t>;
inline Ids sorted(Ids v) {
  std::sort(v.begin(), v.end());
  return v;
}

inline std::vector<std::string> codesOf(const PatientMonth& m) {
  std::vector<std::string> out;
  for (const auto& l : m.lines)
    out.push_back(l.code + (l.units > 1 ? "x" + std::to_string(l.units) : ""));
  return out;
}

struct BillingFixture : security::test::SecurityFixture {
  registry::PatientRepository registry{*db, keys->cipher(), keys->blindIndex(), clock};
  registry::DeviceRegistry devices{*db, clock};
  patients::ConsentService consents{*db, *audit, keys->cipher(), registry, clock};
  patients::RpmEnrolmentService rpm{*db, *audit, keys->cipher(), clock};
  patients::PatientRecordService records{*db, *audit, keys->cipher(), registry, clock};
  licensing::LicenseService licenses{*db, *audit, nullptr, clock};
  BillingService billing{*db, *audit, keys->cipher(), registry, records, clock};
  Actor provider{0, Role::provider, std::nullopt};
  Actor nurse{0, Role::nurse, std::nullopt};
  patients::ConsentDocument rpmDoc;
  int deviceSeq = 0;
  int readingSeq = 0;

  /// `providerName`: the provider's display name (the rendering provider of a claim's 837P).
  explicit BillingFixture(const std::string& providerName = "Test User") {
    clock.set(utc(2025, 12, 1, 12));
    provider.id = user(Role::provider, "dr@clinic.example", "provider passphrase 2026",
                       std::nullopt, providerName);
    nurse.id = user(Role::nurse, "rn@clinic.example", "nurse passphrase 2026");
    rpmDoc = consents.publish(admin, {patients::ConsentKind::rpm, "RPM consent",
                                      "I agree to remote monitoring of my readings.", false});
  }

  /// A patient in `zone` on the care team, with an RPM consent signed now and a cuff.
  std::pair<std::int64_t, std::int64_t> patient(const std::string& zone) {
    const auto n = std::to_string(deviceSeq + 1);
    return patient({0, "MRN-B" + n, "Pat", "Zone", "1950-01-01", zone, "NY", {}, true});
  }
  /// The patient `record` on the care team, with an RPM consent signed now by `signer` and a
  /// cuff; returns the patient's and the cuff's ids.
  std::pair<std::int64_t, std::int64_t> patient(const registry::Patient& record,
                                                const std::string& signer = "Pat Zone") {
    const auto n = std::to_string(++deviceSeq);
    const auto id = registry.create(record);
    db->writeSync([&](store::Connection& c) {
      security::SqliteCareTeam::assignIn(c, provider.id, id, admin.id, clock.now());
      security::SqliteCareTeam::assignIn(c, nurse.id, id, admin.id, clock.now());
    });
    const auto cuff =
        devices.add({"bp-b" + n, registry::DeviceKind::blood_pressure, "UA-651BLE", "S" + n, "1"})
            .id;
    devices.assign(cuff, id);
    sign(id, signer);
    return {id, cuff};
  }
  std::map<std::int64_t, Actor> patientUsers;
  const Actor& patientUser(std::int64_t patientId) {
    auto it = patientUsers.find(patientId);
    if (it == patientUsers.end()) {
      const auto u = user(Role::patient, "p" + std::to_string(patientId) + "@home.example",
                          "patient passphrase 2026", patientId);
      it = patientUsers.emplace(patientId, Actor{u, Role::patient, patientId}).first;
    }
    return it->second;
  }
  void sign(std::int64_t patientId, const std::string& signer = "Pat Zone") {
    patients::SignRequest r{rpmDoc.id, rpmDoc.sha256, signer, true, "192.0.2.10"};
    consents.sign(patientUser(patientId), patientId, r);
  }
  /// Enrols the patient for hypertension from `start`; returns the enrolment's id.
  std::int64_t enrol(std::int64_t patientId, std::int64_t device, const std::string& start) {
    return rpm
        .enrol(provider, patientId, {"I10", "Essential (primary) hypertension", {device}, start})
        .id;
  }
  void reading(std::int64_t patientId, std::int64_t device, TimePoint at,
               const std::string& source = "mqtt-json") {
    db->writeSync([&](store::Connection& c) {
      c.execute(
          "INSERT INTO readings (device_id, patient_id, dedup_key, kind, loinc, unit, value, "
          "device_time, received_at, source) VALUES (?1, ?2, ?3, 'heart_rate', '8867-4', "
          "'/min', 70, ?4, ?4, ?5)",
          device, patientId, "seq:" + std::to_string(++readingSeq), core::toMillis(at), source);
    });
  }
  /// Medicare Part B as the primary coverage, the patient (`subscriber`) the subscriber.
  static patients::InsuranceCoverage medicare(const std::string& memberId,
                                              const std::string& subscriber) {
    patients::InsuranceCoverage cov;
    cov.primary = patients::Insurance{"Medicare Part B",
                                      "",
                                      memberId,
                                      "",
                                      subscriber,
                                      "",
                                      patients::SubscriberRelationship::self};
    return cov;
  }
  void insure(std::int64_t patientId) {
    patients::RecordUpdate u;
    u.insurance = medicare("1EG4TE5MK73", "Pat Zone");
    records.update(admin, patientId, u);
  }
  PatientMonth month(std::int64_t patientId, year_month m) {
    return db->read([&](store::Connection& c) { return billing.patientMonthIn(c, patientId, m); });
  }
  TimeEntry manual(const Actor& who, std::int64_t patientId, TimePoint from, int minutes,
                   bool interactive, const std::string& activity = "data_review") {
    return billing.addManual(who, patientId,
                             {from, from + std::chrono::minutes(minutes), interactive, activity});
  }
  std::int64_t rows(const std::string& sql) {
    return db->read(
        [&](store::Connection& c) { return c.queryValue<std::int64_t>(sql).value_or(-1); });
  }
};

}  // namespace vigil::billing::test
