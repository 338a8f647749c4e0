#pragma once
// vigild's configuration: every key is declared once, in config.cpp's schema table, with its
// type, default, limits and description. The sample config (image/vigild.conf), the reference
// (docs/configuration.md) and validation all come from that table, and a test keeps them in step.
// The file format is Java-properties style (`key = value`, `#` comments), read by Poco.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vigil/alerts/alert_lifecycle.hpp"

namespace vigil::app {

/// One configuration key: what it is, what values it takes, what it defaults to.
struct ConfigKey {
  enum class Type { string, path, integer, boolean, choice };
  std::string name;
  Type type;
  std::string defaultValue;
  std::string description;
  std::int64_t min = 0;              // integer only
  std::int64_t max = 0;              // integer only
  std::vector<std::string> choices;  // choice only
};

/// The full schema, in the order the sample config lists it.
const std::vector<ConfigKey>& configSchema();

/// A validated configuration: every schema key has a value (given or default).
class Config {
 public:
  /// Reads and validates FILE. Throws vigil::ConfigError naming the key (or the file) on any
  /// unknown key, bad value or unreadable file; ConfigFileMissing if the file does not exist.
  static Config load(const std::string& file);
  /// Validates key/value pairs (for tests and for overrides given on the command line).
  static Config fromMap(const std::map<std::string, std::string>& values);
  /// Only defaults.
  static Config defaults();

  const std::string& string(const std::string& key) const;
  std::int64_t integer(const std::string& key) const;
  bool boolean(const std::string& key) const;
  /// Applies one override (validated like a file value).
  void set(const std::string& key, const std::string& value);
  /// Checks rules that involve several keys (e.g. TLS required off loopback). Throws
  /// vigil::ConfigError naming the key to fix.
  void checkCombinations() const;

  const std::map<std::string, std::string>& values() const { return values_; }

 private:
  std::map<std::string, std::string> values_;
};

/// The sample config text generated from the schema (image/vigild.conf is this text).
std::string renderSampleConfig();
/// The Markdown reference table generated from the schema (part of docs/configuration.md).
std::string renderConfigReference();

/// The alerts' acknowledgement deadlines from `alerts.ack_<severity>_minutes` (every severity,
/// issue 17: low and info were fixed at 24 h).
alerts::EscalationPolicy escalationPolicy(const Config& config);

}  // namespace vigil::app
