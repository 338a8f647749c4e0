#pragma once
// Small pieces the benchmarks share: a clock that stands still, milliseconds of a steady-clock
// duration, a percentile (nearest rank on the sorted sample, p in [0, 1]), progress on stderr.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "vigil/core/clock.hpp"

namespace vigil::bench {

class FixedClock final : public Clock {
 public:
  explicit FixedClock(TimePoint t) : t_(t) {}
  TimePoint now() const override { return t_; }

 private:
  TimePoint t_;
};

inline double ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

/// The p-quantile (0.5 the median, 0.99 the 99th percentile) of the sample; 0 when empty.
inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

/// One line of progress on stderr (printf format).
template <typename... Args>
void progress(const char* fmt, Args... args) {
  std::fprintf(stderr, fmt, args...);
  std::fputc('\n', stderr);
}

}  // namespace vigil::bench
