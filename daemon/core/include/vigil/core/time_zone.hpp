#pragma once
// IANA time zones without the process-global TZ: the system's TZif files (RFC 8536) read and
// evaluated here, because gcc 12's libstdc++ has no std::chrono::tzdb and localtime_r under
// setenv("TZ") is unusable in a multi-threaded daemon. Scheduling keeps availability in the
// provider's zone and shows slots in the patient's; billing counts days in the patient's zone.
//
// A zone is its transition table (the file's 64-bit data) plus the footer's POSIX TZ rule for
// every instant after the last transition. Debian's "slim" files carry no table entries past
// the present, so future years come from the rule alone. Files with leap seconds ("right/")
// are refused: their timestamps are not POSIX time.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::core {

/// An IANA time zone read from the system's TZif files (/usr/share/zoneinfo, Debian package
/// tzdata).
class TimeZone {
 public:
  /// The zone named `name` (e.g. "America/New_York", "UTC"); loaded once and cached (thread-safe).
  /// Throws NotFound for an unknown name, ValidationError for a malformed name (absolute path,
  /// "..", bad characters) or a malformed file.
  static std::shared_ptr<const TimeZone> locate(std::string_view name);
  /// Parses TZif bytes (versions 1..4; v2+ 64-bit data; the footer's POSIX TZ rule for instants
  /// after the last transition, e.g. "EST5EDT,M3.2.0,M11.1.0",
  /// "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0"). Throws ValidationError.
  static std::shared_ptr<const TimeZone> fromTzif(std::string name, std::string_view bytes);
  static std::shared_ptr<const TimeZone> utc();
  const std::string& name() const;
  /// The UTC offset in effect at `t`.
  std::chrono::seconds offsetAt(std::chrono::sys_seconds t) const;
  std::chrono::local_seconds toLocal(std::chrono::sys_seconds t) const;
  /// The instants a local wall-clock time names: none (in a spring-forward gap), one, or two (in
  /// a fall-back overlap, earlier first).
  std::vector<std::chrono::sys_seconds> fromLocal(std::chrono::local_seconds t) const;
  /// fromLocal's first instant; in a gap, the local time read with the offset before the gap (so
  /// 02:30 on a US spring-forward day is 03:30 daylight time), as RFC 5545 says.
  std::chrono::sys_seconds fromLocalLenient(std::chrono::local_seconds t) const;

 private:
  struct Data;  // the parsed file: transitions, local time types, footer rule (time_zone.cpp)
  TimeZone(std::string name, std::shared_ptr<const Data> data);
  std::string name_;
  std::shared_ptr<const Data> data_;
};

/// True when `name` has the syntax of an IANA zone name (letters, digits, '/', '_', '-', '+', no
/// "..", not absolute, <= 64 chars).
bool isValidZoneName(std::string_view name);

}  // namespace vigil::core
