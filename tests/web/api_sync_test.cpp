// The cloud link's admin routes (web/src/api/sync_routes.cpp) through the real server, gate and
// outbox on a real SQLite file: the status and one entry's metadata (never an envelope), retry
// and cancel of a refused entry with exactly one audit entry each (the outbox's, not a second one
// from the gate), 404 / 409, and no other role reaches any of it.

#include <boost/test/unit_test.hpp>

#include "api_fixture.hpp"

using namespace vigil;
using namespace vigil::web;
using namespace vigil::web::test;
using security::Role;

namespace {

std::int64_t auditCount(ApiFixture& f, const std::string& where = "1 = 1") {
  return f.db
      ->read([&](store::Connection& c) {
        return c.queryValue<std::int64_t>("SELECT count(*) FROM audit_log WHERE " + where);
      })
      .value_or(-1);
}

/// The entry's state as the outbox names it ("pending", "refused" …).
std::string stateOf(ApiFixture& f, const std::string& id) {
  auto e = f.outbox->entry(id);
  BOOST_REQUIRE(e);
  return std::string(sync::toString(e->state));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(SyncRoutes)

BOOST_AUTO_TEST_CASE(the_admin_sees_backlog_per_stream_and_the_refused_entry_with_its_reason) {
  ApiFixture f;
  auto refused = f.refusedSyncEntry("claims/2026-12", "invalid_payload");
  f.enqueueSyncEntry("claims/2026-12");  // behind the refused one
  f.clock.advance(std::chrono::minutes(5));
  auto rx = f.enqueueSyncEntry("rx/77", "rx.submit", "pharmacy");
  f.clock.advance(std::chrono::minutes(1));
  auto admin = f.signIn(f.adminActor.id);
  auto r = f.request("GET", "/api/v1/sync/status", &admin);
  BOOST_TEST_REQUIRE(r.status == 200, r.body);
  // Totals: three entries in two streams, one of them blocked; the oldest written 6 min (and the
  // sign-in's clock steps) ago.
  BOOST_TEST(jsonField(r.body, "backlog") == "3");
  BOOST_TEST(jsonField(r.body, "streamCount") == "2");
  BOOST_TEST(jsonField(r.body, "blockedStreams") == "1");
  BOOST_TEST(std::stoi(jsonField(r.body, "oldestEntryAgeSeconds")) >= 360);
  BOOST_TEST(r.body.find(R"("lastSuccessAt":null)") != std::string::npos, r.body);
  // Per kind of stream, for the chart.
  BOOST_TEST(r.body.find(R"({"streamKind":"claims","backlog":2,"streams":1,"blocked":1})") !=
                 std::string::npos,
             r.body);
  BOOST_TEST(r.body.find(R"({"streamKind":"rx","backlog":1,"streams":1,"blocked":0})") !=
                 std::string::npos,
             r.body);
  // The blocked stream first, its head the refused entry with the service's reason.
  auto claims = r.body.find(R"("stream":"claims/2026-12")");
  auto rxAt = r.body.find(R"("stream":"rx/77")");
  BOOST_TEST_REQUIRE(claims != std::string::npos);
  BOOST_TEST_REQUIRE(rxAt != std::string::npos);
  BOOST_TEST(claims < rxAt);
  BOOST_TEST(r.body.find(R"("blocked":true,"head":{"id":")" + refused +
                         R"(","seq":1,"kind":"claim.submit","recipient":"clearinghouse",)"
                         R"("state":"refused","attempts":1,"lastError":"invalid_payload")") !=
                 std::string::npos,
             r.body);
  BOOST_TEST(
      r.body.find(R"("blocked":false,"head":{"id":")" + rx + R"(","seq":1)") != std::string::npos,
      r.body);
  BOOST_TEST(r.body.find(R"("streamsTruncated":false)") != std::string::npos, r.body);
  BOOST_TEST(r.body.find(ApiFixture::kEnvelopeMarker) == std::string::npos, r.body);
  BOOST_TEST(r.body.find("envelope") == std::string::npos, r.body);
}

