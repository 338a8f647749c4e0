#pragma once
// vigild, the appliance process: a Poco ServerApplication. Without a command it runs the service:
// each long-lived part (store, web, and later ingest, video, sync) is a Poco Subsystem started in
// order and stopped in reverse on SIGTERM. With a command (`store check`, `store backup FILE`,
// `audit verify` …) it does that one job against the configured store and exits.

#include <Poco/Util/ServerApplication.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vigil/app/config.hpp"

namespace vigil::app {

/// The vigild application object.
class Vigild final : public Poco::Util::ServerApplication {
 public:
  Vigild();
  ~Vigild() override;

  /// Exit code to use when option processing already decided (help, version, bad option).
  std::optional<int> earlyExit() const { return earlyExit_; }

 protected:
  void defineOptions(Poco::Util::OptionSet& options) override;
  void handleOption(const std::string& name, const std::string& value) override;
  void initialize(Poco::Util::Application& self) override;
  void uninitialize() override;
  int main(const std::vector<std::string>& args) override;

 private:
  int runService();
  int runCommand(const std::vector<std::string>& args);
  int storeCheck();
  int securityCommand(const std::vector<std::string>& args);
  int storeBackup(const std::string& target);
  int syncStatus();
  int backupCommand(const std::string& archive);
  int restoreCommand(const std::string& archive);
  /// An audit entry of the console for `vigild backup` / `restore` (box_archive, FILE's name).
  void recordBoxEvent(const std::string& action, const std::string& archive,
                      const std::string& reason);
  /// vigild update / firmware: an audit entry of the console when the box has a database.
  void recordConsoleEvent(const std::string& action, const std::string& objectType,
                          const std::string& name, bool success, const std::string& reason);
  int updateCommand(const std::vector<std::string>& args);
  void printHelp();

  std::string configFile_;

  std::string anchorFile_;             // --anchor FILE of `audit verify`
  bool json_ = false;                  // --json of `sync status`
  std::string answersFile_;            // --answers FILE of `setup`
  bool noStart_ = false;               // --no-start of `setup`
  bool clinicOnly_ = false;            // --clinic-only of `demo seed`
  std::string serviceUser_ = "vigil";  // --service-user of `setup`
  // backup / restore: --passphrase-file, --recipient, --identity, --data-dir
  std::string passphraseFile_;
  std::string recipientFile_;
  std::string identityFile_;
  std::string dataDir_;
  // update / firmware add: --signature, --allow-downgrade
  std::string signatureFile_;
  bool allowDowngrade_ = false;
  std::vector<std::pair<std::string, std::string>> overrides_;
  std::optional<int> earlyExit_;
  std::unique_ptr<Config> config_;
};

/// Exit codes (sysexits.h values, as Poco names them).
enum ExitCode : int {
  kExitOk = 0,
  kExitUsage = 64,
  kExitDataErr = 65,
  kExitNoInput = 66,
  kExitUnavailable = 69,
  kExitSoftware = 70,
  kExitCantCreate = 73,
  kExitIoErr = 74,
  kExitProtocol = 76,  // restore: the archive is damaged or was tampered with
  kExitNoPerm = 77,    // restore: wrong passphrase or identity key
  kExitConfig = 78,
  // vigild update / firmware add (docs/operations.md, "Updates"): each refusal its own code.
  kExitUpdateUntrustedKey = 80,  // the signature's key is not trusted
  kExitUpdateBadSignature = 81,  // the signature does not verify (or its key id names another key)
  kExitUpdateWrongPurpose = 82,  // signed for another purpose (firmware vs release)
  kExitUpdateDigestMismatch = 83,  // the file is not the one signed (a flipped byte)
  kExitUpdateNoSignature = 84,     // no signature file, or not a signature file
  kExitUpdateNotVigil = 85,        // not a Debian package named vigil
  kExitUpdateDowngrade = 86,       // not newer than the installed version
  kExitUpdateInstallFailed = 87,   // the checks passed; the install command failed
};

}  // namespace vigil::app
