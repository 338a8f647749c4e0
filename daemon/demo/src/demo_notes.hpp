#pragma once
// The demo's clinical notes (issue 23; demo_notes.cpp).

#include "vigil/demo/demo_clinic.hpp"

namespace vigil::demo {

/// For the first demo patient (Rosa Alvarez), when she has no note yet: Dr. Lee's signed RPM
/// monthly review of last month with an addendum, and a draft follow-up note. Idempotent;
/// written through notes::NoteService, so audited like the portal's actions.
void ensureDemoNotes(const DemoServices& services, const char* providerEmail);

}  // namespace vigil::demo
