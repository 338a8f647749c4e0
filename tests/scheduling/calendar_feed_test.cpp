// Providers' calendar feeds (issue 22): the secret token (hash only, shown once), rotate and
// revoke, the names opt-in, the audit of every fetch (never the token) and of each patient
// named, another provider's appointments absent, the window. Expected lines by hand from the
// bookings the test makes (New York provider, Mondays 09:00-12:00 local = 14:00-17:00 UTC in
// February).
#include "vigil/scheduling/calendar_feed.hpp"

#include <set>

#include "scheduling_fixture.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/store/database.hpp"

namespace vigil::scheduling::test {
namespace {

struct FeedFixture : SchedulingFixture {
  CalendarFeedService feeds{*db, *audit, clock, &records};
  std::int64_t otherPatient = 0;
  Appointment mine, cancelled, theirs;

  FeedFixture() {
    weekly(provider.id, 1, 9 * 60, 12 * 60);
    weekly(provider2.id, 1, 9 * 60, 12 * 60);
    otherPatient = records.create(
        {0, "MRN-O1", "Olga", "Other", "1975-05-05", "America/Los_Angeles", "CA", {}, true});
    db->writeSync([&](store::Connection& c) {
      security::SqliteCareTeam::assignIn(c, provider.id, otherPatient, admin.id, clock.now());
      security::SqliteCareTeam::assignIn(c, provider2.id, otherPatient, admin.id, clock.now());
    });
    mine = service.book(desk, {patientId, provider.id, person30.id, at("2026-02-02T14:00:00Z")});
    cancelled =
        service.book(desk, {otherPatient, provider.id, person60.id, at("2026-02-02T16:00:00Z")});
    service.cancel(desk, cancelled.id, CancelReason::patientRequest, "");
    theirs =
        service.book(desk, {otherPatient, provider2.id, person15.id, at("2026-02-02T15:00:00Z")});
  }

