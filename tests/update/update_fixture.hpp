#pragma once
// Fixtures of the update tests: a temporary directory, Debian packages built with dpkg-deb,
// release and firmware keys, and detached signatures written as `vigil-devtool sign` writes them
// (the signing side is crypto's, tested in unit-crypto).

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "vigil/crypto/ed25519.hpp"
#include "vigil/crypto/random.hpp"
#include "vigil/crypto/signed_artefact.hpp"
#include "vigil/update/bundle.hpp"

namespace vigil::testing {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "vigil-update-test-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

inline void writeText(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

inline std::string readText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// A signing key and its public key file.
struct SigningKey {
  crypto::Key256 seed = crypto::randomKey();
  crypto::Ed25519Signer signer{seed};
  std::string id() const { return crypto::keyIdOf(signer.publicKey()); }
  /// Writes <dir>/<name>.pub.
  void trustIn(const fs::path& dir, const std::string& name) const {
    fs::create_directories(dir);
    writeText(dir / (name + ".pub"), crypto::formatPublicKey(signer.publicKey()));
  }
  /// The detached signature of `file` for `purpose`.
  std::string sign(const fs::path& file, const std::string& purpose) const {
    auto [sha, size] = update::digestFile(file);
    return crypto::formatSignature(
        crypto::signArtefact(signer, purpose, file.filename().string(), size, sha));
  }
};

/// A .deb with this Package: and Version: (dpkg-deb --build), returned path in `dir`.
inline fs::path buildDeb(const fs::path& dir, const std::string& package,
                         const std::string& version) {
  auto root = dir / ("pkg-" + package + "-" + version);
  fs::create_directories(root / "DEBIAN");
  fs::create_directories(root / "usr/share/doc" / package);
  writeText(root / "DEBIAN/control", "Package: " + package + "\nVersion: " + version +
                                         "\nArchitecture: all\nMaintainer: Vigil tests "
                                         "<tests@vigil.invalid>\nDescription: a test package\n");
  writeText(root / "usr/share/doc" / package / "README", "test\n");
  auto deb = dir / (package + "_" + version + "_all.deb");
  // dpkg-deb wants the control directory 0755 whatever the umask the test runs under.
  auto cmd = "chmod -R u=rwX,go=rX '" + root.string() +
             "' && dpkg-deb --root-owner-group -Zgzip --build '" + root.string() + "' '" +
             deb.string() + "' >/dev/null";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("dpkg-deb --build failed");
  return deb;
}

/// Flips one bit of the byte at `offset` (from the end when negative).
inline void flipByte(const fs::path& file, long offset) {
  auto text = readText(file);
  auto at = offset < 0 ? text.size() - static_cast<std::size_t>(-offset)
                       : static_cast<std::size_t>(offset);
  text[at] = static_cast<char>(text[at] ^ 0x01);
  writeText(file, text);
}

}  // namespace vigil::testing
