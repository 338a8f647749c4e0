// A provider's calendar feed through the API (issue 22, docs/scheduling.md#calendar-feed): the
// secret URL shown once, the feed fetched with no session as text/calendar, without names until
// the provider opts in (then each named patient audited), another provider's bookings absent,
// a revoked or rotated-away URL answering 404, another provider refused, the fetches
// rate-limited. Expected lines by hand from the bookings made here (the fixture's clock is
// 2027-01-15T08:00Z; the providers take bookings all day in UTC).
#include <boost/test/unit_test.hpp>

#include "api_fixture.hpp"

#ifdef VIGIL_WITH_SCHEDULING

using namespace vigil;
using namespace vigil::web;
using namespace vigil::web::test;

namespace {

std::string bookingBody(std::int64_t provider, std::int64_t type, const std::string& at) {
  return R"({"providerUserId":)" + std::to_string(provider) + R"(,"typeId":)" +
         std::to_string(type) + R"(,"startsAt":")" + at + R"("})";
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// The path of the feed URL in a creation answer ("http://host/ical/<token>.ics").
std::string feedPath(const std::string& body) {
  const auto url = jsonField(body, "url");
  const auto at = url.find("/ical/");
  BOOST_REQUIRE(at != std::string::npos);
  return url.substr(at);
}

std::int64_t auditRows(ApiFixture& f, const std::string& action, std::int64_t patient) {
  return f.db
      ->read([&](store::Connection& c) {
        return c.queryValue<std::int64_t>(
            "SELECT count(*) FROM audit_log WHERE action = ?1 AND patient_id = ?2", action,
            patient);
      })
      .value_or(0);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ApiCalendarFeed)

BOOST_AUTO_TEST_CASE(the_feed_needs_no_session_and_names_patients_only_after_the_opt_in) {
  ApiFixture f;
  const auto other = f.user(security::Role::provider, "dr.other@clinic.example", "Dr. Other");
  f.accounts->assignCareTeam(f.adminActor, other, f.patientA);
  f.takeBookingsAllWeek(other);
  auto desk = f.signIn(f.frontDeskId);
  const auto patients = "/api/v1/patients/" + std::to_string(f.patientA) + "/appointments";
  BOOST_REQUIRE(f.request("POST", patients, &desk,
                          bookingBody(f.providerId, f.visitType.id, "2027-01-20T14:00:00Z"))
                    .status == 201);
  BOOST_REQUIRE(
      f.request("POST", patients, &desk, bookingBody(other, f.visitType.id, "2027-01-20T15:00:00Z"))
          .status == 201);

  auto dr = f.signIn(f.providerId);
  const auto base = "/api/v1/providers/" + std::to_string(f.providerId) + "/calendar-feed";
  auto made = f.request("POST", base, &dr, "{}");
  BOOST_REQUIRE(made.status == 201);
  BOOST_TEST(jsonField(made.body, "active") == "true");
  const auto path = feedPath(made.body);
  BOOST_TEST(path.size() == std::string("/ical/").size() + 43 + 4);  // 256-bit token + ".ics"
  // The state never shows the token again.
  auto state = f.request("GET", base, &dr);
  BOOST_TEST(state.status == 200);
  BOOST_TEST(!has(state.body, path.substr(6, 43)));
  BOOST_TEST(jsonField(state.body, "includeNames") == "false");

  // No session: the token is the credential.
  auto feed = f.request("GET", path, nullptr);
  BOOST_TEST(feed.status == 200);
  BOOST_TEST(feed.headers["Content-Type"] == "text/calendar; charset=utf-8");
  BOOST_TEST(has(feed.body,
                 "DTSTART:20270120T140000Z\r\nDTEND:20270120T143000Z\r\n"
                 "SUMMARY:Clinic visit\r\nSTATUS:CONFIRMED\r\n"));
  BOOST_TEST(!has(feed.body, "20270120T150000Z"));  // the other provider's booking
  BOOST_TEST(!has(feed.body, "Ana"));
  BOOST_TEST(!has(feed.body, "Silva"));
  BOOST_TEST(auditRows(f, "calendar_feed.names", f.patientA) == 0);

  auto optIn = f.request("PUT", base + "/settings", &dr, R"({"includeNames":true})");
  BOOST_TEST(optIn.status == 200);
  BOOST_TEST(jsonField(optIn.body, "includeNames") == "true");
  feed = f.request("GET", path, nullptr);
  BOOST_TEST(feed.status == 200);
  BOOST_TEST(has(feed.body, "SUMMARY:Clinic visit: Ana Silva\r\n"));
  BOOST_TEST(auditRows(f, "calendar_feed.names", f.patientA) == 1);

  // Another provider may not see or change this feed.
  auto otherClient = f.signIn(other);
  BOOST_TEST(f.request("POST", base, &otherClient, "{}").status == 403);
  BOOST_TEST(f.request("GET", base, &otherClient).status == 403);

  // Rotated: the old URL is gone, the new one works; revoked: gone too.
  auto rotated = f.request("POST", base, &dr, "{}");
  BOOST_REQUIRE(rotated.status == 201);
  const auto newPath = feedPath(rotated.body);
  BOOST_TEST(newPath != path);
  BOOST_TEST(f.request("GET", path, nullptr).status == 404);
  BOOST_TEST(f.request("GET", newPath, nullptr).status == 200);
  BOOST_TEST(f.request("DELETE", base, &dr).status == 204);
  auto revoked = f.request("GET", newPath, nullptr);
  BOOST_TEST(revoked.status == 404);
  BOOST_TEST(!has(revoked.body, "VCALENDAR"));
  BOOST_TEST(jsonField(f.request("GET", base, &dr).body, "active") == "false");
}

BOOST_AUTO_TEST_CASE(unknown_feeds_are_404_and_fetches_are_rate_limited) {
  ApiFixture f;
  const std::string guess = "/ical/" + std::string(43, 'A') + ".ics";
  for (int i = 0; i < 30; ++i) BOOST_TEST(f.request("GET", guess, nullptr).status == 404);
  auto limited = f.request("GET", guess, nullptr);
  BOOST_TEST(limited.status == 429);
  BOOST_TEST(jsonField(limited.body, "error") == "rate_limited");
  f.clock.advance(std::chrono::seconds(61));
  BOOST_TEST(f.request("GET", "/ical/nonsense", nullptr).status == 404);
}

BOOST_AUTO_TEST_SUITE_END()

#endif
