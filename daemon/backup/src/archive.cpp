#include "vigil/backup/archive.hpp"

#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "chunk_stream.hpp"
#include "vigil/crypto/aead.hpp"
#include "vigil/crypto/hpke.hpp"
#include "vigil/crypto/random.hpp"

namespace fs = std::filesystem;

namespace vigil::backup {
namespace {

constexpr std::string_view kMagic = "VIGILBK1";
constexpr std::uint8_t kVersion = 1;
constexpr std::uint8_t kKindPassphrase = 1;
constexpr std::uint8_t kKindRecipient = 2;
constexpr std::size_t kSaltSize = 16;
constexpr std::size_t kWrappedSize = 32 + crypto::kGcmTagSize;
constexpr std::string_view kHpkeInfo = "vigil.backup.v1 archive key";
constexpr std::string_view kPayloadInfo = "vigil.backup.v1 payload";
constexpr std::size_t kMaxPath = 4096;

crypto::Key256 scrypt(std::string_view passphrase, crypto::ByteView salt, const ScryptCost& c) {
  std::unique_ptr<EVP_KDF, decltype(&EVP_KDF_free)> kdf{EVP_KDF_fetch(nullptr, "SCRYPT", nullptr),
                                                        &EVP_KDF_free};
  if (!kdf) throw vigil::CryptoError("crypto: EVP_KDF_fetch(SCRYPT) failed");
  std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> ctx{EVP_KDF_CTX_new(kdf.get()),
                                                                &EVP_KDF_CTX_free};
  if (!ctx) throw vigil::CryptoError("crypto: EVP_KDF_CTX_new(SCRYPT) failed");
  std::vector<char> pass(passphrase.begin(), passphrase.end());
  crypto::Bytes saltCopy(salt.begin(), salt.end());
  std::uint64_t n = std::uint64_t{1} << c.logN;
  std::uint32_t r = c.r;
  std::uint32_t p = c.p;
  std::uint64_t maxmem = 256ull * r * n * p + (16u << 20);  // 128 * r * N * p, plus slack
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, pass.data(), pass.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, saltCopy.data(), saltCopy.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
      OSSL_PARAM_construct_end()};
  std::array<std::uint8_t, 32> out{};
  int rc = EVP_KDF_derive(ctx.get(), out.data(), out.size(), params);
  crypto::secureWipe(pass.data(), pass.size());
  if (rc <= 0) {
    ERR_clear_error();
    throw vigil::CryptoError("crypto: EVP_KDF_derive(SCRYPT) failed");
  }
  crypto::Key256 key(out);
  crypto::secureWipe(out.data(), out.size());
  return key;
}

void checkCost(const ScryptCost& c) {
  // At most 1 GiB (128 * r * N) and p up to 4: a crafted header cannot exhaust the box.
  if (c.logN < 10 || c.logN > 22 || c.r < 1 || c.r > 32 || c.p < 1 || c.p > 4 ||
      (std::uint64_t{128} * c.r << c.logN) > (std::uint64_t{1} << 30))
    throw ArchiveDamagedError("backup: scrypt parameters out of range");
}

detail::ChunkParams chunkParams(const crypto::Key256& archiveKey, crypto::ByteView header,
                                std::size_t nonceBaseAt, unsigned chunkLog2) {
  detail::ChunkParams p;
  std::copy_n(header.data() + nonceBaseAt, p.nonceBase.size(), p.nonceBase.begin());
  auto k = crypto::hkdfSha256(archiveKey.view(), p.nonceBase, kPayloadInfo, 32);
  p.key = crypto::Key256(k);
  crypto::secureWipe(k.data(), k.size());
  p.headerHash = crypto::sha256(header);
  p.chunkSize = std::size_t{1} << chunkLog2;
  return p;
}

/// The header's fixed start: magic, version, kind, chunk size, reserved byte, nonce base.
constexpr std::size_t kNonceBaseAt = 12;
constexpr std::size_t kFixedSize = kNonceBaseAt + 12;

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f) std::fclose(f);
  }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

}  // namespace

Lock Lock::withPassphrase(std::string passphrase, ScryptCost cost) {
  Lock l;
  l.passphrase = std::move(passphrase);
  l.cost = cost;
  return l;
}

Lock Lock::toRecipient(crypto::Bytes publicKey) {
  Lock l;
  l.recipientPublicKey = std::move(publicKey);
  return l;
}

Unlock Unlock::withPassphrase(std::string passphrase) {
  Unlock u;
  u.passphrase = std::move(passphrase);
  return u;
}

Unlock Unlock::withIdentity(crypto::Key256 privateKey) {
  Unlock u;
  u.identity = std::move(privateKey);
  return u;
}

