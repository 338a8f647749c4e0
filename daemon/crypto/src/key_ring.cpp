#include "vigil/crypto/key_ring.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>

#include "vigil/core/error.hpp"
#include "vigil/crypto/aead.hpp"
#include "vigil/crypto/hash.hpp"
#include "vigil/crypto/random.hpp"

namespace vigil::crypto {
namespace {

// File format: 8-byte magic then the 32 key bytes.
constexpr std::string_view kMagic = "VIGILMK1";
constexpr std::size_t kFileSize = 8 + Key256::kSize;
constexpr std::uint8_t kWrapVersion = 1;

Bytes wrapAad(std::uint32_t id) {
  constexpr std::string_view kLabel = "vigil.dek.v1|";
  Bytes aad(kLabel.begin(), kLabel.end());
  for (int shift = 24; shift >= 0; shift -= 8)
    aad.push_back(static_cast<std::uint8_t>((id >> shift) & 0xff));
  return aad;
}

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& why) {
  throw vigil::CryptoError("master key " + path.string() + ": " + why);
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

void fsyncDirectory(const std::filesystem::path& dir) {
  Fd fd{::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (fd.get() >= 0) ::fsync(fd.get());
}

}  // namespace

MasterKey MasterKey::load(const std::filesystem::path& path) {
  Fd fd{::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)};
  if (fd.get() < 0) fail(path, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail(path, "cannot stat");
  if (!S_ISREG(st.st_mode)) fail(path, "not a regular file");
  if ((st.st_mode & 077) != 0) fail(path, "readable or writable by group or others (want 0600)");
  if (st.st_uid != ::geteuid()) fail(path, "owned by another user");
  if (static_cast<std::size_t>(st.st_size) != kFileSize) fail(path, "wrong size");
  std::array<std::uint8_t, kFileSize> buf{};
  std::size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = ::read(fd.get(), buf.data() + got, buf.size() - got);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      secureWipe(buf.data(), buf.size());
      fail(path, "short read");
    }
    got += static_cast<std::size_t>(n);
  }
  if (std::memcmp(buf.data(), kMagic.data(), kMagic.size()) != 0) {
    secureWipe(buf.data(), buf.size());
    fail(path, "not a Vigil master key file");
  }
  MasterKey key{Key256{ByteView{buf.data() + kMagic.size(), Key256::kSize}}};
  secureWipe(buf.data(), buf.size());
  return key;
}

MasterKey MasterKey::loadOrCreate(const std::filesystem::path& path, bool* created) {
  if (created) *created = false;
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return load(path);
  if (path.has_parent_path()) {
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) fail(path, "cannot create directory: " + ec.message());
  }
  Key256 key = randomKey();
  {
    Fd fd{::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)};
    if (fd.get() < 0) {
      if (errno == EEXIST) return load(path);  // another process won the race
      fail(path, std::string("cannot create: ") + std::strerror(errno));
    }
    ::fchmod(fd.get(), 0600);  // umask cannot widen it, but be explicit
    std::array<std::uint8_t, kFileSize> buf{};
    std::memcpy(buf.data(), kMagic.data(), kMagic.size());
    std::memcpy(buf.data() + kMagic.size(), key.data(), Key256::kSize);
    std::size_t done = 0;
    while (done < buf.size()) {
      ssize_t n = ::write(fd.get(), buf.data() + done, buf.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        secureWipe(buf.data(), buf.size());
        ::unlink(path.c_str());
        fail(path, "cannot write");
      }
      done += static_cast<std::size_t>(n);
    }
    secureWipe(buf.data(), buf.size());
    if (::fsync(fd.get()) != 0) fail(path, "cannot fsync");
  }
  fsyncDirectory(path.parent_path());
  if (created) *created = true;
  return MasterKey{key};
}

Key256 MasterKey::derive(std::string_view purpose) const {
  Bytes raw = hkdfSha256(key_.view(), asBytes("vigil.master.v1"), purpose, Key256::kSize);
  Key256 out{raw};
  secureWipe(raw.data(), raw.size());
  return out;
}

WrappedDataKey MasterKey::wrap(std::uint32_t id, const Key256& dataKey) const {
  Bytes nonce = randomBytes(kGcmNonceSize);
  Bytes sealed = aes256GcmSeal(key_, nonce, wrapAad(id), dataKey.view());
  WrappedDataKey out;
  out.id = id;
  out.wrapped.reserve(1 + nonce.size() + sealed.size());
  out.wrapped.push_back(kWrapVersion);
  out.wrapped.insert(out.wrapped.end(), nonce.begin(), nonce.end());
  out.wrapped.insert(out.wrapped.end(), sealed.begin(), sealed.end());
  return out;
}

Key256 MasterKey::unwrap(const WrappedDataKey& wrapped) const {
  const Bytes& w = wrapped.wrapped;
  if (w.size() != 1 + kGcmNonceSize + Key256::kSize + kGcmTagSize || w[0] != kWrapVersion)
    throw IntegrityError("wrapped data key " + std::to_string(wrapped.id) + ": malformed");
  ByteView all{w};
  Bytes raw = aes256GcmOpen(key_, all.subspan(1, kGcmNonceSize), wrapAad(wrapped.id),
                            all.subspan(1 + kGcmNonceSize));
  Key256 out{raw};
  secureWipe(raw.data(), raw.size());
  return out;
}

void KeyRing::load(const MasterKey& master, const std::vector<WrappedDataKey>& keys,
                   std::uint32_t activeId) {
  std::map<std::uint32_t, Key256> unwrapped;
  for (const auto& k : keys) unwrapped.emplace(k.id, master.unwrap(k));
  if (unwrapped.find(activeId) == unwrapped.end())
    throw UnknownKeyError("key ring: active key " + std::to_string(activeId) + " not stored");
  std::unique_lock lock(mutex_);
  keys_ = std::move(unwrapped);
  active_ = activeId;
  hasActive_ = true;
}

void KeyRing::add(std::uint32_t id, const Key256& key) {
  std::unique_lock lock(mutex_);
  keys_.insert_or_assign(id, key);
}

void KeyRing::setActive(std::uint32_t id) {
  std::unique_lock lock(mutex_);
  if (keys_.find(id) == keys_.end())
    throw UnknownKeyError("key ring: no key " + std::to_string(id));
  active_ = id;
  hasActive_ = true;
}

std::uint32_t KeyRing::activeId() const {
  std::shared_lock lock(mutex_);
  if (!hasActive_) throw UnknownKeyError("key ring: no active key");
  return active_;
}

Key256 KeyRing::key(std::uint32_t id) const {
  std::shared_lock lock(mutex_);
  auto it = keys_.find(id);
  if (it == keys_.end()) throw UnknownKeyError("key ring: no key " + std::to_string(id));
  return it->second;
}

bool KeyRing::contains(std::uint32_t id) const {
  std::shared_lock lock(mutex_);
  return keys_.find(id) != keys_.end();
}

std::vector<std::uint32_t> KeyRing::ids() const {
  std::shared_lock lock(mutex_);
  std::vector<std::uint32_t> out;
  for (const auto& [id, key] : keys_) out.push_back(id);
  return out;
}

}  // namespace vigil::crypto
