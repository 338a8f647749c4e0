// The cloud link against the cloud stand-in as a real process over real TLS: enrolment,
// delivery exactly once and in order under injected faults, refusal and the admins' cancel
// (stream.skip), three days of WAN outage on an injected clock, and the inbox's checks
// (duplicates, reordering, forged and tampered messages). The Link runs without its thread:
// each test drives sendDue / fetchInbox and the clock itself.
#define BOOST_TEST_MODULE sync_link
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <set>

#include "standin.hpp"
#include "sync_fixture.hpp"
#include "vigil/core/error.hpp"
#include "vigil/sync/link.hpp"
#include "vigil/sync/link_state.hpp"
#include "vigil/sync/transport.hpp"
#include "vigil/testsupport/deadline.hpp"

using namespace std::chrono_literals;
using namespace vigil;
using namespace vigil::sync;
using vigil::sync::test::StandIn;

namespace {

struct LinkFixture : test::SyncFixture {
  StandIn cloud{dir / "cloud"};
  std::unique_ptr<Link> link;

  // The stand-in dates its messages by the real clock: the injected one starts there too.
  LinkFixture() { clock.set(std::chrono::system_clock::now()); }

  LinkOptions options() {
    LinkOptions o;
    o.url = "https://127.0.0.1:" + std::to_string(cloud.port());
    o.caFile = cloud.caFile();
    o.keysDir = dir / "keys-sync";
    o.requestTimeout = 5s;
    return o;
  }

  void makeLink() {
    outbox = std::make_unique<Outbox>(*db, *audit, clock, BackoffPolicy{50ms, 2s}, &metrics);
    link = std::make_unique<Link>(*db, *audit, *outbox, clock, options(), &metrics);
  }

  void enrol(const std::vector<std::string>& flags = {}) {
    cloud.start(flags);
    makeLink();
    link->enrol(admin, cloud.code(), "Riverside Clinic");
  }

  std::string send(const std::string& stream, const std::string& kind = "notify.send",
                   const std::string& service = "notify") {
    const std::string payload =
        kind == "rx.submit"
            ? R"({"prescriptionId":"rx-42","patient":{"name":"Rosa Diaz"},)"
              R"("prescriber":{"npi":"1234567893"},"medication":{"rxnorm":"197361"},)"
              R"("pharmacyId":"PH-0001"})"
            : R"({"channel":"email","to":"rosa@example.org","template":"reminder",)"
              R"("params":{"when":"tomorrow 10:00"}})";
    return db->writeSync(
        [&](store::Connection& c) { return link->enqueueIn(c, stream, kind, service, payload); });
  }

