#include "vigil/core/metrics.hpp"

#include <cassert>
#include <cstdio>

namespace vigil {
namespace {

std::string escapeLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out.append("\\n");
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string formatDouble(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

std::string Metrics::labelKey(const Labels& labels) {
  if (labels.empty()) return {};
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out.push_back(',');
    first = false;
    out.append(k).append("=\"").append(escapeLabel(v)).append("\"");
  }
  out.push_back('}');
  return out;
}

Metrics::Family& Metrics::family(const std::string& name, const std::string& help,
                                 const char* type) {
  auto& f = families_[name];
  if (f.type.empty()) {
    f.type = type;
    f.help = help;
  }
  assert(f.type == type && "metric registered twice with different types");
  return f;
}

Counter& Metrics::counter(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, "counter").counters[labelKey(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Metrics::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, "gauge").gauges[labelKey(labels)];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

void Metrics::callbackGauge(const std::string& name, const std::string& help,
                            std::function<double()> fn, const Labels& labels) {
  std::lock_guard lock(mutex_);
  family(name, help, "gauge").callbacks[labelKey(labels)] = std::move(fn);
}

std::string Metrics::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, f] : families_) {
    out.append("# HELP ").append(name).append(" ").append(f.help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(f.type).append("\n");
    for (const auto& [labels, c] : f.counters)
      out.append(name).append(labels).append(" ").append(std::to_string(c->value())).append("\n");
    for (const auto& [labels, g] : f.gauges)
      out.append(name).append(labels).append(" ").append(formatDouble(g->value())).append("\n");
    for (const auto& [labels, fn] : f.callbacks)
      out.append(name).append(labels).append(" ").append(formatDouble(fn())).append("\n");
  }
  return out;
}

Metrics& Metrics::global() {
  static Metrics registry;
  return registry;
}

}  // namespace vigil
