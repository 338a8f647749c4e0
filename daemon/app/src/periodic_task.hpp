#pragma once
// A function run on its own thread at start and then every `interval`, until destroyed (the
// destructor wakes the thread and joins it). For the box's housekeeping: the CRL refresh. A
// failure is logged by name and the task runs again at the next interval.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace vigil::app {

/// Runs `task` now and every `interval` on a thread of its own.
class PeriodicTask {
 public:
  PeriodicTask(std::string name, std::chrono::milliseconds interval, std::function<void()> task);
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

 private:
  std::string name_;
  std::chrono::milliseconds interval_;
  std::function<void()> task_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace vigil::app
