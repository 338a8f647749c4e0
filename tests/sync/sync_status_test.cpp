// What `vigild sync status` prints and /metrics shows of the outbox: the backlog per stream, the
// oldest entry's age, what holds each stream, the last success and last error; metrics by
// stream kind only (stream names carry ids).
#include <boost/test/unit_test.hpp>
#include <sstream>

#include "sync_fixture.hpp"
#include "vigil/core/time.hpp"
#include "vigil/sync/cli.hpp"
#include "vigil/sync/sync_metrics.hpp"

using namespace vigil;
using namespace vigil::sync;
using namespace std::chrono_literals;
using vigil::sync::test::SyncFixture;

namespace {

TimePoint at(const char* rfc3339) {
  return *core::parseRfc3339(rfc3339);
}

// Two streams: claims/2026-12 retrying (3 entries), rx/88 refused (1 entry).
OutboxStatus sampleStatus() {
  OutboxStatus s;
  StreamStatus claims;
  claims.stream = "claims/2026-12";
  claims.streamKind = "claims";
  claims.backlog = 3;
  claims.oldestCreatedAt = at("2026-12-04T14:00:00Z");
  claims.head.id = "0f8e3c1e-6a4b-4c1f-9e2a-5b7d2f1a9c34";
  claims.head.stream = claims.stream;
  claims.head.seq = 17;
  claims.head.kind = "claim.submit";
  claims.head.recipient = "clearinghouse";
  claims.head.state = EntryState::pending;
  claims.head.attempts = 2;
  claims.head.lastError = "timeout";
  claims.head.nextAttemptAt = at("2026-12-04T16:00:30Z");
  StreamStatus rx;
  rx.stream = "rx/88";
  rx.streamKind = "rx";
  rx.backlog = 1;
  rx.oldestCreatedAt = at("2026-12-04T15:50:00Z");
  rx.head.id = "6b1c2f0e-9d4a-4e7b-8c3d-2a1f0e9d8c7b";
  rx.head.stream = rx.stream;
  rx.head.seq = 1;
  rx.head.kind = "rx.submit";
  rx.head.recipient = "pharmacy";
  rx.head.state = EntryState::refused;
  rx.head.attempts = 1;
  rx.head.lastError = "invalid_payload";
  rx.head.nextAttemptAt = at("2026-12-04T15:50:00Z");
  s.streams = {claims, rx};
  s.backlog = 4;
  s.oldestCreatedAt = claims.oldestCreatedAt;
  s.lastSuccessAt = at("2026-12-04T15:55:00Z");
  s.lastError = "timeout";
  s.lastErrorAt = at("2026-12-04T15:59:00Z");
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(SyncStatus)

BOOST_AUTO_TEST_CASE(durations_read_as_people_read_them) {
  BOOST_TEST(humanDuration(0s) == "0s");
  BOOST_TEST(humanDuration(45s) == "45s");
  BOOST_TEST(humanDuration(125s) == "2m 5s");
  BOOST_TEST(humanDuration(3h + 20min + 7s) == "3h 20m");
  BOOST_TEST(humanDuration(std::chrono::hours{98}) == "4d 2h");
  BOOST_TEST(humanDuration(-5s) == "0s");
}

BOOST_AUTO_TEST_CASE(the_json_form_has_the_backlog_ages_and_heads) {
  const auto now = at("2026-12-04T16:00:00Z");
  const std::string expected =
      "{\"backlog\":4,\"oldestEntryAgeSeconds\":7200,"
      "\"lastSuccessAt\":\"2026-12-04T15:55:00.000Z\",\"lastError\":\"timeout\","
      "\"lastErrorAt\":\"2026-12-04T15:59:00.000Z\",\"streams\":["
      "{\"stream\":\"claims/2026-12\",\"streamKind\":\"claims\",\"backlog\":3,"
      "\"oldestEntryAgeSeconds\":7200,\"blocked\":false,\"head\":{"
      "\"id\":\"0f8e3c1e-6a4b-4c1f-9e2a-5b7d2f1a9c34\",\"seq\":17,\"kind\":\"claim.submit\","
      "\"recipient\":\"clearinghouse\",\"state\":\"pending\",\"attempts\":2,"
      "\"lastError\":\"timeout\",\"nextAttemptAt\":\"2026-12-04T16:00:30.000Z\"}},"
      "{\"stream\":\"rx/88\",\"streamKind\":\"rx\",\"backlog\":1,"
      "\"oldestEntryAgeSeconds\":600,\"blocked\":true,\"head\":{"
      "\"id\":\"6b1c2f0e-9d4a-4e7b-8c3d-2a1f0e9d8c7b\",\"seq\":1,\"kind\":\"rx.submit\","
      "\"recipient\":\"pharmacy\",\"state\":\"refused\",\"attempts\":1,"
      "\"lastError\":\"invalid_payload\",\"nextAttemptAt\":\"2026-12-04T15:50:00.000Z\"}}]}\n";
  BOOST_TEST(formatStatusJson(sampleStatus(), now) == expected);
}

BOOST_AUTO_TEST_CASE(an_empty_outbox_that_never_ran_says_so) {
  const auto now = at("2026-12-04T16:00:00Z");
  BOOST_TEST(formatStatusJson(OutboxStatus{}, now) ==
             "{\"backlog\":0,\"oldestEntryAgeSeconds\":null,\"lastSuccessAt\":null,"
             "\"lastError\":null,\"lastErrorAt\":null,\"streams\":[]}\n");
  BOOST_TEST(formatStatusText(OutboxStatus{}, now) ==
             "cloud link outbox: empty\nlast success: never\nlast error:   none\n");
}

BOOST_AUTO_TEST_CASE(the_text_form_names_each_stream_and_what_holds_it) {
  const auto now = at("2026-12-04T16:00:00Z");
  BOOST_TEST(formatStatusText(sampleStatus(), now) ==
             "cloud link outbox: 4 entries waiting in 2 stream(s), oldest 2h 0m old\n"
             "last success: 2026-12-04T15:55:00.000Z (5m 0s ago)\n"
             "last error:   timeout at 2026-12-04T15:59:00.000Z (1m 0s ago)\n"
             "  claims/2026-12: 3 waiting, oldest 2h 0m, retrying (seq 17, 2 failed, last: "
             "timeout, next in 30s)\n"
             "  rx/88: 1 waiting, oldest 10m 0s, REFUSED: invalid_payload (entry "
             "6b1c2f0e-9d4a-4e7b-8c3d-2a1f0e9d8c7b, seq 1; an admin retries or cancels it)\n");
  BOOST_TEST(formatStatusText(sampleStatus(), now, 1).find("… and 1 more stream(s)\n") !=
             std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(metrics_count_by_stream_kind_and_never_name_a_stream, SyncFixture) {
  auto a1 = enqueue("claims/2026-12");
  enqueue("claims/2026-12");
  enqueue("claims/2027-01");
  auto r1 = enqueue("rx/rx-4711", "rx.submit", "pharmacy");
  outbox->markRefused(r1, clock.now(), "invalid_payload");
  outbox->markDelivered(a1, clock.now());
  const auto delivered = clock.now();
  clock.advance(90s);
  SyncMetrics gauges(metrics);
  gauges.update(outbox->status(), clock.now());
  const auto text = metrics.render();
  BOOST_TEST(text.find("vigil_sync_backlog{stream_kind=\"claims\"} 2") != std::string::npos, text);
  BOOST_TEST(text.find("vigil_sync_backlog{stream_kind=\"rx\"} 1") != std::string::npos);
  BOOST_TEST(text.find("vigil_sync_oldest_entry_age_seconds{stream_kind=\"claims\"} 90") !=
             std::string::npos);
  BOOST_TEST(text.find("vigil_sync_blocked_streams{stream_kind=\"rx\"} 1") != std::string::npos);
  BOOST_TEST(text.find("vigil_sync_blocked_streams{stream_kind=\"claims\"} 0") !=
             std::string::npos);
  BOOST_TEST(text.find("vigil_sync_last_success_timestamp_seconds " +
                       std::to_string(core::toMillis(delivered) / 1000)) != std::string::npos);
  BOOST_TEST(text.find("rx-4711") == std::string::npos);
  BOOST_TEST(text.find("2026-12") == std::string::npos);
  BOOST_TEST(text.find(r1) == std::string::npos);
  // A kind whose entries are all gone reads 0 rather than its last value.
  outbox->cancel(admin, r1);
  for (const auto& e : outbox->nextDue(clock.now(), 10))  // the stream.skip in its place
    if (e.kind == "stream.skip") outbox->markDelivered(e.id, clock.now());
  gauges.update(outbox->status(), clock.now());
  BOOST_TEST(metrics.render().find("vigil_sync_backlog{stream_kind=\"rx\"} 0") !=
             std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(run_sync_status_reads_the_store, SyncFixture) {
  enqueue("claims/2026-12");
  clock.advance(75s);
  std::ostringstream json;
  BOOST_TEST(runSyncStatus(*db, clock, json, true) == 0);
  BOOST_TEST(json.str().find("{\"backlog\":1,\"oldestEntryAgeSeconds\":75,") == 0u, json.str());
  std::ostringstream text;
  runSyncStatus(*db, clock, text, false);
  BOOST_TEST(text.str().find("claims/2026-12: 1 waiting, oldest 1m 15s, waiting (seq 1)") !=
                 std::string::npos,
             text.str());
}

BOOST_AUTO_TEST_SUITE_END()
