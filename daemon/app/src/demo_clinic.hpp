#pragma once
// `vigild demo seed`: the demo clinic README command (1) starts with — an admin, a provider, a
// nurse, six patients with home devices (certificates issued by the box's device CA, bundles
// written for the simulator), care teams, a patient login, two weeks of readings per patient
// (demo_history.hpp), and a signed audit checkpoint after it all. Idempotent: a second run adds
// nothing (a clinic seeded before the history existed gets it then) and prints the logins it
// created the first time. Demo passwords are random per installation and kept in
// <data.dir>/demo-logins.txt (0600); the demo is for evaluation, never for real patients.

#include <filesystem>
#include <iosfwd>

#include "vigil/app/config.hpp"

namespace vigil::app {

class StoreSubsystem;
class SecuritySubsystem;

/// Creates the demo clinic (once) and prints the logins. Returns an exit code.
int seedDemoClinic(const Config& config, StoreSubsystem& store, SecuritySubsystem& security,
                   const std::filesystem::path& bundlesDir, std::ostream& out);

}  // namespace vigil::app
