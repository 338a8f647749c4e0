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

namespace vigil::store {
class Database;
}
namespace vigil::security {
class Keys;
class AuditLog;
class AccountService;
}  // namespace vigil::security

namespace vigil::demo {

/// Where the box keeps its state and how devices reach it (from vigild's configuration).
struct DemoSettings {
  std::filesystem::path dataDir;  // data.dir: the broker's layout, demo-logins.txt
  int mqttPort = 8883;            // mqtt.port: written into the device bundles
  bool video = false;             // video.enabled (and built with video): keep a visit open
  /// 90 days of practice history for the reports (practice_history.hpp); off: the clinic only
  /// (`vigild demo seed --clinic-only`); a later seed without it adds the history.
  bool practiceHistory = true;
};

/// The services the seed writes through (vigild's, opened on the box's store and keys).
struct DemoServices {
  store::Database& db;
  security::Keys& keys;
  security::AuditLog& audit;
  security::AccountService& accounts;
};

/// Creates the demo clinic (once) and prints the logins. Returns an exit code.
int seedDemoClinic(const DemoSettings& settings, const DemoServices& services,
                   const std::filesystem::path& bundlesDir, std::ostream& out);

}  // namespace vigil::demo
