#pragma once
// vigil::store::Database: the store of one appliance (a SQLite file) or of several vigild
// nodes (a PostgreSQL database: Options::backend; docs/scale-out.md).
//
// Design (see docs/storage.md):
// - WAL mode, one writer connection owned by one writer thread, a pool of read-only reader
//   connections. WAL lets readers run while the writer commits; each read() sees one snapshot.
// - Writes are jobs (functions of a Connection&) queued on a bounded queue. The writer takes up
//   to batchSize queued jobs and runs them in ONE transaction (one fsync for the batch: that is
//   what makes synchronous=FULL affordable), each job inside its own SAVEPOINT.
// - Store-then-ack: a job's future (or completion callback) is resolved only after the COMMIT
//   of its batch returned, with synchronous=FULL, so the data is on disk before anyone acks it.
// - A job that throws is rolled back to its savepoint and fails alone (its future carries its
//   exception); the rest of the batch commits. If SQLite abandons the whole transaction during
//   a job (SQLITE_FULL or an I/O error may do that), that job fails and the other jobs of the
//   batch, rolled back with it, run again as a new batch. If BEGIN or COMMIT fails (busy past
//   the timeout, disk full at commit), every job of the batch fails with that SqliteError and
//   nothing of it is stored. The writer keeps running either way: after a disk-full error,
//   later writes succeed once there is room again.
// - Jobs run on the writer thread, already inside a transaction: they must not BEGIN/COMMIT/
//   ROLLBACK themselves (a vigil::store::Transaction inside a job becomes a savepoint), must not
//   call writeSync() (deadlock, asserted) and should not block on anything but the DB. A job
//   runs once, except that it may run again (as above) after a run that was rolled back: only
//   one run is ever committed, so a job must not have effects outside the Connection that
//   matter twice (capturing its result, as write() does, is fine).
// - SQLITE_BUSY: every connection has a busy timeout (waits, does not fail fast); read() also
//   retries the whole read function a few times on SQLITE_BUSY, so callers do not see it unless
//   another process holds a lock for longer than the timeout.
// - Numbered migrations run at open (see migrations.hpp); a newer schema is refused untouched.
// - PostgreSQL: the same writer thread and batches, each batch one SERIALIZABLE transaction, so
//   a job's read-then-write stays as atomic as under SQLite's single writer even when other
//   nodes write the same rows; a batch that loses a race (serialization failure, deadlock) is
//   rolled back and run again whole (each job runs again: see above), up to
//   kRetryableAttempts times. Reads run in REPEATABLE READ READ ONLY transactions (one snapshot).

#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "vigil/core/metrics.hpp"
#include "vigil/store/migrations.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::store {

/// How the store is opened. Defaults are the product's.
struct Options {
  /// The engine: sqlite (the file at `path`) or postgres (the database at `conninfo`).
  Backend backend = Backend::sqlite;
  std::filesystem::path path;
  /// libpq conninfo string or URL, for backend postgres.
  std::string conninfo;
  /// The schema; tests supply their own list.
  MigrationList migrations = productMigrations();
  /// The PostgreSQL schema (a baseline, then the same numbers as `migrations`); tests with a
  /// list of their own pass postgresDialect(theirs).
  MigrationList postgresMigrations = productPostgresMigrations();
  /// Read-only connections in the pool (concurrent read() calls beyond this wait).
  std::size_t readers = 4;
  /// At most this many jobs per transaction.
  std::size_t batchSize = 500;
  /// Group commit, as PostgreSQL's commit_delay / commit_siblings: when the writer takes a job
  /// and at least `commitSiblings` other jobs are already queued behind it (writes are arriving
  /// concurrently), it waits up to `linger` for more before committing a non-full batch; a job
  /// with fewer siblings commits at once, so a lone write never pays the wait. Batches also form
  /// without any wait, because jobs queue up while the previous batch is being fsynced.
  /// linger 0: never wait.
  std::chrono::microseconds linger{0};
  std::size_t commitSiblings = 1;
  /// A postDeferred() job waits at most this long for a batch to ride with.
  std::chrono::milliseconds deferMax{100};
  /// Queued jobs beyond this make post()/write() block and tryPost() fail (back-pressure).
  std::size_t queueCapacity = 10'000;
  /// How long a connection waits for a lock held by another connection before it reports
  /// busy (SQLITE_BUSY; PostgreSQL's lock_timeout).
  std::chrono::milliseconds busyTimeout{5000};
  /// synchronous=FULL (fsync the WAL at every commit). false = NORMAL: only for benchmarks and
  /// tests, it breaks store-then-ack on power loss.
  bool synchronousFull = true;
  /// Where store metrics go; nullptr = vigil::Metrics::global().
  Metrics* metrics = nullptr;
};

