#pragma once
// A real store with keys, audit log and accounts (SecurityFixture), the registry, the notes
// service, two patients, and the staff around them: a provider and a nurse on patient A's care
// team, a provider outside it, admin and front desk, and patient A's and B's own accounts.

#include <boost/test/unit_test.hpp>
#include <optional>
#include <ostream>

#include "security_fixture.hpp"
#include "vigil/notes/notes.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/access_guard.hpp"

namespace vigil::notes {
inline std::ostream& operator<<(std::ostream& os, NoteState s) {
  return os << toString(s);
}
inline std::ostream& operator<<(std::ostream& os, const Soap& s) {
  return os << "{S " << s.subjective.size() << "B, O " << s.objective.size() << "B, A "
            << s.assessment.size() << "B, P " << s.plan.size() << "B}";
}
}  // namespace vigil::notes

// Optional ids compared with BOOST_TEST print as "?" (Boost.Test 1.74 has no printer for them).
BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<std::int64_t>)

namespace vigil::notes::test {

using security::Actor;
using security::Role;

struct NoteFixture : security::test::SecurityFixture {
  registry::PatientRepository registry{*db, keys->cipher(), keys->blindIndex(), clock};
  NoteService notes{*db, *audit, keys->cipher(), registry, clock};
  std::int64_t patientA = 0, patientB = 0;
  Actor patient{0, Role::patient, std::nullopt};
  Actor otherPatient{0, Role::patient, std::nullopt};
  Actor provider{0, Role::provider, std::nullopt};
  Actor nurse{0, Role::nurse, std::nullopt};
  Actor stranger{0, Role::provider, std::nullopt};  // a provider outside A's care team
  Actor frontDesk{0, Role::front_desk, std::nullopt};
  std::int64_t generalTemplate = 0, rpmTemplate = 0;

  NoteFixture() {
    patientA = registry.create({0, "MRN-N1", "Ana", "Silva", "1956-03-02", "UTC", "", {}, true});
    patientB = registry.create({0, "MRN-N2", "Ben", "Okoro", "1961-07-19", "UTC", "", {}, true});
    patient = {user(Role::patient, "ana@home.example", "patient passphrase 2026", patientA),
               Role::patient, patientA};
    otherPatient = {user(Role::patient, "ben@home.example", "other passphrase 2026", patientB),
                    Role::patient, patientB};
    provider.id = user(Role::provider, "dr@clinic.example", "provider passphrase 2026");
    nurse.id = user(Role::nurse, "rn@clinic.example", "nurse passphrase 2026");
    stranger.id = user(Role::provider, "dr2@clinic.example", "provider2 passphrase 2026");
    frontDesk.id = user(Role::front_desk, "desk@clinic.example", "desk passphrase 2026");
    db->writeSync([&](store::Connection& c) {
      security::SqliteCareTeam::assignIn(c, provider.id, patientA, admin.id, clock.now());
      security::SqliteCareTeam::assignIn(c, nurse.id, patientA, admin.id, clock.now());
    });
    for (const auto& t : notes.templates(provider)) {
      if (t.key == "general") generalTemplate = t.id;
      if (t.key == "rpm_review") rpmTemplate = t.id;
    }
  }

  Note draft(const Actor& author, std::int64_t patientId, std::string_view glass = {}) {
    return notes.create(author, patientId, {EncounterKind::video_visit, "7"}, generalTemplate,
                        glass);
  }
  Note written(const Actor& author, std::int64_t patientId, const Soap& soap,
               std::string_view glass = {}) {
    auto n = draft(author, patientId, glass);
    return notes.update(author, patientId, n.id, n.version, soap, glass);
  }
  Note signedNote(const Soap& soap) {
    auto n = written(provider, patientA, soap);
    return notes.sign(provider, patientA, n.id, n.version);
  }
  std::int64_t rows(const std::string& sql) {
    return db->read(
        [&](store::Connection& c) { return c.queryValue<std::int64_t>(sql).value_or(-1); });
  }
};

inline const Soap kSoap{"Headache for three days.", "BP 150/95, pulse 80.",
                        "Uncontrolled hypertension.", "Start amlodipine 5 mg; recheck in 2 weeks."};

}  // namespace vigil::notes::test
