#include "vigil/store/database.hpp"

#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "temp_dir.hpp"
#include "vigil/testsupport/deadline.hpp"

using namespace std::chrono_literals;
using vigil::store::Blob;
using vigil::store::Connection;
using vigil::store::Database;
using vigil::store::MigrationList;
using vigil::store::Options;
using vigil::store::SqliteError;
using vigil::store::test::TempDir;

namespace {
/// A store job's result (or its exception); aborts the test, saying so, if the writer has not
/// settled it within 30 s.
template <class Future>
decltype(auto) settled(Future&& f) {
  return vigil::testsupport::getWithin(std::forward<Future>(f), 30s,
                                       "waiting for a store job's result");
}

MigrationList testSchema() {
  return {
      {1, "items", "CREATE TABLE items(id INTEGER PRIMARY KEY, batch INTEGER, v INTEGER UNIQUE);"},
      {2, "blobs", "CREATE TABLE blobs(id INTEGER PRIMARY KEY, b BLOB);"}};
}

struct Fixture {
  TempDir dir;
  vigil::Metrics metrics;
  std::unique_ptr<Database> db;

  Options options() {
    Options o;
    o.path = dir / "store.db";
    o.migrations = testSchema();
    o.readers = 4;
    o.metrics = &metrics;
    return o;
  }
  void open(Options o) { db = Database::open(std::move(o)); }
  std::int64_t countItems() {
    return db->read([](Connection& c) {
      return c.queryValue<std::int64_t>("SELECT count(*) FROM items").value();
    });
  }
  std::uint64_t counter(const std::string& name) { return metrics.counter(name, "").value(); }
};

/// Holds the writer thread inside one job until release(), so jobs posted meanwhile queue up
/// and are committed together in the next batch.
class WriterGate {
 public:
  explicit WriterGate(Database& db) : gate_(release_.get_future().share()) {
    std::promise<void> started;
    auto running = started.get_future();
    db.post(
        [gate = gate_, &started](Connection&) {
          started.set_value();
          vigil::testsupport::Deadline bound("holding the writer for a WriterGate", 60s);
          gate.wait();
        },
        nullptr);
    vigil::testsupport::getWithin(running, 30s, "waiting for the writer to reach a WriterGate");
  }
  ~WriterGate() { release(); }
  void release() {
    if (!released_) release_.set_value();
    released_ = true;
  }

