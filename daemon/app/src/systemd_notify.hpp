#pragma once
// sd_notify for Type=notify units: READY=1 once serving, WATCHDOG=1 pings at half the interval
// systemd asks for, STOPPING=1 on shutdown. Without systemd (NOTIFY_SOCKET unset) all are no-ops.

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace vigil::app {

/// Talks to systemd's notify socket and runs the watchdog pinger thread.
class SystemdNotifier {
 public:
  ~SystemdNotifier();
  void ready();
  void stopping();
  /// Starts the watchdog thread if WATCHDOG_USEC is set for this process.
  void startWatchdog();
  void stopWatchdog();

 private:
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
};

}  // namespace vigil::app
