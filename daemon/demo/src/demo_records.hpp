#pragma once
// The demo patients' intake: contact, insurance, pharmacy and history (demo_records.cpp).

#include "vigil/demo/demo_clinic.hpp"
#include "vigil/security/access.hpp"

namespace vigil::demo {

/// Fills in the record of each demo patient whose record is still empty (version 0): the admin
/// enters the administrative sections, Dr. Lee the problems, medications and allergies; Rosa
/// Alvarez adds a patient-reported allergy. Idempotent; audited like the portal's actions.
void ensureDemoRecords(const DemoServices& services, const security::Actor& admin);

}  // namespace vigil::demo
