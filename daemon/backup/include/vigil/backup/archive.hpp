#pragma once
// The backup archive (`vigild backup FILE`, `vigild restore FILE`): one file, encrypted and
// integrity-protected as a whole. Layout (docs/operations.md, "The archive format"):
//
//   header   "VIGILBK1", version 1, lock kind, chunk size (log2), 12-byte nonce base, then
//            passphrase: scrypt log2 N, r, p, 16-byte salt, the archive key wrapped
//                        (AES-256-GCM under scrypt(passphrase, salt), the header before it as AAD)
//            recipient:  HPKE enc (32 bytes), the archive key sealed to the recipient's X25519
//                        public key (RFC 9180 base mode, the header before enc as AAD)
//   chunks   the content in AES-256-GCM chunks of 2^log2 bytes (the last one shorter), each with
//            its tag; the key from the archive key by HKDF-SHA256; the chunk's index and a
//            final-chunk flag in both the nonce and the additional data (with the header's
//            SHA-256), so a chunk that is changed, moved, dropped, or cut off, or bytes added
//            after the final chunk, fail authentication.
//   content  records: 'D' path mode (a directory), 'F' path mode size bytes (a file), 'E' (the
//            end; nothing may follow it). Paths are relative, '/'-separated, without '.' or '..'.
//
// Trade-off: a wrong passphrase and a changed header look the same (both fail to unwrap the
// archive key); both are ArchiveKeyError. Everything after the header is ArchiveDamagedError.

#include <sys/types.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/core/error.hpp"
#include "vigil/crypto/bytes.hpp"

namespace vigil::backup {

/// Any refusal of an archive, or a failure to write or read one.
class BackupError : public vigil::Error {
 public:
  using vigil::Error::Error;
};

/// The passphrase or identity does not open the archive (or its header was changed).
class ArchiveKeyError : public BackupError {
 public:
  using BackupError::BackupError;
};

/// Not an archive, an unsupported version, or content that was changed, reordered, truncated or
/// has bytes after its end.
class ArchiveDamagedError : public BackupError {
 public:
  using BackupError::BackupError;
};

/// scrypt's cost: N = 2^logN, r, p. The default (2^17, 8, 1) takes 128 MiB and about half a
/// second; the reader refuses parameters needing more than 1 GiB (128 * r * N) or p above 4, so
/// a crafted header cannot exhaust the box.
struct ScryptCost {
  unsigned logN = 17;
  unsigned r = 8;
  unsigned p = 1;
};

/// How an archive is locked: by a passphrase, or to a recipient's X25519 public key.
struct Lock {
  std::string passphrase;
  ScryptCost cost;
  crypto::Bytes recipientPublicKey;  // 32 bytes when locked to a recipient

  static Lock withPassphrase(std::string passphrase, ScryptCost cost = {});
  static Lock toRecipient(crypto::Bytes publicKey);
};

/// How an archive is opened: its passphrase, or the recipient's X25519 private key.
struct Unlock {
  std::string passphrase;
  std::optional<crypto::Key256> identity;

  static Unlock withPassphrase(std::string passphrase);
  static Unlock withIdentity(crypto::Key256 privateKey);
};

/// Bytes done of a total, for a progress bar.
using Progress = std::function<void(std::uint64_t done)>;

/// Writes one archive. The file appears under its name only when finish() succeeds (it is
/// written to a temporary file beside it, mode 0600, fsynced, then renamed); a writer destroyed
/// before that removes its temporary file.
class ArchiveWriter {
 public:
  /// chunkLog2: the chunk size (16 = 64 KiB; tests use smaller ones), 10 to 24.
  ArchiveWriter(const std::filesystem::path& file, const Lock& lock, unsigned chunkLog2 = 16);
  ~ArchiveWriter();
  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;

  void addDirectory(const std::string& path, mode_t mode);
  /// Adds the file's first `size` bytes as they are at the time of the call (a log that grows
  /// meanwhile is cut at its size when added); throws BackupError if it shrinks while read.
  /// `progress` gets the bytes of this file done so far.
  void addFile(const std::string& path, const std::filesystem::path& source, mode_t mode,
               const Progress& progress = {});
  void addBytes(const std::string& path, std::string_view content, mode_t mode);
  /// Ends the content, writes the final chunk and puts the archive in place; returns its size.
  std::uint64_t finish();

 private:
  void writeHeader(const Lock& lock, unsigned chunkLog2);
  void record(char type, const std::string& path, mode_t mode);
  void write(const std::uint8_t* data, std::size_t size);
  void writeU64(std::uint64_t v);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// One record of an archive, as extracted.
struct Entry {
  char type = 'F';  // 'F' file, 'D' directory
  std::string path;
  mode_t mode = 0;
  std::uint64_t size = 0;
};

/// Opens, authenticates and extracts a whole archive into `stagingDir` (which must exist and be
/// empty): files are created with their recorded modes (never beyond 0777). Throws
/// ArchiveKeyError / ArchiveDamagedError (the caller then discards stagingDir: nothing in it may
/// be used), BackupError for I/O failures. `progress` gets the archive's bytes read so far.
std::vector<Entry> extractArchive(const std::filesystem::path& file, const Unlock& unlock,
                                  const std::filesystem::path& stagingDir,
                                  const Progress& progress = {});

/// Checks a record's path: relative, '/'-separated, no empty, '.' or '..' component, no NUL,
/// at most 4096 bytes. Throws ArchiveDamagedError.
void checkArchivePath(std::string_view path);

}  // namespace vigil::backup
