// The demo's async-care case (issue 23): Rosa Alvarez asks her care team about a rash. The
// clinical content is fictional. The default business hours (09:00-17:00 UTC, one business day);
// the running vigild computes nothing again: the due time is fixed when the case opens.

#include "demo_cases.hpp"

#include "vigil/cases/cases.hpp"
#include "vigil/core/clock.hpp"
#include "vigil/notes/notes.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/keys.hpp"

namespace vigil::demo {

void ensureDemoCase(const DemoServices& services, const char* patientEmail) {
  auto& clock = SystemClock::instance();
  registry::PatientRepository registry(services.db, services.keys.cipher(),
                                       services.keys.blindIndex(), clock);
  notes::NoteService notes(services.db, services.audit, services.keys.cipher(), registry, clock);
  cases::CaseService cases(services.db, services.audit, services.keys.cipher(), notes, clock,
                           cases::BusinessHours{}, {});
  auto user = services.accounts.findUserByEmail(patientEmail);
  if (!user || !user->patientId) return;
  const security::Actor patient{user->id, security::Role::patient, user->patientId};
  if (!cases.listForPatient(patient, *user->patientId).empty()) return;  // seeded already
  cases.open(patient, *user->patientId, "skin",
             "I have had a red, itchy rash on my left forearm for three days. It started after "
             "gardening. Should I be worried, and can I use an over-the-counter cream?");
}

}  // namespace vigil::demo
