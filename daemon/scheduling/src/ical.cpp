// The iCalendar writer (RFC 5545): escaping, folding, UTC times. See ical.hpp.
#include "vigil/scheduling/ical.hpp"

#include <chrono>
#include <cstdio>

namespace vigil::scheduling::ical {

namespace {

constexpr std::size_t kMaxOctets = 75;

bool continuationByte(char ch) {
  return (static_cast<unsigned char>(ch) & 0xC0) == 0x80;
}

void property(std::string& out, std::string_view name, std::string_view value) {
  std::string line(name);
  line += ':';
  line += value;
  out += foldLine(line);
}

}  // namespace

std::string escapeText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    switch (ch) {
      case '\\':
        out += "\\\\";
        break;
      case ';':
        out += "\\;";
        break;
      case ',':
        out += "\\,";
        break;
      case '\r':
        if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
        out += "\\n";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if ((static_cast<unsigned char>(ch) < 0x20 && ch != '\t') || ch == 0x7F) break;
        out += ch;
    }
  }
  return out;
}

std::string foldLine(std::string_view line) {
  std::string out;
  out.reserve(line.size() + line.size() / 70 * 3 + 2);
  std::size_t room = kMaxOctets;  // octets left on this physical line
  std::size_t i = 0;
  while (i < line.size()) {
    // The next character: one octet, or a whole UTF-8 sequence.
    std::size_t n = 1;
    while (i + n < line.size() && continuationByte(line[i + n])) ++n;
    if (n > room) {
      out += "\r\n ";
      room = kMaxOctets - 1;
    }
    out.append(line.substr(i, n));
    room -= n;
    i += n;
  }
  out += "\r\n";
  return out;
}

std::string utcDateTime(TimePoint t) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(t);
  const auto day = floor<days>(secs);
  const year_month_day ymd{day};
  const hh_mm_ss hms{secs - day};
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

std::string write(const Calendar& calendar) {
  std::string out;
  property(out, "BEGIN", "VCALENDAR");
  property(out, "VERSION", "2.0");
  property(out, "PRODID", calendar.prodId);
  property(out, "CALSCALE", "GREGORIAN");
  property(out, "METHOD", "PUBLISH");
  if (!calendar.name.empty()) property(out, "X-WR-CALNAME", escapeText(calendar.name));
  for (const auto& e : calendar.events) {
    property(out, "BEGIN", "VEVENT");
    property(out, "UID", e.uid);
    property(out, "DTSTAMP", utcDateTime(e.stamp));
    property(out, "DTSTART", utcDateTime(e.start));
    property(out, "DTEND", utcDateTime(e.end));
    property(out, "SUMMARY", escapeText(e.summary));
    if (!e.description.empty()) property(out, "DESCRIPTION", escapeText(e.description));
    property(out, "STATUS", e.cancelled ? "CANCELLED" : "CONFIRMED");
    property(out, "SEQUENCE", std::to_string(e.sequence));
    property(out, "TRANSP", "OPAQUE");
    property(out, "END", "VEVENT");
  }
  property(out, "END", "VCALENDAR");
  return out;
}

}  // namespace vigil::scheduling::ical
