#pragma once
// A clinic ready to prescribe: the product schema on a temp dir, a provider with an NPI, a
// Texas license, a TOTP second factor, on the care team of a Texas patient whose record has
// an address, a preferred pharmacy (NCPDP 1000001, the stand-in's) and an allergy to penicillin
// and an active lisinopril 10 mg. Each test takes away what it checks.

#include <boost/test/unit_test.hpp>
#include <chrono>

#include "security_fixture.hpp"
#include "vigil/licensing/licenses.hpp"
#include "vigil/patients/patient_record.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/rx/drugs.hpp"
#include "vigil/rx/prescribers.hpp"
#include "vigil/rx/prescriptions.hpp"
#include "vigil/rx/rules.hpp"
#include "vigil/security/totp.hpp"

namespace vigil::rx::test {

using namespace std::chrono_literals;
using security::Actor;
using security::Role;

inline const std::string kProviderPassword = "prescriber passphrase 2026";

struct RxFixture : security::test::SecurityFixture {
  registry::PatientRepository registry{*db, keys->cipher(), keys->blindIndex(), clock};
  patients::PatientRecordService records{*db, *audit, keys->cipher(), registry, clock};
  licensing::LicenseService licenses{*db, *audit, nullptr, clock};
  DrugCatalog drugs{*db};
  PrescriberService prescribers{*db, *audit, clock};
  StateRuleService rules{*db, *audit, clock};
  std::int64_t patientId = 0;
  Actor provider{0, Role::provider, std::nullopt};
  Actor colleague{0, Role::provider, std::nullopt};
  Actor patient{0, Role::patient, std::nullopt};
  std::string totpSecret;  // base32

  /// `start`: the fixture's time (2026-12-07 15:00 UTC unless a test needs the real clock).
  explicit RxFixture(std::optional<TimePoint> start = std::nullopt,
                     const char* email = "dr.rx@clinic.example") {
    clock.set(start.value_or(std::chrono::sys_days{std::chrono::year{2026} / 12 / 7} + 15h));
    drugs.loadStarterList();
    patientId = registry.create(
        {0, "MRN-RX1", "Rosa", "Diaz", "1958-04-11", "America/Chicago", "TX", {}, true});
    provider.id = user(Role::provider, email, kProviderPassword, std::nullopt, "Maya Chen");
    colleague.id = user(Role::provider, std::string("peer.") + email, "colleague passphrase 26");
    patient = {user(Role::patient, "rosa@home.example", "patient passphrase 2026", patientId),
               Role::patient, patientId};
    db->writeSync([&](store::Connection& c) {
      security::SqliteCareTeam::assignIn(c, provider.id, patientId, admin.id, clock.now());
    });
    licenses.setNpi(admin, provider.id, "1234567893");
    licensing::LicenseInput tx;
    tx.state = "TX";
    tx.type = "MD";
    tx.number = "Q1234";
    tx.expiresOn = *licensing::parseDate("2028-01-31");
    licenses.add(admin, provider.id, tx);
    patients::RecordUpdate u;
    patients::Contact contact;
    contact.address = {"12 Elm Street", "", "Austin", "TX", "78701", "US"};
    u.contact = contact;
    patients::Pharmacy ph;
    ph.name = "Riverside Pharmacy";
    ph.ncpdpId = "1000001";
    u.pharmacy = ph;
    patients::Allergy al;
    al.substance = "Penicillin";
    al.reaction = "hives";
    al.severity = patients::AllergySeverity::moderate;
    u.allergies = std::vector<patients::Allergy>{al};
    patients::Medication med;
    med.rxcui = "314076";
    med.name = "lisinopril 10 MG Oral Tablet";
    med.instructions = "1 tablet daily";
    u.medications = std::vector<patients::Medication>{med};
    records.update(provider, patientId, u);
    // The provider's second factor.
    auto r = accounts->signIn(email, kProviderPassword);
    BOOST_REQUIRE(r.status == security::SignInStatus::enrolmentRequired);
    auto enrol = accounts->beginTotpEnrolment(r.token);
    totpSecret = enrol.secretBase32;
    accounts->confirmTotpEnrolment(r.token, totpNow());
    clock.advance(30s);
  }

  std::string totpNow() {
    return security::totpCode(security::base32Decode(totpSecret), clock.now());
  }

  /// The drug of the starter list named exactly `name`.
  Drug drug(const std::string& name) {
    for (const auto& d : drugs.search(name, 50))
      if (d.name == name) return d;
    BOOST_FAIL("no drug " << name);
    return {};
  }

  /// DEA in Texas and EPCS access from the admin and a colleague.
  void readyForControlled() {
    prescribers.setDea(admin, provider.id, "TX", "BC1234563", *licensing::parseDate("2028-06-30"));
    prescribers.approveEpcs(admin, provider.id);
    prescribers.approveEpcs(colleague, provider.id);
  }

  PrescriptionInput input(const Drug& d, int days = 30, int refills = 0) {
    PrescriptionInput in;
    in.drugId = d.id;
    in.sig = "Take 1 tablet by mouth daily";
    in.quantity = std::to_string(days);
    in.quantityUnit = "tablet";
    in.daysSupply = days;
    in.refills = refills;
    in.note = "Patient prefers blister packs";
    in.telehealth = true;
    in.inPersonOn = licensing::parseDate("2026-11-02");
    return in;
  }
};

}  // namespace vigil::rx::test
