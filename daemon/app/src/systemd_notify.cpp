#include "systemd_notify.hpp"

#include <chrono>

#include "vigil/core/log.hpp"
#include "vigil/core/thread_name.hpp"

#ifdef VIGIL_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace vigil::app {

SystemdNotifier::~SystemdNotifier() {
  stopWatchdog();
}

void SystemdNotifier::ready() {
#ifdef VIGIL_HAVE_SYSTEMD
  sd_notify(0, "READY=1\nSTATUS=serving");
#endif
}

void SystemdNotifier::stopping() {
#ifdef VIGIL_HAVE_SYSTEMD
  sd_notify(0, "STOPPING=1");
#endif
}

void SystemdNotifier::startWatchdog() {
#ifdef VIGIL_HAVE_SYSTEMD
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
  auto interval = std::chrono::microseconds(usec / 2);
  log::info("systemd.watchdog", {{"interval_ms", static_cast<std::int64_t>(usec / 2000)}});
  thread_ = std::thread([this, interval] {
    nameThisThread("vigil-watchdog");
    std::unique_lock lock(mutex_);
    while (!stop_) {
      sd_notify(0, "WATCHDOG=1");
      cv_.wait_for(lock, interval, [this] { return stop_; });
    }
  });
#endif
}

void SystemdNotifier::stopWatchdog() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace vigil::app