void checkArchivePath(std::string_view path) {
  if (path.empty() || path.size() > kMaxPath || path.front() == '/' ||
      path.find('\0') != std::string_view::npos)
    throw ArchiveDamagedError("backup: a record has an unusable path");
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    auto part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..")
      throw ArchiveDamagedError("backup: a record has an unusable path");
    start = end + 1;
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

struct ArchiveWriter::Impl {
  fs::path file;
  fs::path temp;
  FilePtr out;
  std::optional<detail::ChunkWriter> chunks;
  bool finished = false;
};

ArchiveWriter::ArchiveWriter(const fs::path& file, const Lock& lock, unsigned chunkLog2)
    : impl_(std::make_unique<Impl>()) {
  if (chunkLog2 < 10 || chunkLog2 > 24) throw BackupError("backup: chunk size out of range");
  bool recipient = !lock.recipientPublicKey.empty();
  if (!recipient && lock.passphrase.empty()) throw BackupError("backup: empty passphrase");
  if (!recipient) checkCost(lock.cost);
  if (recipient && lock.recipientPublicKey.size() != crypto::hpke::kPublicKeySize)
    throw BackupError("backup: a recipient key has 32 bytes");
  impl_->file = file;
  impl_->temp = file;
  impl_->temp += ".partial-XXXXXX";
  std::string tmpl = impl_->temp.string();
  int fd = ::mkstemp(tmpl.data());  // 0600 whatever the umask
  if (fd < 0)
    throw BackupError("backup: cannot create " + impl_->temp.string() + ": " +
                      std::strerror(errno));
  impl_->temp = tmpl;
  impl_->out.reset(::fdopen(fd, "wb"));
  if (!impl_->out) {
    ::close(fd);
    fs::remove(impl_->temp);
    throw BackupError("backup: cannot open " + impl_->temp.string());
  }
  try {
    writeHeader(lock, chunkLog2);
  } catch (...) {
    impl_->out.reset();
    std::error_code ec;
    fs::remove(impl_->temp, ec);
    throw;
  }
}

void ArchiveWriter::writeHeader(const Lock& lock, unsigned chunkLog2) {
  const bool recipient = !lock.recipientPublicKey.empty();
  crypto::Bytes header(kMagic.begin(), kMagic.end());
  header.push_back(kVersion);
  header.push_back(recipient ? kKindRecipient : kKindPassphrase);
  header.push_back(static_cast<std::uint8_t>(chunkLog2));
  header.push_back(0);
  auto nonceBase = crypto::randomBytes(12);
  header.insert(header.end(), nonceBase.begin(), nonceBase.end());
  auto archiveKey = crypto::randomKey();
  if (recipient) {
    auto sealed = crypto::hpke::sealBase(lock.recipientPublicKey, crypto::asBytes(kHpkeInfo),
                                         header, archiveKey.view());
    header.insert(header.end(), sealed.enc.begin(), sealed.enc.end());
    header.insert(header.end(), sealed.ct.begin(), sealed.ct.end());
  } else {
    header.push_back(static_cast<std::uint8_t>(lock.cost.logN));
    header.push_back(static_cast<std::uint8_t>(lock.cost.r));
    header.push_back(static_cast<std::uint8_t>(lock.cost.p));
    auto salt = crypto::randomBytes(kSaltSize);
    header.insert(header.end(), salt.begin(), salt.end());
    auto kek = scrypt(lock.passphrase, salt, lock.cost);
    std::array<std::uint8_t, crypto::kGcmNonceSize> zero{};  // the key-encryption key is unique
    auto wrapped = crypto::aes256GcmSeal(kek, zero, header, archiveKey.view());
    header.insert(header.end(), wrapped.begin(), wrapped.end());
  }
  if (std::fwrite(header.data(), 1, header.size(), impl_->out.get()) != header.size())
    throw BackupError("backup: cannot write the archive");
  impl_->chunks.emplace(impl_->out.get(), chunkParams(archiveKey, header, kNonceBaseAt, chunkLog2));
}

ArchiveWriter::~ArchiveWriter() {
  if (impl_ && !impl_->finished) {
    impl_->out.reset();
    std::error_code ec;
    fs::remove(impl_->temp, ec);
  }
}

void ArchiveWriter::write(const std::uint8_t* data, std::size_t size) {
  impl_->chunks->write(data, size);
}

void ArchiveWriter::writeU64(std::uint64_t v) {
  std::array<std::uint8_t, 8> b{};
  for (int i = 0; i < 8; ++i)
    b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
  write(b.data(), b.size());
}

void ArchiveWriter::record(char type, const std::string& path, mode_t mode) {
  checkArchivePath(path);
  std::array<std::uint8_t, 3> head{static_cast<std::uint8_t>(type),
                                   static_cast<std::uint8_t>(path.size() >> 8),
                                   static_cast<std::uint8_t>(path.size() & 0xff)};
  write(head.data(), head.size());
  write(reinterpret_cast<const std::uint8_t*>(path.data()), path.size());
  auto m = static_cast<std::uint32_t>(mode & 07777);
  std::array<std::uint8_t, 4> mb{static_cast<std::uint8_t>(m >> 24),
                                 static_cast<std::uint8_t>(m >> 16),
                                 static_cast<std::uint8_t>(m >> 8), static_cast<std::uint8_t>(m)};
  write(mb.data(), mb.size());
}

void ArchiveWriter::addDirectory(const std::string& path, mode_t mode) {
  record('D', path, mode);
}

void ArchiveWriter::addBytes(const std::string& path, std::string_view content, mode_t mode) {
  record('F', path, mode);
  writeU64(content.size());
  write(reinterpret_cast<const std::uint8_t*>(content.data()), content.size());
}

void ArchiveWriter::addFile(const std::string& path, const fs::path& source, mode_t mode,
                            const Progress& progress) {
  FilePtr in(std::fopen(source.c_str(), "rb"));
  if (!in)
    throw BackupError("backup: cannot read " + source.string() + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(::fileno(in.get()), &st) != 0 || !S_ISREG(st.st_mode))
    throw BackupError("backup: " + source.string() + " is not a regular file");
  auto size = static_cast<std::uint64_t>(st.st_size);
  record('F', path, mode);
  writeU64(size);
  std::vector<std::uint8_t> buf(1 << 16);
  std::uint64_t done = 0;
  while (done < size) {
    auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size - done));
    auto got = std::fread(buf.data(), 1, want, in.get());
    if (got == 0) throw BackupError("backup: " + source.string() + " shrank while it was read");
    write(buf.data(), got);
    done += got;
    if (progress) progress(done);
  }
}