  // Runs sending rounds, moving the injected clock past every back-off, until nothing waits.
  void drain(std::chrono::seconds limit = 120s) {
    testsupport::Deadline deadline("the outbox to drain", limit);
    while (outbox->status().backlog > 0) {
      link->sendDue();
      clock.advance(2s);
    }
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(link_suite, LinkFixture)

BOOST_AUTO_TEST_CASE(enrolment_stores_the_boxs_keys_and_a_used_code_is_refused) {
  cloud.start();
  makeLink();
  BOOST_TEST(!link->enrolled());
  const std::string code = cloud.code();
  auto e = link->enrol(admin, code, "Riverside Clinic");
  BOOST_TEST(link->enrolled());
  BOOST_TEST(e.boxId.rfind("box-", 0) == 0);
  BOOST_TEST(e.services.size() == 4u);
  for (auto name : {"licensing", "pharmacy", "clearinghouse", "notify"})
    BOOST_TEST((e.service(name) != nullptr), name);
  for (auto file : {"sync-signing.key", "sync-encryption.key", "sync-client.key"}) {
    struct stat st {};
    BOOST_REQUIRE(::stat((dir / "keys-sync" / file).c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0600u, file);
  }
  auto audited = lastAudit("sync.enrol");
  BOOST_REQUIRE(audited);
  BOOST_TEST(audited->event.objectId == e.boxId);
  // The code was single-use.
  Link again(
      *db, *audit, *outbox, clock,
      [&] {
        auto o = options();
        o.keysDir = dir / "other-keys";
        return o;
      }(),
      &metrics);
  try {
    again.enrol(admin, code, "Another box");
    BOOST_FAIL("a used code enrolled a box");
  } catch (const SyncRefused& r) {
    BOOST_TEST(r.status() == 403);
    BOOST_TEST(r.reason() == "bad_code");
  }
  // Only admins enrol.
  BOOST_CHECK_THROW(again.enrol({5, security::Role::provider, std::nullopt}, cloud.code(), "x"),
                    AccessDenied);
}

BOOST_AUTO_TEST_CASE(the_license_check_goes_out_and_its_answer_comes_back_once) {
  enrol();
  link->setLicenseCheck([] { return R"({"seats":{"providers":3,"patients":40},"version":"t"})"; });
  link->checkLicenseIfDue();
  link->checkLicenseIfDue();  // once a day, not twice
  BOOST_TEST(outbox->status().backlog == 1);
  drain();
  auto rec = cloud.recorded();
  BOOST_REQUIRE_EQUAL(rec.size(), 1u);
  BOOST_TEST(rec[0].kind == "license.check");
  BOOST_TEST(link->fetchInbox() == 1);
  BOOST_TEST(link->fetchInbox() == 0);
  auto status = link->status();
  BOOST_REQUIRE(status.license.has_value());
  BOOST_TEST(status.license->find("\"active\"") != std::string::npos);
  BOOST_TEST(status.enrolled);
}

BOOST_AUTO_TEST_CASE(entries_arrive_exactly_once_in_order_despite_failures_and_lost_answers) {
  enrol({"--fail-rate", "0.3", "--drop-responses"});
  std::set<std::string> sent;
  for (int i = 0; i < 120; ++i) sent.insert(send("reminders/" + std::to_string(i % 4)));
  drain();
  auto problem = test::exactlyOnceInOrder(cloud.recorded(), sent);
  BOOST_TEST(problem.empty(), problem);
  BOOST_TEST(cloud.recorded().size() == 120u);
  BOOST_TEST(metrics.counter("vigil_sync_attempts_failed_total", "").value() > 0);
}

BOOST_AUTO_TEST_CASE(a_refused_entry_stops_its_stream_until_an_admin_cancels_it) {
  enrol();
  // An entry sealed to a key the service does not have: it can never open it.
  const auto bad = db->writeSync([&](store::Connection& c) {
    return outbox->enqueueIn(
        c, "rx/42", "rx.submit", "pharmacy", [&](std::string_view id, std::int64_t seq) {
          Header h;
          h.id = std::string(id);
          h.stream = "rx/42";
          h.seq = seq;
          h.kind = "rx.submit";
          h.from = link->status().boxId;
          h.to = "pharmacy";
          h.createdAt = createdAtText(clock.now());
          h.recipientKid = "pharmacy-enc-1";
          h.senderKid = keyIdFor("sig", crypto::Ed25519Signer::generate().publicKey());
          auto stranger = crypto::hpke::X25519KeyPair::generate();
          return seal(h, "{}", stranger.publicKey(), crypto::Ed25519Signer::generate()).toJson();
        });
  });
  const auto next = send("rx/42", "rx.submit", "pharmacy");
  const auto other = send("reminders/1");
  for (int i = 0; i < 5; ++i) {
    link->sendDue();
    clock.advance(5s);
  }
  BOOST_TEST((outbox->entry(bad)->state == EntryState::refused));
  BOOST_TEST(!outbox->entry(bad)->lastError.empty());
  BOOST_TEST((outbox->entry(next)->state == EntryState::pending));     // held behind it
  BOOST_TEST((outbox->entry(other)->state == EntryState::delivered));  // other streams go on
  outbox->cancel(admin, bad);
  drain();
  BOOST_TEST((outbox->entry(next)->state == EntryState::delivered));
  std::vector<std::string> rx;
  for (const auto& r : cloud.recorded())
    if (r.stream == "rx/42") rx.push_back(std::to_string(r.seq) + " " + r.kind);
  BOOST_TEST((rx == std::vector<std::string>{"1 stream.skip", "2 rx.submit"}));
}

BOOST_AUTO_TEST_CASE(three_days_without_wan_lose_nothing_and_the_backlog_drains_after) {
  enrol();
  cloud.stop();  // the WAN is gone
  std::set<std::string> sent;
  const auto start = clock.now();
  while (clock.now() - start < 72h) {
    for (int i = 0; i < 3; ++i) sent.insert(send("claims/" + std::to_string(i)));
    link->sendDue();  // each round ends at the first failed connection
    clock.advance(1h);
  }
  auto status = outbox->status();
  BOOST_TEST(status.backlog == static_cast<std::int64_t>(sent.size()));
  BOOST_TEST(status.lastError == "connect_failed");
  BOOST_TEST(status.oldestCreatedAt.has_value());
  // The box's own work never waited on the link: a domain write still commits at once.
  const auto t0 = std::chrono::steady_clock::now();
  db->writeSync([](store::Connection& c) { c.execute("SELECT 1"); });
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < 5s));
  cloud.start();  // the WAN is back
  clock.advance(2s);
  drain();
  auto problem = test::exactlyOnceInOrder(cloud.recorded(), sent);
  BOOST_TEST(problem.empty(), problem);
}

BOOST_AUTO_TEST_CASE(inbox_duplicates_and_reordering_apply_once_and_forgeries_are_refused) {
  enrol({"--duplicate", "--reorder"});
  const auto box = link->status().boxId;
  for (auto status : {"grace", "active", "expired"}) {
    BOOST_REQUIRE_EQUAL(
        cloud.devtool({"send", "--box", box, "--kind", "license.status", "--payload",
                       std::string(R"({"status":")") + status +
                           R"(","validUntil":"2027-12-01","features":[]})"}),
        0);
  }
  BOOST_TEST(link->fetchInbox() == 3);
  BOOST_TEST(link->fetchInbox() == 0);  // a duplicated delivery again: nothing applied twice
  BOOST_TEST(metrics.counter("vigil_sync_inbox_duplicates_total", "").value() >= 1);
  // A forged signature, a tampered payload and a key the box does not know: none applied.
  BOOST_REQUIRE_EQUAL(cloud.devtool({"send", "--box", box, "--kind", "license.status", "--payload",
                                     R"({"status":"expired"})", "--tamper", "sig"}),
                      0);
  BOOST_REQUIRE_EQUAL(cloud.devtool({"send", "--box", box, "--kind", "license.status", "--payload",
                                     R"({"status":"expired"})", "--tamper", "ct"}),
                      0);
  BOOST_REQUIRE_EQUAL(cloud.devtool({"send", "--box", box, "--kind", "license.status", "--payload",
                                     R"({"status":"expired"})", "--wrong-key"}),
                      0);
  const auto before = link->status().license;
  BOOST_TEST(link->fetchInbox() == 0);
  auto status = link->status();
  BOOST_TEST((status.license == before));
  std::multiset<std::string> reasons;
  for (const auto& r : status.refusedInbound) reasons.insert(r.reason);
  BOOST_TEST(reasons.count("bad_signature") == 1u);
  BOOST_TEST(reasons.count("does_not_open") == 1u);  // ct changed, then signed again
  BOOST_TEST(reasons.count("unknown_key") == 1u);
  BOOST_TEST(metrics.counter("vigil_sync_inbox_refused_total", "", {{"reason", "bad_signature"}})
                 .value() == 1);
}

BOOST_AUTO_TEST_CASE(prune_forgets_old_deliveries_and_a_message_older_than_that_is_stale) {
  enrol();
  const auto id = send("reminders/1");
  drain();
  clock.advance(24h * 31);
  BOOST_TEST(link->prune() >= 1);
  BOOST_TEST(!outbox->entry(id).has_value());
  // Its id is forgotten, so a message this old could be applied twice: it is refused instead.
  BOOST_REQUIRE_EQUAL(cloud.devtool({"send", "--box", link->status().boxId, "--kind",
                                     "license.status", "--payload", R"({"status":"active"})"}),
                      0);
  BOOST_TEST(link->fetchInbox() == 0);
  auto refused = link->status().refusedInbound;
  BOOST_REQUIRE(!refused.empty());
  BOOST_TEST(refused.front().reason == "stale");
}

BOOST_AUTO_TEST_SUITE_END()
