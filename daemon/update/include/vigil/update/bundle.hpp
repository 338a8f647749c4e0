#pragma once
// Release bundles (issue 27; docs/operations.md, "Updates"): `vigild update FILE.deb` installs a
// Debian package only when a trusted release key signed exactly these bytes for the purpose
// `release` (vigil/crypto/signed_artefact.hpp) and the package's own control data names
// Package: vigil with a version newer than the installed one.
//
// The order matters: the signature is checked over the bytes before anything parses them (dpkg-deb
// reads only a signed file), and the caller installs the private copy it checked, never the
// path a user could swap in the meantime (stageBundle).

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/core/error.hpp"
#include "vigil/crypto/signed_artefact.hpp"

namespace vigil::update {

/// Why a bundle (or a firmware image) was refused. Each has its own exit code in vigild.
enum class Refusal {
  untrustedKey,        // the signature's key id is not among the trusted keys
  badSignature,        // the signature does not verify (flipped byte in it, or a key id
                       // that names another trusted key)
  wrongPurpose,        // signed, but for another purpose (firmware vs release)
  digestMismatch,      // the file is not the one signed (a flipped byte, cut or grown)
  malformedSignature,  // no signature file, or not a signature file
  notVigilPackage,     // not a Debian package, or its Package: is not vigil
  downgrade,           // its version is not newer than the installed one
};
std::string_view toString(Refusal r);

/// A refused bundle or image: the reason and a message naming fields, never key material.
class UpdateRefused : public Error {
 public:
  UpdateRefused(Refusal r, const std::string& message) : Error(message), reason(r) {}
  Refusal reason;
};

/// The public keys (*.pub, "vigil-signing-pub v1") in `dir`; none when it does not exist. A file
/// that is not a key file is skipped with a warning in the log (the box keeps working).
std::vector<crypto::TrustedKey> loadTrustedKeys(const std::filesystem::path& dir);

/// SHA-256 and size of a file. Throws FileMissing / Error.
std::pair<crypto::Digest256, std::uint64_t> digestFile(const std::filesystem::path& path);

/// Checks `file` against its detached signature text for `purpose`; returns the key id that
/// signed. Throws UpdateRefused (untrustedKey, badSignature, wrongPurpose, digestMismatch,
/// malformedSignature).
std::string verifySigned(const std::filesystem::path& file, std::string_view signatureText,
                         std::string_view purpose, std::span<const crypto::TrustedKey> trusted);

/// Debian version order (dpkg's algorithm: epoch, upstream version, revision; `~` sorts before
/// everything, letters before other characters). Negative, zero or positive.
int compareDebianVersions(std::string_view a, std::string_view b);

/// Package: and Version: of a .deb, read with `dpkg-deb --field`. Throws
/// UpdateRefused(notVigilPackage) when dpkg-deb cannot read it.
struct DebControl {
  std::string package;
  std::string version;
};
DebControl readDebControl(const std::filesystem::path& deb);

/// The version of `package` dpkg has installed ("install ok installed"), if any.
std::optional<std::string> installedPackageVersion(const std::string& package);

/// What a checked bundle is.
struct CheckedBundle {
  std::string keyId;
  std::string version;
};

struct BundleCheckOptions {
  std::string installedVersion;  // the running vigild's version
  bool allowDowngrade = false;   // --allow-downgrade: an older (or the same) version too
  std::string packageName = "vigil";
};

/// The whole check of a bundle: signature (purpose release), then Package: and Version:.
/// Throws UpdateRefused.
CheckedBundle checkBundle(const std::filesystem::path& deb, std::string_view signatureText,
                          std::span<const crypto::TrustedKey> trusted,
                          const BundleCheckOptions& options);

/// Copies `deb` into a new private directory (0700) under `workDir`, as `vigil-update.deb`;
/// returns the copy's path. The caller checks and installs the copy and removes the directory.
std::filesystem::path stageBundle(const std::filesystem::path& deb,
                                  const std::filesystem::path& workDir);

/// Runs an install command: `command` split at spaces, `{deb}` replaced by the bundle's path (no
/// shell). Returns the command's exit status (127 when it cannot be started).
int runInstallCommand(const std::string& command, const std::filesystem::path& deb);

}  // namespace vigil::update
