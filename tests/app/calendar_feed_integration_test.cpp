// A provider's calendar feed read by a real iCalendar parser (issue 22): a real vigild (with
// Mosquitto, as the appliance runs), patients registered, licensed providers with schedules and
// bookings made through the API, the feed URL made by the provider, fetched with no session
// like a calendar client, and read by Debian's python3-icalendar (tests/scheduling/
// ical_parse.py, which also checks CRLF and the 75-octet lines). Expected events by hand from
// the bookings made here, on the day after the test runs (vigild keeps real time).
#define BOOST_TEST_MODULE app_calendar_feed_integration
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>

#include "vigil/testsupport/box_fixture.hpp"
#include "vigil/testsupport/portal_client.hpp"
#include "vigil/testsupport/process.hpp"

using namespace vigil;
using namespace vigil::testsupport;
using namespace std::chrono_literals;

namespace {

// A long type name with a comma and a semicolon: escaped and folded in the feed, read back
// whole by the parser.
const std::string kType =
    "Extended follow-up, home readings review; in person (sixty minutes, clinic)";

/// "YYYY-MM-DD" of the day after today (UTC).
std::string tomorrow() {
  const auto day = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()) +
                   std::chrono::days(1);
  const std::chrono::year_month_day ymd{day};
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::int64_t idOf(const PortalClient::Reply& r) {
  BOOST_REQUIRE_MESSAGE(r.status == 200 || r.status == 201,
                        "status " << r.status << ": " << r.body);
  auto id = jsonInt(r.body, "id");
  BOOST_REQUIRE(id);
  return *id;
}

std::int64_t registerPatient(PortalClient& admin, const std::string& mrn, const std::string& given,
                             const std::string& family) {
  return idOf(admin.request("POST", "/api/v1/patients",
                            R"({"mrn":")" + mrn + R"(","givenName":")" + given +
                                R"(","familyName":")" + family +
                                R"(","birthDate":"1970-04-04","timeZone":"UTC","state":"CA"})"));
}

/// Licensed in California, bookable all day every day in UTC, on the patients' care teams.
void makeBookable(PortalClient& admin, std::int64_t provider,
                  const std::vector<std::int64_t>& patients) {
  const auto p = std::to_string(provider);
  auto lic = admin.request(
      "POST", "/api/v1/providers/" + p + "/licenses",
      R"({"state":"CA","type":"MD","number":"A)" + p + R"(","expiresOn":"2099-12-31"})");
  BOOST_REQUIRE_MESSAGE(lic.status == 201, lic.body);
  std::string blocks;
  for (int d = 1; d <= 7; ++d)
    blocks += (d > 1 ? "," : "") + std::string(R"({"weekday":)") + std::to_string(d) +
              R"(,"startMinute":0,"endMinute":1440})";
  auto sched = admin.request("PUT", "/api/v1/providers/" + p + "/schedule",
                             R"({"timeZone":"UTC","bufferMinutes":0,"blocks":[)" + blocks + "]}");
  BOOST_REQUIRE_MESSAGE(sched.status == 200, sched.body);
  for (auto patient : patients) {
    auto ct = admin.request(
        "POST", "/api/v1/admin/care-teams",
        R"({"staffUserId":)" + p + R"(,"patientId":)" + std::to_string(patient) + "}");
    BOOST_REQUIRE_MESSAGE(ct.status == 204, ct.body);
  }
}

std::int64_t book(PortalClient& admin, std::int64_t patient, std::int64_t provider,
                  std::int64_t type, const std::string& at) {
  return idOf(admin.request("POST", "/api/v1/patients/" + std::to_string(patient) + "/appointments",
                            R"({"providerUserId":)" + std::to_string(provider) + R"(,"typeId":)" +
                                std::to_string(type) + R"(,"startsAt":")" + at + R"("})"));
}

