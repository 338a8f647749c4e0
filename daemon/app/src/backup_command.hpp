#pragma once
// `vigild backup FILE` and `vigild restore FILE` (docs/operations.md, "Backup" and "Restore"):
// what goes into the archive (vigil/backup/archive.hpp) and where a restore puts it.
//
// A backup holds, under these names: db/vigil.db (an online snapshot: SQLite's backup API into
// a temporary file beside the database, never on FILE's medium; ingest goes on), data/... (the rest
// of data.dir as it is: recordings are already encrypted; the live database, its -wal/-shm and FILE
// itself left out), keys/... (the directory of the master key: the master key and the cloud link's
// identity), pki/... (the device CA, only when it lives outside data.dir) and config/vigild.conf
// (the file given with --config). A restore decrypts and checks the whole archive into a
// temporary directory beside the target data directory first; only then does it move anything
// into place.

#include <string>

#include "vigil/app/config.hpp"

namespace vigil::app {

/// The options of the backup commands.
struct BackupCommandOptions {
  std::string passphraseFile;  // --passphrase-file
  std::string recipientFile;   // --recipient (backup)
  std::string identityFile;    // --identity (restore)
  std::string dataDir;         // --data-dir (restore)
  std::string configFile;      // --config (backup: stored in the archive)
};

/// `vigild backup FILE`; returns the exit code.
int runBackup(const Config& config, const std::string& archive, const BackupCommandOptions& o);

/// `vigild restore FILE` up to the checks: refuses a non-empty target, verifies the whole
/// archive, moves it into place. With --data-dir, `config` is changed to point at the restored
/// box (data.dir = DIR, the database and master key at their defaults under it), so the caller
/// checks what was restored. Returns the exit code (kExitOk: run the checks).
int runRestore(Config& config, const std::string& archive, const BackupCommandOptions& o);

/// `vigild backup keygen IDENTITY RECIPIENT`: an X25519 key pair for --recipient / --identity
/// (hex, the identity file 0600).
int runBackupKeygen(const std::string& identityFile, const std::string& recipientFile);

}  // namespace vigil::app
