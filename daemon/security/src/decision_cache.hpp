#pragma once
// What a request's gate looks up every time (the session behind a cookie, the patients on a
// clinician's care team), kept for a short time so that a page's requests do not each read the
// store for it. Private to vigil::security (AccountService).
//
// Trade-off: a change made by this process (sign-out, revocation, a disabled account, a step-up,
// a care-team change) drops every entry when it has committed, so it takes effect at once; a
// change the cache does not hear of (another process, a row edited by hand) takes effect within
// the entry's lifetime (AccountConfig::decisionCacheTtl, at most 5 s; docs/security.md). An entry
// read from a snapshot older than the last drop is never stored: put() compares the generation
// taken before the read with the one at the time of storing.
//
// Lifetime is measured on the injected clock (tests move it); an entry whose time lies in the
// future (the wall clock stepped back) counts as expired.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "vigil/core/clock.hpp"

namespace vigil::security {

/// A map whose entries live for a bounded time and are dropped together by invalidate().
template <class Key, class Value>
class DecisionCache {
 public:
  /// ttl 0: nothing is kept. At most maxEntries are kept (beyond that the map starts afresh).
  DecisionCache(std::chrono::milliseconds ttl, std::size_t maxEntries)
      : ttl_(ttl), maxEntries_(maxEntries) {}

  /// Take before the read whose result goes to put().
  std::uint64_t generation() const {
    std::lock_guard lock(mutex_);
    return generation_;
  }

  std::optional<Value> find(const Key& key, TimePoint now) const {
    if (ttl_.count() <= 0) return std::nullopt;
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    const auto age = now - it->second.readAt;
    if (age < TimePoint::duration::zero() || age >= ttl_) return std::nullopt;
    return it->second.value;
  }

  /// Stores what a read that started at `readAt` found, unless invalidate() ran since
  /// `generation` was taken.
  void put(const Key& key, Value value, TimePoint readAt, std::uint64_t generation) {
    if (ttl_.count() <= 0) return;
    std::lock_guard lock(mutex_);
    if (generation != generation_) return;
    if (entries_.size() >= maxEntries_) entries_.clear();
    entries_.insert_or_assign(key, Entry{std::move(value), readAt});
  }

  void erase(const Key& key) {
    std::lock_guard lock(mutex_);
    entries_.erase(key);
  }

  /// After a committed change: every entry goes, and reads already under way are not stored.
  void invalidate() {
    std::lock_guard lock(mutex_);
    ++generation_;
    entries_.clear();
  }

 private:
  struct Entry {
    Value value;
    TimePoint readAt;
  };
  const std::chrono::milliseconds ttl_;
  const std::size_t maxEntries_;
  mutable std::mutex mutex_;
  std::uint64_t generation_ = 0;
  std::unordered_map<Key, Entry> entries_;
};

}  // namespace vigil::security