BOOST_AUTO_TEST_CASE(the_stream_list_is_cut_at_the_limit_with_blocked_streams_kept) {
  ApiFixture f;
  f.enqueueSyncEntry("claims/a");
  f.enqueueSyncEntry("claims/b");
  auto refused = f.refusedSyncEntry("rx/zz", "license_expired");  // last by name
  auto admin = f.signIn(f.adminActor.id);
  auto r = f.request("GET", "/api/v1/sync/status?limit=1", &admin);
  BOOST_TEST_REQUIRE(r.status == 200, r.body);
  BOOST_TEST(r.body.find(R"("stream":"rx/zz")") != std::string::npos, r.body);
  BOOST_TEST(r.body.find(R"("stream":"claims/a")") == std::string::npos, r.body);
  BOOST_TEST(r.body.find(R"("streamsTruncated":true)") != std::string::npos, r.body);
  BOOST_TEST(jsonField(r.body, "streamCount") == "3");  // the totals cover every stream
  BOOST_TEST(jsonField(r.body, "backlog") == "3");
  BOOST_TEST(f.request("GET", "/api/v1/sync/status?limit=0", &admin).status == 400);
  BOOST_TEST(f.request("GET", "/api/v1/sync/status?limit=1001", &admin).status == 400);
}

BOOST_AUTO_TEST_CASE(one_entry_is_shown_by_its_metadata_without_the_envelope) {
  ApiFixture f;
  auto id = f.refusedSyncEntry("claims/2026-12", "does_not_open");
  auto admin = f.signIn(f.adminActor.id);
  auto r = f.request("GET", "/api/v1/sync/entries/" + id, &admin);
  BOOST_TEST_REQUIRE(r.status == 200, r.body);
  BOOST_TEST(jsonField(r.body, "id") == id);
  BOOST_TEST(jsonField(r.body, "stream") == "claims/2026-12");
  BOOST_TEST(jsonField(r.body, "streamKind") == "claims");
  BOOST_TEST(jsonField(r.body, "seq") == "1");
  BOOST_TEST(jsonField(r.body, "kind") == "claim.submit");
  BOOST_TEST(jsonField(r.body, "state") == "refused");
  BOOST_TEST(jsonField(r.body, "attempts") == "1");
  BOOST_TEST(jsonField(r.body, "lastError") == "does_not_open");
  BOOST_TEST(r.body.find(R"("nextAttemptAt":null)") != std::string::npos, r.body);
  BOOST_TEST(r.body.find(ApiFixture::kEnvelopeMarker) == std::string::npos, r.body);
  BOOST_TEST(r.body.find("envelope") == std::string::npos, r.body);
  // An id of the right shape that names nothing, and one of the wrong shape.
  BOOST_TEST(f.request("GET", "/api/v1/sync/entries/00000000-0000-4000-8000-000000000000", &admin)
                 .status == 404);
  BOOST_TEST(f.request("GET", "/api/v1/sync/entries/1", &admin).status == 404);
}

BOOST_AUTO_TEST_CASE(retry_sends_the_refused_entry_again_with_one_audit_entry) {
  ApiFixture f;
  auto id = f.refusedSyncEntry("claims/2026-12", "invalid_payload");
  auto admin = f.signIn(f.adminActor.id);
  BOOST_TEST(f.outbox->nextDue(f.clock.now(), 10).empty());  // the stream is blocked
  const auto before = auditCount(f);
  auto r = f.request("POST", "/api/v1/sync/entries/" + id + "/retry", &admin, "{}");
  BOOST_TEST_REQUIRE(r.status == 200, r.body);
  BOOST_TEST(jsonField(r.body, "state") == "pending");
  BOOST_TEST(jsonField(r.body, "attempts") == "0");
  BOOST_TEST(stateOf(f, id) == "pending");
  auto due = f.outbox->nextDue(f.clock.now(), 10);
  BOOST_TEST_REQUIRE(due.size() == 1u);
  BOOST_TEST(due[0].id == id);
  // Exactly one audit entry for the action: the outbox's sync.retry, by this admin, on this
  // entry; no second one from the gate.
  BOOST_TEST(auditCount(f) == before + 1);
  BOOST_TEST(auditCount(f,
                        "action = 'sync.retry' AND outcome = 'success' AND object_type = "
                        "'sync_entry' AND object_id = '" +
                            id + "' AND actor_id = " + std::to_string(f.adminActor.id)) == 1);
  BOOST_TEST(f.audit->verify(*f.db).ok);
}

