#include "periodic_task.hpp"

#include <exception>

#include "vigil/core/log.hpp"
#include "vigil/core/thread_name.hpp"

namespace vigil::app {

PeriodicTask::PeriodicTask(std::string name, std::chrono::milliseconds interval,
                           std::function<void()> task)
    : name_(std::move(name)), interval_(interval), task_(std::move(task)) {
  thread_ = std::thread([this] {
    nameThisThread(("task-" + name_).c_str());
    std::unique_lock lock(mutex_);
    while (!stop_) {
      lock.unlock();
      try {
        task_();
      } catch (const std::exception&) {
        log::error("task.failed", {{"task", name_}});
      }
      lock.lock();
      cv_.wait_for(lock, interval_, [this] { return stop_; });
    }
  });
}

PeriodicTask::~PeriodicTask() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace vigil::app
