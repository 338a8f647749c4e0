// Design: the server must be the test's own (its directory, its port, its socket) and must never
// outlive the test. So: one TempDir per object; the readiness check pings the Unix socket in that
// directory (another test's server that grabbed our TCP port between freePort() and the bind can
// never answer there) and reads postmaster.pid, whose pid must be ours; the server runs in its own
// process group (setsid) so a kill9() or a last-resort SIGKILL takes its backends too; and
// setpriv --pdeathsig gives it SIGQUIT if the test process dies first. initdb runs with --no-sync
// (a crash of the machine during a test is not a case; the server itself runs with fsync=on).

#include "vigil/testsupport/postgres_server.hpp"

#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

namespace vigil::testsupport {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr const char* kDefaultBinDir = "/usr/lib/postgresql/15/bin";
constexpr const char* kSetsid = "/usr/bin/setsid";
constexpr const char* kSetpriv = "/usr/bin/setpriv";
constexpr const char* kSystemUser = "postgres";
constexpr std::chrono::seconds kToolLimit{120};  // initdb, pg_basebackup

struct Command {
  fs::path program;
  std::vector<std::string> args;
};

bool asRoot() {
  return ::geteuid() == 0;
}

/// `program args` as the postgres system user when the test runs as root; with `server`, in a
/// process group of its own and with SIGQUIT on the test's death.
Command serverCommand(const fs::path& program, std::vector<std::string> args, bool server) {
  std::vector<std::string> setpriv;
  if (asRoot()) setpriv = {"--reuid=postgres", "--regid=postgres", "--init-groups"};
  if (server) setpriv.push_back("--pdeathsig=SIGQUIT");
  if (setpriv.empty()) return {program, std::move(args)};
  Command c{kSetpriv, setpriv};
  c.args.push_back(program.string());
  c.args.insert(c.args.end(), args.begin(), args.end());
  if (server) {
    // setsid execs in place (the spawned child is not a group leader), so the pid stays the
    // postmaster's and becomes its process group.
    c.args.insert(c.args.begin(), c.program.string());
    c.program = kSetsid;
  }
  return c;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

bool hasServerPrograms(const fs::path& dir) {
  std::error_code ec;
  return !dir.empty() && fs::exists(dir / "initdb", ec) && fs::exists(dir / "postgres", ec);
}

/// The last `n` characters of a log, for error messages.
std::string tail(const std::string& text, std::size_t n = 4000) {
  return text.size() <= n ? text : "…" + text.substr(text.size() - n);
}

/// An open libpq connection, closed on scope exit.
class Connection {
 public:
  explicit Connection(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str())) {
    if (conn_ == nullptr) throw std::runtime_error("PostgresServer: out of memory in libpq");
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::string msg = PQerrorMessage(conn_);
      PQfinish(conn_);
      throw std::runtime_error("PostgresServer: cannot connect (" + conninfo + "): " + trim(msg));
    }
  }
  ~Connection() { PQfinish(conn_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Runs `sql`; the result (never null), or throws with the server's message.
  std::unique_ptr<PGresult, void (*)(PGresult*)> exec(const std::string& sql) {
    std::unique_ptr<PGresult, void (*)(PGresult*)> r(PQexec(conn_, sql.c_str()), PQclear);
    auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      throw std::runtime_error("PostgresServer: `" + sql +
                               "` failed: " + trim(PQerrorMessage(conn_)));
    }
    return r;
  }

 private:
  PGconn* conn_;
};

}  // namespace

fs::path PostgresServer::binDir() {
  if (const char* env = std::getenv("VIGIL_PG_BINDIR"); env != nullptr && *env != '\0') return env;
  if (FILE* p = ::popen("pg_config --bindir 2>/dev/null", "r")) {
    char buf[512];
    std::string out;
    while (std::fgets(buf, sizeof(buf), p) != nullptr) out += buf;
    ::pclose(p);
    fs::path dir = trim(out);
    if (hasServerPrograms(dir)) return dir;
  }
  return kDefaultBinDir;
}

PostgresServer::PostgresServer(std::map<std::string, std::string> settings)
    : dir_("vigil-pg"),
      settings_(std::move(settings)),
      bin_(binDir()),
      logFile_(dir_.path() / "postgres.log") {
  prepareDirectory();
  initdb();
  port_ = freePort();
  start();
}

