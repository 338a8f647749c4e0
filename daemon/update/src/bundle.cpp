#include "vigil/update/bundle.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "vigil/core/error.hpp"
#include "vigil/core/files.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/process.hpp"
#include "vigil/crypto/random.hpp"

namespace fs = std::filesystem;

namespace vigil::update {

std::string_view toString(Refusal r) {
  switch (r) {
    case Refusal::untrustedKey:
      return "untrusted_key";
    case Refusal::badSignature:
      return "bad_signature";
    case Refusal::wrongPurpose:
      return "wrong_purpose";
    case Refusal::digestMismatch:
      return "digest_mismatch";
    case Refusal::malformedSignature:
      return "malformed_signature";
    case Refusal::notVigilPackage:
      return "not_vigil_package";
    case Refusal::downgrade:
      return "downgrade";
  }
  return "unknown";
}

std::vector<crypto::TrustedKey> loadTrustedKeys(const fs::path& dir) {
  std::vector<crypto::TrustedKey> keys;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return keys;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".pub") continue;
    try {
      keys.push_back(crypto::parsePublicKey(files::readFile(entry.path())));
    } catch (const vigil::Error& e) {
      log::warn("update.trusted_key_skipped",
                {{"file", entry.path().filename().string()}, {"error", e.what()}});
    }
  }
  return keys;
}

std::pair<crypto::Digest256, std::uint64_t> digestFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileMissing(path.string() + ": cannot be read");
  crypto::Sha256Stream sha;
  std::vector<char> buf(1 << 20);
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0)
    sha.update(crypto::ByteView(reinterpret_cast<const std::uint8_t*>(buf.data()),
                                static_cast<std::size_t>(in.gcount())));
  auto size = sha.size();
  return {sha.finish(), size};
}

std::string verifySigned(const fs::path& file, std::string_view signatureText,
                         std::string_view purpose, std::span<const crypto::TrustedKey> trusted) {
  try {
    auto signature = crypto::parseSignature(signatureText);
    auto [sha, size] = digestFile(file);
    return crypto::verifyArtefact(signature, purpose, size, sha, trusted).id;
  } catch (const crypto::SignatureError& e) {
    switch (e.reason) {
      case crypto::SignatureRefusal::untrustedKey:
        throw UpdateRefused(Refusal::untrustedKey, e.what());
      case crypto::SignatureRefusal::badSignature:
        throw UpdateRefused(Refusal::badSignature, e.what());
      case crypto::SignatureRefusal::wrongPurpose:
        throw UpdateRefused(Refusal::wrongPurpose, e.what());
      case crypto::SignatureRefusal::digestMismatch:
        throw UpdateRefused(Refusal::digestMismatch, e.what());
      case crypto::SignatureRefusal::malformed:
        break;
    }
    throw UpdateRefused(Refusal::malformedSignature, e.what());
  }
}

