#pragma once
// The demo clinic's scheduling set-up (issue 22; demo_schedule.cpp, built with video).

#include "vigil/demo/demo_clinic.hpp"
#include "vigil/security/access.hpp"

namespace vigil::demo {

/// Appointment types (video follow-up 30 min, video new patient 60 min, clinic visit 30 min,
/// quick check 15 min) unless the clinic has some, and for the demo provider and nurse a
/// schedule in America/New_York (5-minute buffer; Monday to Friday 09:00-12:00 and
/// 13:00-17:00) unless they have one: the weeks ahead have bookable slots. Idempotent.
void ensureDemoSchedule(const DemoServices& services, const security::Actor& admin);

}  // namespace vigil::demo
