#pragma once
// Time is injected everywhere a decision depends on it (session expiry, alert windows,
// escalation), so tests can move it exactly (tests/support: testsupport::ManualClock).

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

}  // namespace vigil