namespace {

char at(std::string_view s, std::size_t i) {
  return i < s.size() ? s[i] : '\0';
}

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

int order(char c) {
  if (isDigit(c)) return 0;
  if (std::isalpha(static_cast<unsigned char>(c))) return c;
  if (c == '~') return -1;
  if (c) return static_cast<unsigned char>(c) + 256;
  return 0;
}

/// dpkg's verrevcmp over one part (upstream version or revision).
int comparePart(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    int firstDiff = 0;
    while ((at(a, i) && !isDigit(at(a, i))) || (at(b, j) && !isDigit(at(b, j)))) {
      int ac = order(at(a, i));
      int bc = order(at(b, j));
      if (ac != bc) return ac - bc;
      ++i;
      ++j;
    }
    while (at(a, i) == '0') ++i;
    while (at(b, j) == '0') ++j;
    while (isDigit(at(a, i)) && isDigit(at(b, j))) {
      if (!firstDiff) firstDiff = at(a, i) - at(b, j);
      ++i;
      ++j;
    }
    if (isDigit(at(a, i))) return 1;
    if (isDigit(at(b, j))) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}

struct Version {
  long epoch = 0;
  std::string_view upstream, revision;
};

Version splitVersion(std::string_view v) {
  Version r;
  auto colon = v.find(':');
  if (colon != std::string_view::npos) {
    r.epoch = std::strtol(std::string(v.substr(0, colon)).c_str(), nullptr, 10);
    v.remove_prefix(colon + 1);
  }
  auto dash = v.rfind('-');
  r.upstream = dash == std::string_view::npos ? v : v.substr(0, dash);
  r.revision = dash == std::string_view::npos ? std::string_view{} : v.substr(dash + 1);
  return r;
}

/// Runs argv (no shell) with stdout captured; stderr goes to /dev/null. Returns the exit status.
int runCapture(const std::vector<std::string>& argv, std::string& out, bool quiet) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return 127;
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    return 127;
  }
  if (pid == 0) {
    ::dup2(pipefd[1], STDOUT_FILENO);
    if (quiet) {
      int devnull = ::open("/dev/null", O_WRONLY);
      if (devnull >= 0) ::dup2(devnull, STDERR_FILENO);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(pipefd[1]);
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) out.append(buf, static_cast<std::size_t>(n));
  ::close(pipefd[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

int compareDebianVersions(std::string_view a, std::string_view b) {
  auto va = splitVersion(a);
  auto vb = splitVersion(b);
  if (va.epoch != vb.epoch) return va.epoch < vb.epoch ? -1 : 1;
  if (int c = comparePart(va.upstream, vb.upstream)) return c;
  return comparePart(va.revision, vb.revision);
}

DebControl readDebControl(const fs::path& deb) {
  std::string out;
  int rc = runCapture({"dpkg-deb", "--field", deb.string(), "Package", "Version"}, out, true);
  if (rc != 0)
    throw UpdateRefused(Refusal::notVigilPackage, deb.filename().string() +
                                                      ": not a Debian package (dpkg-deb exit " +
                                                      std::to_string(rc) + ")");
  DebControl control;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto value = line.substr(colon + 1);
    auto first = value.find_first_not_of(" \t");
    value = first == std::string::npos ? std::string{} : value.substr(first);
    while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
    if (line.compare(0, colon, "Package") == 0) control.package = value;
    if (line.compare(0, colon, "Version") == 0) control.version = value;
  }
  return control;
}

std::optional<std::string> installedPackageVersion(const std::string& package) {
  std::string out;
  if (runCapture({"dpkg-query", "-W", "-f=${Status}\n${Version}\n", package}, out, true) != 0)
    return std::nullopt;
  std::istringstream lines(out);
  std::string status, version;
  std::getline(lines, status);
  std::getline(lines, version);
  if (status != "install ok installed" || version.empty()) return std::nullopt;
  return version;
}

CheckedBundle checkBundle(const fs::path& deb, std::string_view signatureText,
                          std::span<const crypto::TrustedKey> trusted,
                          const BundleCheckOptions& options) {
  CheckedBundle checked;
  checked.keyId = verifySigned(deb, signatureText, "release", trusted);
  auto control = readDebControl(deb);
  if (control.package != options.packageName)
    throw UpdateRefused(Refusal::notVigilPackage, "the package is '" + control.package +
                                                      "', not '" + options.packageName + "'");
  if (control.version.empty())
    throw UpdateRefused(Refusal::notVigilPackage, "the package has no Version:");
  checked.version = control.version;
  if (!options.allowDowngrade &&
      compareDebianVersions(control.version, options.installedVersion) <= 0)
    throw UpdateRefused(Refusal::downgrade,
                        "version " + control.version + " is not newer than the installed " +
                            options.installedVersion + " (--allow-downgrade to install it)");
  return checked;
}

fs::path stageBundle(const fs::path& deb, const fs::path& workDir) {
  if (!fs::is_regular_file(deb)) throw FileMissing(deb.string() + ": no such file");
  fs::create_directories(workDir);
  auto dir = workDir / ("vigil-update-" + crypto::toHex(crypto::randomBytes(8)));
  if (::mkdir(dir.c_str(), 0700) != 0)
    throw Error(dir.string() + ": cannot be created: " + std::strerror(errno));
  auto copy = dir / "vigil-update.deb";
  fs::copy_file(deb, copy);
  ::chmod(copy.c_str(), 0600);
  return copy;
}

int runInstallCommand(const std::string& command, const fs::path& deb) {
  std::vector<std::string> argv;
  std::istringstream words(command);
  std::string word;
  while (words >> word) {
    auto pos = word.find("{deb}");
    if (pos != std::string::npos) word.replace(pos, 5, deb.string());
    argv.push_back(word);
  }
  try {
    return proc::runProgram(argv);
  } catch (const Error&) {
    return 127;  // could not fork: not installed
  }
}

}  // namespace vigil::update
