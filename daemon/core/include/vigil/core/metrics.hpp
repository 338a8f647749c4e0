#pragma once
// Process metrics in the Prometheus text format. Labels carry reasons, routes and states,
// never patient or device identifiers (metrics leave the PHI boundary).

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace vigil {

/// A monotonically increasing count.
class Counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

/// A value that goes up and down.
class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

/// Registry of named metrics; renders the exposition text for GET /metrics.
class Metrics {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;

  /// Returns the counter for name+labels, creating it; the reference stays valid.
  Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const Labels& labels = {});
  /// A gauge computed when scraped (store size, queue depth).
  void callbackGauge(const std::string& name, const std::string& help, std::function<double()> fn,
                     const Labels& labels = {});

  std::string render() const;

  /// The process-wide registry.
  static Metrics& global();

 private:
  struct Family {
    std::string help;
    std::string type;
    std::map<std::string, std::unique_ptr<Counter>> counters;
    std::map<std::string, std::unique_ptr<Gauge>> gauges;
    std::map<std::string, std::function<double()>> callbacks;
  };
  static std::string labelKey(const Labels& labels);
  Family& family(const std::string& name, const std::string& help, const char* type);

  mutable std::mutex mutex_;
  std::map<std::string, Family> families_;
};

}  // namespace vigil
