#pragma once
// The demo's prescription (issue 25; demo_rx.cpp): routed through the cloud link to the
// stand-in's pharmacy, which fills it.

#include "vigil/demo/demo_clinic.hpp"

namespace vigil::sync {
class Link;
}

namespace vigil::demo {

/// When the box is enrolled with the cloud (its stand-in in the demo) and the first demo patient
/// (Rosa Alvarez) has no prescription yet: Dr. Lee renews her lisinopril 20 mg (90 days, the
/// plan of her last visit's note), signs it, and the NCPDP NewRx waits in the outbox for vigild,
/// whose link delivers it; the stand-in's pharmacy answers received, then filled. Returns false
/// (and does nothing) when the link is not enrolled. Idempotent.
bool ensureDemoPrescription(const DemoServices& services, sync::Link& link);

}  // namespace vigil::demo
