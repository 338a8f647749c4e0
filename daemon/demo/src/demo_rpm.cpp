// The demo clinic's RPM enrolments (issue 21): each patient whose persona has a condition signs
// the RPM consent as themself through patients::ConsentService (the portal's sign form) and is
// enrolled by Dr. Lee through patients::RpmEnrolmentService for that condition (real ICD-10-CM
// codes), with their assigned devices, from the day the devices were assigned (the start of the
// two weeks of history). Mei Tanaka (persona "normal") is not enrolled and has signed nothing,
// so the demo shows the chart's "no RPM consent" card too. Idempotent: a patient already
// enrolled for the condition is left alone.

#include "demo_rpm.hpp"

#include "vigil/core/time.hpp"
#include "vigil/patients/consent.hpp"
#include "vigil/patients/rpm_enrolment.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/keys.hpp"
#include "vigil/store/database.hpp"

namespace vigil::demo {
namespace {

struct DemoEnrolment {
  const char* email;  // the patient's portal login (created with the clinic)
  const char* code;
  const char* description;
};

// The personas' conditions (firmware-tools/fleet personas: hypertensive, heart_failure, copd,
// diabetic).
constexpr DemoEnrolment kEnrolments[] = {
    {"rosa.alvarez@demo.vigil", "I10", "Essential (primary) hypertension"},
    {"walter.nguyen@demo.vigil", "I50.9", "Heart failure, unspecified"},
    {"agnes.okafor@demo.vigil", "J44.9", "Chronic obstructive pulmonary disease, unspecified"},
    {"samuel.bergstrom@demo.vigil", "E11.9", "Type 2 diabetes mellitus without complications"},
    {"frank.delgado@demo.vigil", "I10", "Essential (primary) hypertension"},
};

}  // namespace

const std::vector<std::string>& demoRpmPatientEmails() {
  static const std::vector<std::string> emails = [] {
    std::vector<std::string> out;
    for (const auto& e : kEnrolments) out.emplace_back(e.email);
    return out;
  }();
  return emails;
}

void ensureDemoEnrolments(const DemoServices& services, const std::string& providerEmail) {
  auto& clock = SystemClock::instance();
  registry::PatientRepository records(services.db, services.keys.cipher(),
                                      services.keys.blindIndex(), clock);
  patients::ConsentService consents(services.db, services.audit, services.keys.cipher(), records,
                                    clock);
  patients::RpmEnrolmentService rpm(services.db, services.audit, services.keys.cipher(), clock);
  auto provider = services.accounts.findUserByEmail(providerEmail);
  if (!provider) return;
  const security::Actor doctor{provider->id, security::Role::provider, {}};
  for (const auto& want : kEnrolments) {
    auto user = services.accounts.findUserByEmail(want.email);
    if (!user || !user->patientId) continue;  // a clinic seeded before these logins existed
    const auto pid = *user->patientId;
    const security::Actor patient{user->id, security::Role::patient, pid};
    if (!consents.hasActiveConsent(pid, patients::ConsentKind::rpm)) {
      auto record = records.get(pid);
      for (const auto& d : consents.documents(patient)) {
        if (d.kind != patients::ConsentKind::rpm) continue;  // newest version first
        consents.sign(
            patient, pid,
            {d.id, d.sha256, record->givenName + " " + record->familyName, true, "127.0.0.1"});
        break;
      }
    }
    bool enrolled = false;
    for (const auto& e : rpm.enrolments(doctor, pid).enrolments)
      enrolled = enrolled || (e.active() && e.conditionCode == want.code);
    if (enrolled) continue;
    patients::NewEnrolment e;
    e.conditionCode = want.code;
    e.conditionDescription = want.description;
    auto assigned = services.db.read([&](store::Connection& c) {
      return registry::DeviceRegistry::currentForPatientIn(c, pid);
    });
    if (assigned.empty()) continue;
    auto since = assigned.front().validFrom;
    for (const auto& a : assigned) {
      e.deviceIds.push_back(a.deviceId);
      since = std::min(since, a.validFrom);
    }
    e.startDate = core::formatUtc(since).substr(0, 10);  // set-up: the day the devices came
    rpm.enrol(doctor, pid, e);
  }
}

}  // namespace vigil::demo
