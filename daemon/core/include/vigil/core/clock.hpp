#pragma once
// Time is injected everywhere a decision depends on it (session expiry, alert windows,
// escalation), so tests can move it exactly.

#include <atomic>
#include <chrono>

namespace vigil {

using TimePoint = std::chrono::system_clock::time_point;

/// Source of wall-clock time for domain decisions.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

/// The real system clock.
class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::system_clock::now(); }
  static SystemClock& instance() {
    static SystemClock clock;
    return clock;
  }
};

/// A clock that only moves when told to: for tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint{std::chrono::seconds{1'800'000'000}})
      : now_(start.time_since_epoch().count()) {}
  TimePoint now() const override { return TimePoint{TimePoint::duration{now_.load()}}; }
  void set(TimePoint t) { now_.store(t.time_since_epoch().count()); }
  template <class Rep, class Period>
  void advance(std::chrono::duration<Rep, Period> d) {
    now_ += std::chrono::duration_cast<TimePoint::duration>(d).count();
  }

 private:
  std::atomic<TimePoint::rep> now_;
};

}  // namespace vigil