/// The parser's reading of `ics` (ical_parse.py's lines); fails the test when it refuses it.
std::string parse(const std::string& ics, const std::filesystem::path& dir) {
  const auto file = dir / "feed.ics";
  const auto out = dir / "parsed.txt";
  const auto err = dir / "parser.err";
  {
    std::ofstream f(file, std::ios::binary);
    f << ics;
  }
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  Process parser(
      VIGIL_DEBIAN_PYTHON,
      {{std::string(VIGIL_SOURCE_DIR) + "/tests/scheduling/ical_parse.py", file.string()},
       {},
       out,
       err});
  auto code = parser.wait(30s);
  BOOST_REQUIRE_MESSAGE(code && *code == 0, "python3-icalendar refused the feed: " << readText(err)
                                                                                   << "\nfeed:\n"
                                                                                   << ics);
  return readText(out);
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(CalendarFeedIntegration)

BOOST_AUTO_TEST_CASE(a_calendar_client_reads_the_feed_with_a_real_parser) {
  BoxFixture::Options options;
  options.start = false;
  BoxFixture box(options);
  const auto ids =
      seedPortalUsers(box.dataDir(), box.databasePath(),
                      {{security::Role::admin, "admin@clinic.test", "Ada Admin", {}, {}},
                       {security::Role::provider, "dr.feed@clinic.test", "Dr Feed", {}, {}},
                       {security::Role::provider, "dr.other@clinic.test", "Dr Other", {}, {}}});
  const auto drFeed = ids[1], drOther = ids[2];
  box.start();

  PortalClient admin(box.webPort());
  admin.signIn("admin@clinic.test");
  const auto zoe = registerPatient(admin, "ICS-1", "Zoë", "Lefèvre");
  const auto max = registerPatient(admin, "ICS-2", "Max", "Mustermann");
  makeBookable(admin, drFeed, {zoe, max});
  makeBookable(admin, drOther, {zoe, max});
  const auto type = idOf(
      admin.request("POST", "/api/v1/appointment-types",
                    R"({"name":")" + kType +
                        R"(","durationMinutes":60,"modality":"in_person","kind":"follow_up"})"));

  const auto day = tomorrow();
  book(admin, zoe, drFeed, type, day + "T14:00:00Z");
  const auto gone = book(admin, max, drFeed, type, day + "T16:00:00Z");
  auto cancel = admin.request("POST", "/api/v1/appointments/" + std::to_string(gone) + "/cancel",
                              R"({"reason":"patient_request"})");
  BOOST_REQUIRE_MESSAGE(cancel.status == 200, cancel.body);
  book(admin, max, drOther, type, day + "T18:00:00Z");  // another provider's: never in the feed

  PortalClient dr(box.webPort());
  dr.signIn("dr.feed@clinic.test");
  const auto base = "/api/v1/providers/" + std::to_string(drFeed) + "/calendar-feed";
  auto made = dr.request("POST", base, "{}");
  BOOST_REQUIRE_MESSAGE(made.status == 201, made.body);
  const auto url = jsonString(made.body, "url");
  const auto path = url.substr(url.find("/ical/"));

  // Fetched with no session, as a calendar client does.
  auto [status, ics] = box.get(path);
  BOOST_REQUIRE_MESSAGE(status == 200, "feed: " << status << " " << ics);
  auto parsed = parse(ics, box.dataDir());
  BOOST_TEST(has(parsed, "calendar 2.0 -//Vigil//Provider calendar feed//EN PUBLISH\n"));
  BOOST_TEST(has(parsed, "|" + day + "T14:00:00Z|" + day + "T15:00:00Z|" + kType + "|CONFIRMED\n"));
  BOOST_TEST(has(parsed, "|" + day + "T16:00:00Z|" + day + "T17:00:00Z|" + kType + "|CANCELLED\n"));
  BOOST_TEST(!has(parsed, "T18:00:00Z"));
  BOOST_TEST(!has(parsed, "Zoë"));
  BOOST_TEST(!has(parsed, "Mustermann"));

  // Opted in: the names in SUMMARY, read back whole (the "ë" never split by the folding).
  auto optIn = dr.request("PUT", base + "/settings", R"({"includeNames":true})");
  BOOST_REQUIRE_MESSAGE(optIn.status == 200, optIn.body);
  std::tie(status, ics) = box.get(path);
  BOOST_REQUIRE(status == 200);
  parsed = parse(ics, box.dataDir());
  BOOST_TEST(has(parsed, "|" + kType + ": Zoë Lefèvre|CONFIRMED\n"));
  BOOST_TEST(has(parsed, "|" + kType + ": Max Mustermann|CANCELLED\n"));

  // Revoked: the URL answers 404.
  BOOST_TEST(dr.request("DELETE", base).status == 204);
  BOOST_TEST(box.get(path).first == 404);
}

BOOST_AUTO_TEST_SUITE_END()
