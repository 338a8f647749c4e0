// The demo's clinical notes (issue 23): a signed RPM monthly review with an addendum (the
// patient's portal shows its assessment and plan as a visit summary) and a draft follow-up,
// written by Dr. Lee through notes::NoteService. The clinical content is fictional.

#include "demo_notes.hpp"

#include <cstdio>
#include <ctime>

#include "vigil/core/clock.hpp"
#include "vigil/notes/notes.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/keys.hpp"

namespace vigil::demo {
namespace {

/// "YYYY-MM" of the month before `now` (UTC).
std::string lastMonth(TimePoint now) {
  const auto t = std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::system_clock::duration>(now));
  std::tm tm{};
  gmtime_r(&t, &tm);
  int year = tm.tm_year + 1900, month = tm.tm_mon;  // tm_mon 0-based: the previous month
  if (month == 0) {
    month = 12;
    --year;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d", year, month);
  return buf;
}

std::string today(TimePoint now) {
  const auto t = std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::system_clock::duration>(now));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

}  // namespace

void ensureDemoNotes(const DemoServices& services, const char* providerEmail) {
  auto& clock = SystemClock::instance();
  registry::PatientRepository registry(services.db, services.keys.cipher(),
                                       services.keys.blindIndex(), clock);
  notes::NoteService notes(services.db, services.audit, services.keys.cipher(), registry, clock);
  auto doctor = services.accounts.findUserByEmail(providerEmail);
  auto patientId = registry.findByMrn("DEMO-1001");
  if (!doctor || !patientId) return;
  const security::Actor provider{doctor->id, security::Role::provider, {}};
  for (const auto& n : notes.list(provider, *patientId))
    if (n.encounter.kind == notes::EncounterKind::rpm_review) return;  // seeded already
  std::int64_t rpm = 0, followUp = 0;
  for (const auto& t : notes.templates(provider)) {
    if (t.key == "rpm_review") rpm = t.id;
    if (t.key == "follow_up") followUp = t.id;
  }
  auto review = notes.create(provider, *patientId,
                             {notes::EncounterKind::rpm_review, lastMonth(clock.now())}, rpm);
  review = notes.update(
      provider, *patientId, review.id, review.version,
      {"Takes readings most mornings; occasional headaches after missed doses. Walking 20 "
       "minutes most days.",
       "Blood pressure transmitted on 24 days; average 138/86, highest 162/98 (one alert, "
       "acknowledged). Weight stable.",
       "Essential hypertension, not yet at goal (<130/80). Type 2 diabetes stable.",
       "Increase lisinopril to 20 mg daily. Keep measuring each morning. Low-salt diet leaflet "
       "sent. Next review in one month."});
  review = notes.sign(provider, *patientId, review.id, review.version);
  notes.addAddendum(provider, *patientId, review.id,
                    "Pharmacy confirmed the new lisinopril dose was dispensed.");
  auto draft = notes.create(provider, *patientId,
                            {notes::EncounterKind::phone_call, today(clock.now())}, followUp);
  notes.update(provider, *patientId, draft.id, draft.version,
               {"Called about dizziness on standing since the dose change.", "", "", ""});
}

}  // namespace vigil::demo
