#include "vigil/store/database.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "files.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/thread_name.hpp"

namespace vigil::store {
namespace {

constexpr int kReadRetries = 5;
/// A PostgreSQL batch that keeps losing races to other nodes fails after this many runs.
constexpr int kRetryableAttempts = 20;
constexpr int kBackupPagesPerStep = 256;
constexpr int kBackupBusyRetries = 250;  // x 20 ms

std::uint64_t fileSize(const std::filesystem::path& p) {
  std::error_code ec;
  auto n = std::filesystem::file_size(p, ec);
  return ec ? 0 : static_cast<std::uint64_t>(n);
}

std::filesystem::path withSuffix(const std::filesystem::path& p, const char* suffix) {
  auto s = p;
  s += suffix;
  return s;
}

void resetBusyStatements(Connection& conn) {
  conn.resetBusyStatements();
}

}  // namespace

struct Database::Impl {
  struct Job {
    WriteJob run;
    WriteDone done;
  };
  /// Shared with metric callbacks, which may outlive the Database.
  struct Shared {
    std::atomic<std::size_t> depth{0};
    std::filesystem::path path;
  };

  explicit Impl(Options o) : options(std::move(o)) {}

  Options options;
  std::unique_ptr<Connection> writer;
  std::thread writerThread;
  std::atomic<std::thread::id> writerId{};
  int schemaVersion = 0;

  mutable std::mutex queueMutex;
  std::condition_variable queueNotEmpty;
  std::condition_variable queueNotFull;
  std::deque<Job> queue;
  /// postDeferred() jobs: each rides once `after` regular jobs have been taken into batches.
  struct Deferred {
    Job job;
    std::uint64_t after;
    std::chrono::steady_clock::time_point at;
  };
  std::deque<Deferred> deferred;
  std::uint64_t posted = 0;  // regular jobs queued so far
  std::uint64_t taken = 0;   // regular jobs taken into batches so far
  bool stopping = false;
  bool closed = false;

  std::mutex observerMutex;  // held while observers run: removal waits for a running one
  std::vector<std::pair<std::uint64_t, std::function<void()>>> observers;
  std::uint64_t nextObserverId = 1;

  std::mutex poolMutex;
  std::condition_variable poolAvailable;
  std::vector<std::unique_ptr<Connection>> readers;  // all of them
  std::vector<Connection*> idle;                     // those not lent out
  bool poolClosed = false;

  std::shared_ptr<Shared> shared = std::make_shared<Shared>();

  Counter* batchesCommitted = nullptr;
  Counter* jobsCommitted = nullptr;
  Counter* jobsFailed = nullptr;
  Counter* batchesFailed = nullptr;
  Counter* diskFull = nullptr;
  Counter* commitMicros = nullptr;
  Gauge* lastCommitSeconds = nullptr;