std::uint64_t ArchiveWriter::finish() {
  std::uint8_t end = 'E';
  write(&end, 1);
  impl_->chunks->finish();
  if (std::fflush(impl_->out.get()) != 0 || ::fsync(::fileno(impl_->out.get())) != 0)
    throw BackupError("backup: cannot write the archive: " + std::string(std::strerror(errno)));
  auto size = static_cast<std::uint64_t>(std::ftell(impl_->out.get()));
  impl_->out.reset();
  fs::rename(impl_->temp, impl_->file);
  impl_->finished = true;
  return size;
}

// ---------------------------------------------------------------------------------------------
// Reading

namespace {

/// Reads the header and returns the chunk parameters (the archive key unwrapped).
detail::ChunkParams readHeader(std::FILE* in, const Unlock& unlock) {
  crypto::Bytes header(kFixedSize);
  if (std::fread(header.data(), 1, header.size(), in) != header.size() ||
      !std::equal(kMagic.begin(), kMagic.end(), header.begin()))
    throw ArchiveDamagedError("backup: not a Vigil backup archive");
  if (header[8] != kVersion)
    throw ArchiveDamagedError("backup: archive version " + std::to_string(header[8]) +
                              " is not supported (this vigild reads version 1)");
  const auto kind = header[9];
  const unsigned chunkLog2 = header[10];
  if ((kind != kKindPassphrase && kind != kKindRecipient) || chunkLog2 < 10 || chunkLog2 > 24 ||
      header[11] != 0)
    throw ArchiveDamagedError("backup: the archive's header is malformed");
  auto more = [&](std::size_t n) {
    auto at = header.size();
    header.resize(at + n);
    if (std::fread(header.data() + at, 1, n, in) != n)
      throw ArchiveDamagedError("backup: the archive is truncated (header)");
  };
  crypto::Bytes archiveKey;
  if (kind == kKindRecipient) {
    if (!unlock.identity)
      throw ArchiveKeyError("backup: the archive is locked to a recipient key; give --identity");
    auto aadSize = header.size();
    more(crypto::hpke::kEncSize + kWrappedSize);
    crypto::ByteView all(header);
    try {
      crypto::hpke::X25519KeyPair me(*unlock.identity);
      archiveKey = crypto::hpke::openBase(me, all.subspan(aadSize, crypto::hpke::kEncSize),
                                          crypto::asBytes(kHpkeInfo), all.first(aadSize),
                                          all.subspan(aadSize + crypto::hpke::kEncSize));
    } catch (const vigil::CryptoError&) {
      throw ArchiveKeyError(
          "backup: the identity key does not open this archive (another recipient's archive, "
          "or its header was changed)");
    }
  } else {
    if (unlock.passphrase.empty())
      throw ArchiveKeyError(
          "backup: the archive is locked by a passphrase; give --passphrase-file");
    more(3 + kSaltSize);
    ScryptCost cost{header[kFixedSize], header[kFixedSize + 1], header[kFixedSize + 2]};
    checkCost(cost);
    auto aadSize = header.size();
    more(kWrappedSize);
    crypto::ByteView all(header);
    auto kek = scrypt(unlock.passphrase, all.subspan(kFixedSize + 3, kSaltSize), cost);
    std::array<std::uint8_t, crypto::kGcmNonceSize> zero{};
    try {
      archiveKey = crypto::aes256GcmOpen(kek, zero, all.first(aadSize), all.subspan(aadSize));
    } catch (const crypto::IntegrityError&) {
      throw ArchiveKeyError("backup: wrong passphrase (or the archive's header was changed)");
    }
  }
  crypto::Key256 key(archiveKey);
  crypto::secureWipe(archiveKey.data(), archiveKey.size());
  return chunkParams(key, header, kNonceBaseAt, chunkLog2);
}

std::uint64_t readU64(detail::ChunkReader& r) {
  std::array<std::uint8_t, 8> b{};
  r.readExact(b.data(), b.size());
  std::uint64_t v = 0;
  for (auto x : b) v = (v << 8) | x;
  return v;
}

void makeDirs(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw BackupError("backup: cannot create " + dir.string() + ": " + ec.message());
}

void extractFile(detail::ChunkReader& r, const fs::path& target, mode_t mode, std::uint64_t size) {
  makeDirs(target.parent_path());
  int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) throw ArchiveDamagedError("backup: the archive names a file twice");
    throw BackupError("backup: cannot create " + target.string() + ": " + std::strerror(errno));
  }
  FilePtr out(::fdopen(fd, "wb"));
  if (!out) {
    ::close(fd);
    throw BackupError("backup: cannot open " + target.string());
  }
  std::vector<std::uint8_t> buf(1 << 16);
  for (std::uint64_t done = 0; done < size;) {
    auto n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size - done));
    r.readExact(buf.data(), n);
    if (std::fwrite(buf.data(), 1, n, out.get()) != n)
      throw BackupError("backup: cannot write " + target.string());
    done += n;
  }
  if (std::fflush(out.get()) != 0 || ::fsync(fd) != 0 || ::fchmod(fd, mode & 0777) != 0)
    throw BackupError("backup: cannot write " + target.string());
}

}  // namespace