/// A queued write: runs on the writer thread inside the batch transaction.
using WriteJob = std::function<void(Connection&)>;
/// Called on the writer thread after the batch committed (nullptr) or failed (the error).
using WriteDone = std::function<void(std::exception_ptr)>;
/// Backup progress: pages copied so far, total pages.
using BackupProgress = std::function<void(int pagesDone, int pagesTotal)>;

/// The open store: migrations applied, writer thread running, reader pool ready.
class Database {
 public:
  /// Opens (creating if needed) and migrates. Throws StoreError (newer schema, failed
  /// migration, cannot open).
  static std::unique_ptr<Database> open(Options options);
  explicit Database(Options options);
  /// close()s.
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // --- writes ---
  /// Queues job; done runs after its batch committed or failed. Blocks while the queue is full.
  /// Throws StoreError when the store is closed.
  void post(WriteJob job, WriteDone done);
  /// Like post() but never blocks: false when the queue is full or the store is closed.
  bool tryPost(WriteJob job, WriteDone done);
  /// A job that needs no commit (no fsync) of its own: it runs at the end of the next batch the
  /// writer commits anyway, once every job posted before it has been taken into a batch (so it
  /// never commits ahead of them), or in a batch of its own Options::deferMax after it was
  /// posted if no other write comes. For bookkeeping whose loss in a crash only repeats work
  /// (the alert engine's "evaluated through" mark): a lone device's next reading then pays one
  /// fsync, not two. Never blocks; false when the store is closed.
  bool postDeferred(WriteJob job, WriteDone done);
  /// Queues fn(Connection&) -> R; the future is ready after the commit (store-then-ack).
  template <class F>
  auto write(F&& fn) -> std::future<std::invoke_result_t<F&, Connection&>>;
  /// write(fn).get(). Not from inside a job.
  template <class F>
  auto writeSync(F&& fn) -> std::invoke_result_t<F&, Connection&> {
    assertNotWriterThread();
    return write(std::forward<F>(fn)).get();
  }

  /// Calls fn on the writer thread after every batch, once the completions of all its jobs ran
  /// (e.g. to send one message for everything the batch committed). Returns an id for
  /// removeBatchObserver. Not from inside a job or an observer.
  std::uint64_t addBatchObserver(std::function<void()> fn);
  /// Returns once fn is no longer running and will not run again.
  void removeBatchObserver(std::uint64_t id);

  // --- reads ---
  /// Runs fn(Connection&) on a pooled read-only connection inside one read transaction (one
  /// consistent snapshot) and returns its result. Retries on SQLITE_BUSY.
  template <class F>
  auto read(F&& fn) -> std::invoke_result_t<F&, Connection&>;

  // --- maintenance ---
  Backend backend() const;
  /// SQLite: PRAGMA integrity_check. PostgreSQL: invalid indexes, and every B-tree index checked
  /// with amcheck when that extension is installed. The problems found; empty means sound.
  std::vector<std::string> integrityCheck();
  /// Online backup to dstPath (written as dstPath.partial, fsynced, then renamed), copying a
  /// consistent snapshot while writes go on: SQLite's backup API, or pg_dump's custom format
  /// (progress in tables). Throws StoreError.
  void backup(const std::filesystem::path& dstPath, const BackupProgress& progress = {});
  /// Bytes on disk: the database file plus its WAL (PostgreSQL: pg_database_size).
  std::uint64_t sizeBytes() const;
  /// The schema version (PRAGMA user_version, PostgreSQL: schema_migrations) after migrations.
  int schemaVersion() const;
  /// Jobs queued and not yet picked up by the writer.
  std::size_t queueDepth() const;
  const std::filesystem::path& path() const;
  /// Stops accepting writes, commits everything queued, stops the writer, closes connections.
  /// Idempotent. Reads must be finished before close.
  void close();

