#pragma once
// A real store with a New York provider (and a second one), a patient in Los Angeles on both
// care teams with a portal account, appointment types, and helpers to write instants.

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <string>

#include "security_fixture.hpp"
#include "vigil/core/time.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/scheduling/scheduling.hpp"

namespace vigil::scheduling::test {

using namespace std::chrono;
using security::Actor;
using security::Role;

/// An instant written as RFC 3339 ("2026-03-08T06:00:00Z").
inline TimePoint at(const std::string& text) {
  auto t = core::parseRfc3339(text);
  BOOST_REQUIRE_MESSAGE(t, "bad instant in the test: " + text);
  return *t;
}

inline std::vector<std::string> instants(const std::vector<Slot>& slots) {
  std::vector<std::string> out;
  for (const auto& s : slots) out.push_back(core::formatUtc(s.startsAt, core::Fraction::millis));
  return out;
}

struct SchedulingFixture : security::test::SecurityFixture {
  registry::PatientRepository records{*db, keys->cipher(), keys->blindIndex(), clock};
  SchedulingService service{*db, *audit, keys->cipher(), clock};
  Actor provider{0, Role::provider, std::nullopt};
  Actor provider2{0, Role::provider, std::nullopt};
  Actor desk{0, Role::front_desk, std::nullopt};
  std::int64_t patientId = 0;
  Actor patient{0, Role::patient, std::nullopt};
  AppointmentType video30, person15, person30, person60;

  SchedulingFixture() {
    clock.set(at("2026-02-01T12:00:00Z"));
    provider.id = user(Role::provider, "ny@clinic.example", "provider passphrase 2026");
    provider2.id = user(Role::provider, "ny2@clinic.example", "provider2 passphrase 2026");
    desk.id = user(Role::front_desk, "desk@clinic.example", "front desk passphrase 2026");
    patientId = newPatient("MRN-S1", "pat@home.example");
    patient = {user(Role::patient, "pat-user@home.example", "patient passphrase 2026", patientId),
               Role::patient, patientId};
    service.saveSettings(admin, {provider.id, "America/New_York", 0});
    service.saveSettings(admin, {provider2.id, "America/New_York", 0});
    video30 = service.saveType(
        admin, {0, "Video follow-up", 30, Modality::video, VisitKind::followUp, true});
    person15 = service.saveType(
        admin, {0, "Quick check", 15, Modality::inPerson, VisitKind::followUp, true});
    person30 = service.saveType(
        admin, {0, "Clinic visit", 30, Modality::inPerson, VisitKind::followUp, true});
    person60 = service.saveType(
        admin, {0, "New patient", 60, Modality::inPerson, VisitKind::newPatient, true});
  }

  /// A patient in Los Angeles (state CA) on both providers' care teams.
  std::int64_t newPatient(const std::string& mrn, const std::string&) {
    registry::Patient p{0, mrn, "Sam", "Slot", "1980-01-01", "America/Los_Angeles", "CA", {}, true};
    auto id = records.create(p);
    db->writeSync([&](store::Connection& c) {
      security::SqliteCareTeam::assignIn(c, provider.id, id, admin.id, clock.now());
      security::SqliteCareTeam::assignIn(c, provider2.id, id, admin.id, clock.now());
    });
    return id;
  }

  /// One weekly block for `who` (ISO weekday, local HH*60+MM).
  void weekly(std::int64_t who, int weekday, int startMinute, int endMinute) {
    auto blocks = service.templateOf(admin, who);
    blocks.push_back({0, who, weekday, startMinute, endMinute, {}});
    service.setTemplate(admin, who, blocks);
  }

  std::vector<Slot> slotsOn(const AppointmentType& type, year_month_day day, std::int64_t who = 0) {
    return service.slots(admin, {type.id, who == 0 ? provider.id : who, std::nullopt, day, day})
        .slots;
  }
};

}  // namespace vigil::scheduling::test
