// `store check` and `store backup` on PostgreSQL: index checks (amcheck when installed) and
// pg_dump in its custom format.
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "files.hpp"
#include "vigil/core/log.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/postgres.hpp"

extern char** environ;

namespace vigil::store {

std::vector<std::string> postgresIntegrityProblems(Connection& c) {
  std::vector<std::string> problems;
  {
    auto st = c.prepare(
        "SELECT i.indexrelid::regclass::text FROM pg_index i"
        " JOIN pg_class t ON t.oid = i.indrelid"
        " JOIN pg_namespace n ON n.oid = t.relnamespace"
        " WHERE n.nspname = current_schema() AND NOT (i.indisvalid AND i.indisready)"
        " ORDER BY 1");
    while (st.step()) problems.push_back("index " + st.getText(0) + " is not valid");
  }
  const bool amcheck =
      c.queryValue<std::int64_t>("SELECT count(*) FROM pg_extension WHERE extname = 'amcheck'")
          .value_or(0) > 0;
  if (!amcheck) return problems;
  // amcheck's functions are the superuser's until granted: one clear line, not one per index.
  const auto role = c.queryValue<std::string>("SELECT current_user").value_or("vigil");
  if (c.queryValue<std::int64_t>("SELECT has_function_privilege('bt_index_check(regclass, "
                                 "boolean)', 'EXECUTE')::int")
          .value_or(0) == 0) {
    problems.push_back("amcheck is installed but " + role +
                       " may not run it: GRANT EXECUTE ON FUNCTION bt_index_check(regclass, "
                       "boolean) TO " +
                       role + " (as a superuser), or DROP EXTENSION amcheck");
    return problems;
  }
  std::vector<std::string> indexes;
  {
    auto st = c.prepare(
        "SELECT i.indexrelid::regclass::text FROM pg_index i"
        " JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam"
        " JOIN pg_namespace n ON n.oid = ic.relnamespace"
        " WHERE n.nspname = current_schema() AND am.amname = 'btree' AND i.indisvalid"
        " ORDER BY 1");
    while (st.step()) indexes.push_back(st.getText(0));
  }
  for (const auto& index : indexes) {
    Transaction sp(c);  // a corrupt index aborts only its own check
    try {
      auto st = c.prepare("SELECT bt_index_check(?1::regclass, true)");
      st.bind(1, index);
      st.run();
      sp.commit();
    } catch (const PgError& e) {
      problems.push_back("index " + index + ": " + e.what());
    }
  }
  return problems;
}

std::vector<std::string> checkIntegrityPostgres(const std::string& conninfo) {
  auto conn = Connection::openPostgres(conninfo, Connection::Mode::readOnly);
  Transaction snapshot(*conn, Transaction::Kind::deferred);
  auto problems = postgresIntegrityProblems(*conn);
  snapshot.commit();
  return problems;
}

namespace {

/// Runs pg_dump with stderr piped; calls onLine for each line it writes. Returns its exit
/// status (or -1 when it could not start).
int runPgDump(const std::vector<std::string>& args,
              const std::function<void(std::string)>& onLine) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return -1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDERR_FILENO);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(pipefd[1]);
  if (rc != 0) {
    ::close(pipefd[0]);
    return -1;
  }
  std::string pending;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(pipefd[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buf, static_cast<std::size_t>(n));
    for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
      onLine(pending.substr(0, nl));
      pending.erase(0, nl + 1);
    }
  }
  ::close(pipefd[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

void backupPostgres(const std::string& conninfo, const std::filesystem::path& dstPath,
                    const BackupProgress& progress) {
  int tables = 0;
  {
    auto conn = Connection::openPostgres(conninfo, Connection::Mode::readOnly);
    tables = static_cast<int>(
        conn->queryValue<std::int64_t>(
                "SELECT count(*) FROM information_schema.tables"
                " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")
            .value_or(0));
  }
  auto partial = dstPath;
  partial += ".partial";
  std::error_code ec;
  std::filesystem::remove(partial, ec);
  {
    // A backup holds every patient's record: readable by the owner only from its first byte.
    int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) throw StoreError("backup: cannot create " + partial.string());
    ::fchmod(fd, 0600);
    ::close(fd);
  }
  int done = 0;
  std::string lastError;
  if (progress) progress(0, tables);
  // --dbname takes the conninfo (keep passwords in ~/.pgpass, not in it: argv is visible).
  int rc = runPgDump({"pg_dump", "--format=custom", "--no-password", "--verbose",
                      "--file=" + partial.string(), "--dbname=" + conninfo},
                     [&](const std::string& line) {
                       if (line.find("dumping contents of table") != std::string::npos) {
                         ++done;
                         if (progress) progress(done, std::max(done, tables));
                       } else if (line.find("error") != std::string::npos) {
                         lastError = line;
                       }
                     });
  if (rc != 0) {
    std::filesystem::remove(partial, ec);
    throw StoreError(rc < 0 ? std::string("backup: pg_dump could not be started")
                            : "backup: pg_dump failed (exit " + std::to_string(rc) + ")" +
                                  (lastError.empty() ? "" : ": " + lastError));
  }
  fsyncPath(partial, false);
  std::filesystem::rename(partial, dstPath);
  auto dir = dstPath.parent_path();
  fsyncPath(dir.empty() ? std::filesystem::path(".") : dir, true);
  log::info("store.backup_written", {{"backend", "postgres"}, {"tables", done}});
}

}  // namespace vigil::store