BOOST_AUTO_TEST_CASE(cancel_gives_up_on_the_entry_and_the_stream_goes_on_with_one_audit_entry) {
  ApiFixture f;
  auto id = f.refusedSyncEntry("claims/2026-12", "license_expired");
  auto next = f.enqueueSyncEntry("claims/2026-12");
  auto admin = f.signIn(f.adminActor.id);
  const auto before = auditCount(f);
  auto r = f.request("POST", "/api/v1/sync/entries/" + id + "/cancel", &admin, "{}");
  BOOST_TEST_REQUIRE(r.status == 200, r.body);
  BOOST_TEST(jsonField(r.body, "state") == "cancelled");
  BOOST_TEST(stateOf(f, id) == "cancelled");
  // The service waits for seq 1: a stream.skip takes the cancelled entry's place, then the
  // stream's next entry goes.
  auto due = f.outbox->nextDue(f.clock.now(), 10);
  BOOST_TEST_REQUIRE(due.size() == 1u);
  BOOST_TEST(due[0].kind == "stream.skip");
  BOOST_TEST(due[0].stream == "claims/2026-12");
  BOOST_TEST(due[0].seq == 1);
  BOOST_TEST(due[0].id != id);
  BOOST_REQUIRE(f.outbox->markDelivered(due[0].id, f.clock.now()));
  due = f.outbox->nextDue(f.clock.now(), 10);
  BOOST_TEST_REQUIRE(due.size() == 1u);
  BOOST_TEST(due[0].id == next);
  BOOST_TEST(auditCount(f) == before + 1);
  BOOST_TEST(auditCount(f, "action = 'sync.cancel' AND outcome = 'success' AND object_id = '" + id +
                               "'") == 1);
  // Gone from the refused list.
  auto status = f.request("GET", "/api/v1/sync/status", &admin);
  BOOST_TEST(jsonField(status.body, "blockedStreams") == "0");
  BOOST_TEST(status.body.find(id) == std::string::npos, status.body);
}

BOOST_AUTO_TEST_CASE(a_cancelled_or_delivered_entry_answers_409_and_an_unknown_one_404) {
  ApiFixture f;
  auto cancelled = f.refusedSyncEntry("claims/a", "invalid_payload");
  auto delivered = f.enqueueSyncEntry("claims/b");
  BOOST_REQUIRE(f.outbox->markDelivered(delivered, f.clock.now()));
  auto admin = f.signIn(f.adminActor.id);
  BOOST_REQUIRE(
      f.request("POST", "/api/v1/sync/entries/" + cancelled + "/cancel", &admin, "{}").status ==
      200);
  const auto before = auditCount(f);
  for (const auto& id : {cancelled, delivered}) {
    for (const char* action : {"retry", "cancel"}) {
      auto r = f.request("POST", "/api/v1/sync/entries/" + id + "/" + action, &admin, "{}");
      BOOST_TEST(r.status == 409, id << " " << action << ": " << r.body);
      BOOST_TEST(jsonField(r.body, "error") == "wrong_state");
    }
  }
  BOOST_TEST(stateOf(f, cancelled) == "cancelled");
  BOOST_TEST(stateOf(f, delivered) == "delivered");
  for (const char* action : {"retry", "cancel"}) {
    BOOST_TEST(f.request("POST",
                         std::string("/api/v1/sync/entries/00000000-0000-4000-8000-000000000000/") +
                             action,
                         &admin, "{}")
                   .status == 404);
    BOOST_TEST(
        f.request("POST", std::string("/api/v1/sync/entries/not-an-id/") + action, &admin, "{}")
            .status == 404);
  }
  BOOST_TEST(auditCount(f) == before);  // nothing changed, nothing recorded as done
}

