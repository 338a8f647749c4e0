#include "demo_licenses.hpp"

#include "vigil/core/clock.hpp"
#include "vigil/core/log.hpp"
#include "vigil/licensing/licenses.hpp"
#include "vigil/security/accounts.hpp"

namespace vigil::demo {
namespace {

licensing::LicenseInput license(const char* state, const char* type, const char* number,
                                const char* issued, const char* expires,
                                const char* status = "active") {
  licensing::LicenseInput in;
  in.state = state;
  in.type = type;
  in.number = number;
  in.issuedOn = licensing::parseDate(issued);
  in.expiresOn = *licensing::parseDate(expires);
  in.status = status;
  return in;
}

}  // namespace

void ensureDemoLicenses(const DemoServices& services, const security::Actor& admin) {
  auto lee = services.accounts.findUserByEmail("dr.lee@demo.vigil");
  auto kim = services.accounts.findUserByEmail("nurse.kim@demo.vigil");
  if (!lee || !kim) return;
  licensing::LicenseService licenses(services.db, services.audit, nullptr, SystemClock::instance());
  if (licenses.licenses(admin, lee->id).npi) return;  // seeded before
  // Dr. Lee: the clinic's state, and Texas (the stand-in's registry has this NPI's TX license:
  // R4821, ending 2026-12-31, so it also shows in the expiring list around then).
  licenses.setNpi(admin, lee->id, "1245319599");
  licenses.add(admin, lee->id, license("IL", "MD", "036.118842", "2015-08-01", "2029-07-31"));
  licenses.add(admin, lee->id, license("TX", "MD", "R4821", "2018-01-15", "2026-12-31"));
  // Nurse Kim: a multistate license from Wisconsin (an NLC home state: it covers IN too, not
  // IL), and a New York RN license the stand-in's registry knows as suspended.
  licenses.setNpi(admin, kim->id, "1306849450");
  licenses.add(admin, kim->id, license("WI", "NLC", "RN-227710", "2016-05-01", "2028-02-29"));
  licenses.add(admin, kim->id,
               license("NY", "RN", "298761", "2012-03-01", "2027-03-31", "suspended"));
  log::info("demo.licenses_seeded", {{"providers", 2}});
}

}  // namespace vigil::demo
