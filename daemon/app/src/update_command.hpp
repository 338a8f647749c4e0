#pragma once
// `vigild update FILE.deb` and `vigild firmware add|list` (issue 27; docs/operations.md,
// "Updates", and docs/device-protocol.md, "Firmware"): the checks are vigil::update's, the
// configuration, exit codes and the install command are here.

#include <functional>
#include <string>
#include <vector>

#include "vigil/app/config.hpp"

namespace vigil::app {

struct UpdateCommandOptions {
  std::string signatureFile;  // --signature (default FILE.sig)
  bool allowDowngrade = false;
};

/// What the commands put on record (the caller writes the audit entry): action, object type and
/// name, outcome (true: success) and reason.
using UpdateAudit =
    std::function<void(const std::string& action, const std::string& objectType,
                       const std::string& name, bool success, const std::string& reason)>;

/// `vigild update FILE.deb`: stage a private copy, check it, install it. Returns the exit code
/// (kExitUpdate* for each refusal, nothing installed then).
int runUpdate(const Config& config, const std::string& deb, const UpdateCommandOptions& o,
              const UpdateAudit& audit);

/// `vigild firmware add MODEL VERSION FILE [--signature SIG]` and `vigild firmware list`.
int runFirmwareCommand(const Config& config, const std::vector<std::string>& args,
                       const std::string& signatureFile, const UpdateAudit& audit);

/// The firmware catalog's directory (update.firmware_dir, or <data.dir>/firmware).
std::string firmwareDirOf(const Config& config);

}  // namespace vigil::app
