#include "update_command.hpp"

#include <filesystem>
#include <iostream>

#include "vigil/app/vigild.hpp"
#include "vigil/core/files.hpp"
#include "vigil/update/bundle.hpp"
#include "vigil/update/firmware.hpp"

namespace fs = std::filesystem;

namespace vigil::app {
namespace {

int exitCodeOf(update::Refusal r) {
  switch (r) {
    case update::Refusal::untrustedKey:
      return kExitUpdateUntrustedKey;
    case update::Refusal::badSignature:
      return kExitUpdateBadSignature;
    case update::Refusal::wrongPurpose:
      return kExitUpdateWrongPurpose;
    case update::Refusal::digestMismatch:
      return kExitUpdateDigestMismatch;
    case update::Refusal::malformedSignature:
      return kExitUpdateNoSignature;
    case update::Refusal::notVigilPackage:
      return kExitUpdateNotVigil;
    case update::Refusal::downgrade:
      return kExitUpdateDowngrade;
  }
  return kExitDataErr;
}

/// The signature file's text; a missing one is a malformed (absent) signature.
std::string readSignature(const std::string& file) {
  try {
    return files::readFile(file);
  } catch (const vigil::Error&) {
    throw update::UpdateRefused(update::Refusal::malformedSignature,
                                file +
                                    ": no signature file (sign the file with "
                                    "`vigil-devtool sign`)");
  }
}

}  // namespace

std::string firmwareDirOf(const Config& config) {
  const auto& dir = config.string("update.firmware_dir");
  return dir.empty() ? (fs::path(config.string("data.dir")) / "firmware").string() : dir;
}

int runUpdate(const Config& config, const std::string& deb, const UpdateCommandOptions& o,
              const UpdateAudit& audit) {
  const auto name = fs::path(deb).filename().string();
  if (!fs::is_regular_file(deb)) {
    std::cerr << "vigild: update: " << deb << ": no such file\n";
    return kExitNoInput;
  }
  const auto sigFile = o.signatureFile.empty() ? deb + ".sig" : o.signatureFile;
  // The private copy goes beside the data (a box's own disk), or to the temporary directory on a
  // box not set up yet (a data directory made here by root would belong to root).
  const auto dataDir = fs::path(config.string("data.dir"));
  const auto workDir =
      fs::is_directory(dataDir) ? dataDir / "update" : fs::temp_directory_path() / "vigil-update";
  fs::path staged;
  auto cleanup = [&] {
    std::error_code ec;
    if (!staged.empty()) fs::remove_all(staged.parent_path(), ec);
    fs::remove(workDir, ec);  // only when empty
  };
  update::CheckedBundle checked;
  try {
    auto signature = readSignature(sigFile);
    // The copy is what is checked and installed: the path given could change in between.
    staged = update::stageBundle(deb, workDir);
    auto trusted = update::loadTrustedKeys(config.string("update.trusted_keys_dir"));
    update::BundleCheckOptions bo;
    // What dpkg says is installed (a box's package); a build run from a clone: its own version.
    bo.installedVersion = update::installedPackageVersion("vigil").value_or(VIGIL_VERSION);
    bo.allowDowngrade = o.allowDowngrade;
    checked = update::checkBundle(staged, signature, trusted, bo);
  } catch (const update::UpdateRefused& e) {
    cleanup();
    std::cerr << "vigild: update refused (" << update::toString(e.reason) << "): " << e.what()
              << "\nnothing was installed\n";
    audit("box.update", "release_bundle", name, false, std::string(update::toString(e.reason)));
    return exitCodeOf(e.reason);
  } catch (const vigil::Error& e) {
    cleanup();
    std::cerr << "vigild: update failed: " << e.what() << "\nnothing was installed\n";
    return kExitIoErr;
  }
  std::cout << "update: " << name << " is vigil " << checked.version << ", signed by release key "
            << checked.keyId << "; installing\n"
            << std::flush;
  // On record before the install: the package's scripts restart vigild, whose newer schema this
  // process may then no longer open.
  audit("box.update", "release_bundle", name, true, "verified " + checked.version);
  int rc = update::runInstallCommand(config.string("update.install_command"), staged);
  cleanup();
  if (rc != 0) {
    std::cerr << "vigild: update: the install command failed (exit " << rc << ")\n";
    return kExitUpdateInstallFailed;
  }
  std::cout << "update: vigil " << checked.version << " installed\n";
  return kExitOk;
}

int runFirmwareCommand(const Config& config, const std::vector<std::string>& args,
                       const std::string& signatureFile, const UpdateAudit& audit) {
  update::FirmwareCatalog catalog(firmwareDirOf(config), config.string("update.firmware_keys_dir"));
  if (args[1] == "list") {
    for (const auto& image : catalog.list())
      std::cout << image.model << " " << image.version << " " << image.size << " bytes sha256 "
                << image.sha256 << " key " << image.keyId << "\n";
    return kExitOk;
  }
  const auto& model = args[2];
  const auto& version = args[3];
  const auto& file = args[4];
  const auto name = model + " " + version;
  try {
    auto image = catalog.add(
        file, readSignature(signatureFile.empty() ? file + ".sig" : signatureFile), model, version);
    audit("firmware.add", "firmware_image", name, true, "key " + image.keyId);
    std::cout << "firmware " << model << " " << version << " registered (" << image.size
              << " bytes, sha256 " << image.sha256 << ", key " << image.keyId
              << "); offered to the model's devices by the running box\n";
    return kExitOk;
  } catch (const update::UpdateRefused& e) {
    std::cerr << "vigild: firmware refused (" << update::toString(e.reason) << "): " << e.what()
              << "\n";
    audit("firmware.add", "firmware_image", name, false, std::string(update::toString(e.reason)));
    return exitCodeOf(e.reason);
  } catch (const FileMissing& e) {
    std::cerr << "vigild: firmware add: " << e.what() << "\n";
    return kExitNoInput;
  } catch (const ValidationError& e) {
    std::cerr << "vigild: firmware add: " << e.what() << "\n";
    return kExitDataErr;
  }
}

}  // namespace vigil::app
