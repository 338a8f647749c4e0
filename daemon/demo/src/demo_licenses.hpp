#pragma once
// The demo clinic's provider NPIs and state licenses (demo_licenses.cpp, issue 22).

#include "vigil/demo/demo_clinic.hpp"
#include "vigil/security/access.hpp"

namespace vigil::demo {

/// Gives the demo clinicians their NPIs and licenses in two states each, unless they have an
/// NPI already: Dr. Lee (MD) in IL and TX, Nurse Kim an NLC multistate license from WI and an
/// RN license in NY (suspended). So the demo's patients (IL, WI, IN) are each covered by one
/// clinician and not by the other (IL: Dr. Lee only; IN: Nurse Kim only, through the compact;
/// WI: both). The NPIs are the cloud stand-in's, so Verify shows the registry's answers
/// (TX and NY verified, IL and WI not found). Audited as the admin's license.manage.
void ensureDemoLicenses(const DemoServices& services, const security::Actor& admin);

}  // namespace vigil::demo