  void registerMetrics();
  void writerLoop();
  /// Waits for work and moves the next batch into `batch` (empty: stopping and drained).
  void takeBatch(std::vector<Job>& batch);
  /// When a job abandons the transaction, the other jobs run again: as a new batch, or after a
  /// disk-full abandon each in a transaction of its own (a full disk stays full: retrying the
  /// batch would fail one job per round, O(n²); alone, each job is judged once, and one that
  /// needs no new page, such as raising max_page_count, still succeeds).
  /// retryInnocents false: a job that abandons fails the whole batch.
  void runBatch(std::vector<Job>& batch, bool retryInnocents = true, int attempt = 1);
  /// After a job abandoned the transaction: fails it and the jobs that had failed on their own,
  /// runs the others again (see runBatch).
  void runInnocentsAgain(std::vector<Job>& batch, const std::vector<std::exception_ptr>& errors,
                         std::size_t failedJobs, bool full, const std::string& reason);
  static void complete(Job& job, std::exception_ptr error);
};

void Database::Impl::registerMetrics() {
  Metrics& m = options.metrics != nullptr ? *options.metrics : Metrics::global();
  batchesCommitted =
      &m.counter("vigil_store_batches_committed_total", "Write transactions committed");
  jobsCommitted = &m.counter("vigil_store_jobs_committed_total", "Write jobs committed");
  jobsFailed = &m.counter("vigil_store_jobs_failed_total", "Write jobs that failed");
  batchesFailed =
      &m.counter("vigil_store_batches_failed_total", "Write transactions rolled back entirely");
  diskFull = &m.counter("vigil_store_disk_full_total", "Write transactions refused: disk full");
  commitMicros = &m.counter("vigil_store_commit_microseconds_total",
                            "Time spent in write transactions (begin to commit), microseconds");
  lastCommitSeconds =
      &m.gauge("vigil_store_last_commit_seconds", "Duration of the last write transaction");
  std::weak_ptr<Shared> weak = shared;
  m.callbackGauge("vigil_store_write_queue_depth", "Write jobs waiting for the writer", [weak] {
    auto s = weak.lock();
    return s ? static_cast<double>(s->depth.load()) : 0.0;
  });
  m.callbackGauge("vigil_store_size_bytes", "Database file plus WAL, bytes", [weak] {
    auto s = weak.lock();
    if (!s) return 0.0;
    return static_cast<double>(fileSize(s->path) + fileSize(withSuffix(s->path, "-wal")));
  });
}

void Database::Impl::complete(Job& job, std::exception_ptr error) {
  if (!job.done) return;
  try {
    job.done(std::move(error));
  } catch (const std::exception& e) {
    log::error("store.completion_threw", {{"reason", e.what()}});
  } catch (...) {
    log::error("store.completion_threw", {{"reason", "unknown"}});
  }
}

void Database::Impl::takeBatch(std::vector<Job>& batch) {
  std::unique_lock lock(queueMutex);
  while (queue.empty() && !stopping) {
    if (deferred.empty()) {
      queueNotEmpty.wait(lock);
    } else if (!queueNotEmpty.wait_until(lock, deferred.front().at + options.deferMax,
                                         [&] { return stopping || !queue.empty(); })) {
      break;  // a deferred job is due and no batch came to ride with: it commits alone
    }
  }
  if (!queue.empty()) {
    // Group commit: wait for more only when others are already writing (commitSiblings jobs
    // queued behind this one); a lone job commits at once.
    const bool othersWaiting = queue.size() > options.commitSiblings;
    if (options.linger.count() > 0 && othersWaiting && queue.size() < options.batchSize &&
        !stopping) {
      queueNotEmpty.wait_for(lock, options.linger,
                             [&] { return stopping || queue.size() >= options.batchSize; });
    }
    std::size_t n = std::min(queue.size(), options.batchSize);
    for (std::size_t i = 0; i < n; ++i) {
      batch.push_back(std::move(queue.front()));
      queue.pop_front();
    }
    taken += n;
    shared->depth.store(queue.size());
  }
  // Deferred jobs ride at the end, once everything posted before them is in this batch or an
  // earlier one: they never commit ahead of a job queued before them.
  while (!deferred.empty() && deferred.front().after <= taken) {
    batch.push_back(std::move(deferred.front().job));
    deferred.pop_front();
  }
}

void Database::Impl::writerLoop() {
  writerId.store(std::this_thread::get_id());
  std::vector<Job> batch;
  for (;;) {
    takeBatch(batch);
    if (batch.empty()) return;  // stopping and drained
    queueNotFull.notify_all();
    runBatch(batch);
    batch.clear();
    std::lock_guard lock(observerMutex);
    for (auto& [id, fn] : observers) {
      try {
        fn();
      } catch (const std::exception& e) {
        log::error("store.observer_threw", {{"reason", e.what()}});
      }
    }
  }
}

void Database::Impl::runInnocentsAgain(std::vector<Job>& batch,
                                       const std::vector<std::exception_ptr>& errors,
                                       std::size_t failedJobs, bool full,
                                       const std::string& reason) {
  // They were rolled back with the transaction, never committed.
  log::warn("store.batch_retried", {{"jobs", static_cast<std::uint64_t>(batch.size())},
                                    {"disk_full", full},
                                    {"reason", reason}});
  std::vector<Job> again;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (errors[i]) {
      complete(batch[i], errors[i]);
    } else {
      again.push_back(std::move(batch[i]));
    }
  }
  jobsFailed->inc(failedJobs);
  if (!full) {
    if (!again.empty()) runBatch(again);
    return;
  }
  for (auto& job : again) {
    std::vector<Job> alone;
    alone.push_back(std::move(job));
    runBatch(alone, false);
  }
}

