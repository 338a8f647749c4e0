#pragma once
// The demo's async-care case (issue 23; demo_cases.cpp).

#include "vigil/demo/demo_clinic.hpp"

namespace vigil::demo {

/// For the first demo patient (Rosa Alvarez), when she has no case yet: an open question about
/// a rash, with no answer yet (so it shows in Dr. Lee's and the nurse's Async cases with its due
/// time). Idempotent; written through cases::CaseService, so audited like the portal's actions.
void ensureDemoCase(const DemoServices& services, const char* patientEmail);

}  // namespace vigil::demo
