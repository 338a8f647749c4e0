#pragma once
// SIGHUP as "reload": vigild blocks SIGHUP in every thread (main() does it before any thread
// starts, so all inherit the mask) and one thread waits for it with sigtimedwait, then runs the
// reload action on that thread. Without this a SIGHUP would terminate the process (its default
// action), and a key rotation made by `vigild keys rotate` would stay unknown to the service.

#include <atomic>
#include <functional>
#include <thread>

namespace vigil::app {

/// Blocks SIGHUP in the calling thread (and the threads it creates later).
void blockReloadSignal();

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