std::vector<Entry> extractArchive(const fs::path& file, const Unlock& unlock,
                                  const fs::path& stagingDir, const Progress& progress) {
  FilePtr in(std::fopen(file.c_str(), "rb"));
  if (!in) throw vigil::FileMissing("backup: cannot read " + file.string());
  auto params = readHeader(in.get(), unlock);
  detail::ChunkReader r(in.get(), std::move(params));
  std::vector<Entry> entries;
  std::set<std::string> seen;
  for (;;) {
    std::uint8_t type = 0;
    r.readExact(&type, 1);
    if (type == 'E') break;
    if (type != 'F' && type != 'D') throw ArchiveDamagedError("backup: unknown record type");
    std::array<std::uint8_t, 2> len{};
    r.readExact(len.data(), len.size());
    std::string path(static_cast<std::size_t>((len[0] << 8) | len[1]), '\0');
    r.readExact(reinterpret_cast<std::uint8_t*>(path.data()), path.size());
    checkArchivePath(path);
    std::array<std::uint8_t, 4> mb{};
    r.readExact(mb.data(), mb.size());
    auto mode = static_cast<mode_t>(((std::uint32_t{mb[0]} << 24) | (std::uint32_t{mb[1]} << 16) |
                                     (std::uint32_t{mb[2]} << 8) | mb[3]) &
                                    0777);
    Entry e{static_cast<char>(type), path, mode, 0};
    auto target = stagingDir / path;
    if (type == 'D') {
      makeDirs(target);
      fs::permissions(target, static_cast<fs::perms>(mode | 0700));
    } else {
      if (!seen.insert(path).second)
        throw ArchiveDamagedError("backup: the archive names a file twice");
      e.size = readU64(r);
      extractFile(r, target, mode, e.size);
    }
    entries.push_back(std::move(e));
    if (progress) progress(static_cast<std::uint64_t>(std::ftell(in.get())));
  }
  if (!r.atEnd()) throw ArchiveDamagedError("backup: content follows the archive's end record");
  if (std::fgetc(in.get()) != EOF)
    throw ArchiveDamagedError("backup: bytes follow the archive's final chunk");
  return entries;
}

}  // namespace vigil::backup
