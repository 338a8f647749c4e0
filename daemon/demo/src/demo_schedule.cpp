#include "demo_schedule.hpp"

#include "vigil/core/clock.hpp"
#include "vigil/scheduling/scheduling.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/keys.hpp"

namespace vigil::demo {

void ensureDemoSchedule(const DemoServices& services, const security::Actor& admin) {
  using scheduling::Modality;
  using scheduling::VisitKind;
  scheduling::SchedulingService schedule(services.db, services.audit, services.keys.cipher(),
                                         SystemClock::instance());
  if (schedule.types(admin, false).empty()) {
    schedule.saveType(admin,
                      {0, "Video follow-up", 30, Modality::video, VisitKind::followUp, true});
    schedule.saveType(admin,
                      {0, "Video new patient", 60, Modality::video, VisitKind::newPatient, true});
    schedule.saveType(admin,
                      {0, "Clinic visit", 30, Modality::inPerson, VisitKind::followUp, true});
    schedule.saveType(admin, {0, "Quick check", 15, Modality::inPerson, VisitKind::followUp, true});
  }
  for (const char* email : {"dr.lee@demo.vigil", "nurse.kim@demo.vigil"}) {
    auto user = services.accounts.findUserByEmail(email);
    if (!user || schedule.settings(admin, user->id)) continue;
    schedule.saveSettings(admin, {user->id, "America/New_York", 5});
    std::vector<scheduling::TemplateBlock> week;
    for (int day = 1; day <= 5; ++day) {
      week.push_back({0, user->id, day, 9 * 60, 12 * 60, {}});
      week.push_back({0, user->id, day, 13 * 60, 17 * 60, {}});
    }
    schedule.setTemplate(admin, user->id, week);
  }
}

}  // namespace vigil::demo
