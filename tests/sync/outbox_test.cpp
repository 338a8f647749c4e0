// The outbox (docs/cloud-api.md, "Sending: the outbox") on a real SQLite file: entries commit
// with the change that causes them, streams keep their order, a refused entry stops its stream
// only, admins retry or cancel (audited), and the back-off stays within its bounds.
#define BOOST_TEST_MODULE vigil_sync
#include "vigil/sync/outbox.hpp"

#include <boost/test/unit_test.hpp>
#include <iterator>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <stdexcept>

#include "sync_fixture.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/sync/cli.hpp"

using namespace vigil;
using namespace vigil::sync;
using namespace std::chrono_literals;
using vigil::sync::test::SyncFixture;

namespace {

std::set<std::string> idsOf(const std::vector<OutboxEntry>& entries) {
  std::set<std::string> ids;
  for (const auto& e : entries) ids.insert(e.id);
  return ids;
}

EntryState stateOf(Outbox& outbox, const std::string& id) {
  auto e = outbox.entry(id);
  BOOST_REQUIRE(e);
  return e->state;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(Outbox_, SyncFixture)

BOOST_AUTO_TEST_CASE(an_entry_written_in_a_job_that_then_throws_is_not_kept) {
  BOOST_CHECK_THROW(db->writeSync([&](store::Connection& c) {
    store::SqliteSettingsRepository::setIn(c, "test.claim", "written");
    outbox->enqueueIn(c, "claims/2026-12", "claim.submit", "clearinghouse", envelopeFor);
    throw std::runtime_error("the domain change fails after the entry was written");
  }),
                    std::runtime_error);
  BOOST_TEST(count("SELECT count(*) FROM sync_outbox") == 0);
  BOOST_TEST(count("SELECT count(*) FROM sync_streams") == 0);
  BOOST_TEST(count("SELECT count(*) FROM settings WHERE key = 'test.claim'") == 0);
  // The seq was not used up either: the stream's first entry is still 1.
  auto id = enqueue("claims/2026-12");
  BOOST_TEST(outbox->entry(id)->seq == 1);
}

BOOST_AUTO_TEST_CASE(an_entry_commits_with_the_domain_row_and_carries_what_it_was_given) {
  std::string madeFor;
  std::int64_t madeSeq = 0;
  auto id = db->writeSync([&](store::Connection& c) {
    store::SqliteSettingsRepository::setIn(c, "test.claim", "written");
    return outbox->enqueueIn(c, "claims/2026-12", "claim.submit", "clearinghouse",
                             [&](std::string_view entryId, std::int64_t seq) {
                               madeFor = std::string(entryId);
                               madeSeq = seq;
                               return envelopeFor(entryId, seq);
                             });
  });
  BOOST_TEST(count("SELECT count(*) FROM settings WHERE key = 'test.claim'") == 1);
  BOOST_TEST(std::regex_match(
      id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  BOOST_TEST(madeFor == id);
  BOOST_TEST(madeSeq == 1);
  auto e = outbox->entry(id);
  BOOST_REQUIRE(e);
  BOOST_TEST(e->stream == "claims/2026-12");
  BOOST_TEST(e->seq == 1);
  BOOST_TEST(e->kind == "claim.submit");
  BOOST_TEST(e->recipient == "clearinghouse");
  BOOST_TEST(e->envelopeJson == "{\"v\":1,\"id\":\"" + id + "\",\"seq\":1,\"ct\":\"c2VhbGVk\"}");
  BOOST_TEST((e->state == EntryState::pending));
  BOOST_TEST(e->attempts == 0);
  BOOST_TEST((e->createdAt == clock.now()));
  BOOST_TEST((e->nextAttemptAt == clock.now()));
}

BOOST_AUTO_TEST_CASE(seqs_run_one_two_three_per_stream_and_streams_are_independent) {
  auto a1 = enqueue("claims/2026-12");
  auto b1 = enqueue("rx/88", "rx.submit", "pharmacy");
  auto a2 = enqueue("claims/2026-12");
  auto a3 = enqueue("claims/2026-12");
  auto b2 = enqueue("rx/88", "rx.submit", "pharmacy");
  BOOST_TEST(outbox->entry(a1)->seq == 1);
  BOOST_TEST(outbox->entry(a2)->seq == 2);
  BOOST_TEST(outbox->entry(a3)->seq == 3);
  BOOST_TEST(outbox->entry(b1)->seq == 1);
  BOOST_TEST(outbox->entry(b2)->seq == 2);
  BOOST_TEST(std::set<std::string>({a1, a2, a3, b1, b2}).size() == 5u);  // fresh ids
}

BOOST_AUTO_TEST_CASE(entries_of_one_job_share_its_transaction_and_get_consecutive_seqs) {
  auto ids = db->writeSync([&](store::Connection& c) {
    std::vector<std::string> out;
    for (int i = 0; i < 3; ++i)
      out.push_back(outbox->enqueueIn(c, "notify/reminders", "notify.send", "notify", envelopeFor));
    return out;
  });
  for (std::size_t i = 0; i < ids.size(); ++i)
    BOOST_TEST(outbox->entry(ids[i])->seq == static_cast<std::int64_t>(i + 1));
}

BOOST_AUTO_TEST_CASE(next_due_gives_each_streams_head_only) {
  auto a1 = enqueue("claims/2026-12");
  auto a2 = enqueue("claims/2026-12");
  auto b1 = enqueue("rx/88", "rx.submit", "pharmacy");
  auto b2 = enqueue("rx/88", "rx.submit", "pharmacy");
  BOOST_TEST((idsOf(outbox->nextDue(clock.now(), 10)) == std::set<std::string>{a1, b1}));
  BOOST_TEST(outbox->markDelivered(a1, clock.now()));
  BOOST_TEST((idsOf(outbox->nextDue(clock.now(), 10)) == std::set<std::string>{a2, b1}));
  BOOST_TEST(outbox->nextDue(clock.now(), 1).size() == 1u);
  BOOST_TEST(outbox->markDelivered(a2, clock.now()));
  BOOST_TEST(outbox->markDelivered(b1, clock.now()));
  auto due = outbox->nextDue(clock.now(), 10);
  BOOST_REQUIRE_EQUAL(due.size(), 1u);
  BOOST_TEST(due[0].id == b2);
  BOOST_TEST(due[0].seq == 2);
  BOOST_TEST(due[0].envelopeJson == envelopeFor(b2, 2));
  BOOST_TEST(outbox->markDelivered(b2, clock.now()));
  BOOST_TEST(outbox->nextDue(clock.now(), 10).empty());
  // Delivered twice (a 200 duplicate after a lost answer): nothing changes.
  BOOST_TEST(!outbox->markDelivered(b2, clock.now()));
}

BOOST_AUTO_TEST_CASE(a_head_waiting_for_its_back_off_holds_its_stream) {
  auto a1 = enqueue("claims/2026-12");
  enqueue("claims/2026-12");
  auto due = outbox->markRetry(a1, clock.now(), "unavailable");
  BOOST_REQUIRE(due);
  // The first failure waits at most base * 2^0 = 2 s.
  BOOST_TEST((*due >= clock.now() && *due <= clock.now() + 2s));
  // Until then neither the head nor the entry behind it is due.
  BOOST_TEST(outbox->nextDue(*due - 1ms, 10).empty());
  clock.set(*due);
  BOOST_TEST((idsOf(outbox->nextDue(clock.now(), 10)) == std::set<std::string>{a1}));
  auto e = outbox->entry(a1);
  BOOST_TEST(e->attempts == 1);
  BOOST_TEST(e->lastError == "unavailable");
}

BOOST_AUTO_TEST_CASE(retries_wait_within_the_growing_ceiling_and_honour_retry_after) {
  auto a1 = enqueue("claims/2026-12");
  // By hand: after the n-th failure (n = 1, 2, 3) the wait is at most 2 s * 2^(n-1).
  const std::chrono::milliseconds ceilings[] = {2s, 4s, 8s};
  for (auto ceiling : ceilings) {
    auto due = outbox->markRetry(a1, clock.now(), "timeout");
    BOOST_REQUIRE(due);
    BOOST_TEST((*due >= clock.now() && *due <= clock.now() + ceiling));
  }
  // Retry-After: 60 s, beyond the 4th failure's ceiling of 16 s: exactly 60 s.
  auto due = outbox->markRetry(a1, clock.now(), "rate_limited", 60s);
  BOOST_TEST((due == clock.now() + 60s));
  // Retry-After beyond the cap (15 min) counts as the cap.
  due = outbox->markRetry(a1, clock.now(), "rate_limited", std::chrono::hours{48});
  BOOST_TEST((due == clock.now() + 15min));
  BOOST_TEST(outbox->entry(a1)->attempts == 5);
}

BOOST_AUTO_TEST_CASE(a_refused_entry_blocks_its_stream_and_not_the_others) {
  auto a1 = enqueue("claims/2026-12");
  auto a2 = enqueue("claims/2026-12");
  auto b1 = enqueue("rx/88", "rx.submit", "pharmacy");
  BOOST_TEST(outbox->markRefused(a1, clock.now(), "invalid_payload"));
  BOOST_TEST((stateOf(*outbox, a1) == EntryState::refused));
  BOOST_TEST((idsOf(outbox->nextDue(clock.now(), 10)) == std::set<std::string>{b1}));
  clock.advance(std::chrono::hours{72});  // blocked stays blocked: it waits for an admin
  BOOST_TEST((idsOf(outbox->nextDue(clock.now(), 10)) == std::set<std::string>{b1}));
  BOOST_TEST(count("SELECT count(*) FROM sync_streams WHERE stream = 'claims/2026-12' AND "
                   "blocked_by = '" +
                   a1 + "'") == 1);
  auto s = outbox->status();
  BOOST_REQUIRE_EQUAL(s.streams.size(), 2u);
  BOOST_TEST(s.streams[0].stream == "claims/2026-12");
  BOOST_TEST(s.streams[0].blocked());
  BOOST_TEST(s.streams[0].head.id == a1);
  BOOST_TEST(s.streams[0].head.lastError == "invalid_payload");
  BOOST_TEST(s.streams[0].backlog == 2);
  BOOST_TEST(!s.streams[1].blocked());
  BOOST_TEST(s.lastError == "invalid_payload");
  // A refusal is not a retry: the sender cannot mark it again.
  BOOST_TEST(!outbox->markRefused(a1, clock.now(), "invalid_payload"));
  BOOST_TEST(!outbox->markRetry(a1, clock.now(), "timeout"));
  BOOST_TEST(!outbox->markDelivered(a1, clock.now()));
  BOOST_TEST((stateOf(*outbox, a2) == EntryState::pending));
  BOOST_TEST(
      metrics.render().find("vigil_sync_entries_refused_total{reason=\"invalid_payload\"} 1") !=
      std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_admin_retry_sends_the_refused_entry_again_and_is_audited) {
  auto a1 = enqueue("claims/2026-12");
  enqueue("claims/2026-12");
  outbox->markRefused(a1, clock.now(), "license_expired");
  clock.advance(1h);
  outbox->retry(admin, a1);
  auto e = outbox->entry(a1);
  BOOST_TEST((e->state == EntryState::pending));
  BOOST_TEST(e->attempts == 0);  // a fresh back-off
  BOOST_TEST((idsOf(outbox->nextDue(clock.now(), 10)) == std::set<std::string>{a1}));
  BOOST_TEST(count("SELECT count(*) FROM sync_streams WHERE blocked_by IS NOT NULL") == 0);
  auto recorded = lastAudit("sync.retry");
  BOOST_REQUIRE(recorded);
  BOOST_TEST(recorded->event.actorId == admin.id);
  BOOST_TEST(recorded->event.actorRole == "admin");
  BOOST_TEST(recorded->event.objectType == "sync_entry");
  BOOST_TEST(recorded->event.objectId == a1);
  BOOST_TEST((recorded->event.outcome == security::AuditOutcome::success));
  BOOST_TEST(recorded->event.reason == "was=refused last_error=license_expired");
  BOOST_TEST(!recorded->event.patientId.has_value());
}

BOOST_AUTO_TEST_CASE(an_admin_cancel_lets_the_streams_next_seq_go_and_is_audited) {
  auto a1 = enqueue("claims/2026-12");
  auto a2 = enqueue("claims/2026-12");
  outbox->markRefused(a1, clock.now(), "invalid_payload");
  outbox->cancel(admin, a1);
  BOOST_TEST((stateOf(*outbox, a1) == EntryState::cancelled));
  // The contract: a stream.skip with a new id takes seq 1, so the service moves on; then a2.
  auto due = outbox->nextDue(clock.now(), 10);
  BOOST_REQUIRE(due.size() == 1u);
  BOOST_TEST(due[0].kind == "stream.skip");
  BOOST_TEST(due[0].seq == 1);
  BOOST_TEST(due[0].stream == "claims/2026-12");
  BOOST_TEST(due[0].recipient == "clearinghouse");
  BOOST_TEST(due[0].id != a1);
  BOOST_TEST(due[0].envelopeJson == envelopeFor(due[0].id, 1));
  auto recorded = lastAudit("sync.cancel");
  BOOST_REQUIRE(recorded);
  BOOST_TEST(recorded->event.objectId == a1);
  BOOST_TEST(recorded->event.actorId == admin.id);
  BOOST_TEST(recorded->event.reason == "was=refused last_error=invalid_payload skip=" + due[0].id);
  BOOST_TEST(outbox->status().backlog == 2);
  outbox->markDelivered(due[0].id, clock.now());
  BOOST_TEST((idsOf(outbox->nextDue(clock.now(), 10)) == std::set<std::string>{a2}));
  // A cancelled entry is never sent, not even by a resend of its stream: the skip goes again.
  BOOST_TEST(outbox->resendFrom("claims/2026-12", 1, clock.now()) == 1);
  BOOST_TEST((idsOf(outbox->nextDue(clock.now(), 10)) == std::set<std::string>{due[0].id}));
  BOOST_TEST(outbox->status().backlog == 2);
}

BOOST_AUTO_TEST_CASE(cancel_without_the_boxs_keys_changes_nothing) {
  Outbox keyless(*db, *audit, clock, BackoffPolicy{}, &metrics);
  auto a1 = enqueue("claims/2026-12");
  outbox->markRefused(a1, clock.now(), "invalid_payload");
  BOOST_CHECK_THROW(keyless.cancel(admin, a1), ValidationError);
  BOOST_TEST((stateOf(*outbox, a1) == EntryState::refused));
}

BOOST_AUTO_TEST_CASE(prune_forgets_old_delivered_and_cancelled_entries_but_not_the_seq) {
  auto a1 = enqueue("claims/2026-12");
  auto a2 = enqueue("claims/2026-12");
  outbox->markDelivered(a1, clock.now());
  clock.advance(std::chrono::hours{24 * 31});
  BOOST_TEST(outbox->prune(clock.now() - std::chrono::hours{24 * 30}) == 1);
  BOOST_TEST(!outbox->entry(a1).has_value());
  BOOST_TEST(outbox->entry(a2).has_value());  // waiting: never pruned
  auto a3 = enqueue("claims/2026-12");
  BOOST_TEST(outbox->entry(a3)->seq == 3);
}

BOOST_AUTO_TEST_CASE(retry_and_cancel_are_for_admins_and_a_denial_is_audited) {
  auto a1 = enqueue("claims/2026-12");
  outbox->markRefused(a1, clock.now(), "invalid_payload");
  const security::Actor nurse{21, security::Role::nurse, std::nullopt};
  BOOST_CHECK_THROW(outbox->retry(nurse, a1), AccessDenied);
  BOOST_CHECK_THROW(outbox->cancel(nurse, a1), AccessDenied);
  BOOST_TEST((stateOf(*outbox, a1) == EntryState::refused));
  auto denied = lastAudit("sync.cancel");
  BOOST_REQUIRE(denied);
  BOOST_TEST((denied->event.outcome == security::AuditOutcome::denied));
  BOOST_TEST(denied->event.actorId == 21);
  BOOST_TEST(denied->event.objectId == a1);
  BOOST_TEST((lastAudit("sync.retry")->event.outcome == security::AuditOutcome::denied));
}

BOOST_AUTO_TEST_CASE(retry_or_cancel_of_a_finished_or_unknown_entry_is_a_clear_error) {
  auto a1 = enqueue("claims/2026-12");
  outbox->markDelivered(a1, clock.now());
  BOOST_CHECK_THROW(outbox->retry(admin, a1), ValidationError);
  BOOST_CHECK_THROW(outbox->cancel(admin, a1), ValidationError);
  BOOST_CHECK_THROW(outbox->retry(admin, "00000000-0000-4000-8000-000000000000"), NotFound);
  BOOST_CHECK_THROW(outbox->cancel(admin, std::string(200, 'x')), NotFound);
  BOOST_TEST((stateOf(*outbox, a1) == EntryState::delivered));
  BOOST_TEST(!lastAudit("sync.retry"));  // nothing was done, nothing recorded as done
}

BOOST_AUTO_TEST_CASE(an_admin_retry_of_a_waiting_entry_sends_it_now) {
  auto a1 = enqueue("claims/2026-12");
  auto due = outbox->markRetry(a1, clock.now(), "timeout", 600s);
  BOOST_TEST((due == clock.now() + 600s));
  BOOST_TEST(outbox->nextDue(clock.now(), 10).empty());
  outbox->retry(admin, a1);
  BOOST_TEST((idsOf(outbox->nextDue(clock.now(), 10)) == std::set<std::string>{a1}));
  BOOST_TEST(outbox->entry(a1)->attempts == 1);  // still counts its failures
  BOOST_TEST(lastAudit("sync.retry")->event.reason == "was=pending last_error=timeout");
}

BOOST_AUTO_TEST_CASE(out_of_order_resends_the_stream_from_the_expected_seq) {
  auto a1 = enqueue("claims/2026-12");
  auto a2 = enqueue("claims/2026-12");
  auto a3 = enqueue("claims/2026-12");
  outbox->markDelivered(a1, clock.now());
  outbox->markDelivered(a2, clock.now());
  // The service answers a3 with 409 out_of_order, expectedSeq 2.
  BOOST_TEST(outbox->resendFrom("claims/2026-12", 2, clock.now()) == 1);
  BOOST_TEST((idsOf(outbox->nextDue(clock.now(), 10)) == std::set<std::string>{a2}));
  BOOST_TEST((stateOf(*outbox, a1) == EntryState::delivered));
  BOOST_TEST((stateOf(*outbox, a3) == EntryState::pending));
}

BOOST_AUTO_TEST_CASE(deliveries_and_failures_are_the_links_last_success_and_last_error) {
  auto a1 = enqueue("claims/2026-12");
  auto b1 = enqueue("rx/88", "rx.submit", "pharmacy");
  auto s = outbox->status();
  BOOST_TEST(!s.lastSuccessAt);
  BOOST_TEST(s.lastError.empty());
  BOOST_TEST(s.backlog == 2);
  BOOST_TEST((s.oldestCreatedAt == clock.now()));
  const auto t1 = clock.now();
  clock.advance(10s);
  outbox->markRetry(b1, clock.now(), "HTTP 503: Service Unavailable\nforged=1");
  const auto t2 = clock.now();
  clock.advance(10s);
  outbox->markDelivered(a1, clock.now());
  s = outbox->status();
  BOOST_TEST((s.lastSuccessAt == clock.now()));
  BOOST_TEST(s.lastError == "http_503__service_unavailable_forged_1");  // one bounded word
  BOOST_TEST((s.lastErrorAt == t2));
  BOOST_TEST(s.backlog == 1);
  BOOST_TEST((s.oldestCreatedAt == t1));
  BOOST_TEST(metrics.render().find("vigil_sync_entries_delivered_total 1") != std::string::npos);
  BOOST_TEST(metrics.render().find("vigil_sync_attempts_failed_total 1") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_names_and_envelopes_are_refused_and_nothing_is_written) {
  auto enqueueWith = [&](const std::string& stream, const std::string& kind,
                         const std::string& recipient, const std::string& envelope) {
    return db->writeSync([&](store::Connection& c) {
      return outbox->enqueueIn(c, stream, kind, recipient,
                               [&](std::string_view, std::int64_t) { return envelope; });
    });
  };
  const std::string ok = "{\"v\":1}";
  BOOST_CHECK_THROW(enqueueWith("", "claim.submit", "clearinghouse", ok), ValidationError);
  BOOST_CHECK_THROW(enqueueWith("Claims/1", "claim.submit", "clearinghouse", ok), ValidationError);
  BOOST_CHECK_THROW(enqueueWith("claims//1", "claim.submit", "clearinghouse", ok), ValidationError);
  BOOST_CHECK_THROW(enqueueWith("claims/1 2", "claim.submit", "clearinghouse", ok),
                    ValidationError);
  BOOST_CHECK_THROW(enqueueWith("claims/1", "Claim Submit", "clearinghouse", ok), ValidationError);
  BOOST_CHECK_THROW(enqueueWith("claims/1", "claim.submit", "", ok), ValidationError);
  BOOST_CHECK_THROW(enqueueWith("claims/1", "claim.submit", "clearinghouse", ""), ValidationError);
  BOOST_CHECK_THROW(
      enqueueWith("claims/1", "claim.submit", "clearinghouse", std::string(1024 * 1024 + 1, 'x')),
      ValidationError);
  BOOST_TEST(count("SELECT count(*) FROM sync_outbox") == 0);
  BOOST_TEST(count("SELECT count(*) FROM sync_streams") == 0);
  // The largest envelope the contract allows (1 MiB) is kept.
  enqueueWith("claims/1", "claim.submit", "clearinghouse", std::string(1024 * 1024, 'x'));
  BOOST_TEST(count("SELECT count(*) FROM sync_outbox") == 1);
}

// The envelope holds the sealed payload: no log line, error or status carries it; the log names
// ids, streams and reason words.
BOOST_AUTO_TEST_CASE(no_log_line_error_or_status_carries_an_envelope) {
  std::vector<std::string> lines;
  std::mutex linesMutex;
  log::setLevel(log::Level::debug);
  log::setSink([&](std::string_view line) {
    std::lock_guard lock(linesMutex);
    lines.emplace_back(line);
  });
  auto a1 = enqueue("claims/2026-12");
  auto a2 = enqueue("claims/2026-12");
  outbox->markRetry(a1, clock.now(), "timeout");
  outbox->markRefused(a1, clock.now(), "invalid_payload");
  outbox->retry(admin, a1);
  outbox->markDelivered(a1, clock.now());
  outbox->resendFrom("claims/2026-12", 1, clock.now());
  outbox->cancel(admin, a2);
  std::string errors;
  try {
    outbox->retry(admin, a2);
  } catch (const Error& e) {
    errors += e.what();
  }
  try {
    outbox->retry(security::Actor{21, security::Role::nurse, std::nullopt}, a1);
  } catch (const Error& e) {
    errors += e.what();
  }
  log::setSink(nullptr);
  log::setLevel(log::Level::info);
  BOOST_TEST(!errors.empty());
  BOOST_TEST(errors.find("c2VhbGVk") == std::string::npos, errors);
  bool namedTheRefusal = false;
  for (const auto& line : lines) {
    BOOST_TEST(line.find("c2VhbGVk") == std::string::npos, line);
    if (line.find("sync.entry_refused") != std::string::npos &&
        line.find(a1) != std::string::npos && line.find("invalid_payload") != std::string::npos)
      namedTheRefusal = true;
  }
  BOOST_TEST(namedTheRefusal);
  const auto status = formatStatusJson(outbox->status(), clock.now());
  BOOST_TEST(status.find("c2VhbGVk") == std::string::npos);
  BOOST_TEST(status.find(a1) != std::string::npos);  // a1 goes again: the stream's head
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(Backoff)

// By hand from the policy (base 2 s, cap 15 min = 900 s): min(cap, base * 2^n).
BOOST_AUTO_TEST_CASE(the_ceiling_doubles_from_the_base_up_to_the_cap) {
  const BackoffPolicy p;
  BOOST_TEST(backoffCeiling(p, 0).count() == 2'000);
  BOOST_TEST(backoffCeiling(p, 1).count() == 4'000);
  BOOST_TEST(backoffCeiling(p, 2).count() == 8'000);
  BOOST_TEST(backoffCeiling(p, 8).count() == 512'000);
  BOOST_TEST(backoffCeiling(p, 9).count() == 900'000);  // 1 024 000 > 900 000
  BOOST_TEST(backoffCeiling(p, 63).count() == 900'000);
  BOOST_TEST(backoffCeiling(p, 64).count() == 900'000);
  BOOST_TEST(backoffCeiling(p, 4'294'967'295u).count() == 900'000);
  BOOST_TEST(backoffCeiling(BackoffPolicy{0ms, 900s}, 5).count() == 0);
  BOOST_TEST(backoffCeiling(BackoffPolicy{5s, 1s}, 0).count() == 1'000);  // base above the cap
}

BOOST_AUTO_TEST_CASE(attempt_n_waits_between_zero_and_the_ceiling_spread_over_it) {
  const BackoffPolicy p;
  std::mt19937_64 rng(20261204);
  const std::int64_t ceilings[] = {2'000,   4'000,   8'000,   16'000,  32'000,  64'000,
                                   128'000, 256'000, 512'000, 900'000, 900'000, 900'000};
  for (std::uint32_t n = 0; n < std::size(ceilings); ++n) {
    std::int64_t lo = ceilings[n];
    std::int64_t hi = 0;
    for (int i = 0; i < 2'000; ++i) {
      auto d = backoffDelay(p, n, rng).count();
      BOOST_REQUIRE(d >= 0);
      BOOST_REQUIRE(d <= ceilings[n]);
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    // Full jitter: the waits cover the range (each bound missed by 2000 draws: p < 1e-90).
    BOOST_TEST(lo < ceilings[n] / 10, "attempt " << n);
    BOOST_TEST(hi > ceilings[n] * 9 / 10, "attempt " << n);
  }
}

BOOST_AUTO_TEST_SUITE_END()