  std::string fetchText(const std::string& token) {
    auto doc = feeds.fetch(token);
    BOOST_REQUIRE(doc);
    return doc->text;
  }
};

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(CalendarFeed)

BOOST_AUTO_TEST_CASE(the_feed_lists_the_providers_appointments_without_names) {
  FeedFixture f;
  const auto token = f.feeds.rotate(f.provider, f.provider.id);
  BOOST_TEST(token.size() == 43u);  // 256 bits, base64url
  const auto text = f.fetchText(token);
  BOOST_TEST(has(text, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
  BOOST_TEST(has(text,
                 "DTSTART:20260202T140000Z\r\nDTEND:20260202T143000Z\r\n"
                 "SUMMARY:Clinic visit\r\nSTATUS:CONFIRMED\r\n"));
  // The cancelled one stays, marked cancelled.
  BOOST_TEST(has(text,
                 "DTSTART:20260202T160000Z\r\nDTEND:20260202T170000Z\r\n"
                 "SUMMARY:New patient\r\nSTATUS:CANCELLED\r\n"));
  BOOST_TEST(has(text, "UID:appointment-" + std::to_string(f.mine.id) + "@"));
  // The other provider's booking is not there, nor any name.
  BOOST_TEST(!has(text, "20260202T150000Z"));
  BOOST_TEST(!has(text, "Quick check"));
  for (const char* name : {"Sam", "Slot", "Olga", "Other"}) BOOST_TEST(!has(text, name));
  auto fetched = f.lastAudit("calendar_feed.fetch");
  BOOST_REQUIRE(fetched);
  BOOST_TEST(fetched->event.reason == "without_names");
  BOOST_TEST(fetched->event.objectId == std::to_string(f.provider.id));
  BOOST_TEST(!f.lastAudit("calendar_feed.names"));
}

BOOST_AUTO_TEST_CASE(names_only_after_the_opt_in_and_each_named_patient_is_audited) {
  FeedFixture f;
  const auto token = f.feeds.rotate(f.provider, f.provider.id);
  auto st = f.feeds.setIncludeNames(f.provider, f.provider.id, true);
  BOOST_TEST(st.includeNames);
  BOOST_TEST(st.active);
  const auto before = f.auditCount();
  const auto text = f.fetchText(token);
  BOOST_TEST(has(text, "SUMMARY:Clinic visit: Sam Slot\r\n"));
  BOOST_TEST(has(text, "SUMMARY:New patient: Olga Other\r\n"));
  // One fetch entry and one per patient named (two patients), none holding the token.
  std::set<std::int64_t> named;
  int fetches = 0;
  for (auto seq = before + 1; seq <= f.auditCount(); ++seq) {
    auto e = f.auditEntry(seq);
    BOOST_REQUIRE(e);
    const auto& ev = e->event;
    for (const auto* field : {&ev.objectId, &ev.reason, &ev.action, &ev.objectType})
      BOOST_TEST(!has(*field, token));
    if (ev.action == "calendar_feed.fetch") {
      ++fetches;
      BOOST_TEST(ev.reason == "with_names");
    }
    if (ev.action == "calendar_feed.names") {
      BOOST_REQUIRE(ev.patientId);
      named.insert(*ev.patientId);
    }
  }
  BOOST_TEST(fetches == 1);
  BOOST_TEST((named == std::set<std::int64_t>{f.patientId, f.otherPatient}));
  // Opting out again drops the names.
  f.feeds.setIncludeNames(f.provider, f.provider.id, false);
  const auto plain = f.fetchText(token);
  BOOST_TEST(has(plain, "SUMMARY:Clinic visit\r\n"));
  BOOST_TEST(!has(plain, "Sam"));
}

BOOST_AUTO_TEST_CASE(revoked_and_rotated_tokens_find_no_feed) {
  FeedFixture f;
  const auto first = f.feeds.rotate(f.provider, f.provider.id);
  const auto uidLine = "UID:appointment-" + std::to_string(f.mine.id) + "@";
  const auto firstText = f.fetchText(first);
  const auto second = f.feeds.rotate(f.provider, f.provider.id);
  BOOST_TEST(first != second);
  BOOST_TEST(!f.feeds.fetch(first));
  auto denied = f.lastAudit("calendar_feed.fetch");
  BOOST_REQUIRE(denied);
  BOOST_TEST((denied->event.outcome == security::AuditOutcome::denied));
  BOOST_TEST(denied->event.objectId == "");
  // The UIDs stay across a rotation (clients keep their events).
  const auto secondText = f.fetchText(second);
  const auto uid =
      firstText.substr(firstText.find(uidLine),
                       firstText.find("\r\n", firstText.find(uidLine)) - firstText.find(uidLine));
  BOOST_TEST(has(secondText, uid + "\r\n"));
  f.feeds.revoke(f.provider, f.provider.id);
  BOOST_TEST(!f.feeds.fetch(second));
  BOOST_TEST(!f.feeds.state(f.provider, f.provider.id).active);
  // Malformed tokens never reach the store.
  BOOST_TEST(!f.feeds.fetch(""));
  BOOST_TEST(!f.feeds.fetch("not a token"));
  BOOST_TEST(!f.feeds.fetch(std::string(43, '!')));
}

BOOST_AUTO_TEST_CASE(a_provider_manages_only_their_own_feed_and_an_admin_any) {
  FeedFixture f;
  BOOST_CHECK_THROW(f.feeds.rotate(f.provider2, f.provider.id), AccessDenied);
  BOOST_CHECK_THROW(f.feeds.setIncludeNames(f.provider2, f.provider.id, true), AccessDenied);
  BOOST_CHECK_THROW(f.feeds.state(f.provider2, f.provider.id), AccessDenied);
  BOOST_CHECK_THROW(f.feeds.rotate(f.desk, f.provider.id), AccessDenied);
  const auto token = f.feeds.rotate(f.admin, f.provider.id);
  BOOST_TEST(f.feeds.state(f.provider, f.provider.id).active);
  BOOST_TEST(f.feeds.fetch(token).has_value());
  // Only people with a schedule have a feed.
  BOOST_CHECK_THROW(f.feeds.rotate(f.admin, f.desk.id), ValidationError);
}

BOOST_AUTO_TEST_CASE(the_feed_reaches_30_days_back_and_180_ahead) {
  FeedFixture f;
  const auto token = f.feeds.rotate(f.provider, f.provider.id);
  // 2026-02-02T14:00Z is 29 days before 2026-03-03T14:00Z: still in; 31 days before
  // 2026-03-05T14:00Z: out.
  f.clock.set(at("2026-03-03T14:00:00Z"));
  BOOST_TEST(has(f.fetchText(token), "DTSTART:20260202T140000Z"));
  f.clock.set(at("2026-03-05T14:00:00Z"));
  BOOST_TEST(!has(f.fetchText(token), "BEGIN:VEVENT"));
  // 179 days ahead is in: 2026-02-02T14:00Z seen from 2025-08-07T14:00Z.
  f.clock.set(at("2025-08-07T14:00:00Z"));
  BOOST_TEST(has(f.fetchText(token), "DTSTART:20260202T140000Z"));
  f.clock.set(at("2025-08-01T14:00:00Z"));  // 185 days ahead: out
  BOOST_TEST(!has(f.fetchText(token), "BEGIN:VEVENT"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace vigil::scheduling::test
