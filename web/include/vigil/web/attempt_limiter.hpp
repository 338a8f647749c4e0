#pragma once
// At most N attempts per key within a sliding window: sign-ins per client address (IPv6 per
// /64), invitations per staff user. Memory stays bounded under a spray of keys (at most maxKeys
// keys plus one shared overflow key), and a spray cannot reset a key that is counting.
#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "vigil/core/clock.hpp"

namespace vigil::web {

class AttemptLimiter {
 public:
  AttemptLimiter(std::size_t attempts, std::chrono::seconds window, std::size_t maxKeys = 10'000)
      : attempts_(attempts), window_(window), maxKeys_(maxKeys) {}

  /// Counts an attempt for `key` at `now`; false (not counted) once the key has used its
  /// attempts within the window. When the table is full, keys whose attempts have all left the
  /// window go first; new keys beyond that share one overflow key with the same limit. Known
  /// keys are never dropped while their attempts count, so spraying fresh keys (addresses,
  /// user ids) cannot wipe a key's history and buys the sprayer no more than `attempts` a window.
  bool allow(const std::string& key, TimePoint now) {
    std::lock_guard lock(mutex_);
    auto it = seen_.find(key);
    if (it == seen_.end()) {
      // A sweep costs a pass over the table: at most one a second under a spray.
      if (seen_.size() >= maxKeys_ && now - lastSweep_ >= std::chrono::seconds(1)) {
        lastSweep_ = now;
        dropExpired(now);
      }
      if (seen_.size() >= maxKeys_) {
        it = seen_.find(kOverflow);
        if (it == seen_.end()) it = seen_.emplace(kOverflow, std::deque<TimePoint>{}).first;
      } else {
        it = seen_.emplace(key, std::deque<TimePoint>{}).first;
      }
    }
    auto& q = it->second;
    while (!q.empty() && now - q.front() >= window_) q.pop_front();
    if (q.size() >= attempts_) return false;
    q.push_back(now);
    return true;
  }

  std::size_t keys() const {
    std::lock_guard lock(mutex_);
    return seen_.size();
  }

 private:
  static constexpr const char* kOverflow = "\x01overflow";
  void dropExpired(TimePoint now) {
    for (auto it = seen_.begin(); it != seen_.end();) {
      if (it->second.empty() || now - it->second.back() >= window_)
        it = seen_.erase(it);
      else
        ++it;
    }
  }

  const std::size_t attempts_;
  const std::chrono::seconds window_;
  const std::size_t maxKeys_;
  mutable std::mutex mutex_;
  std::map<std::string, std::deque<TimePoint>> seen_;
  TimePoint lastSweep_{};
};

/// The key a client address is limited by: IPv4 as it is, IPv6 by its /64 (one subscriber's
/// network hands out as many addresses as it likes within it).
inline std::string clientKey(const std::string& address) {
  if (address.find(':') == std::string::npos || address.rfind("::ffff:", 0) == 0) return address;
  // Expand to eight groups, keep four.
  std::string head = address, tail;
  if (auto dbl = address.find("::"); dbl != std::string::npos) {
    head = address.substr(0, dbl);
    tail = address.substr(dbl + 2);
  }
  auto split = [](const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (!s.empty() && start <= s.size()) {
      auto end = s.find(':', start);
      out.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
      if (end == std::string::npos) break;
      start = end + 1;
    }
    return out;
  };
  auto groups = split(head);
  auto rest = split(tail);
  while (groups.size() + rest.size() < 8) groups.emplace_back("0");
  groups.insert(groups.end(), rest.begin(), rest.end());
  std::string key;
  for (std::size_t i = 0; i < 4 && i < groups.size(); ++i)
    key += (i ? ":" : "") + (groups[i].empty() ? std::string("0") : groups[i]);
  return key + "::/64";
}

}  // namespace vigil::web
