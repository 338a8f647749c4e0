#pragma once
// The demo clinic's RPM consents and enrolments (demo_rpm.cpp).

#include <string>
#include <vector>

#include "vigil/demo/demo_clinic.hpp"

namespace vigil::demo {

/// The portal logins of the demo patients enrolled in RPM (Rosa Alvarez first); the clinic
/// creates them with the patients.
const std::vector<std::string>& demoRpmPatientEmails();

/// Has each RPM demo patient sign the current RPM consent (as themself) unless active, and
/// enrols them (as the provider with `providerEmail`) for their persona's condition with their
/// assigned devices unless already enrolled for it. Idempotent; audited like the portal's
/// actions. Needs the consent documents published (ensureDemoConsents) first.
void ensureDemoEnrolments(const DemoServices& services, const std::string& providerEmail);

}  // namespace vigil::demo
