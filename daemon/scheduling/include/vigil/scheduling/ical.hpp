#pragma once
// An iCalendar (RFC 5545) writer for the providers' calendar feeds: just what a published,
// read-only feed of UTC events needs (VCALENDAR with METHOD:PUBLISH, VEVENTs with UID, DTSTAMP,
// DTSTART, DTEND, SUMMARY, STATUS, SEQUENCE). Every time is UTC ("...Z"), so no VTIMEZONE is
// written. Text values are escaped (3.3.11) and every content line is folded at 75 octets and
// ended with CRLF (3.1). No parser: the tests read the output with python3-icalendar.

#include <string>
#include <string_view>
#include <vector>

#include "vigil/core/clock.hpp"

namespace vigil::scheduling::ical {

/// A TEXT value escaped (RFC 5545 3.3.11): backslash, semicolon and comma get a backslash, a
/// line break (CRLF, LF or a lone CR) becomes "\n"; other control characters (not allowed in
/// TEXT) are dropped, HTAB kept.
std::string escapeText(std::string_view text);

/// One content line, folded (RFC 5545 3.1): at most 75 octets per physical line, the first
/// line holding up to 75 octets of the content and each continuation line a space and up to 74
/// more; never splitting a UTF-8 sequence. Every physical line ends with CRLF.
std::string foldLine(std::string_view line);

/// A UTC DATE-TIME value: "20270120T140000Z" (seconds, no fraction).
std::string utcDateTime(TimePoint t);

/// One VEVENT.
struct Event {
  std::string uid;          // stable per appointment
  TimePoint stamp;          // DTSTAMP
  TimePoint start;          // DTSTART
  TimePoint end;            // DTEND
  std::string summary;      // plain text, escaped by the writer
  bool cancelled = false;   // STATUS:CANCELLED, else STATUS:CONFIRMED
  int sequence = 0;         // SEQUENCE
  std::string description;  // optional plain text ("" omits DESCRIPTION)
};

/// A VCALENDAR.
struct Calendar {
  std::string prodId;  // PRODID, e.g. "-//Vigil//Calendar feed//EN"
  std::string name;    // X-WR-CALNAME (the name clients show), "" omits it
  std::vector<Event> events;
};

/// The calendar as text/calendar content (CRLF lines, folded).
std::string write(const Calendar& calendar);

}  // namespace vigil::scheduling::ical
