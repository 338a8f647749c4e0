#pragma once
// A clock that only moves when a test tells it to (vigil::Clock is injected wherever a decision
// depends on time: session expiry, alert windows, escalation deadlines).

#include <atomic>
#include <chrono>

#include "vigil/core/clock.hpp"

namespace vigil::testsupport {

class ManualClock final : public Clock {
 public:
  /// Starts at 2027-01-15T08:00:00Z unless told otherwise.
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

}  // namespace vigil::testsupport
