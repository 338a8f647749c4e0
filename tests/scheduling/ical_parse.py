#!/usr/bin/env python3
"""Reads an iCalendar feed with a real parser (Debian's python3-icalendar) and prints what the
calendar feed tests check, so the feed is judged by someone else's reading of RFC 5545.

Usage: ical_parse.py FILE

Checks the raw text first (every line ends with CRLF, no physical line over 75 octets, the
text is UTF-8), then parses it with icalendar.Calendar.from_ical and prints:
  calendar VERSION PRODID METHOD
  event UID|DTSTART|DTEND|SUMMARY|STATUS     (one line per VEVENT, times as ISO 8601 UTC)
Exits 1 (with the reason on stderr) when the text breaks a rule or does not parse, or an event
lacks UID, DTSTAMP, DTSTART or DTEND, or a time is not UTC.
"""

import datetime
import sys

import icalendar


def fail(why):
    print("ical_parse: " + why, file=sys.stderr)
    sys.exit(1)


def utc(value, what):
    dt = value.dt
    if not isinstance(dt, datetime.datetime) or dt.utcoffset() != datetime.timedelta(0):
        fail(what + " is not a UTC date-time: " + repr(dt))
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    if len(sys.argv) != 2:
        fail("usage: ical_parse.py FILE")
    raw = open(sys.argv[1], "rb").read()
    if not raw.endswith(b"\r\n"):
        fail("the text does not end with CRLF")
    for n, line in enumerate(raw.split(b"\r\n")[:-1], 1):
        if b"\n" in line or b"\r" in line:
            fail("line %d: a bare CR or LF" % n)
        if len(line) > 75:
            fail("line %d: %d octets (more than 75)" % (n, len(line)))
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        fail("not UTF-8 (a folded character split?): %s" % e)
    try:
        cal = icalendar.Calendar.from_ical(raw)
    except Exception as e:  # the parser's own verdict
        fail("icalendar could not parse it: %s" % e)
    if cal.name != "VCALENDAR":
        fail("not a VCALENDAR: " + str(cal.name))
    print("calendar %s %s %s" % (cal.get("VERSION"), cal.get("PRODID"), cal.get("METHOD")))
    events = []
    for ev in cal.walk("VEVENT"):
        for prop in ("UID", "DTSTAMP", "DTSTART", "DTEND"):
            if prop not in ev:
                fail("an event without " + prop)
        utc(ev["DTSTAMP"], "DTSTAMP")
        events.append("event %s|%s|%s|%s|%s" % (
            str(ev["UID"]), utc(ev["DTSTART"], "DTSTART"), utc(ev["DTEND"], "DTEND"),
            str(ev.get("SUMMARY", "")), str(ev.get("STATUS", ""))))
    for line in sorted(events, key=lambda e: e.split("|")[1]):
        print(line)


if __name__ == "__main__":
    main()