void Database::Impl::runBatch(std::vector<Job>& batch, bool retryInnocents, int attempt) {
  Connection& conn = *writer;
  std::vector<std::exception_ptr> errors(batch.size());
  std::size_t failedJobs = 0;
  // The job during which SQLite abandoned the transaction (its error, a ROLLBACK it ran), if
  // any: then the others are innocent and get another chance.
  std::optional<std::size_t> culprit;
  // PostgreSQL: the batch lost a race with another node's transaction, or the connection broke
  // before COMMIT: nothing of it was committed, every job runs again.
  bool lostRace = false;
  bool disconnected = false;
  bool committing = false;
  const auto start = std::chrono::steady_clock::now();
  try {
    conn.ensureConnected();  // after a server restart or fail-over: throws while it is down
    conn.cached(conn.beginSql(true)).run();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      conn.cached("SAVEPOINT vigil_job").run();
      try {
        batch[i].run(conn);
        resetBusyStatements(conn);
        conn.cached("RELEASE vigil_job").run();
      } catch (const DbError& e) {
        const bool again = e.isRetryable() || e.isConnectionLost();
        if (!again) {
          errors[i] = std::current_exception();
          ++failedJobs;
        }
        resetBusyStatements(conn);
        if (again || !conn.inTransaction()) {
          lostRace = again;
          if (!lostRace) culprit = i;
          throw;
        }
        conn.cached("ROLLBACK TO vigil_job").run();
        conn.cached("RELEASE vigil_job").run();
      } catch (...) {
        errors[i] = std::current_exception();
        ++failedJobs;
        resetBusyStatements(conn);
        if (!conn.inTransaction()) {
          culprit = i;
          throw;
        }
        conn.cached("ROLLBACK TO vigil_job").run();
        conn.cached("RELEASE vigil_job").run();
      }
    }
    committing = true;
    conn.cached("COMMIT").run();
  } catch (...) {
    auto batchError = std::current_exception();
    if (conn.inTransaction()) {
      try {
        resetBusyStatements(conn);
        conn.exec("ROLLBACK");
      } catch (...) {
        // Nothing more to undo; the connection stays usable for the next batch.
      }
    }
    bool full = false;
    std::string reason = "unknown";
    try {
      std::rethrow_exception(batchError);
    } catch (const DbError& e) {
      full = e.isDiskFull();
      // A connection lost during COMMIT leaves the commit in doubt: the jobs fail (their callers
      // retry; readings are de-duplicated), they do not silently run twice.
      disconnected = e.isConnectionLost();
      lostRace = lostRace || e.isRetryable() || (disconnected && !committing);
      reason = e.what();
    } catch (const std::exception& e) {
      reason = e.what();
    } catch (...) {
    }
    if (full) diskFull->inc();
    batchesFailed->inc();
    if (lostRace && attempt < kRetryableAttempts) {
      // Nothing of the batch was committed: run all of it again (jobs that had failed on their
      // own run again too: their failure may have been the race's doing), after a short pause
      // that grows, so two nodes' batches stop colliding.
      log::debug("store.batch_lost_race", {{"attempt", attempt}, {"reason", reason}});
      // A server restarting or failing over takes seconds: wait longer for it than for a race.
      std::this_thread::sleep_for(std::chrono::milliseconds(attempt * (disconnected ? 100 : 2)));
      runBatch(batch, retryInnocents, attempt + 1);
      return;
    }
    if (culprit && retryInnocents) {
      runInnocentsAgain(batch, errors, failedJobs, full, reason);
      return;
    }
    jobsFailed->inc(batch.size());
    log::error("store.batch_failed", {{"jobs", static_cast<std::uint64_t>(batch.size())},
                                      {"disk_full", full},
                                      {"reason", reason}});
    for (std::size_t i = 0; i < batch.size(); ++i) {
      complete(batch[i], errors[i] ? errors[i] : batchError);
    }
    return;
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  batchesCommitted->inc();
  jobsCommitted->inc(batch.size() - failedJobs);
  jobsFailed->inc(failedJobs);
  commitMicros->inc(static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()));
  lastCommitSeconds->set(std::chrono::duration<double>(elapsed).count());
  for (std::size_t i = 0; i < batch.size(); ++i) complete(batch[i], errors[i]);
}

