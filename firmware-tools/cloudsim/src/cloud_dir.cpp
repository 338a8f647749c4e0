#include "vigil/cloudsim/cloud_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "vigil/core/error.hpp"
#include "vigil/core/json_text.hpp"
#include "vigil/crypto/random.hpp"

namespace vigil::cloudsim {
namespace fs = std::filesystem;

void writeFileAtomic(const fs::path& path, std::string_view text, unsigned mode) {
  fs::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw Error("cloud: cannot write " + path.string());
  ::fchmod(fd, mode);
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      throw Error("cloud: cannot write " + path.string());
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) throw Error("cloud: cannot write " + path.string());
  fs::rename(tmp, path);
}

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileMissing("cloud: cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

namespace {

// A 32-byte raw key file: read it, or create it with fresh random bytes (0600).
crypto::Key256 keyFile(const fs::path& path) {
  if (!fs::exists(path)) {
    crypto::Key256 fresh = crypto::randomKey();
    writeFileAtomic(path, std::string_view(reinterpret_cast<const char*>(fresh.data()), 32), 0600);
  }
  std::string raw = readFile(path);
  if (raw.size() != crypto::Key256::kSize)
    throw CryptoError("cloud: " + path.string() + " is not a 32-byte key");
  crypto::Key256 key(crypto::asBytes(raw));
  crypto::secureWipe(raw.data(), raw.size());
  return key;
}

void appendKey(std::string& out, std::string_view kid, const crypto::Bytes& key) {
  out += "{\"kid\":";
  core::appendJsonString(out, kid);
  out += ",\"key\":";
  core::appendJsonString(out, crypto::toBase64(key));
  out += '}';
}

}  // namespace

CloudDir CloudDir::openOrCreate(const fs::path& dir) {
  CloudDir out;
  out.path_ = dir;
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
  pki::CaOptions caOptions;
  caOptions.commonName = "Vigil cloud stand-in CA";
  out.ca_ = std::make_unique<pki::CertificateAuthority>(
      pki::CertificateAuthority::openOrCreate(dir / "ca", caOptions));
  if (!fs::exists(out.caCertPath())) writeFileAtomic(out.caCertPath(), out.ca_->caCertPem(), 0644);
  if (!fs::exists(out.serverCertPath()) || !fs::exists(out.serverKeyPath())) {
    auto server = out.ca_->issueServer("127.0.0.1", {"localhost"}, {"127.0.0.1"});
    writeFileAtomic(out.serverKeyPath(), server.keyPem, 0600);
    writeFileAtomic(out.serverCertPath(), server.certPem, 0644);
  }
  fs::create_directories(dir / "keys");
  fs::permissions(dir / "keys", fs::perms::owner_all, fs::perm_options::replace);
  for (std::string_view name : kServiceNames) {
    std::string encKid = std::string(name) + "-enc-1";
    std::string sigKid = std::string(name) + "-sig-1";
    out.services_.push_back(
        ServiceKeys{std::string(name), encKid,
                    crypto::hpke::X25519KeyPair(keyFile(dir / "keys" / (encKid + ".key"))), sigKid,
                    crypto::Ed25519Signer(keyFile(dir / "keys" / (sigKid + ".key")))});
  }
  return out;
}

const ServiceKeys* CloudDir::findService(std::string_view name) const {
  for (const auto& s : services_)
    if (s.name == name) return &s;
  return nullptr;
}

std::string CloudDir::servicesJson() const {
  std::string out = "[";
  for (const auto& s : services_) {
    if (out.size() > 1) out += ',';
    out += "{\"name\":";
    core::appendJsonString(out, s.name);
    out += ",\"encryptionKey\":";
    appendKey(out, s.encKid, s.enc.publicKey());
    out += ",\"signingKey\":";
    appendKey(out, s.sigKid, s.sig.publicKey());
    out += '}';
  }
  out += ']';
  return out;
}

}  // namespace vigil::cloudsim
