#pragma once
// A real PostgreSQL 15 server for tests (issue 29), from the Debian package (postgresql-15,
// scripts/deps/postgres.txt): its own temporary directory, initdb, then `postgres` listening on
// 127.0.0.1 at a free port with its socket in that directory, so that test binaries run in
// parallel (ctest -j) never share a server, a port or a file.

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "vigil/testsupport/process.hpp"

namespace vigil::testsupport {

/// One PostgreSQL cluster per object, owned by the test: the constructor runs initdb (trust
/// authentication, superuser `vigil`, UTF8, locale C) and starts the server, waiting until it
/// accepts connections; the destructor stops it and removes the directory. Throws
/// std::runtime_error (with initdb's or the server's log) when the binaries are missing or the
/// server does not come up: a test that needs PostgreSQL fails, it never passes silently.
///
/// As root (CI), initdb and postgres run as the `postgres` system user the Debian package
/// creates (through setpriv), since they refuse to run as root; otherwise as the test's user.
/// The server is started through setsid (its own process group, so kill9() takes its backends
/// too) and setpriv --pdeathsig: if the test process dies (a Deadline abort), the server gets
/// SIGQUIT (immediate shutdown) rather than outliving it. The parent is the thread that created
/// the object (or called start()), so keep the object on a thread that outlives the server.
class PostgresServer {
 public:
  /// `settings`: extra server settings, passed as `-c name=value` (e.g. max_connections).
  explicit PostgresServer(std::map<std::string, std::string> settings = {});
  /// A streaming standby of `primary` (which must be running): pg_basebackup of it with its WAL
  /// (-X stream) and the standby's settings (-R: standby.signal, primary_conninfo with the
  /// application_name `standby`), started as a hot standby on a port of its own. To make it
  /// synchronous, set synchronous_standby_names = 'standby' on the primary (and reload).
  struct StandbyOf {
    const PostgresServer& primary;
  };
  PostgresServer(StandbyOf standby, std::map<std::string, std::string> settings = {});
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  /// Starts the server on the existing data directory (after stop() or kill9(); a no-op while it
  /// runs) and waits until it accepts connections. The port stays the same across restarts
  /// unless another process took it meanwhile; then port() and conninfo() give the new one.
  void start();
  /// Fast shutdown (SIGINT: clients disconnected, a checkpoint written), a bounded wait, SIGKILL
  /// of the whole server as the last resort. The data directory is kept for start().
  void stop();
  /// SIGKILL to the postmaster and all its backends at once, as a crash or power cut does; the
  /// next start() runs crash recovery from the WAL.
  void kill9();
  /// True while the postmaster runs.
  bool running();
  /// A standby becomes a primary (pg_promote(), waiting until it accepts writes).
  void promote();

  /// CREATE DATABASE `name` (letters, digits and '_' only, starting with a letter or '_');
  /// returns conninfo(name).
  std::string createDatabase(const std::string& name);
  /// A libpq connection string: "host=127.0.0.1 port=N user=vigil dbname=<db>".
  std::string conninfo(const std::string& db) const;
  /// Runs `sql` (one or more statements) in `db` through libpq; throws with the server's message.
  void execute(const std::string& db, const std::string& sql);
  /// The first column of the first row of `sql`'s result in `db` ("" for NULL); throws if the
  /// query fails or returns no row.
  std::string queryValue(const std::string& db, const std::string& sql);

  int port() const { return port_; }
  /// PGDATA: the cluster's files (postgresql.conf, base/, pg_wal/).
  std::filesystem::path dataDir() const { return dir_.path() / "data"; }
  /// Where the server's Unix socket is (also the temporary directory of the whole cluster).
  std::filesystem::path socketDir() const { return dir_.path(); }
  /// The superuser initdb made; every conninfo() connects as it (trust authentication).
  static constexpr const char* kUser = "vigil";
  /// The server's log (its stderr) so far, all starts included.
  std::string log() const;
  /// Where the PostgreSQL programs were found (`pg_config --bindir` when it holds initdb and
  /// postgres, else /usr/lib/postgresql/15/bin; VIGIL_PG_BINDIR overrides both).
  static std::filesystem::path binDir();

  /// How long start() waits for the server to accept connections, and stop() for it to exit
  /// after SIGINT (a loaded 2-core CI machine is slow; still well under ctest's TIMEOUT).
  static constexpr std::chrono::seconds kStartLimit{60};
  static constexpr std::chrono::seconds kStopLimit{30};

 private:
  void prepareDirectory();
  void initdb();
  void baseBackup(const PostgresServer& primary);
  bool startOnce(std::string& why);

  TempDir dir_;
  std::map<std::string, std::string> settings_;
  std::filesystem::path bin_;
  std::filesystem::path logFile_;
  int port_ = 0;
  std::unique_ptr<Process> server_;
};

}  // namespace vigil::testsupport