PostgresServer::PostgresServer(StandbyOf standby, std::map<std::string, std::string> settings)
    : dir_("vigil-pg"),
      settings_(std::move(settings)),
      bin_(binDir()),
      logFile_(dir_.path() / "postgres.log") {
  prepareDirectory();
  baseBackup(standby.primary);
  port_ = freePort();
  start();
}

void PostgresServer::prepareDirectory() {
  if (!hasServerPrograms(bin_)) {
    throw std::runtime_error("PostgresServer: no initdb and postgres in " + bin_.string() +
                             ": install the Debian package postgresql-15 (scripts/install-deps.sh, "
                             "scripts/deps/postgres.txt) or set VIGIL_PG_BINDIR");
  }
  if (asRoot()) {
    // initdb and postgres refuse to run as root: they run as the package's system user, which
    // must own the directory.
    const passwd* pw = ::getpwnam(kSystemUser);
    if (pw == nullptr) {
      throw std::runtime_error(
          "PostgresServer: running as root but there is no `postgres` user to run the server as "
          "(the postgresql-15 package creates it)");
    }
    if (!fs::exists(kSetpriv) || !fs::exists(kSetsid)) {
      throw std::runtime_error("PostgresServer: setpriv and setsid (util-linux) are needed");
    }
    if (::chown(dir_.path().c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      throw std::runtime_error("PostgresServer: cannot chown " + dir_.path().string() +
                               " to postgres");
    }
  } else if (!fs::exists(kSetpriv) || !fs::exists(kSetsid)) {
    throw std::runtime_error("PostgresServer: setpriv and setsid (util-linux) are needed");
  }
}

PostgresServer::~PostgresServer() {
  try {
    stop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "PostgresServer: stop failed: %s\n", e.what());
  }
}

namespace {

/// Runs one of the cluster's tools (initdb, pg_basebackup) to its end within kToolLimit, its
/// output in `logFile`; throws with that log when it fails or hangs.
void runTool(const Command& cmd, const std::string& name, const fs::path& logFile) {
  Process tool(cmd.program, Process::Options{cmd.args, {}, logFile, logFile});
  auto status = tool.wait(kToolLimit);
  if (!status) {
    tool.stop(1s);
    throw std::runtime_error("PostgresServer: " + name + " did not finish within " +
                             std::to_string(kToolLimit.count()) + " s; its log:\n" +
                             tail(readText(logFile)));
  }
  if (*status != 0) {
    throw std::runtime_error("PostgresServer: " + name + " failed (exit " +
                             std::to_string(*status) + "); its log:\n" + tail(readText(logFile)));
  }
}

}  // namespace

void PostgresServer::initdb() {
  runTool(
      serverCommand(bin_ / "initdb",
                    {"-D", dataDir().string(), "--auth=trust", "--username=" + std::string(kUser),
                     "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions"},
                    false),
      "initdb", dir_.path() / "initdb.log");
}

void PostgresServer::baseBackup(const PostgresServer& primary) {
  runTool(serverCommand(bin_ / "pg_basebackup",
                        {"-D", dataDir().string(), "-d",
                         "host=127.0.0.1 port=" + std::to_string(primary.port()) +
                             " user=" + kUser + " application_name=standby",
                         "-X", "stream", "-R", "--no-sync", "--checkpoint=fast"},
                        false),
          "pg_basebackup", dir_.path() / "basebackup.log");
}

void PostgresServer::promote() {
  if (queryValue("postgres", "SELECT pg_promote(true, 60)") != "t")
    throw std::runtime_error(
        "PostgresServer: the standby was not promoted within 60 s; its log:\n" + tail(log()));
}

void PostgresServer::start() {
  if (running()) return;
  std::string why;
  for (int attempt = 0; attempt < 4; ++attempt) {
    std::size_t logBefore = readText(logFile_).size();
    if (startOnce(why)) return;
    std::string startLog = readText(logFile_).substr(logBefore);
    if (startLog.find("could not bind") != std::string::npos ||
        startLog.find("could not create any TCP/IP sockets") != std::string::npos) {
      port_ = freePort();  // taken between freePort() and the bind (or since the last start)
    } else if (!server_ || server_->wait(0ms)) {
      std::this_thread::sleep_for(500ms);  // e.g. a killed server's shared memory still going
    } else {
      break;  // still running but not ready within kStartLimit: no point in trying again
    }
  }
  kill9();
  throw std::runtime_error("PostgresServer: the server did not start (" + why + "); its log:\n" +
                           tail(log()));
}

