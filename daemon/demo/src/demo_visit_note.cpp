// The demo's past video visit and its signed visit note (issue 23). The clinical content is
// fictional.

#include "demo_visit_note.hpp"

#include <chrono>
#include <string>

#include "vigil/core/clock.hpp"
#include "vigil/notes/notes.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/keys.hpp"
#include "vigil/video/visit.hpp"

namespace vigil::demo {
namespace {

/// A clock the seed moves by hand through the past visit.
class SetClock final : public Clock {
 public:
  explicit SetClock(TimePoint t) : now_(t) {}
  TimePoint now() const override { return now_; }
  void set(TimePoint t) { now_ = t; }

 private:
  TimePoint now_;
};

}  // namespace

void ensureDemoVisitNote(const DemoServices& services, const char* providerEmail,
                         const char* patientEmail) {
  auto doctor = services.accounts.findUserByEmail(providerEmail);
  auto patientUser = services.accounts.findUserByEmail(patientEmail);
  if (!doctor || !patientUser || !patientUser->patientId) return;
  const auto patientId = *patientUser->patientId;
  const security::Actor provider{doctor->id, security::Role::provider, {}};
  const auto& system = SystemClock::instance();
  registry::PatientRepository registry(services.db, services.keys.cipher(),
                                       services.keys.blindIndex(), SystemClock::instance());
  // A week ago at 15:00 UTC (morning in the demo patients' zones), 20 minutes; the note is
  // written and signed right after the visit.
  using namespace std::chrono;
  const auto start = floor<days>(system.now()) - days(7) + hours(15);
  SetClock clock(start - minutes(1));
  notes::NoteService notes(services.db, services.audit, services.keys.cipher(), registry, clock);
  for (const auto& n : notes.list(provider, patientId))
    if (n.encounter.kind == notes::EncounterKind::video_visit) return;  // seeded already

  video::VisitService visits(services.db, services.audit, clock, {}, &services.keys.cipher());
  video::NewVisit nv;
  nv.patientId = patientId;
  nv.providerUserId = doctor->id;
  nv.patientUserId = patientUser->id;
  nv.startsAt = start;
  nv.endsAt = start + minutes(20);
  const auto visitId = visits.schedule(provider, nv);
  clock.set(start);
  visits.join(provider, visitId);
  const security::Actor patient{patientUser->id, security::Role::patient, patientId};
  visits.join(patient, visitId);
  clock.set(start + minutes(20));
  visits.end(provider, visitId);

  clock.set(start + minutes(30));
  std::int64_t general = 0;
  for (const auto& t : notes.templates(provider))
    if (t.key == "general") general = t.id;
  auto note = notes.create(provider, patientId,
                           {notes::EncounterKind::video_visit, std::to_string(visitId)}, general);
  note = notes.update(
      provider, patientId, note.id, note.version,
      {"Video visit to review home blood pressure after the lisinopril increase. Mild "
       "light-headedness on standing in the first days, now gone. No chest pain.",
       "Home readings this week average 131/82. Appears well on video; speech and gait normal.",
       "Essential hypertension, improving on lisinopril 20 mg. Type 2 diabetes stable.",
       "Continue lisinopril 20 mg daily. Rise slowly from sitting. Keep morning readings; "
       "the care team reviews them monthly. Video follow-up in four weeks."});
  notes.sign(provider, patientId, note.id, note.version);
}

}  // namespace vigil::demo