// --- Database ---

std::unique_ptr<Database> Database::open(Options options) {
  return std::make_unique<Database>(std::move(options));
}

void Database::openSqliteConnections() {
  auto& o = impl_->options;
  if (o.path.empty()) throw StoreError("store path is empty");
  validateMigrations(o.migrations);
  const int highest = static_cast<int>(o.migrations.size());
  // Check the version before opening for writing: a newer database is never touched.
  refuseNewerSchema(readSchemaVersion(o.path), highest);

  impl_->writer =
      std::make_unique<Connection>(o.path, Connection::Mode::readWriteCreate, o.busyTimeout);
  Connection& w = *impl_->writer;
  auto mode = w.queryValue<std::string>("PRAGMA journal_mode=WAL");
  if (mode != "wal") throw StoreError("store could not switch the database to WAL mode");
  w.exec(o.synchronousFull ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  w.exec("PRAGMA foreign_keys=ON");
  // Deleted and overwritten content is zeroed, not left in free space: a value sealed in place
  // of plaintext (an upgrade), a dropped quarantine payload or a removed row leaves no copy.
  w.exec("PRAGMA secure_delete=ON");
  // Keep the WAL file from staying large after a burst once it has been checkpointed.
  w.exec("PRAGMA journal_size_limit=67108864");
  migrate(w, o.migrations);
  impl_->schemaVersion =
      static_cast<int>(w.queryValue<std::int64_t>("PRAGMA user_version").value_or(0));

  for (std::size_t i = 0; i < o.readers; ++i) {
    impl_->readers.push_back(
        std::make_unique<Connection>(o.path, Connection::Mode::readOnly, o.busyTimeout));
    impl_->idle.push_back(impl_->readers.back().get());
  }
}

void Database::openPostgresConnections() {
  auto& o = impl_->options;
  if (o.conninfo.empty()) throw StoreError("store.conninfo is empty (store.backend = postgres)");
  impl_->writer = Connection::openPostgres(o.conninfo, Connection::Mode::readWrite, o.busyTimeout);
  Connection& w = *impl_->writer;
  // synchronous_commit stays the server's (on): a commit returns once its WAL is flushed.
  if (!o.synchronousFull) w.exec("SET synchronous_commit = off");
  migratePostgres(w, o.postgresMigrations);
  impl_->schemaVersion = postgresSchemaVersion(w);
  for (std::size_t i = 0; i < o.readers; ++i) {
    impl_->readers.push_back(
        Connection::openPostgres(o.conninfo, Connection::Mode::readOnly, o.busyTimeout));
    impl_->idle.push_back(impl_->readers.back().get());
  }
}

Database::Database(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {
  auto& o = impl_->options;
  if (o.readers == 0 || o.batchSize == 0 || o.queueCapacity == 0) {
    throw StoreError("store readers, batch size and queue capacity must be positive");
  }
  if (o.backend == Backend::postgres) {
    openPostgresConnections();
  } else {
    openSqliteConnections();
  }
  impl_->shared->path = o.path;
  impl_->registerMetrics();
  impl_->writerThread = std::thread([this] {
    nameThisThread("vigil-store");
    impl_->writerLoop();
  });
  log::info("store.opened", {{"backend", backendName(o.backend)},
                             {"schema", impl_->schemaVersion},
                             {"readers", static_cast<std::uint64_t>(o.readers)},
                             {"batch_size", static_cast<std::uint64_t>(o.batchSize)}});
}

Database::~Database() {
  close();
}

void Database::close() {
  assert(std::this_thread::get_id() != impl_->writerId.load() && "close() called from a job");
  {
    std::lock_guard lock(impl_->queueMutex);
    if (impl_->closed) return;
    impl_->closed = true;
    impl_->stopping = true;
  }
  impl_->queueNotEmpty.notify_all();
  impl_->queueNotFull.notify_all();
  if (impl_->writerThread.joinable()) impl_->writerThread.join();
  {
    std::unique_lock lock(impl_->poolMutex);
    impl_->poolClosed = true;  // read() calls waiting for a connection now fail
    impl_->poolAvailable.notify_all();
    impl_->poolAvailable.wait(lock, [&] { return impl_->idle.size() == impl_->readers.size(); });
    impl_->idle.clear();
    impl_->readers.clear();
  }
  // The writer closes last: closing the last connection checkpoints and removes the WAL.
  impl_->writer.reset();
  log::info("store.closed");
}

std::uint64_t Database::addBatchObserver(std::function<void()> fn) {
  assertNotWriterThread();
  std::lock_guard lock(impl_->observerMutex);
  auto id = impl_->nextObserverId++;
  impl_->observers.emplace_back(id, std::move(fn));
  return id;
}

void Database::removeBatchObserver(std::uint64_t id) {
  assertNotWriterThread();
  std::lock_guard lock(impl_->observerMutex);
  std::erase_if(impl_->observers, [id](const auto& o) { return o.first == id; });
}

void Database::post(WriteJob job, WriteDone done) {
  assert(job && "empty write job");
  {
    std::unique_lock lock(impl_->queueMutex);
    impl_->queueNotFull.wait(lock, [&] {
      return impl_->stopping || impl_->queue.size() < impl_->options.queueCapacity;
    });
    if (impl_->stopping) throw StoreError("store is closed");
    impl_->queue.push_back({std::move(job), std::move(done)});
    ++impl_->posted;
    impl_->shared->depth.store(impl_->queue.size());
  }
  impl_->queueNotEmpty.notify_one();
}

bool Database::tryPost(WriteJob job, WriteDone done) {
  assert(job && "empty write job");
  {
    std::lock_guard lock(impl_->queueMutex);
    if (impl_->stopping || impl_->queue.size() >= impl_->options.queueCapacity) return false;
    impl_->queue.push_back({std::move(job), std::move(done)});
    ++impl_->posted;
    impl_->shared->depth.store(impl_->queue.size());
  }
  impl_->queueNotEmpty.notify_one();
  return true;
}

bool Database::postDeferred(WriteJob job, WriteDone done) {
  assert(job && "empty write job");
  {
    std::lock_guard lock(impl_->queueMutex);
    if (impl_->stopping) return false;
    impl_->deferred.push_back(
        {{std::move(job), std::move(done)}, impl_->posted, std::chrono::steady_clock::now()});
  }
  impl_->queueNotEmpty.notify_one();
  return true;
}

void Database::assertNotWriterThread() const {
  assert(std::this_thread::get_id() != impl_->writerId.load() &&
         "writeSync() called from a write job");
}

Database::ReaderLease Database::borrowReader() {
  std::unique_lock lock(impl_->poolMutex);
  impl_->poolAvailable.wait(lock, [&] { return impl_->poolClosed || !impl_->idle.empty(); });
  if (impl_->poolClosed) throw StoreError("store is closed");
  Connection* c = impl_->idle.back();
  impl_->idle.pop_back();
  return ReaderLease(*impl_, *c);
}

Database::ReaderLease::~ReaderLease() {
  resetBusyStatements(conn_);
  {
    std::lock_guard lock(impl_.poolMutex);
    impl_.idle.push_back(&conn_);
  }
  impl_.poolAvailable.notify_all();
}

bool Database::retryRead(const DbError& e, int attempt) {
  if (!(e.isBusy() || e.isRetryable() || e.isConnectionLost()) || attempt >= kReadRetries)
    return false;
  log::warn("store.read_busy_retry", {{"attempt", attempt + 1}});
  std::this_thread::sleep_for(std::chrono::milliseconds(10 << attempt));
  return true;
}

Backend Database::backend() const {
  return impl_->options.backend;
}

std::vector<std::string> Database::integrityCheck() {
  if (backend() == Backend::postgres) return read(postgresIntegrityProblems);
  return read([](Connection& c) {
    std::vector<std::string> problems;
    auto st = c.prepare("PRAGMA integrity_check");
    while (st.step()) {
      auto line = st.getText(0);
      if (line != "ok") problems.push_back(std::move(line));
    }
    return problems;
  });
}

void Database::backup(const std::filesystem::path& dstPath, const BackupProgress& progress) {
  if (backend() == Backend::postgres) {
    backupPostgres(impl_->options.conninfo, dstPath, progress);
    return;
  }
  read([&](Connection& c) { backupFrom(c, dstPath, progress); });
}

std::uint64_t Database::sizeBytes() const {
  if (impl_->options.backend == Backend::postgres) {
    return const_cast<Database*>(this)->read([](Connection& c) {
      return static_cast<std::uint64_t>(
          c.queryValue<std::int64_t>("SELECT pg_database_size(current_database())").value_or(0));
    });
  }
  return fileSize(impl_->options.path) + fileSize(withSuffix(impl_->options.path, "-wal"));
}

int Database::schemaVersion() const {
  return impl_->schemaVersion;
}

std::size_t Database::queueDepth() const {
  std::lock_guard lock(impl_->queueMutex);
  return impl_->queue.size();
}

const std::filesystem::path& Database::path() const {
  return impl_->options.path;
}

// --- file-level maintenance ---

namespace {

/// A connection for `vigild store check/backup`, which run beside (or instead of) the daemon,
/// often as root. Read-write (it only reads) so that, when it is the last connection, SQLite
/// removes the -wal/-shm files it created: a read-only connection would leave them behind,
/// owned by root, and the daemon could then not open its database. Read-only when the caller
/// may not write the file.
std::unique_ptr<Connection> openForMaintenance(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) throw StoreError("no database at " + path.string());
  try {
    return std::make_unique<Connection>(path, Connection::Mode::readWrite);
  } catch (const SqliteError&) {
    return std::make_unique<Connection>(path, Connection::Mode::readOnly);
  }
}

}  // namespace

std::vector<std::string> checkIntegrity(const std::filesystem::path& path) {
  auto conn = openForMaintenance(path);
  Connection& c = *conn;
  std::vector<std::string> problems;
  auto st = c.prepare("PRAGMA integrity_check");
  while (st.step()) {
    auto line = st.getText(0);
    if (line != "ok") problems.push_back(std::move(line));
  }
  return problems;
}

void backupFrom(Connection& src, const std::filesystem::path& dstPath,
                const BackupProgress& progress) {
  // Holding a read transaction on the source for the whole copy pins one snapshot: commits by
  // the writer (another connection) then cannot force sqlite3_backup_step to restart, so the
  // backup finishes even under constant ingest.
  std::optional<Transaction> snapshot;
  if (!src.inTransaction()) snapshot.emplace(src, Transaction::Kind::deferred);
  (void)src.queryValue<std::int64_t>("SELECT count(*) FROM sqlite_schema");

  const auto partial = withSuffix(dstPath, ".partial");
  std::error_code ec;
  std::filesystem::remove(partial, ec);
  {
    // A backup holds every patient's record: readable by the owner only from its first byte,
    // whatever the umask (SQLite gives its journal the same mode).
    int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) throw StoreError("backup: cannot create " + partial.string());
    ::fchmod(fd, 0600);
    ::close(fd);
    Connection dst(partial, Connection::Mode::readWriteCreate);
    sqlite3_backup* b = sqlite3_backup_init(dst.handle(), "main", src.handle(), "main");
    if (b == nullptr) throwSqlite(dst.handle(), sqlite3_errcode(dst.handle()), "backup");
    int rc = SQLITE_OK;
    int busyRetries = 0;
    while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
      rc = sqlite3_backup_step(b, kBackupPagesPerStep);
      if (progress) {
        int total = sqlite3_backup_pagecount(b);
        progress(total - sqlite3_backup_remaining(b), total);
      }
      if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
        // The source is pinned by our snapshot, so this is the destination held by someone
        // else: wait a bounded time, then give up.
        if (++busyRetries > kBackupBusyRetries) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      } else {
        busyRetries = 0;
      }
    }
    int finish = sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
      std::filesystem::remove(partial, ec);
      throwSqlite(nullptr, rc, "backup");
    }
    if (finish != SQLITE_OK) {
      std::filesystem::remove(partial, ec);
      throwSqlite(dst.handle(), finish, "backup");
    }
  }
  if (snapshot) snapshot->commit();
  fsyncPath(partial, false);
  std::filesystem::rename(partial, dstPath);
  auto dir = dstPath.parent_path();
  fsyncPath(dir.empty() ? std::filesystem::path(".") : dir, true);
}

void backupDatabase(const std::filesystem::path& srcPath, const std::filesystem::path& dstPath,
                    const BackupProgress& progress) {
  auto src = openForMaintenance(srcPath);
  backupFrom(*src, dstPath, progress);
}

}  // namespace vigil::store
