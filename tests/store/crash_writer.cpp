// Helper process of database_crash_integration_test: appends numbered batches to the store
// forever, printing "B <n>" before queueing batch n and "A <n>" once its write future is ready
// (the commit returned). The test SIGKILLs it at a random moment and checks the store.
// Usage: store_crash_writer DB_PATH

#include <unistd.h>

#include <cstdio>
#include <deque>
#include <string>

#include "crash_schema.hpp"

namespace {

void say(char kind, std::int64_t n) {
  char line[32];
  int len = std::snprintf(line, sizeof line, "%c %lld\n", kind, static_cast<long long>(n));
  // One write(2) of a short line to a pipe is atomic: the reader never sees half a line.
  if (::write(STDOUT_FILENO, line, static_cast<std::size_t>(len)) != len) _exit(3);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace vigil::store;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DB_PATH\n", argv[0]);
    return 2;
  }
  Options o;
  o.path = argv[1];
  o.migrations = test::crashSchema();
  o.batchSize = 4;  // several jobs per transaction, several transactions in flight
  o.readers = 1;
  auto db = Database::open(o);
  std::int64_t next = db->read([](Connection& c) {
    return c.queryValue<std::int64_t>("SELECT max(batch) FROM readings").value_or(0);
  }) + 1;
  std::deque<std::pair<std::int64_t, std::future<void>>> inFlight;
  for (;;) {
    while (inFlight.size() < 12) {
      const std::int64_t b = next++;
      say('B', b);
      inFlight.emplace_back(b, db->write([b](Connection& c) {
        auto& st = c.cached("INSERT INTO readings(batch, seq, payload) VALUES (?1, ?2, ?3)");
        for (int seq = 0; seq < test::kCrashRowsPerBatch; ++seq) {
          st.reset();
          st.bind(1, b).bind(2, seq).bind(
              3, Blob(test::kCrashPayloadBytes, test::crashPayloadByte(b, seq)));
          st.run();
        }
      }));
    }
    inFlight.front().second.get();  // bounded: the test SIGKILLs this writer after a set time
    say('A', inFlight.front().first);
    inFlight.pop_front();
  }
}
