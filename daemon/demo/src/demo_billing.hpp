#pragma once
// The demo clinic's month of RPM billing (demo_billing.cpp).

#include <string>

#include "vigil/demo/demo_clinic.hpp"

namespace vigil::demo {

/// Three patients whose first 30-day period ends on last month's last day, with readings and
/// ledger minutes for the month-end review (99454 + 99457 + 99458, 99445 + 99470, and one
/// without insurance). Once (setting demo.billing); needs the consent documents and the
/// providers' NPIs (ensureDemoConsents, ensureDemoLicenses) first.
void ensureDemoBilling(const DemoServices& services, const std::string& providerEmail,
                       const std::string& nurseEmail);

}  // namespace vigil::demo