 private:
  std::promise<void> release_;
  std::shared_future<void> gate_;
  bool released_ = false;
};

std::future<std::int64_t> insertItem(Database& db, int v, int batch = 0) {
  return db.write([v, batch](Connection& c) {
    c.execute("INSERT INTO items(batch, v) VALUES (?1, ?2)", batch, v);
    return c.lastInsertRowid();
  });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(DatabaseTests)

BOOST_FIXTURE_TEST_CASE(resolves_a_write_after_commit_and_readers_see_it, Fixture) {
  open(options());
  auto id = settled(insertItem(*db, 7));
  BOOST_TEST(id == 1);
  BOOST_TEST(countItems() == 1);
  // A separate connection (another process would see the same) finds the committed row.
  Connection other(dir / "store.db", Connection::Mode::readOnly);
  BOOST_TEST(other.queryValue<std::int64_t>("SELECT v FROM items").value() == 7);
  BOOST_TEST(counter("vigil_store_jobs_committed_total") == 1u);
  BOOST_TEST(counter("vigil_store_batches_committed_total") == 1u);
}

BOOST_FIXTURE_TEST_CASE(commits_queued_jobs_together_in_batches_of_at_most_batch_size, Fixture) {
  auto o = options();
  o.batchSize = 40;
  open(o);
  std::vector<std::future<std::int64_t>> futures;
  {
    WriterGate gate(*db);
    for (int i = 0; i < 100; ++i) futures.push_back(insertItem(*db, i));
    BOOST_TEST(db->queueDepth() == 100u);
  }
  for (auto& f : futures) settled(f);
  BOOST_TEST(countItems() == 100);
  // The gate's own batch, then 40 + 40 + 20.
  BOOST_TEST(counter("vigil_store_batches_committed_total") == 4u);
  BOOST_TEST(counter("vigil_store_jobs_committed_total") == 101u);
  BOOST_TEST(db->queueDepth() == 0u);
}

// Group commit (issue 28): the linger is paid only when other writes are already waiting.
BOOST_FIXTURE_TEST_CASE(a_lone_write_commits_at_once_whatever_the_linger, Fixture) {
  auto o = options();
  o.linger = 20s;
  open(o);
  auto started = std::chrono::steady_clock::now();
  BOOST_TEST(settled(insertItem(*db, 1)) == 1);
  BOOST_TEST((std::chrono::steady_clock::now() - started < 10s));
  BOOST_TEST(counter("vigil_store_batches_committed_total") == 1u);
}

BOOST_FIXTURE_TEST_CASE(lingers_for_more_jobs_when_others_are_already_queued, Fixture) {
  auto o = options();
  o.linger = 20s;
  o.batchSize = 3;
  open(o);
  std::future<std::int64_t> a, b;
  {
    WriterGate gate(*db);
    a = insertItem(*db, 1);
    b = insertItem(*db, 2);
  }
  // Two jobs were queued when the writer took them (one sibling): it waits for a third, which
  // fills the batch (it would otherwise wait the whole 20 s, and the test's own bound fails).
  auto c = insertItem(*db, 3);
  settled(a);
  settled(b);
  settled(c);
  BOOST_TEST(counter("vigil_store_batches_committed_total") == 2u);  // the gate's, then a+b+c
  BOOST_TEST(counter("vigil_store_jobs_committed_total") == 4u);
}

BOOST_FIXTURE_TEST_CASE(commits_at_once_with_fewer_siblings_than_commit_siblings, Fixture) {
  auto o = options();
  o.linger = 20s;
  o.commitSiblings = 2;
  open(o);
  std::future<std::int64_t> a, b;
  auto started = std::chrono::steady_clock::now();
  {
    WriterGate gate(*db);
    a = insertItem(*db, 1);
    b = insertItem(*db, 2);
  }
  settled(a);
  settled(b);
  BOOST_TEST((std::chrono::steady_clock::now() - started < 10s));
  BOOST_TEST(counter("vigil_store_batches_committed_total") == 2u);  // the gate's, then a+b
}

BOOST_FIXTURE_TEST_CASE(fails_only_the_job_that_threw_and_commits_the_rest_of_its_batch, Fixture) {
  open(options());
  std::future<std::int64_t> a, c, d;
  std::future<void> b;
  {
    WriterGate gate(*db);
    a = insertItem(*db, 1);
    b = db->write([](Connection& conn) {
      conn.execute("INSERT INTO items(v) VALUES (2)");
      throw std::runtime_error("job refused");
    });
    c = insertItem(*db, 3);
    d = insertItem(*db, 3);  // UNIQUE violation: fails alone too
  }
  BOOST_CHECK_NO_THROW(settled(a));
  BOOST_CHECK_THROW(settled(b), std::runtime_error);
  BOOST_CHECK_NO_THROW(settled(c));
  BOOST_CHECK_EXCEPTION(settled(d), SqliteError,
                        [](const SqliteError& e) { return e.isConstraint(); });
  auto values = db->read([](Connection& conn) {
    std::vector<std::int64_t> out;
    auto st = conn.prepare("SELECT v FROM items ORDER BY v");
    while (st.step()) out.push_back(st.getInt64(0));
    return out;
  });
  BOOST_TEST(values == (std::vector<std::int64_t>{1, 3}), boost::test_tools::per_element());
  BOOST_TEST(counter("vigil_store_jobs_failed_total") == 2u);
}

BOOST_FIXTURE_TEST_CASE(runs_the_rest_of_a_batch_again_when_one_job_aborts_the_transaction,
                        Fixture) {
  open(options());
  std::future<std::int64_t> a, c;
  std::future<void> b;
  std::atomic<int> runsOfA{0};
  {
    WriterGate gate(*db);
    a = db->write([&runsOfA](Connection& conn) {
      ++runsOfA;
      conn.execute("INSERT INTO items(v) VALUES (1)");
      return conn.lastInsertRowid();
    });
    // Abandons the whole transaction, as SQLite may do on SQLITE_FULL or an I/O error.
    b = db->write([](Connection& conn) { conn.exec("ROLLBACK"); });
    c = insertItem(*db, 3);
  }
  BOOST_CHECK_NO_THROW(settled(a));
  BOOST_CHECK_THROW(settled(b), SqliteError);
  BOOST_CHECK_NO_THROW(settled(c));
  BOOST_TEST(runsOfA.load() == 2);  // rolled back once, committed once
  BOOST_TEST(countItems() == 2);
  BOOST_TEST(counter("vigil_store_batches_failed_total") == 1u);
  BOOST_TEST(counter("vigil_store_jobs_failed_total") == 1u);
}

BOOST_FIXTURE_TEST_CASE(turns_a_transaction_inside_a_job_into_a_savepoint, Fixture) {
  open(options());
  db->writeSync([](Connection& c) {
    c.execute("INSERT INTO items(v) VALUES (1)");
    {
      vigil::store::Transaction inner(c);
      BOOST_TEST(inner.isSavepoint());
      c.execute("INSERT INTO items(v) VALUES (2)");
    }  // rolled back
  });
  BOOST_TEST(countItems() == 1);
}

BOOST_FIXTURE_TEST_CASE(reports_disk_full_recognisably_and_keeps_writing_afterwards, Fixture) {
  open(options());
  settled(insertItem(*db, 1));
  // Cap the file at its current size: SQLite then fails with SQLITE_FULL exactly as on a full disk.
  db->writeSync([](Connection& c) {
    auto pages = c.queryValue<std::int64_t>("PRAGMA page_count").value();
    c.exec("PRAGMA max_page_count = " + std::to_string(pages));
  });
  auto big = db->write([](Connection& c) {
    auto st = c.prepare("INSERT INTO blobs(b) VALUES (?1)");
    st.bind(1, Blob(256 * 1024, 0xab));
    st.run();
  });
  try {
    settled(big);
    BOOST_FAIL("a write beyond max_page_count succeeded");
  } catch (const SqliteError& e) {
    BOOST_TEST(e.isDiskFull());
    BOOST_TEST(e.code() == SQLITE_FULL);
  }
  BOOST_TEST(counter("vigil_store_disk_full_total") + counter("vigil_store_jobs_failed_total") >=
             1u);
  // Room again: the writer is still running and accepts writes.
  db->writeSync([](Connection& c) { c.exec("PRAGMA max_page_count = 1073741823"); });
  BOOST_CHECK_NO_THROW(settled(insertItem(*db, 2)));
  BOOST_TEST(countItems() == 2);
  BOOST_TEST(db->read([](Connection& c) {
    return c.queryValue<std::int64_t>("SELECT count(*) FROM blobs").value();
  }) == 0);
  BOOST_TEST(db->integrityCheck().empty());
}

BOOST_FIXTURE_TEST_CASE(a_full_disk_judges_each_job_once_more_alone_not_once_per_round, Fixture) {
  auto o = options();
  o.batchSize = 200;
  open(o);
  settled(insertItem(*db, -1));
  db->writeSync([](Connection& c) {
    auto pages = c.queryValue<std::int64_t>("PRAGMA page_count").value();
    c.exec("PRAGMA max_page_count = " + std::to_string(pages + 60));  // room for ~100 jobs
  });
  std::atomic<int> runs{0};
  std::vector<std::future<std::int64_t>> futures;
  std::future<void> raise;
  {
    WriterGate gate(*db);
    // More rows than the capped file holds: a job well into the batch abandons it.
    for (int i = 0; i < 200; ++i) {
      futures.push_back(db->write([i, &runs](Connection& c) {
        ++runs;
        c.execute("INSERT INTO items(batch, v) VALUES (?1, ?2)", i, i);
        auto st = c.prepare("INSERT INTO blobs(b) VALUES (?1)");
        st.bind(1, Blob(2048, 0xcd));
        st.run();
        return c.lastInsertRowid();
      }));
    }
    // In the same batch, a job that needs no new page: it must not pay for the others.
    raise = db->write([](Connection& c) { c.exec("PRAGMA max_page_count = 1073741823"); });
  }
  int diskFull = 0;
  for (auto& f : futures) {
    try {
      settled(f);
    } catch (const SqliteError& e) {
      diskFull += e.isDiskFull() ? 1 : 0;
    }
  }
  BOOST_CHECK_NO_THROW(settled(raise));
  // Each job ran at most twice (in the batch, then alone), not once per failing round.
  BOOST_TEST(runs.load() <= 400);
  BOOST_TEST(diskFull > 0);
  BOOST_TEST(countItems() == 1 + (200 - diskFull));
  BOOST_CHECK_NO_THROW(settled(insertItem(*db, 1000)));
  BOOST_TEST(db->integrityCheck().empty());
}

namespace {

/// Writes kBatches batches of kRowsPerBatch rows while 6 threads read (more than the pool has
/// connections) and, optionally, another connection keeps forcing TRUNCATE checkpoints (the
/// WAL is reset under the readers' feet, as an external tool would). Readers must never see an
/// error nor a partly committed batch.
void readWhileWriting(Database& db, const std::filesystem::path& path, bool checkpoints) {
  constexpr int kBatches = 150;
  constexpr int kRowsPerBatch = 20;
  std::atomic<bool> done{false};
  std::atomic<int> readErrors{0};
  std::atomic<int> reads{0};
  std::atomic<int> tornReads{0};
  std::atomic<int> checkpointsDone{0};
  std::vector<std::thread> threads;
  for (int r = 0; r < 6; ++r) {
    threads.emplace_back([&] {
      std::int64_t last = 0;
      while (!done.load()) {
        try {
          auto n = db.read([](Connection& c) {
            return c.queryValue<std::int64_t>("SELECT count(*) FROM items").value();
          });
          if (n < last || n % kRowsPerBatch != 0) ++tornReads;
          last = n;
          ++reads;
        } catch (...) {
          ++readErrors;
        }
      }
    });
  }
  if (checkpoints) {
    threads.emplace_back([&] {
      Connection external(path, Connection::Mode::readWrite);
      while (!done.load()) {
        auto st = external.prepare("PRAGMA wal_checkpoint(TRUNCATE)");
        st.step();
        if (st.getInt64(0) == 0) ++checkpointsDone;  // 0: not blocked
        std::this_thread::sleep_for(2ms);
      }
    });
  }
  std::vector<std::future<void>> writes;
  for (int b = 0; b < kBatches; ++b) {
    writes.push_back(db.write([b](Connection& c) {
      for (int i = 0; i < kRowsPerBatch; ++i) {
        c.execute("INSERT INTO items(batch, v) VALUES (?1, ?2)", b, b * kRowsPerBatch + i);
      }
    }));
    if (b % 10 == 0) std::this_thread::sleep_for(1ms);
  }
  for (auto& w : writes) BOOST_CHECK_NO_THROW(settled(w));
  if (checkpoints) {
    // On a loaded machine every TRUNCATE may find a reader or the writer in its way while the
    // batches are written: the readers go on until one has gone through (it does once the
    // writer is idle), so the test never fails because the machine is slow.
    const auto until = std::chrono::steady_clock::now() + 30s;
    while (checkpointsDone.load() == 0 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(5ms);
  }
  done = true;
  for (auto& t : threads)
    vigil::testsupport::joinWithin(t, 30s, "joining the reader and checkpoint threads");
  BOOST_TEST(readErrors.load() == 0);
  BOOST_TEST(tornReads.load() == 0);
  BOOST_TEST(reads.load() > 0);
  if (checkpoints) BOOST_TEST(checkpointsDone.load() > 0);
  BOOST_TEST(db.read([](Connection& c) {
    return c.queryValue<std::int64_t>("SELECT count(*) FROM items").value();
  }) == kBatches * kRowsPerBatch);
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(readers_run_while_the_writer_commits_and_never_see_busy, Fixture) {
  open(options());
  readWhileWriting(*db, dir / "store.db", false);
}

BOOST_FIXTURE_TEST_CASE(readers_never_see_busy_while_another_connection_resets_the_wal, Fixture) {
  open(options());
  readWhileWriting(*db, dir / "store.db", true);
}

BOOST_FIXTURE_TEST_CASE(waits_for_a_lock_another_connection_holds_briefly, Fixture) {
  open(options());
  Connection intruder(dir / "store.db", Connection::Mode::readWrite);
  intruder.exec("BEGIN IMMEDIATE");
  auto started = std::chrono::steady_clock::now();
  auto write = insertItem(*db, 1);
  std::this_thread::sleep_for(300ms);
  intruder.exec("COMMIT");
  BOOST_CHECK_NO_THROW(settled(write));
  BOOST_TEST((std::chrono::steady_clock::now() - started >= 250ms));
  BOOST_TEST(countItems() == 1);
}

BOOST_FIXTURE_TEST_CASE(fails_the_batch_with_busy_past_the_timeout_then_recovers, Fixture) {
  auto o = options();
  o.busyTimeout = 100ms;
  open(o);
  Connection intruder(dir / "store.db", Connection::Mode::readWrite);
  intruder.exec("BEGIN IMMEDIATE");
  auto write = insertItem(*db, 1);
  BOOST_CHECK_EXCEPTION(settled(write), SqliteError,
                        [](const SqliteError& e) { return e.isBusy(); });
  intruder.exec("ROLLBACK");
  BOOST_CHECK_NO_THROW(settled(insertItem(*db, 2)));
  BOOST_TEST(countItems() == 1);
}

BOOST_FIXTURE_TEST_CASE(close_commits_everything_queued_and_then_refuses_writes, Fixture) {
  open(options());
  std::vector<std::future<std::int64_t>> futures;
  for (int i = 0; i < 1000; ++i) futures.push_back(insertItem(*db, i));
  db->close();
  for (auto& f : futures) BOOST_CHECK_NO_THROW(settled(f));
  BOOST_CHECK_THROW(insertItem(*db, 5000), vigil::StoreError);
  BOOST_TEST(!db->tryPost([](Connection&) {}, nullptr));
  BOOST_CHECK_THROW(db->read([](Connection&) {}), vigil::StoreError);
  // A clean close leaves no WAL behind.
  BOOST_TEST(!std::filesystem::exists(dir / "store.db-wal"));
  open(options());
  BOOST_TEST(countItems() == 1000);
}

BOOST_FIXTURE_TEST_CASE(close_fails_reads_still_waiting_for_a_connection, Fixture) {
  auto o = options();
  o.readers = 1;
  open(o);
  std::promise<void> release;
  std::promise<void> holding;
  auto holder = std::async(std::launch::async, [&] {
    db->read([&](Connection&) {
      holding.set_value();
      vigil::testsupport::getWithin(release.get_future(), 30s, "holding the one reader");
    });
  });
  vigil::testsupport::getWithin(holding.get_future(), 30s, "waiting for the reader to be held");
  auto waiter = std::async(std::launch::async, [&] { db->read([](Connection&) {}); });
  auto closer = std::async(std::launch::async, [&] { db->close(); });
  // The waiter can only finish by failing: the one connection is held until release.
  BOOST_CHECK_THROW(settled(waiter), vigil::StoreError);
  release.set_value();
  settled(holder);
  settled(closer);
}

BOOST_FIXTURE_TEST_CASE(runs_the_writer_with_wal_full_sync_and_foreign_keys, Fixture) {
  open(options());
  db->writeSync([](Connection& c) {
    BOOST_TEST(c.queryValue<std::string>("PRAGMA journal_mode").value() == "wal");
    BOOST_TEST(c.queryValue<std::int64_t>("PRAGMA synchronous").value() == 2);  // FULL
    BOOST_TEST(c.queryValue<std::int64_t>("PRAGMA foreign_keys").value() == 1);
  });
}

BOOST_FIXTURE_TEST_CASE(try_post_refuses_when_the_queue_is_full, Fixture) {
  auto o = options();
  o.queueCapacity = 2;
  open(o);
  std::vector<std::future<std::int64_t>> futures;
  {
    WriterGate gate(*db);
    futures.push_back(insertItem(*db, 1));
    futures.push_back(insertItem(*db, 2));
    BOOST_TEST(!db->tryPost([](Connection&) {}, nullptr));
  }
  for (auto& f : futures) settled(f);
  BOOST_TEST(
      db->tryPost([](Connection& c) { c.execute("INSERT INTO items(v) VALUES (3)"); }, nullptr));
  db->close();
  open(options());
  BOOST_TEST(countItems() == 3);
}

BOOST_FIXTURE_TEST_CASE(returns_read_results_and_propagates_read_errors, Fixture) {
  open(options());
  settled(insertItem(*db, 41));
  auto v = db->read(
      [](Connection& c) { return c.queryValue<std::int64_t>("SELECT v + 1 FROM items").value(); });
  BOOST_TEST(v == 42);
  BOOST_CHECK_THROW(db->read([](Connection& c) { c.exec("SELECT * FROM nothing"); }), SqliteError);
  // Readers are read-only.
  BOOST_CHECK_EXCEPTION(db->read([](Connection& c) { c.exec("INSERT INTO items(v) VALUES (1)"); }),
                        SqliteError,
                        [](const SqliteError& e) { return e.code() == SQLITE_READONLY; });
  BOOST_TEST(countItems() == 1);
}

BOOST_FIXTURE_TEST_CASE(copes_with_statements_left_mid_iteration_by_a_job_or_a_read, Fixture) {
  open(options());
  for (int i = 0; i < 3; ++i) settled(insertItem(*db, i));
  auto first = db->read([](Connection& c) {
    auto& st = c.cached("SELECT v FROM items ORDER BY v");
    BOOST_REQUIRE(st.step());
    return st.getInt64(0);  // two rows left unread
  });
  BOOST_TEST(first == 0);
  db->writeSync([](Connection& c) {
    auto& st = c.cached("SELECT v FROM items ORDER BY v");
    BOOST_REQUIRE(st.step());
    c.execute("INSERT INTO items(v) VALUES (10)");
  });
  BOOST_TEST(countItems() == 4);
  // The pooled connections hold no stale snapshot: a new read sees the new row.
  for (int i = 0; i < 8; ++i) {
    BOOST_TEST(db->read([](Connection& c) {
      return c.queryValue<std::int64_t>("SELECT max(v) FROM items").value();
    }) == 10);
  }
}

BOOST_FIXTURE_TEST_CASE(reports_integrity_problems_of_a_damaged_file, Fixture) {
  open(options());
  BOOST_TEST(db->integrityCheck().empty());
  db->writeSync([](Connection& c) {
    c.exec("CREATE TABLE pairs(x INTEGER, y INTEGER); CREATE INDEX pairs_x ON pairs(x);");
    for (int i = 0; i < 50; ++i) c.execute("INSERT INTO pairs VALUES (?1, ?2)", i, 1000 + i);
  });
  db->close();
  BOOST_TEST(vigil::store::checkIntegrity(dir / "store.db").empty());
  {
    // Damage: make the index's definition disagree with its content.
    Connection c(dir / "store.db", Connection::Mode::readWrite);
    c.exec("PRAGMA writable_schema = ON");
    c.exec(
        "UPDATE sqlite_schema SET sql = 'CREATE INDEX pairs_x ON pairs(y)' WHERE name = 'pairs_x'");
  }
  auto problems = vigil::store::checkIntegrity(dir / "store.db");
  BOOST_TEST(!problems.empty());
  BOOST_CHECK_THROW(vigil::store::checkIntegrity(dir / "absent.db"), vigil::StoreError);
}

BOOST_FIXTURE_TEST_CASE(backs_up_a_consistent_snapshot_while_writes_go_on, Fixture) {
  open(options());
  constexpr int kRowsPerBatch = 50;
  auto fill = [&](int from, int to) {
    for (int b = from; b < to; ++b) {
      db->post(
          [b](Connection& c) {
            for (int i = 0; i < kRowsPerBatch; ++i) {
              c.execute("INSERT INTO items(batch, v) VALUES (?1, ?2)", b, b * kRowsPerBatch + i);
            }
            c.execute("INSERT INTO blobs(b) VALUES (?1)", Blob(512, static_cast<std::uint8_t>(b)));
          },
          nullptr);
    }
  };
  fill(0, 200);
  db->writeSync([](Connection&) {});  // everything above committed
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int b = 200; !stop.load() && b < 100000; b += 10) {
      fill(b, b + 10);
      std::this_thread::sleep_for(1ms);
    }
  });
  std::vector<std::pair<int, int>> progress;
  db->backup(dir / "backup.db", [&](int done, int total) { progress.emplace_back(done, total); });
  stop = true;
  vigil::testsupport::joinWithin(writer, 30s, "joining the writer filling the store during backup");
  BOOST_REQUIRE(!progress.empty());
  BOOST_TEST(progress.back().first == progress.back().second);
  for (std::size_t i = 1; i < progress.size(); ++i)
    BOOST_TEST(progress[i].first >= progress[i - 1].first);
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    BOOST_TEST(entry.path().filename().string().find("partial") == std::string::npos);
  }

  BOOST_TEST(vigil::store::checkIntegrity(dir / "backup.db").empty());
  Connection copy(dir / "backup.db", Connection::Mode::readOnly);
  auto rows = copy.queryValue<std::int64_t>("SELECT count(*) FROM items").value();
  auto blobs = copy.queryValue<std::int64_t>("SELECT count(*) FROM blobs").value();
  BOOST_TEST(rows >= 200 * kRowsPerBatch);
  BOOST_TEST(rows == blobs * kRowsPerBatch);  // whole batches only
  BOOST_TEST(copy.queryValue<std::int64_t>("PRAGMA user_version").value() == 2);
}

BOOST_FIXTURE_TEST_CASE(backs_up_a_database_file_from_outside_the_daemon, Fixture) {
  auto o = options();
  o.busyTimeout = 1s;
  open(o);
  settled(insertItem(*db, 9));
  int calls = 0;
  vigil::store::backupDatabase(dir / "store.db", dir / "copy.db", [&](int, int) {
    // The daemon keeps writing while the backup holds its snapshot (no write lock taken).
    BOOST_CHECK_NO_THROW(settled(insertItem(*db, 100 + calls)));
    ++calls;
  });
  BOOST_TEST(calls > 0);
  BOOST_TEST(countItems() == 1 + calls);
  Connection copy(dir / "copy.db", Connection::Mode::readOnly);
  BOOST_TEST(copy.queryValue<std::int64_t>("SELECT count(*) FROM items").value() == 1);
  BOOST_TEST(copy.queryValue<std::int64_t>("SELECT v FROM items").value() == 9);
  BOOST_CHECK_THROW(vigil::store::backupDatabase(dir / "absent.db", dir / "x.db"),
                    vigil::StoreError);
}

BOOST_FIXTURE_TEST_CASE(maintenance_commands_leave_no_files_behind_a_stopped_store, Fixture) {
  open(options());
  settled(insertItem(*db, 1));
  db->close();
  BOOST_REQUIRE(!std::filesystem::exists(dir / "store.db-wal"));
  const auto before = vigil::store::test::readFile(dir / "store.db");
  BOOST_TEST(vigil::store::checkIntegrity(dir / "store.db").empty());
  vigil::store::backupDatabase(dir / "store.db", dir / "copy.db");
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  BOOST_TEST(names == (std::vector<std::string>{"copy.db", "store.db"}),
             boost::test_tools::per_element());
  BOOST_TEST((vigil::store::test::readFile(dir / "store.db") == before));
}

BOOST_FIXTURE_TEST_CASE(a_backup_is_readable_by_its_owner_only_whatever_the_umask, Fixture) {
  open(options());
  settled(insertItem(*db, 1));
  const mode_t old = ::umask(0);  // the most open umask: files would be created 0666
  db->backup(dir / "live.db", {});
  db->close();
  vigil::store::backupDatabase(dir / "store.db", dir / "offline.db");
  ::umask(old);
  for (const char* name : {"live.db", "offline.db"}) {
    struct stat st {};
    BOOST_REQUIRE_EQUAL(::stat((dir / name).c_str(), &st), 0);
    BOOST_TEST((st.st_mode & 0777) == 0600u,
               name << " has mode " << std::oct << (st.st_mode & 0777));
  }
}

BOOST_FIXTURE_TEST_CASE(exports_store_metrics, Fixture) {
  open(options());
  settled(insertItem(*db, 1));
  BOOST_TEST(db->sizeBytes() > 0u);
  auto text = metrics.render();
  BOOST_TEST(text.find("vigil_store_write_queue_depth 0") != std::string::npos);
  BOOST_TEST(text.find("vigil_store_size_bytes ") != std::string::npos);
  BOOST_TEST(text.find("vigil_store_commit_microseconds_total ") != std::string::npos);
  BOOST_TEST(text.find("vigil_store_last_commit_seconds ") != std::string::npos);
  db.reset();
  // The callback gauges outlive the store without touching it.
  BOOST_TEST(metrics.render().find("vigil_store_write_queue_depth 0") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