 private:
  struct Impl;
  /// A reader connection borrowed from the pool, returned on destruction.
  class ReaderLease {
   public:
    ReaderLease(Impl& impl, Connection& conn) : impl_(impl), conn_(conn) {}
    ~ReaderLease();
    ReaderLease(const ReaderLease&) = delete;
    ReaderLease& operator=(const ReaderLease&) = delete;
    Connection& conn() { return conn_; }

   private:
    Impl& impl_;
    Connection& conn_;
  };
  ReaderLease borrowReader();
  static bool retryRead(const DbError& e, int attempt);
  void openSqliteConnections();
  void openPostgresConnections();
  void assertNotWriterThread() const;

  std::unique_ptr<Impl> impl_;
};

/// PRAGMA integrity_check on a database file through a read-only connection (no migrations;
/// safe while vigild runs): the problems, empty when sound.
std::vector<std::string> checkIntegrity(const std::filesystem::path& path);
/// Online backup of the database file srcPath to dstPath (see Database::backup); safe while
/// vigild runs. This is `vigild store backup FILE`.
void backupDatabase(const std::filesystem::path& srcPath, const std::filesystem::path& dstPath,
                    const BackupProgress& progress = {});
/// The integrity problems of the PostgreSQL database c is connected to (see integrityCheck).
std::vector<std::string> postgresIntegrityProblems(Connection& c);
/// `vigild store check` on PostgreSQL: the problems, empty when sound (see integrityCheck).
std::vector<std::string> checkIntegrityPostgres(const std::string& conninfo);
/// `vigild store backup FILE` on PostgreSQL: pg_dump --format=custom of the database, written
/// as FILE.partial (mode 0600), fsynced, renamed; progress counts tables dumped.
void backupPostgres(const std::string& conninfo, const std::filesystem::path& dstPath,
                    const BackupProgress& progress = {});
/// Backs up from an open connection (a read transaction is opened if none is).
void backupFrom(Connection& src, const std::filesystem::path& dstPath,
                const BackupProgress& progress = {});

// --- template implementations ---

template <class F>
auto Database::write(F&& fn) -> std::future<std::invoke_result_t<F&, Connection&>> {
  using R = std::invoke_result_t<F&, Connection&>;
  auto promise = std::make_shared<std::promise<R>>();
  auto future = promise->get_future();
  if constexpr (std::is_void_v<R>) {
    post([f = std::forward<F>(fn)](Connection& c) mutable { f(c); },
         [promise](std::exception_ptr e) {
           if (e) {
             promise->set_exception(e);
           } else {
             promise->set_value();
           }
         });
  } else {
    auto result = std::make_shared<std::optional<R>>();
    post([f = std::forward<F>(fn), result](Connection& c) mutable { result->emplace(f(c)); },
         [promise, result](std::exception_ptr e) {
           if (e) {
             promise->set_exception(e);
           } else {
             promise->set_value(std::move(**result));
           }
         });
  }
  return future;
}

template <class F>
auto Database::read(F&& fn) -> std::invoke_result_t<F&, Connection&> {
  using R = std::invoke_result_t<F&, Connection&>;
  auto lease = borrowReader();
  for (int attempt = 0;; ++attempt) {
    try {
      Transaction tx(lease.conn());
      if constexpr (std::is_void_v<R>) {
        fn(lease.conn());
        tx.commit();
        return;
      } else {
        R r = fn(lease.conn());
        tx.commit();
        return r;
      }
    } catch (const DbError& e) {
      if (!retryRead(e, attempt)) throw;
      if (e.isConnectionLost()) lease.conn().ensureConnected();  // throws while it is down
    }
  }
}

}  // namespace vigil::store
