#pragma once
// `vigild setup` (docs/operations.md, "First boot"): turns an installed package into a running
// box. From an answer file (`--answers FILE`) or, on a terminal, by asking: the data and key
// directories, the box CA with the broker's and the portal's certificates for the clinic's host
// names, the broker configuration, the clinic's settings in vigild.conf, the database with the
// master key beside (not in) the data directory, the first admin with a one-time password
// (printed once; the first sign-in replaces it and enrols TOTP), the cloud link's enrolment when
// a code is given, the firewall's clinic network, then the services. Every answer is checked
// before anything is written; each step is idempotent, so a run that stopped (the cloud was
// unreachable) is finished by running setup again. The last step writes <data.dir>/.setup-done;
// setup refuses to run on a box that has it.

#include <Poco/Util/Application.h>

#include <map>
#include <string>
#include <vector>

#include "vigil/app/config.hpp"

namespace vigil::app {

/// What the installer answers (the answer file's keys in brackets; docs/operations.md).
struct SetupAnswers {
  std::vector<std::string> hostNames;      // host_names: DNS names of the box (required)
  std::vector<std::string> hostAddresses;  // host_addresses: its IP addresses on the network
  std::string adminEmail;                  // admin_email (required)
  std::string adminName;                   // admin_name (required)
  std::string clinicName = "the clinic";   // clinic_name
  std::string timeZone = "UTC";            // time_zone: the clinic's IANA zone
  std::string portalBind = "0.0.0.0";      // portal_bind
  int portalPort = 8443;                   // portal_port
  std::string mqttBind = "0.0.0.0";        // mqtt_bind
  int mqttPort = 8883;                     // mqtt_port (device certificates)
  int mqttPasswordPort = 8884;             // mqtt_password_port (device passwords)
  int videoPortMin = 40000;                // video_ports = MIN-MAX
  int videoPortMax = 40999;
  std::string clinicNetwork;          // clinic_network: IPv4 CIDRs allowed SSH
  bool firewall = false;              // firewall = on|off: enable vigil-firewall
  std::string dataVolume;             // data_volume: a block device for LUKS2 (vigil-volume)
  std::string volumeUnlock = "tpm2";  // volume_unlock: tpm2 | keyfile:PATH | passphrase[:PATH]
  std::string cloudUrl;               // cloud_url (sync.url)
  std::string cloudCaFile;            // cloud_ca_file (sync.ca_file)
  std::string enrolmentCode;          // enrolment_code: the licensing portal's code
  std::string boxName;                // box_name: how the cloud names this box
  bool start = true;                  // start = yes|no: enable and start the services
};

/// Parses and checks an answer file's key/value pairs. Throws vigil::ValidationError naming
/// the key (an unknown key too: a typo must not pass silently).
SetupAnswers parseSetupAnswers(const std::map<std::string, std::string>& values);

/// Reads an answer file (`key = value` lines, `#` comments). Throws FileMissing, ValidationError.
std::map<std::string, std::string> readAnswerFile(const std::string& path);

/// Sets `key = value` for each pair in a vigild.conf-style file, in place (comments and the
/// other lines kept; a key not present is appended), atomically, keeping the file's mode.
void setConfigValues(const std::string& path, const std::map<std::string, std::string>& values);

struct SetupOptions {
  std::string configFile;             // --config: the file setup completes
  std::string answersFile;            // --answers: non-interactive
  bool noStart = false;               // --no-start
  std::string serviceUser = "vigil";  // --service-user: who the files are for (run as root)
};

/// `vigild setup`; returns the exit code.
int runSetup(Poco::Util::Application& app, const SetupOptions& options);

}  // namespace vigil::app
