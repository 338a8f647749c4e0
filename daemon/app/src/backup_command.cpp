#include "backup_command.hpp"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <vector>

#include "security_subsystem.hpp"
#include "store_subsystem.hpp"
#include "vigil/app/vigild.hpp"
#include "vigil/backup/archive.hpp"
#include "vigil/core/files.hpp"
#include "vigil/core/progress.hpp"
#include "vigil/crypto/hpke.hpp"
#include "vigil/pki/broker_setup.hpp"
#include "vigil/store/database.hpp"

namespace fs = std::filesystem;

namespace vigil::app {
namespace {

constexpr std::size_t kMinPassphrase = 12;

/// A user-facing refusal with its exit code.
struct Refusal {
  int code;
  std::string message;
};

std::string readPassphrase(const std::string& file) {
  auto text = files::readFile(file);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

/// A 32-byte key written as 64 hex digits (white space around it ignored).
crypto::Bytes readHexKey(const std::string& file) {
  auto text = files::readFile(file);
  auto first = text.find_first_not_of(" \t\r\n");
  auto last = text.find_last_not_of(" \t\r\n");
  auto hex = first == std::string::npos ? std::string{} : text.substr(first, last - first + 1);
  crypto::Bytes key;
  try {
    key = crypto::fromHex(hex);
  } catch (const vigil::CryptoError&) {
  }
  if (key.size() != 32)
    throw Refusal{kExitDataErr, file + ": expected a 32-byte X25519 key as 64 hex digits"};
  return key;
}

bool isWithin(const fs::path& p, const fs::path& dir) {
  auto rel = fs::weakly_canonical(p).lexically_relative(fs::weakly_canonical(dir));
  return !rel.empty() && *rel.begin() != "..";
}

fs::path caDirOf(const Config& config) {
  const auto& brokerDir = config.string("pki.broker_dir");
  pki::BrokerLayout layout(brokerDir.empty() ? config.string("data.dir") : brokerDir);
  return config.string("pki.ca_dir").empty() ? layout.pkiDir
                                             : fs::path(config.string("pki.ca_dir"));
}

fs::path keysDirOf(const Config& config) {
  return fs::path(masterKeyPath(config)).parent_path();
}

/// One file or directory to put in the archive.
struct Item {
  std::string name;  // archive path
  fs::path source;
  mode_t mode = 0;
  bool directory = false;
  std::uint64_t size = 0;
};

/// Everything under `dir` as `prefix/...`, but not the paths in `skip` nor any whose name starts
/// with `skipPrefix` (the archive and its temporary files). Sockets, symlinks and the like are
/// counted in `skipped`.
void collect(const fs::path& dir, const std::string& prefix, const std::vector<fs::path>& skip,
             const std::string& skipPrefix, std::vector<Item>& items, int& skipped) {
  items.push_back({prefix, dir, files::fileMode(dir), true, 0});
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
       ++it) {
    const auto& p = it->path();
    const auto abs = fs::absolute(p).lexically_normal();
    if (std::find(skip.begin(), skip.end(), abs) != skip.end() ||
        abs.string().rfind(skipPrefix, 0) == 0) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    auto st = it->symlink_status();
    auto name = prefix + "/" + p.lexically_relative(dir).generic_string();
    if (fs::is_directory(st)) {
      items.push_back({name, p, files::fileMode(p), true, 0});
    } else if (fs::is_regular_file(st)) {
      items.push_back({name, p, files::fileMode(p), false, it->file_size()});
    } else {
      ++skipped;
    }
  }
}

/// Removes a file or directory tree when it goes out of scope (unless released).
struct Cleanup {
  fs::path path;
  ~Cleanup() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
};

backup::Lock lockFrom(const BackupCommandOptions& o) {
  if (o.passphraseFile.empty() == o.recipientFile.empty())
    throw Refusal{kExitUsage, "backup needs exactly one of --passphrase-file F or --recipient F"};
  if (!o.recipientFile.empty()) return backup::Lock::toRecipient(readHexKey(o.recipientFile));
  auto pass = readPassphrase(o.passphraseFile);
  if (pass.size() < kMinPassphrase)
    throw Refusal{kExitDataErr, "the backup passphrase must have at least 12 characters"};
  return backup::Lock::withPassphrase(std::move(pass));
}

/// The database snapshot, with a progress bar.
void snapshot(const fs::path& db, const fs::path& target) {
  ProgressBar bar("snapshot", 1);
  store::backupDatabase(db, target, [&](int done, int total) {
    bar.setTotal(static_cast<std::uint64_t>(total));
    bar.update(static_cast<std::uint64_t>(done));
  });
  bar.finish();
}

int writeBackup(const Config& config, const fs::path& archive, const BackupCommandOptions& o) {
  if (onPostgres(config))
    throw Refusal{kExitUsage,
                  "vigild backup archives a one-box (SQLite) store; with store.backend = postgres "
                  "use `vigild store backup FILE` (pg_dump) or the server's own backups, and "
                  "back up the key directory apart (docs/scale-out.md)"};
  const fs::path dataDir = config.string("data.dir");
  const fs::path db = databasePath(config);
  const fs::path masterKey = masterKeyPath(config);
  auto lock = lockFrom(o);
  if (!fs::exists(db)) throw Refusal{kExitNoInput, db.string() + ": database does not exist"};
  if (!fs::exists(masterKey))
    throw Refusal{kExitNoInput, masterKey.string() + ": master key does not exist"};
  const auto absArchive = fs::absolute(archive).lexically_normal();
  if (fs::exists(absArchive))
    throw Refusal{kExitCantCreate, archive.string() + " exists; not overwritten"};
  const std::string skipPrefix = absArchive.string();
  // The snapshot is plaintext (but for the encrypted columns): it goes beside the database, on
  // the box's own disk with the database's protection, never onto the backup's medium.
  const auto absDb = fs::absolute(db).lexically_normal();
  Cleanup snap{absDb.parent_path() / (".vigil-backup-snapshot-" + std::to_string(::getpid()))};
  fs::remove(snap.path);
  snapshot(db, snap.path);

  std::vector<Item> items;
  int skipped = 0;
  items.push_back({"db", {}, 0700, true, 0});
  items.push_back({"db/vigil.db", snap.path, 0600, false, fs::file_size(snap.path)});
  // The keys always go under keys/ (also from a key directory inside the data directory), so a
  // restore finds them where it puts the keys of the restored box.
  const auto keysDir = fs::absolute(keysDirOf(config)).lexically_normal();
  const std::vector<fs::path> skip{absDb,
                                   absDb.string() + "-wal",
                                   absDb.string() + "-shm",
                                   absDb.string() + "-journal",
                                   keysDir,
                                   snap.path};
  if (fs::is_directory(dataDir)) collect(dataDir, "data", skip, skipPrefix, items, skipped);
  collect(keysDir, "keys", skip, skipPrefix, items, skipped);
  const auto caDir = caDirOf(config);
  if (fs::is_directory(caDir) && !isWithin(caDir, dataDir))
    collect(caDir, "pki", skip, skipPrefix, items, skipped);
  if (!o.configFile.empty()) {
    items.push_back({"config", {}, 0700, true, 0});
    items.push_back({"config/vigild.conf", o.configFile, 0600, false, fs::file_size(o.configFile)});
  }

  std::uint64_t total = 0, done = 0;
  for (const auto& i : items) total += i.size;
  backup::ArchiveWriter writer(absArchive, lock);
  ProgressBar bar("backup", total);
  std::size_t fileCount = 0;
  for (const auto& i : items) {
    if (i.directory) {
      writer.addDirectory(i.name, i.mode);
      continue;
    }
    if (!fs::exists(i.source)) {  // removed since it was listed (an old recording's retention)
      ++skipped;
      continue;
    }
    writer.addFile(i.name, i.source, i.mode, [&](std::uint64_t n) { bar.update(done + n); });
    done += i.size;
    ++fileCount;
  }
  auto size = writer.finish();
  bar.finish();
  std::cout << "backup written: " << archive.string() << " (" << fileCount << " files, " << size
            << " bytes, encrypted"
            << (o.recipientFile.empty() ? " with the passphrase" : " to the recipient key")
            << ")\n";
  if (skipped > 0)
    std::cout << "skipped " << skipped
              << " entries (not files or directories, or removed meanwhile)\n";
  return kExitOk;
}

backup::Unlock unlockFrom(const BackupCommandOptions& o) {
  if (o.passphraseFile.empty() == o.identityFile.empty())
    throw Refusal{kExitUsage, "restore needs exactly one of --passphrase-file F or --identity F"};
  if (!o.identityFile.empty())
    return backup::Unlock::withIdentity(crypto::Key256(readHexKey(o.identityFile)));
  return backup::Unlock::withPassphrase(readPassphrase(o.passphraseFile));
}

bool holdsSomething(const fs::path& p) {
  return fs::exists(p) && (!fs::is_directory(p) || !fs::is_empty(p));
}

/// Renames (or, across file systems, copies) `from` to `to`, whose parents are made; an empty
/// directory at `to` is replaced.
void moveInto(const fs::path& from, const fs::path& to) {
  fs::create_directories(to.parent_path());
  if (fs::is_directory(to) && fs::is_empty(to)) fs::remove(to);
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec == std::errc::cross_device_link) {
    fs::copy(from, to, fs::copy_options::recursive);
    fs::remove_all(from);
  } else if (ec) {
    throw backup::BackupError("restore: cannot move into " + to.string() + ": " + ec.message());
  }
}

/// The keys directory 0700, every file in it 0600, whatever the archive recorded.
void tightenKeys(const fs::path& dir) {
  fs::permissions(dir, fs::perms::owner_all);
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_directory())
      fs::permissions(e.path(), fs::perms::owner_all);
    else
      fs::permissions(e.path(), fs::perms::owner_read | fs::perms::owner_write);
  }
}

