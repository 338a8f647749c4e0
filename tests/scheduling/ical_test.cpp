// The iCalendar writer (RFC 5545): text escaping (3.3.11), line folding at 75 octets without
// splitting a UTF-8 character (3.1), UTC DATE-TIME values, and a whole calendar. Every expected
// text below is written by hand from the RFC, not produced by the writer.
#include "vigil/scheduling/ical.hpp"

#include <boost/test/unit_test.hpp>
#include <string>

#include "vigil/core/time.hpp"

using namespace vigil;
using namespace vigil::scheduling;

namespace {

TimePoint at(const std::string& text) {
  auto t = core::parseRfc3339(text);
  BOOST_REQUIRE(t);
  return *t;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ICalWriter)

BOOST_AUTO_TEST_CASE(escapes_backslash_semicolon_comma_and_line_breaks) {
  BOOST_TEST(ical::escapeText("a\\b;c,d") == "a\\\\b\\;c\\,d");
  BOOST_TEST(ical::escapeText("one\ntwo\r\nthree\rfour") == "one\\ntwo\\nthree\\nfour");
  // Colons and quotes need no escape in TEXT; control characters are not allowed (dropped),
  // a tab is.
  BOOST_TEST(ical::escapeText("Dr: \"Lee\"\x01\tok") == "Dr: \"Lee\"\tok");
  BOOST_TEST(ical::escapeText("Zoë Müller") == "Zoë Müller");
}

BOOST_AUTO_TEST_CASE(a_line_of_75_octets_is_not_folded) {
  // "DESCRIPTION:" is 12 octets; 63 more make 75.
  const std::string line = "DESCRIPTION:" + std::string(63, 'x');
  BOOST_TEST(ical::foldLine(line) == line + "\r\n");
}

BOOST_AUTO_TEST_CASE(a_longer_line_continues_after_crlf_and_a_space) {
  // 12 + 63 = 75 octets on the first line; then a space and at most 74 octets per line.
  const std::string line =
      "DESCRIPTION:" + std::string(63, 'x') + std::string(74, 'y') + std::string(5, 'z');
  const std::string expected = "DESCRIPTION:" + std::string(63, 'x') + "\r\n " +
                               std::string(74, 'y') + "\r\n " + "zzzzz" + "\r\n";
  BOOST_TEST(ical::foldLine(line) == expected);
}

BOOST_AUTO_TEST_CASE(folding_never_splits_a_utf8_character) {
  // "SUMMARY:" is 8 octets; 66 'a' make 74; "é" (C3 A9) would make 76: it moves whole to the
  // next line.
  const std::string line = "SUMMARY:" + std::string(66, 'a') + "\xC3\xA9" + "b";
  const std::string expected = "SUMMARY:" + std::string(66, 'a') + "\r\n \xC3\xA9" + "b\r\n";
  BOOST_TEST(ical::foldLine(line) == expected);
  // With 67 'a' (75 octets) the break falls exactly before "é" too.
  const std::string line2 = "SUMMARY:" + std::string(67, 'a') + "\xC3\xA9";
  BOOST_TEST(ical::foldLine(line2) == "SUMMARY:" + std::string(67, 'a') + "\r\n \xC3\xA9\r\n");
  // A 3-octet character ("€", E2 82 AC) at octets 74..76 moves whole as well.
  const std::string line3 = "SUMMARY:" + std::string(65, 'a') + "\xE2\x82\xAC";
  BOOST_TEST(ical::foldLine(line3) == "SUMMARY:" + std::string(65, 'a') + "\r\n \xE2\x82\xAC\r\n");
}

BOOST_AUTO_TEST_CASE(times_are_utc_date_times_without_fraction) {
  BOOST_TEST(ical::utcDateTime(at("2027-01-20T14:00:00.500Z")) == "20270120T140000Z");
  BOOST_TEST(ical::utcDateTime(at("2026-03-08T06:05:09Z")) == "20260308T060509Z");
  BOOST_TEST(ical::utcDateTime(at("2026-11-01T01:30:00-04:00")) == "20261101T053000Z");
}

BOOST_AUTO_TEST_CASE(writes_a_calendar_with_a_confirmed_and_a_cancelled_event) {
  ical::Calendar cal;
  cal.prodId = "-//Vigil//Test//EN";
  cal.name = "Dr Lee, clinic";
  ical::Event a;
  a.uid = "appointment-7@box.vigil";
  a.stamp = at("2027-01-01T00:00:00Z");
  a.start = at("2027-01-20T14:00:00Z");
  a.end = at("2027-01-20T14:30:00Z");
  a.summary = "Video follow-up: Ann; Bee, Jr.";
  ical::Event b = a;
  b.uid = "appointment-8@box.vigil";
  b.start = at("2027-01-21T09:00:00Z");
  b.end = at("2027-01-21T10:00:00Z");
  b.summary = "New patient";
  b.cancelled = true;
  b.sequence = 1;
  cal.events = {a, b};
  const std::string expected =
      "BEGIN:VCALENDAR\r\n"
      "VERSION:2.0\r\n"
      "PRODID:-//Vigil//Test//EN\r\n"
      "CALSCALE:GREGORIAN\r\n"
      "METHOD:PUBLISH\r\n"
      "X-WR-CALNAME:Dr Lee\\, clinic\r\n"
      "BEGIN:VEVENT\r\n"
      "UID:appointment-7@box.vigil\r\n"
      "DTSTAMP:20270101T000000Z\r\n"
      "DTSTART:20270120T140000Z\r\n"
      "DTEND:20270120T143000Z\r\n"
      "SUMMARY:Video follow-up: Ann\\; Bee\\, Jr.\r\n"
      "STATUS:CONFIRMED\r\n"
      "SEQUENCE:0\r\n"
      "TRANSP:OPAQUE\r\n"
      "END:VEVENT\r\n"
      "BEGIN:VEVENT\r\n"
      "UID:appointment-8@box.vigil\r\n"
      "DTSTAMP:20270101T000000Z\r\n"
      "DTSTART:20270121T090000Z\r\n"
      "DTEND:20270121T100000Z\r\n"
      "SUMMARY:New patient\r\n"
      "STATUS:CANCELLED\r\n"
      "SEQUENCE:1\r\n"
      "TRANSP:OPAQUE\r\n"
      "END:VEVENT\r\n"
      "END:VCALENDAR\r\n";
  BOOST_TEST(ical::write(cal) == expected);
}

BOOST_AUTO_TEST_SUITE_END()
