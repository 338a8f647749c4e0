#include "reload_signal.hpp"

#include <signal.h>

#include <ctime>
#include <exception>

#include "vigil/core/log.hpp"
#include "vigil/core/thread_name.hpp"

namespace vigil::app {
namespace {

sigset_t reloadSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void blockServiceSignals() {
  auto set = reloadSet();
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGQUIT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

ReloadSignal::ReloadSignal(std::function<void()> action) : action_(std::move(action)) {
  auto blocked = reloadSet();
  pthread_sigmask(SIG_BLOCK, &blocked, nullptr);
  thread_ = std::thread([this] {
    nameThisThread("vigil-reload");
    auto set = reloadSet();
    const timespec tick{0, 200'000'000};  // how often stop_ is looked at
    while (!stop_.load()) {
      if (sigtimedwait(&set, nullptr, &tick) != SIGHUP) continue;
      log::info("vigild.reload");
      try {
        action_();
      } catch (const std::exception&) {
        // Keep serving with what is loaded; the action logs what failed.
        log::error("vigild.reload_failed");
      }
    }
  });
}

ReloadSignal::~ReloadSignal() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

}  // namespace vigil::app