/// Where a restore puts things (from the configuration, as changed by --data-dir).
struct Targets {
  fs::path dataDir;
  fs::path db;
  fs::path keysDir;
  std::string masterKeyName;
  fs::path caDir;
};

Targets targetsOf(Config& config, const BackupCommandOptions& o) {
  if (!o.dataDir.empty()) {
    config.set("data.dir", fs::absolute(o.dataDir).string());
    config.set("store.path", "");
    config.set("security.master_key", "");
  }
  Targets t{config.string("data.dir"), databasePath(config), keysDirOf(config),
            fs::path(masterKeyPath(config)).filename().string(), caDirOf(config)};
  for (const auto& dir : {t.dataDir, t.keysDir})
    if (holdsSomething(dir))
      throw Refusal{kExitCantCreate,
                    dir.string() +
                        " is not empty: a restore goes onto an empty data directory "
                        "(choose another with --data-dir)"};
  if (fs::exists(t.db)) throw Refusal{kExitCantCreate, t.db.string() + " exists"};
  return t;
}

int restoreInto(Config& config, const fs::path& archive, const BackupCommandOptions& o) {
  if (onPostgres(config))
    throw Refusal{kExitUsage,
                  "vigild restore restores a one-box (SQLite) archive; with store.backend = "
                  "postgres restore the database with pg_restore (docs/scale-out.md)"};
  auto unlock = unlockFrom(o);
  if (!fs::exists(archive)) throw Refusal{kExitNoInput, archive.string() + ": no such file"};
  const auto t = targetsOf(config, o);
  // Decrypted beside the target (same file system: the moves below are renames); nothing goes
  // into the target before the whole archive verified.
  const auto parent = fs::absolute(t.dataDir).parent_path();
  fs::create_directories(parent);
  std::string tmpl = (parent / ".vigil-restore-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    throw Refusal{kExitCantCreate, "cannot create a temporary directory in " + parent.string()};
  Cleanup staging{tmpl};
  std::unique_ptr<ProgressBar> bar;  // from the first record on: not for a refused key
  auto entries = backup::extractArchive(archive, unlock, staging.path, [&](std::uint64_t n) {
    if (!bar) bar = std::make_unique<ProgressBar>("restore", fs::file_size(archive));
    bar->update(n);
  });
  if (bar) bar->finish();
  if (!fs::is_regular_file(staging.path / "db" / "vigil.db"))
    throw backup::ArchiveDamagedError("restore: the archive holds no database (db/vigil.db)");
  if (!fs::is_regular_file(staging.path / "keys" / t.masterKeyName))
    throw backup::ArchiveDamagedError("restore: the archive holds no master key (keys/" +
                                      t.masterKeyName + ")");
  const bool pki = fs::exists(staging.path / "pki") && !isWithin(t.caDir, t.dataDir);
  if (pki && holdsSomething(t.caDir))
    throw Refusal{kExitCantCreate, t.caDir.string() + " is not empty"};

  if (fs::exists(staging.path / "data"))
    moveInto(staging.path / "data", t.dataDir);
  else
    fs::create_directories(t.dataDir);
  moveInto(staging.path / "db" / "vigil.db", t.db);
  moveInto(staging.path / "keys", t.keysDir);
  tightenKeys(t.keysDir);
  if (pki) moveInto(staging.path / "pki", t.caDir);
  const auto conf = staging.path / "config" / "vigild.conf";
  const auto confTarget = t.dataDir / "vigild.conf.from-backup";
  if (fs::exists(conf)) moveInto(conf, confTarget);
  auto files = std::count_if(entries.begin(), entries.end(), [](auto& e) { return e.type == 'F'; });
  std::cout << "restored: " << files << " files from " << archive.string() << "\n"
            << "  data directory " << t.dataDir.string() << ", database " << t.db.string()
            << "\n  keys " << t.keysDir.string() << " (0700, files 0600)\n";
  if (pki) std::cout << "  device CA " << t.caDir.string() << "\n";
  if (fs::exists(confTarget))
    std::cout << "  configuration from the backup: " << confTarget.string()
              << " (compare with the one in use before copying it into place)\n";
  return kExitOk;
}

}  // namespace

