// Write throughput of vigil::store as ingest uses it: one job per reading, committed in batches
// by the writer thread with synchronous=FULL (store-then-ack), while a reader polls.
// Usage: bench_store_write [ROWS] [DIR]   (defaults: 200000 rows, $TMPDIR)
// Prints one line per configuration: batch size, rows, seconds, rows/s, batches, mean commit.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <string>
#include <thread>

#include "vigil/core/log.hpp"
#include "vigil/store/database.hpp"

namespace {

using vigil::store::Connection;

vigil::store::MigrationList benchSchema() {
  return {{1, "readings",
           "CREATE TABLE readings(device_id INTEGER NOT NULL, seq INTEGER NOT NULL,"
           " type INTEGER NOT NULL, measured_at INTEGER NOT NULL, value REAL NOT NULL,"
           " unit TEXT NOT NULL, PRIMARY KEY(device_id, seq, type)) WITHOUT ROWID;"}};
}

void run(const std::filesystem::path& dir, std::size_t batchSize, long rows) {
  auto path = dir / ("bench-" + std::to_string(batchSize) + ".db");
  std::filesystem::remove(path);
  vigil::Metrics metrics;
  vigil::store::Options o;
  o.path = path;
  o.migrations = benchSchema();
  o.batchSize = batchSize;
  o.metrics = &metrics;
  auto db = vigil::store::Database::open(o);

  std::atomic<bool> done{false};
  std::atomic<long> reads{0};
  std::thread reader([&] {
    while (!done.load()) {
      db->read([](Connection& c) {
        return c.queryValue<std::int64_t>("SELECT max(seq) FROM readings WHERE device_id = 7");
      });
      ++reads;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });

  auto start = std::chrono::steady_clock::now();
  std::future<void> last;
  for (long i = 0; i < rows; ++i) {
    last = db->write([i](Connection& c) {
      c.execute(
          "INSERT INTO readings(device_id, seq, type, measured_at, value, unit)"
          " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
          i % 1000, i / 1000, 8867, 1'800'000'000 + i, 72.0 + static_cast<double>(i % 10), "/min");
    });
  }
  last.get();  // the writer commits in order: the last future covers all
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  done = true;
  reader.join();
  auto batches = metrics.counter("vigil_store_batches_committed_total", "").value();
  auto micros = metrics.counter("vigil_store_commit_microseconds_total", "").value();
  std::printf("| %zu | %ld | %.2f | %.0f | %llu | %.2f | %ld |\n", batchSize, rows, seconds,
              static_cast<double>(rows) / seconds, static_cast<unsigned long long>(batches),
              batches ? static_cast<double>(micros) / 1000.0 / static_cast<double>(batches) : 0.0,
              reads.load());
  db->close();
  std::filesystem::remove(path);
}

}  // namespace

int main(int argc, char** argv) {
  long rows = argc > 1 ? std::atol(argv[1]) : 200'000;
  std::filesystem::path dir = argc > 2 ? argv[2] : std::filesystem::temp_directory_path();
  vigil::log::setLevel(vigil::log::Level::warn);
  std::printf(
      "| batch_max | rows | seconds | rows/s | batches | mean transaction (ms) | reads meanwhile "
      "|\n| --- | --- | --- | --- | --- | --- | --- |\n");
  run(dir, 500, rows);
  run(dir, 50, rows / 4);
  run(dir, 1, std::min(rows, 2'000L));  // one fsync per reading: what batching saves
}
