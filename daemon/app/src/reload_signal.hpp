#pragma once
// Signals of the service. runService() blocks SIGHUP, SIGTERM, SIGINT and SIGQUIT before any
// thread starts, so every thread inherits the mask: a SIGTERM that arrives during start-up stays
// pending until the main thread waits for it (Poco's waitForTerminationRequest, sigwait) and
// then stops the service cleanly, instead of killing it half started (default action). SIGHUP
// means "reload": one thread waits for it with sigtimedwait and runs the reload action. The CLI
// commands block nothing, so Ctrl-C still interrupts them.

#include <atomic>
#include <functional>
#include <thread>

namespace vigil::app {

/// Blocks SIGHUP, SIGTERM, SIGINT and SIGQUIT in the calling thread (and the threads it creates
/// later). Call first thing in the service, before any thread exists.
void blockServiceSignals();

/// Runs `action` on its own thread each time the process receives SIGHUP, until destroyed.
class ReloadSignal {
 public:
  explicit ReloadSignal(std::function<void()> action);
  ~ReloadSignal();
  ReloadSignal(const ReloadSignal&) = delete;
  ReloadSignal& operator=(const ReloadSignal&) = delete;

 private:
  std::function<void()> action_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace vigil::app