int runBackup(const Config& config, const std::string& archive, const BackupCommandOptions& o) {
  try {
    return writeBackup(config, archive, o);
  } catch (const Refusal& r) {
    std::cerr << "vigild: backup refused: " << r.message << "\n";
    return r.code;
  } catch (const vigil::FileMissing& e) {
    std::cerr << "vigild: backup failed: " << e.what() << "\n";
    return kExitNoInput;
  } catch (const std::exception& e) {
    std::cerr << "vigild: backup failed: " << e.what() << "\n";
    return kExitCantCreate;
  }
}

int runRestore(Config& config, const std::string& archive, const BackupCommandOptions& o) {
  try {
    return restoreInto(config, archive, o);
  } catch (const Refusal& r) {
    std::cerr << "vigild: restore refused: " << r.message << "\n";
    return r.code;
  } catch (const backup::ArchiveKeyError& e) {
    std::cerr << "vigild: restore refused: " << e.what() << "\n";
    return kExitNoPerm;
  } catch (const backup::ArchiveDamagedError& e) {
    std::cerr << "vigild: restore refused: " << e.what() << "; nothing was restored\n";
    return kExitProtocol;
  } catch (const vigil::FileMissing& e) {
    std::cerr << "vigild: restore failed: " << e.what() << "\n";
    return kExitNoInput;
  } catch (const std::exception& e) {
    std::cerr << "vigild: restore failed: " << e.what() << "\n";
    return kExitIoErr;
  }
}

int runBackupKeygen(const std::string& identityFile, const std::string& recipientFile) {
  if (fs::exists(identityFile)) {
    std::cerr << "vigild: " << identityFile << " exists; not overwritten\n";
    return kExitCantCreate;
  }
  try {
    auto pair = crypto::hpke::X25519KeyPair::generate();
    files::writeFileAtomic(identityFile, crypto::toHex(pair.privateKey().view()) + "\n", 0600);
    files::writeFileAtomic(recipientFile, crypto::toHex(pair.publicKey()) + "\n", 0644);
    std::cout << "backup key pair: identity (keep it off the box) " << identityFile
              << ", recipient " << recipientFile << "\n";
    return kExitOk;
  } catch (const std::exception& e) {
    std::cerr << "vigild: backup keygen failed: " << e.what() << "\n";
    return kExitCantCreate;
  }
}

}  // namespace vigil::app