bool PostgresServer::startOnce(std::string& why) {
  std::vector<std::string> args = {"-D", dataDir().string(), "-k", socketDir().string(),
                                   "-h", "127.0.0.1",        "-p", std::to_string(port_),
                                   "-c", "fsync=on"};
  for (const auto& [name, value] : settings_) {
    args.push_back("-c");
    args.push_back(name + "=" + value);
  }
  auto cmd = serverCommand(bin_ / "postgres", std::move(args), true);
  server_ =
      std::make_unique<Process>(cmd.program, Process::Options{cmd.args, {}, logFile_, logFile_});
  // The Unix socket lives in our own directory: only our server can answer there.
  std::string ping = "host=" + socketDir().string() + " port=" + std::to_string(port_) +
                     " user=" + kUser + " dbname=postgres connect_timeout=5";
  auto deadline = std::chrono::steady_clock::now() + kStartLimit;
  std::string lastPid;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!server_->running()) {
      why = "postgres exited with status " + std::to_string(server_->wait(0ms).value_or(-1));
      return false;
    }
    // postmaster.pid's 8th line says "ready" once it accepts connections (polling it rather
    // than connecting keeps "the database system is starting up" out of the log).
    std::ifstream pidFile(dataDir() / "postmaster.pid");
    std::vector<std::string> lines;
    for (std::string line; std::getline(pidFile, line);) lines.push_back(trim(line));
    // A killed server's file (another pid) stays until the new postmaster replaces it.
    if (!lines.empty()) lastPid = lines[0];
    if (lines.size() >= 8 && lines[0] == std::to_string(server_->pid()) && lines[7] == "ready" &&
        PQping(ping.c_str()) == PQPING_OK) {
      return true;
    }
    std::this_thread::sleep_for(50ms);
  }
  why = "not accepting connections within " + std::to_string(kStartLimit.count()) +
        " s (started pid " + std::to_string(server_->pid()) + ", postmaster.pid names " +
        (lastPid.empty() ? "none" : lastPid) + ")";
  return false;
}

void PostgresServer::stop() {
  if (!server_) return;
  if (server_->running()) {
    server_->signal(SIGINT);  // fast shutdown
    if (!server_->wait(kStopLimit)) {
      std::fprintf(stderr,
                   "PostgresServer: still running %lld s after SIGINT (fast shutdown); SIGKILL\n",
                   static_cast<long long>(kStopLimit.count()));
      kill9();
      return;
    }
  }
  server_.reset();
}

void PostgresServer::kill9() {
  if (!server_) return;
  if (server_->running()) {
    ::kill(-server_->pid(), SIGKILL);  // the postmaster's process group: it and every backend
    if (!server_->wait(Process::kReapLimit)) {
      std::fprintf(stderr, "PostgresServer: postmaster (pid %d) not reaped %lld s after SIGKILL\n",
                   static_cast<int>(server_->pid()),
                   static_cast<long long>(Process::kReapLimit.count()));
    }
  }
  server_.reset();  // reaps under a Deadline if the wait above ran out
}

bool PostgresServer::running() {
  return server_ && server_->running();
}

std::string PostgresServer::conninfo(const std::string& db) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=" + kUser + " dbname=" + db;
}

std::string PostgresServer::createDatabase(const std::string& name) {
  bool ok = !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_');
  for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  if (!ok) throw std::invalid_argument("PostgresServer: bad database name `" + name + "`");
  execute("postgres", "CREATE DATABASE " + name);
  return conninfo(name);
}

void PostgresServer::execute(const std::string& db, const std::string& sql) {
  // Bounded: connect_timeout for the connection, statement_timeout for the statements.
  Connection conn(conninfo(db) + " connect_timeout=10 options='-c statement_timeout=60000'");
  conn.exec(sql);
}

std::string PostgresServer::queryValue(const std::string& db, const std::string& sql) {
  Connection conn(conninfo(db) + " connect_timeout=10 options='-c statement_timeout=60000'");
  auto r = conn.exec(sql);
  if (PQntuples(r.get()) < 1 || PQnfields(r.get()) < 1) {
    throw std::runtime_error("PostgresServer: `" + sql + "` returned no row");
  }
  return PQgetisnull(r.get(), 0, 0) ? "" : PQgetvalue(r.get(), 0, 0);
}

std::string PostgresServer::log() const {
  return readText(logFile_);
}

}  // namespace vigil::testsupport
