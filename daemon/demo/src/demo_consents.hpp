#pragma once
// The demo clinic's consent documents and the demo patient's signatures (demo_consents.cpp).

#include <string>

#include "vigil/demo/demo_clinic.hpp"
#include "vigil/security/access.hpp"

namespace vigil::demo {

/// Publishes the four consent documents (telehealth, RPM, privacy notice, recording policy)
/// unless the kind has one, and has the patient with `patientEmail` sign the current telehealth
/// and RPM consents unless they are active. Idempotent; audited like the portal's actions.
void ensureDemoConsents(const DemoServices& services, const security::Actor& admin,
                        const std::string& patientEmail);

}  // namespace vigil::demo
