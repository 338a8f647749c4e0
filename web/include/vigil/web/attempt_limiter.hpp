#pragma once
// At most N attempts per key within a sliding window: sign-ins per client address, invitations
// per staff user. Memory stays bounded under a spray of keys (the table is dropped past maxKeys).
#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <string>

#include "vigil/core/clock.hpp"

namespace vigil::web {

class AttemptLimiter {
 public:
  AttemptLimiter(std::size_t attempts, std::chrono::seconds window, std::size_t maxKeys = 10'000)
      : attempts_(attempts), window_(window), maxKeys_(maxKeys) {}

  /// Counts an attempt for `key` at `now`; false (not counted) once the key has used its
  /// attempts within the window.
  bool allow(const std::string& key, TimePoint now) {
    std::lock_guard lock(mutex_);
    if (seen_.size() > maxKeys_) seen_.clear();
    auto& q = seen_[key];
    while (!q.empty() && now - q.front() >= window_) q.pop_front();
    if (q.size() >= attempts_) return false;
    q.push_back(now);
    return true;
  }

 private:
  const std::size_t attempts_;
  const std::chrono::seconds window_;
  const std::size_t maxKeys_;
  std::mutex mutex_;
  std::map<std::string, std::deque<TimePoint>> seen_;
};

}  // namespace vigil::web