BOOST_AUTO_TEST_CASE(cancel_before_the_box_has_its_cloud_keys_is_refused_and_changes_nothing) {
  ApiFixture f;
  f.outbox->setSkipSealer(nullptr);  // no link, or not enrolled: no stream.skip can be sealed
  auto id = f.refusedSyncEntry("claims/2026-12", "invalid_payload");
  auto admin = f.signIn(f.adminActor.id);
  const auto before = auditCount(f);
  auto r = f.request("POST", "/api/v1/sync/entries/" + id + "/cancel", &admin, "{}");
  BOOST_TEST(r.status == 422, r.body);
  BOOST_TEST(jsonField(r.body, "error") == "validation");
  BOOST_TEST(r.body.find("enrol") != std::string::npos, r.body);
  BOOST_TEST(stateOf(f, id) == "refused");
  BOOST_TEST(auditCount(f) == before);
  // Retry needs no keys of its own.
  BOOST_TEST(f.request("POST", "/api/v1/sync/entries/" + id + "/retry", &admin, "{}").status ==
             200);
}

BOOST_AUTO_TEST_CASE(retry_and_cancel_need_the_csrf_token) {
  ApiFixture f;
  auto id = f.refusedSyncEntry("claims/2026-12", "invalid_payload");
  auto admin = f.signIn(f.adminActor.id);
  Client noToken{admin.cookie, ""};
  for (const char* action : {"retry", "cancel"}) {
    auto r = f.request("POST", "/api/v1/sync/entries/" + id + "/" + action, &noToken, "{}");
    BOOST_TEST(r.status == 403);
    BOOST_TEST(jsonField(r.body, "error") == "csrf");
  }
  BOOST_TEST(stateOf(f, id) == "refused");
}

BOOST_AUTO_TEST_CASE(no_other_role_sees_or_changes_the_cloud_link_and_each_refusal_is_audited) {
  ApiFixture f;
  auto id = f.refusedSyncEntry("claims/2026-12", "invalid_payload");
  // By hand: the cloud link is the admins' (MISSION.md: the clinic's IT configures "the cloud
  // link"); patients, providers and nurses get 403 on every route.
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"GET", "/api/v1/sync/status"},
      {"GET", "/api/v1/sync/entries/" + id},
      {"POST", "/api/v1/sync/entries/" + id + "/retry"},
      {"POST", "/api/v1/sync/entries/" + id + "/cancel"},
  };
  for (auto uid : {f.patientUserId, f.providerId, f.nurseId}) {
    auto client = f.signIn(uid);
    for (const auto& [method, path] : routes) {
      const auto denied = auditCount(f, "outcome = 'denied' AND actor_id = " + std::to_string(uid));
      auto r = f.request(method, path, &client, method == "POST" ? "{}" : "");
      BOOST_TEST(r.status == 403, method << " " << path << " as user " << uid << ": " << r.body);
      BOOST_TEST(jsonField(r.body, "error") == "forbidden");
      BOOST_TEST(r.body.find("claims/2026-12") == std::string::npos);
      BOOST_TEST(auditCount(f, "outcome = 'denied' AND actor_id = " + std::to_string(uid)) ==
                 denied + 1);
    }
  }
  BOOST_TEST(stateOf(f, id) == "refused");
  BOOST_TEST(auditCount(f, "action IN ('sync.retry', 'sync.cancel') AND outcome = 'success'") == 0);
}

BOOST_AUTO_TEST_SUITE_END()
