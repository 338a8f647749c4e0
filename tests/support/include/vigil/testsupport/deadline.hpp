#pragma once
// A deadline for a wait that cannot take a timeout of its own: a thread join, a destructor that
// stops a pipeline or a process, a library call that blocks. Every integration test bounds its
// own waits (ctest's TIMEOUT is a last resort that says nothing): a wait with a timeout checks
// its result and fails with what it waited for; a wait without one runs under a Deadline, which
// prints what it was waiting for and aborts the test process when the limit passes, so the suite
// fails at once with a message instead of hanging until ctest kills it.

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

namespace vigil::testsupport {

/// Aborts the process with "still <what> after N s" unless destroyed within `limit`.
class Deadline {
 public:
  Deadline(std::string what, std::chrono::milliseconds limit) : what_(std::move(what)) {
    watcher_ = std::thread([this, limit] {
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, limit, [this] { return done_; })) return;
      std::fprintf(stderr,
                   "test deadline: still %s after %.1f s; aborting so that the suite fails now "
                   "with this message instead of at ctest's limit\n",
                   what_.c_str(), static_cast<double>(limit.count()) / 1000.0);
      std::fflush(stderr);
      std::abort();
    });
  }
  ~Deadline() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    watcher_.join();  // bounded: the watcher returns as soon as done_ is set
  }
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

 private:
  std::string what_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread watcher_;
};

/// `future.get()` under a Deadline: the value (or the exception the future holds), or an abort
/// with "still <what> after N s" past `limit`. A future of std::async cannot be given up on by
/// throwing (its destructor waits for the task), so past the limit the process ends here.
template <class Future>
decltype(auto) getWithin(Future&& future, std::chrono::milliseconds limit, std::string what) {
  Deadline deadline(std::move(what), limit);
  return future.get();
}

/// Asks `pred` every `interval` until it holds or `limit` passes; its last answer. For a
/// condition another process or thread brings about (a node takes a lease, a queue empties):
/// check the result and say what did not happen.
template <class Pred>
bool within(std::chrono::milliseconds limit, Pred pred,
            std::chrono::milliseconds interval = std::chrono::milliseconds(50)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(interval);
  }
  return pred();
}

/// `thread.join()` under a Deadline.
template <class Thread>
void joinWithin(Thread& thread, std::chrono::milliseconds limit, std::string what) {
  Deadline deadline(std::move(what), limit);
  thread.join();
}

}  // namespace vigil::testsupport
