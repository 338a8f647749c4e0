// TimeZone (issue 22): the system's zones at their 2026 transitions, footer rules of every
// form, refused names and files. Every expected instant and offset is written by hand from the
// published rules (US: second Sunday of March, first of November, 02:00 local; EU: last Sundays
// of March and October, 01:00 UTC; Australia: first Sundays of October and April), not from the
// code under test. The calendar: 1 March 2026, 1 November 2026 and 4 October 2026 are Sundays.
#include "vigil/core/time_zone.hpp"

#include <algorithm>
#include <array>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <latch>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "vigil/core/error.hpp"
#include "vigil/testsupport/deadline.hpp"

using namespace std::chrono_literals;
namespace chr = std::chrono;
using vigil::core::TimeZone;
BOOST_TEST_DONT_PRINT_LOG_VALUE(chr::sys_seconds)
BOOST_TEST_DONT_PRINT_LOG_VALUE(chr::local_seconds)
BOOST_TEST_DONT_PRINT_LOG_VALUE(std::vector<chr::sys_seconds>)

namespace {

chr::sys_seconds utcAt(int y, unsigned m, unsigned d, int h, int mi = 0, int s = 0) {
  return chr::sys_days{chr::year{y} / chr::month{m} / chr::day{d}} + chr::hours{h} +
         chr::minutes{mi} + chr::seconds{s};
}

chr::local_seconds localAt(int y, unsigned m, unsigned d, int h, int mi = 0) {
  return chr::local_days{chr::year{y} / chr::month{m} / chr::day{d}} + chr::hours{h} +
         chr::minutes{mi};
}

std::string zoneFile(const std::string& name) {
  std::ifstream in("/usr/share/zoneinfo/" + name, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string be(std::uint64_t v, int bytes) {
  std::string out;
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return out;
}

/// A TZif file written by hand: `times` with their type indices into `offsets`, footer (for
/// version 2 and up) after the 64-bit block.
std::string tzif(char version, const std::vector<std::int64_t>& times,
                 const std::vector<std::uint8_t>& types, const std::vector<std::int32_t>& offsets,
                 const std::string& footer = "") {
  auto block = [&](int timeSize) {
    std::string out = "TZif";
    out.push_back(version);
    out += std::string(15, '\0');
    for (std::uint64_t count :
         {std::uint64_t{0}, std::uint64_t{0}, std::uint64_t{0}, std::uint64_t{times.size()},
          std::uint64_t{offsets.size()}, std::uint64_t{4}})
      out += be(count, 4);
    for (std::int64_t t : times) out += be(static_cast<std::uint64_t>(t), timeSize);
    for (std::uint8_t i : types) out.push_back(static_cast<char>(i));
    for (std::int32_t o : offsets) {
      out += be(static_cast<std::uint32_t>(o), 4);
      out.push_back(0);
      out.push_back(0);
    }
    out += std::string("ABC\0", 4);
    return out;
  };
  std::string out = block(4);
  if (version == 0) return out;
  return out + block(8) + "\n" + footer + "\n";
}

/// A version 2 file with no transitions: the footer's rule decides every instant.
std::shared_ptr<const TimeZone> ruleOnly(const std::string& footer) {
  return TimeZone::fromTzif("Test/Rule", tzif('2', {}, {}, {0}, footer));
}

/// The footer's TZ string of a version 2+ file (between its last two newlines).
std::string footerOf(const std::string& file) {
  const auto start = file.rfind('\n', file.size() - 2) + 1;
  return file.substr(start, file.size() - 1 - start);
}

/// What zdump (libc-bin: glibc's own reading of the same files) prints for 2026 and 2027: per
/// zone, instants in UT and the offset in effect ("gmtoff="), just before and at each transition.
std::map<std::string, std::vector<std::pair<chr::sys_seconds, chr::seconds>>> zdumpMarks(
    const std::vector<std::string>& names) {
  std::string command = "zdump -v -c 2026,2028";
  for (const auto& name : names) command += " " + name;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  BOOST_REQUIRE(pipe);
  std::map<std::string, std::vector<std::pair<chr::sys_seconds, chr::seconds>>> out;
  std::array<char, 512> buffer{};
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe.get())) {
    std::string line(buffer.data());
    auto at = line.find(" UT = ");
    auto gmtoff = line.find("gmtoff=");
    if (at == std::string::npos || gmtoff == std::string::npos) continue;
    std::istringstream in(line.substr(0, at));
    std::string zone, weekday, month, clock;
    int day = 0, year = 0;
    in >> zone >> weekday >> month >> day >> clock >> year;
    static const std::string kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
    const auto m = static_cast<unsigned>(kMonths.find(month) / 3 + 1);
    out[zone].emplace_back(utcAt(year, m, static_cast<unsigned>(day), std::stoi(clock.substr(0, 2)),
                                 std::stoi(clock.substr(3, 2)), std::stoi(clock.substr(6, 2))),
                           chr::seconds{std::stoll(line.substr(gmtoff + 7))});
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(TimeZoneSuite)

BOOST_AUTO_TEST_CASE(new_york_springs_forward_on_8_march_2026) {
  auto ny = TimeZone::locate("America/New_York");
  BOOST_TEST(ny->name() == "America/New_York");
  // 02:00 EST (07:00Z) becomes 03:00 EDT.
  BOOST_TEST(ny->offsetAt(utcAt(2026, 3, 8, 6, 59, 59)) == -5h);
  BOOST_TEST(ny->offsetAt(utcAt(2026, 3, 8, 7)) == -4h);
  BOOST_TEST(ny->fromLocal(localAt(2026, 3, 8, 2, 30)).empty());
  BOOST_TEST(ny->fromLocalLenient(localAt(2026, 3, 8, 2, 30)) == utcAt(2026, 3, 8, 7, 30));
  BOOST_TEST(ny->fromLocal(localAt(2026, 3, 8, 1, 59)) ==
             std::vector<chr::sys_seconds>{utcAt(2026, 3, 8, 6, 59)});
  BOOST_TEST(ny->fromLocal(localAt(2026, 3, 8, 3, 0)) ==
             std::vector<chr::sys_seconds>{utcAt(2026, 3, 8, 7)});
  BOOST_TEST(ny->toLocal(utcAt(2026, 3, 8, 7)) == localAt(2026, 3, 8, 3));
}

BOOST_AUTO_TEST_CASE(new_york_falls_back_on_1_november_2026) {
  auto ny = TimeZone::locate("America/New_York");
  // 02:00 EDT (06:00Z) becomes 01:00 EST: 01:00-01:59 happens twice.
  BOOST_TEST(ny->offsetAt(utcAt(2026, 11, 1, 5, 59, 59)) == -4h);
  BOOST_TEST(ny->offsetAt(utcAt(2026, 11, 1, 6)) == -5h);
  const std::vector<chr::sys_seconds> twice{utcAt(2026, 11, 1, 5, 30), utcAt(2026, 11, 1, 6, 30)};
  BOOST_TEST(ny->fromLocal(localAt(2026, 11, 1, 1, 30)) == twice);
  BOOST_TEST(ny->fromLocalLenient(localAt(2026, 11, 1, 1, 30)) == utcAt(2026, 11, 1, 5, 30));
  BOOST_TEST(ny->toLocal(utcAt(2026, 11, 1, 6, 30)) == localAt(2026, 11, 1, 1, 30));
  BOOST_TEST(ny->toLocal(utcAt(2026, 7, 1, 16)) == localAt(2026, 7, 1, 12));
}

BOOST_AUTO_TEST_CASE(new_york_far_beyond_the_last_transition_follows_the_footer) {
  auto ny = TimeZone::locate("America/New_York");
  BOOST_TEST(ny->offsetAt(utcAt(2090, 7, 1, 12)) == -4h);
  BOOST_TEST(ny->offsetAt(utcAt(2090, 1, 15, 12)) == -5h);
  // 2090: 1 March is a Wednesday, so the second Sunday is 12 March.
  BOOST_TEST(ny->fromLocal(localAt(2090, 3, 12, 2, 30)).empty());
  BOOST_TEST(ny->offsetAt(utcAt(2090, 3, 12, 7)) == -4h);
}

BOOST_AUTO_TEST_CASE(berlin_changes_at_one_utc) {
  auto berlin = TimeZone::locate("Europe/Berlin");
  BOOST_TEST(berlin->offsetAt(utcAt(2026, 3, 29, 0, 59, 59)) == 1h);
  BOOST_TEST(berlin->offsetAt(utcAt(2026, 3, 29, 1)) == 2h);
  BOOST_TEST(berlin->fromLocal(localAt(2026, 3, 29, 2, 30)).empty());
  BOOST_TEST(berlin->fromLocalLenient(localAt(2026, 3, 29, 2, 30)) == utcAt(2026, 3, 29, 1, 30));
  BOOST_TEST(berlin->offsetAt(utcAt(2026, 10, 25, 0, 59, 59)) == 2h);
  BOOST_TEST(berlin->offsetAt(utcAt(2026, 10, 25, 1)) == 1h);
  const std::vector<chr::sys_seconds> twice{utcAt(2026, 10, 25, 0, 30), utcAt(2026, 10, 25, 1, 30)};
  BOOST_TEST(berlin->fromLocal(localAt(2026, 10, 25, 2, 30)) == twice);
}

BOOST_AUTO_TEST_CASE(sydney_keeps_daylight_time_over_the_southern_summer) {
  auto sydney = TimeZone::locate("Australia/Sydney");
  BOOST_TEST(sydney->offsetAt(utcAt(2026, 1, 15, 0)) == 11h);
  BOOST_TEST(sydney->offsetAt(utcAt(2026, 7, 15, 0)) == 10h);
  // 5 April 2026, 03:00 AEDT (4 April 16:00Z) becomes 02:00 AEST: 02:30 happens twice.
  BOOST_TEST(sydney->offsetAt(utcAt(2026, 4, 4, 15, 59, 59)) == 11h);
  BOOST_TEST(sydney->offsetAt(utcAt(2026, 4, 4, 16)) == 10h);
  const std::vector<chr::sys_seconds> twice{utcAt(2026, 4, 4, 15, 30), utcAt(2026, 4, 4, 16, 30)};
  BOOST_TEST(sydney->fromLocal(localAt(2026, 4, 5, 2, 30)) == twice);
  // 4 October 2026, 02:00 AEST (3 October 16:00Z) becomes 03:00 AEDT: 02:30 never happens.
  BOOST_TEST(sydney->offsetAt(utcAt(2026, 10, 3, 15, 59, 59)) == 10h);
  BOOST_TEST(sydney->offsetAt(utcAt(2026, 10, 3, 16)) == 11h);
  BOOST_TEST(sydney->fromLocal(localAt(2026, 10, 4, 2, 30)).empty());
  BOOST_TEST(sydney->fromLocalLenient(localAt(2026, 10, 4, 2, 30)) == utcAt(2026, 10, 3, 16, 30));
}

BOOST_AUTO_TEST_CASE(kolkata_chatham_and_phoenix_keep_their_offsets) {
  auto kolkata = TimeZone::locate("Asia/Kolkata");
  BOOST_TEST(kolkata->offsetAt(utcAt(2026, 1, 15, 0)) == 5h + 30min);
  BOOST_TEST(kolkata->offsetAt(utcAt(2026, 7, 15, 0)) == 5h + 30min);
  BOOST_TEST(kolkata->fromLocal(localAt(2026, 6, 1, 12)) ==
             std::vector<chr::sys_seconds>{utcAt(2026, 6, 1, 6, 30)});
  auto phoenix = TimeZone::locate("America/Phoenix");
  BOOST_TEST(phoenix->offsetAt(utcAt(2026, 1, 15, 0)) == -7h);
  BOOST_TEST(phoenix->offsetAt(utcAt(2026, 7, 15, 0)) == -7h);
  BOOST_TEST(phoenix->offsetAt(utcAt(2090, 7, 15, 0)) == -7h);
  // Chatham: +12:45, +13:45 from the last Sunday of September (27 September 2026) at 02:45
  // local (26 September 14:00Z) to the first Sunday of April.
  auto chatham = TimeZone::locate("Pacific/Chatham");
  BOOST_TEST(chatham->offsetAt(utcAt(2026, 1, 15, 0)) == 13h + 45min);
  BOOST_TEST(chatham->offsetAt(utcAt(2026, 7, 15, 0)) == 12h + 45min);
  BOOST_TEST(chatham->offsetAt(utcAt(2026, 9, 26, 13, 59, 59)) == 12h + 45min);
  BOOST_TEST(chatham->offsetAt(utcAt(2026, 9, 26, 14)) == 13h + 45min);
}

BOOST_AUTO_TEST_CASE(utc_is_built_in_and_located_by_name) {
  auto utc = TimeZone::utc();
  BOOST_TEST(utc->name() == "UTC");
  BOOST_TEST(utc->offsetAt(utcAt(2026, 7, 1, 0)) == 0s);
  BOOST_TEST(utc->fromLocal(localAt(2026, 3, 8, 2, 30)) ==
             std::vector<chr::sys_seconds>{utcAt(2026, 3, 8, 2, 30)});
  BOOST_TEST(TimeZone::locate("UTC") == utc);
  BOOST_TEST(TimeZone::locate("Etc/UTC")->offsetAt(utcAt(2026, 7, 1, 0)) == 0s);
  // Links inside the zone folder are zones too.
  BOOST_TEST(TimeZone::locate("US/Eastern")->offsetAt(utcAt(2026, 7, 1, 0)) == -4h);
}

BOOST_AUTO_TEST_CASE(refuses_unknown_and_malformed_names) {
  BOOST_CHECK_THROW(TimeZone::locate("Nowhere/Atlantis"), vigil::NotFound);
  BOOST_CHECK_THROW(TimeZone::locate("America"), vigil::NotFound);  // a folder
  // /usr/share/zoneinfo/localtime is a link to /etc/localtime: the host's zone, not an IANA one.
  BOOST_CHECK_THROW(TimeZone::locate("localtime"), vigil::NotFound);
  BOOST_CHECK_THROW(TimeZone::locate("../etc/passwd"), vigil::ValidationError);
  BOOST_CHECK_THROW(TimeZone::locate("/etc/localtime"), vigil::ValidationError);
  BOOST_CHECK_THROW(TimeZone::locate(""), vigil::ValidationError);
  BOOST_CHECK_THROW(TimeZone::locate("zone.tab"), vigil::ValidationError);
  BOOST_TEST(vigil::core::isValidZoneName("America/Argentina/Buenos_Aires"));
  BOOST_TEST(vigil::core::isValidZoneName("Etc/GMT+5"));
  BOOST_TEST(vigil::core::isValidZoneName("America/Port-au-Prince"));
  BOOST_TEST(!vigil::core::isValidZoneName("America/../etc"));
  BOOST_TEST(!vigil::core::isValidZoneName("America/"));
  BOOST_TEST(!vigil::core::isValidZoneName("America//New_York"));
  BOOST_TEST(!vigil::core::isValidZoneName("America/New York"));
  BOOST_TEST(!vigil::core::isValidZoneName(std::string(65, 'A')));
  BOOST_TEST(vigil::core::isValidZoneName(std::string(64, 'A')));
}

BOOST_AUTO_TEST_CASE(refuses_truncated_and_corrupt_files) {
  const std::string ny = zoneFile("America/New_York");
  BOOST_REQUIRE(ny.size() > 100);
  BOOST_CHECK_NO_THROW(TimeZone::fromTzif("ok", ny));
  for (std::size_t n = 0; n < ny.size(); ++n)
    BOOST_CHECK_THROW(TimeZone::fromTzif("cut", ny.substr(0, n)), vigil::ValidationError);
  std::string magic = ny;
  magic[3] = 'x';
  BOOST_CHECK_THROW(TimeZone::fromTzif("magic", magic), vigil::ValidationError);
  std::string version = ny;
  version[4] = '9';
  BOOST_CHECK_THROW(TimeZone::fromTzif("version", version), vigil::ValidationError);
  BOOST_CHECK_THROW(TimeZone::fromTzif("trailing", ny + "x"), vigil::ValidationError);
  // Type index 5 of 2 types; transitions out of order; no types; a leap-second record.
  BOOST_CHECK_THROW(TimeZone::fromTzif("t", tzif('2', {100}, {5}, {0, 3600}, "UTC0")),
                    vigil::ValidationError);
  BOOST_CHECK_THROW(TimeZone::fromTzif("t", tzif('2', {200, 100}, {1, 0}, {0, 3600}, "UTC0")),
                    vigil::ValidationError);
  BOOST_CHECK_THROW(TimeZone::fromTzif("t", tzif('2', {}, {}, {}, "UTC0")), vigil::ValidationError);
  std::string leap = tzif(0, {}, {}, {0});
  leap[20 + 11] = 1;  // leapcnt = 1, its 8 bytes missing
  BOOST_CHECK_THROW(TimeZone::fromTzif("t", leap), vigil::ValidationError);
  BOOST_CHECK_THROW(TimeZone::fromTzif("t", leap + std::string(8, '\0')), vigil::ValidationError);
  // An offset of 30 hours.
  BOOST_CHECK_THROW(TimeZone::fromTzif("t", tzif('2', {}, {}, {30 * 3600}, "")),
                    vigil::ValidationError);
}

BOOST_AUTO_TEST_CASE(refuses_malformed_footer_rules) {
  for (const char* bad :
       {"EST5EDT", "EST", "E5", "<+1030-10:30", "EST5EDT,M13.1.0,M11.1.0", "EST5EDT,M3.6.0,M11.1.0",
        "EST5EDT,M3.2.7,M11.1.0", "EST5EDT,M3.2.0/168,M11.1.0", "EST25", "EST5EDT,J0,J100",
        "EST5EDT,366,10", "EST5:60", "EST5EDT,M3.2.0", "EST5 ", "EST5EDT,,"})
    BOOST_CHECK_THROW(ruleOnly(bad), vigil::ValidationError);
}

BOOST_AUTO_TEST_CASE(version_one_files_have_only_their_table) {
  // One transition at 1,000,000,000 s (2001-09-09T01:46:40Z) from +0 to +1 h.
  auto zone = TimeZone::fromTzif("Test/V1", tzif(0, {1'000'000'000}, {1}, {0, 3600}));
  BOOST_TEST(zone->name() == "Test/V1");
  BOOST_TEST(zone->offsetAt(chr::sys_seconds{999'999'999s}) == 0s);
  BOOST_TEST(zone->offsetAt(chr::sys_seconds{1'000'000'000s}) == 1h);
  BOOST_TEST(zone->offsetAt(utcAt(2090, 1, 1, 0)) == 1h);
}

BOOST_AUTO_TEST_CASE(footer_rules_of_every_form) {
  // Lord Howe: +10:30, +11 from the first Sunday of October 02:00 (4 Oct 2026: 3 Oct 15:30Z).
  auto lordHowe = ruleOnly("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0");
  BOOST_TEST(lordHowe->offsetAt(utcAt(2026, 7, 1, 0)) == 10h + 30min);
  BOOST_TEST(lordHowe->offsetAt(utcAt(2026, 1, 1, 0)) == 11h);
  BOOST_TEST(lordHowe->offsetAt(utcAt(2026, 10, 3, 15, 29, 59)) == 10h + 30min);
  BOOST_TEST(lordHowe->offsetAt(utcAt(2026, 10, 3, 15, 30)) == 11h);
  // Nuuk: negative transition time; -2 h, -1 h from the last Sunday of March at -1:00 local
  // (Saturday 23:00 at -2 h, 01:00Z) to the last Sunday of October at 00:00 local (01:00Z).
  auto nuuk = ruleOnly("<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
  BOOST_TEST(nuuk->offsetAt(utcAt(2026, 3, 29, 0, 59, 59)) == -2h);
  BOOST_TEST(nuuk->offsetAt(utcAt(2026, 3, 29, 1)) == -1h);
  BOOST_TEST(nuuk->offsetAt(utcAt(2026, 10, 25, 0, 59, 59)) == -1h);
  BOOST_TEST(nuuk->offsetAt(utcAt(2026, 10, 25, 1)) == -2h);
  // Jn never counts 29 February: J60 is 1 March, J300 27 October. Times over 24 h move on to
  // the next day: 2 March 01:00 standard (+0) and 28 October 02:00 daylight (+1), both 01:00Z.
  for (int year : {2026, 2028}) {
    auto julian = ruleOnly("AAA0BBB-1,J60/25,J300/26");
    BOOST_TEST(julian->offsetAt(utcAt(year, 3, 2, 0, 59, 59)) == 0s);
    BOOST_TEST(julian->offsetAt(utcAt(year, 3, 2, 1)) == 1h);
    BOOST_TEST(julian->offsetAt(utcAt(year, 10, 28, 0, 59, 59)) == 1h);
    BOOST_TEST(julian->offsetAt(utcAt(year, 10, 28, 1)) == 0s);
  }
  // Zero-based n counts 29 February: day 59 is 1 March in 2026, 29 February in 2028.
  auto zeroBased = ruleOnly("AAA0BBB-1,59/25,299/26");
  BOOST_TEST(zeroBased->offsetAt(utcAt(2026, 3, 2, 0, 59, 59)) == 0s);
  BOOST_TEST(zeroBased->offsetAt(utcAt(2026, 3, 2, 1)) == 1h);
  BOOST_TEST(zeroBased->offsetAt(utcAt(2028, 3, 1, 0, 59, 59)) == 0s);
  BOOST_TEST(zeroBased->offsetAt(utcAt(2028, 3, 1, 1)) == 1h);
  BOOST_TEST(zeroBased->offsetAt(utcAt(2028, 10, 27, 0, 59, 59)) == 1h);
  BOOST_TEST(zeroBased->offsetAt(utcAt(2028, 10, 27, 1)) == 0s);
  // Daylight time all year (zic's form for a permanent DST): -2 h at every instant.
  auto permanent = ruleOnly("<-03>3<-02>,0/0,J365/25");
  for (auto t : {utcAt(2026, 1, 1, 0), utcAt(2026, 1, 1, 2, 30), utcAt(2026, 7, 1, 0),
                 utcAt(2026, 12, 31, 23, 30), utcAt(2027, 1, 1, 3)})
    BOOST_TEST(permanent->offsetAt(t) == -2h);
  BOOST_TEST(permanent->fromLocal(localAt(2027, 1, 1, 0, 30)) ==
             std::vector<chr::sys_seconds>{utcAt(2027, 1, 1, 2, 30)});
  // A rule with no daylight time; an empty footer leaves time type 0.
  BOOST_TEST(ruleOnly("<+0530>-5:30")->offsetAt(utcAt(2026, 1, 1, 0)) == 5h + 30min);
  BOOST_TEST(
      TimeZone::fromTzif("t", tzif('3', {}, {}, {-3600}, ""))->offsetAt(utcAt(2026, 1, 1, 0)) ==
      -1h);
}

BOOST_AUTO_TEST_CASE(agrees_with_zdump_every_hour_of_2026_and_2027) {
  const std::vector<std::string> names{"America/New_York", "Europe/Berlin",
                                       "Australia/Sydney", "Pacific/Chatham",
                                       "America/Santiago", "Australia/Lord_Howe"};
  const auto marksOf = zdumpMarks(names);
  for (const auto& name : names) {
    BOOST_TEST_CONTEXT(name) {
      const auto& marks = marksOf.at(name);
      BOOST_REQUIRE(marks.size() >= 8);  // two transitions a year, two lines each
      // Debian's files are "fat" (transitions listed to 2037); the file's footer alone, as in a
      // "slim" file, must give the same answers.
      const std::string footer = footerOf(zoneFile(name));
      for (auto zone : {TimeZone::locate(name), ruleOnly(footer)}) {
        std::size_t next = 0;
        for (auto t = utcAt(2026, 1, 1, 0); t < utcAt(2028, 1, 1, 0); t += 1h) {
          while (next < marks.size() && marks[next].first <= t) ++next;
          const chr::seconds expected = next == 0 ? marks.front().second : marks[next - 1].second;
          if (zone->offsetAt(t) != expected) {
            BOOST_TEST(zone->offsetAt(t).count() == expected.count(), "footer " << footer);
            break;
          }
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(every_zone_of_zone_tab_agrees_with_zdump_at_its_2026_2027_transitions) {
  std::ifstream tab("/usr/share/zoneinfo/zone.tab");
  std::vector<std::string> names;
  for (std::string line; std::getline(tab, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string country, coordinates, name;
    fields >> country >> coordinates >> name;
    names.push_back(name);
  }
  BOOST_REQUIRE(names.size() > 300);
  const auto marksOf = zdumpMarks(names);
  std::size_t checked = 0;
  for (const auto& name : names) {
    BOOST_TEST_CONTEXT(name) {
      auto zone = TimeZone::locate(name);
      const std::string footer = footerOf(zoneFile(name));
      auto rule = ruleOnly(footer);
      auto found = marksOf.find(name);
      if (found == marksOf.end()) continue;  // no transition in 2026-2027
      for (const auto& [t, offset] : found->second) {
        BOOST_TEST(zone->offsetAt(t).count() == offset.count());
        // Only a footer with daylight dates describes the changes (Morocco's Ramadan changes are
        // listed in the table to 2087, slim or fat, under a footer of "<+01>-1").
        if (footer.find(',') != std::string::npos)
          BOOST_TEST(rule->offsetAt(t).count() == offset.count(), "footer " << footer);
        BOOST_TEST(zone->toLocal(t) - chr::local_seconds{t.time_since_epoch()} == offset);
        const auto back = zone->fromLocal(zone->toLocal(t));
        BOOST_TEST((std::find(back.begin(), back.end(), t) != back.end()));
        ++checked;
      }
    }
  }
  BOOST_TEST(checked > 400);
}

BOOST_AUTO_TEST_CASE(concurrent_locate_returns_one_object) {
  constexpr int kThreads = 8;
  std::vector<std::shared_ptr<const TimeZone>> seen(kThreads);
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();  // bounded: all eight threads arrive without waiting on anything
      seen[static_cast<std::size_t>(i)] = TimeZone::locate("Asia/Tokyo");
    });
  }
  for (auto& t : threads) vigil::testsupport::joinWithin(t, 30s, "joining the locating threads");
  for (const auto& zone : seen) {
    BOOST_REQUIRE(zone);
    BOOST_TEST(zone == seen.front());
  }
  BOOST_TEST(seen.front()->offsetAt(utcAt(2026, 7, 1, 0)) == 9h);
}

BOOST_AUTO_TEST_SUITE_END()
