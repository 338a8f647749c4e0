#pragma once
// Structured logging: one event per line, `ts=… level=… event=… key=value …`, to stderr
// (journald picks it up under systemd). The API takes an event name and fields; callers pass
// ids, counts and reasons, never names, contact details or measured values (no PHI in logs).

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>

namespace vigil::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

/// One key=value pair of a log event.
struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v ? v : "") {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, std::int64_t v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, std::uint64_t v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, int v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, unsigned v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, long long v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, double v);
  Field(std::string_view k, bool v) : key(k), value(v ? "true" : "false") {}
  std::string_view key;
  std::string value;
};

using Sink = std::function<void(std::string_view line)>;

/// Parses "debug", "info", "warn", "error"; throws vigil::ConfigError otherwise.
Level parseLevel(std::string_view name);
void setLevel(Level level);
Level level();
/// Replaces the sink (default: stderr). Passing nullptr restores stderr.
void setSink(Sink sink);

/// Formats one event line (without newline); exposed for tests.
std::string format(Level level, std::string_view event, std::initializer_list<Field> fields);
void write(Level level, std::string_view event, std::initializer_list<Field> fields);

inline void debug(std::string_view event, std::initializer_list<Field> fields = {}) {
  write(Level::debug, event, fields);
}
inline void info(std::string_view event, std::initializer_list<Field> fields = {}) {
  write(Level::info, event, fields);
}
inline void warn(std::string_view event, std::initializer_list<Field> fields = {}) {
  write(Level::warn, event, fields);
}
inline void error(std::string_view event, std::initializer_list<Field> fields = {}) {
  write(Level::error, event, fields);
}

}  // namespace vigil::log
