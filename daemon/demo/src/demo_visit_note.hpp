#pragma once
// The demo's past video visit and its signed note (issue 23; demo_visit_note.cpp).

#include "vigil/demo/demo_clinic.hpp"

namespace vigil::demo {

/// For the first demo patient (Rosa Alvarez), when she has no video-visit note yet: a 20-minute
/// video visit with Dr. Lee a week ago (scheduled, joined and ended through video::VisitService
/// on a clock set to that time, so its audit entries and times read as they happened) and
/// Dr. Lee's signed note on it, whose assessment and plan Rosa reads as the visit's summary.
/// Idempotent.
void ensureDemoVisitNote(const DemoServices& services, const char* providerEmail,
                         const char* patientEmail);

}  // namespace vigil::demo
