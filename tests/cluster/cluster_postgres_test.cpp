#define BOOST_TEST_MODULE vigil_cluster_postgres
// Several nodes on one PostgreSQL (issue 29), with a real PostgreSQL 15 started by the test:
// the listener (LISTEN/NOTIFY), the lease (a session advisory lock) and the event relay
// between two nodes' buses, each node with its own store::Database on the same database.
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "vigil/cluster/event_relay.hpp"
#include "vigil/events/event_bus.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/postgres.hpp"
#include "vigil/store/postgres_cluster.hpp"
#include "vigil/testsupport/deadline.hpp"
#include "vigil/testsupport/postgres_server.hpp"

using namespace std::chrono_literals;
using namespace vigil;

namespace {

testsupport::PostgresServer& server() {
  static testsupport::PostgresServer s;
  return s;
}

std::string freshDatabase() {
  static std::atomic<int> n{0};
  return server().createDatabase("cluster_t" + std::to_string(++n));
}

std::unique_ptr<store::Database> openNode(const std::string& conninfo) {
  store::Options o;
  o.backend = store::Backend::postgres;
  o.conninfo = conninfo;
  o.postgresMigrations = {};
  o.readers = 1;
  return store::Database::open(std::move(o));
}

/// Ends every other session LISTENing or holding an advisory lock in the database, as a
/// network cut or a killed node would.
void cutSessions(const std::string& db, const std::string& which) {
  server().execute(db,
                   "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                   "current_database() AND pid <> pg_backend_pid() AND " +
                       which);
}

/// The next event on `sub` within `limit`, skipping nothing.
std::optional<events::Envelope> nextWithin(events::Subscription& sub, std::chrono::seconds limit) {
  return sub.next(std::chrono::duration_cast<std::chrono::milliseconds>(limit));
}

struct Node {
  Metrics metrics;  // each node counts its own (in one process here)
  std::unique_ptr<store::Database> db;
  events::EventBus bus{metrics};
  std::unique_ptr<cluster::EventRelay> relay;
  Node(const std::string& conninfo, const std::string& id) : db(openNode(conninfo)) {
    relay = std::make_unique<cluster::EventRelay>(
        *db, bus, cluster::EventRelay::Options{conninfo, id, "vigil_events"}, metrics);
    relay->start();
  }
  ~Node() {
    relay->stop();
    db->close();
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_listener_gets_what_was_committed_and_nothing_rolled_back) {
  auto conninfo = server().conninfo(freshDatabase());
  store::PgListener listener(conninfo, {"things"});
  auto c = store::Connection::openPostgres(conninfo, store::Connection::Mode::readWrite);
  {
    store::Transaction t(*c);
    c->exec("SELECT pg_notify('things', 'rolled back')");
    // no commit
  }
  {
    store::Transaction t(*c);
    c->exec("SELECT pg_notify('things', 'one')");
    c->exec("SELECT pg_notify('other', 'not ours')");
    t.commit();
  }
  std::vector<std::string> got;
  for (int i = 0; i < 20 && got.empty(); ++i)
    for (auto& n : listener.wait(250ms).notifications) got.push_back(n.channel + ":" + n.payload);
  BOOST_TEST(got == std::vector<std::string>{"things:one"});
  BOOST_TEST(listener.wait(200ms).notifications.empty());
}

BOOST_AUTO_TEST_CASE(a_listener_whose_session_ended_comes_back_and_says_it_may_have_missed_some) {
  auto db = freshDatabase();
  auto conninfo = server().conninfo(db);
  store::PgListener listener(conninfo, {"things"});
  cutSessions(db, "query LIKE 'LISTEN%'");
  bool resumed = false;
  for (int i = 0; i < 40 && !resumed; ++i) resumed = listener.wait(250ms).resumed;
  BOOST_TEST(resumed);
  server().execute(db, "SELECT pg_notify('things', 'after')");
  std::vector<std::string> got;
  for (int i = 0; i < 20 && got.empty(); ++i)
    for (auto& n : listener.wait(250ms).notifications) got.push_back(n.payload);
  BOOST_TEST(got == std::vector<std::string>{"after"});
}

BOOST_AUTO_TEST_CASE(wake_ends_a_wait_at_once) {
  store::PgListener listener(server().conninfo(freshDatabase()), {"things"});
  std::thread waker([&] {
    std::this_thread::sleep_for(100ms);
    listener.wake();
  });
  auto started = std::chrono::steady_clock::now();
  listener.wait(60s);
  testsupport::joinWithin(waker, 10s, "the waker thread");
  BOOST_TEST((std::chrono::steady_clock::now() - started < 30s));
}

BOOST_AUTO_TEST_CASE(one_lease_holder_at_a_time_and_the_lease_moves_when_its_session_ends) {
  auto db = freshDatabase();
  auto conninfo = server().conninfo(db);
  store::PgLease a(conninfo, 29'001), b(conninfo, 29'001), other(conninfo, 29'002);
  BOOST_TEST(a.refresh());
  BOOST_TEST(!b.refresh());
  BOOST_TEST(other.refresh());  // another key, another lease
  BOOST_TEST(a.refresh());      // still held
  a.release();
  BOOST_TEST(!a.held());
  // The server frees the lock as a's backend exits, a moment after the session closed.
  BOOST_TEST(testsupport::within(10s, [&] { return b.refresh(); }));
  BOOST_TEST(!a.refresh());
  // b's session ends (a network cut, a killed node): the server frees the lock.
  cutSessions(db,
              "query LIKE '%pg_try_advisory_lock(29001)%' AND pid IN (SELECT pid FROM "
              "pg_locks WHERE locktype = 'advisory' AND granted)");
  bool moved = false;
  for (int i = 0; i < 40 && !moved; ++i) {
    moved = a.refresh();
    if (!moved) std::this_thread::sleep_for(100ms);
  }
  BOOST_TEST(moved);
  BOOST_TEST(!b.refresh());  // b finds it lost the lease
  BOOST_TEST(!b.held());
}

BOOST_AUTO_TEST_CASE(a_node_is_present_while_its_session_lives) {
  auto db = freshDatabase();
  auto conninfo = server().conninfo(db);
  auto a = std::make_unique<store::PgPresence>(conninfo, "a");
  store::PgPresence b(conninfo, "b");
  BOOST_TEST(b.present("a"));
  BOOST_TEST(b.present("b"));   // itself
  BOOST_TEST(!b.present("c"));  // never started
  BOOST_TEST(a->present("b"));
  a.reset();  // a stops: its session, and its lock, end
  bool gone = false;
  for (int i = 0; i < 40 && !gone; ++i) {
    gone = !b.present("a");
    if (!gone) std::this_thread::sleep_for(50ms);
  }
  BOOST_TEST(gone);
  // b's own session cut (a network cut): b is absent until it takes its lock again.
  store::PgPresence watcher(conninfo, "w");
  const auto key = static_cast<std::uint64_t>(store::PgPresence::keyOf("b"));
  cutSessions(db, "pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = " +
                      std::to_string(key & 0xFFFFFFFFu) + ")");
  bool cut = false;
  for (int i = 0; i < 40 && !cut; ++i) {
    cut = !watcher.present("b");
    if (!cut) std::this_thread::sleep_for(50ms);
  }
  BOOST_TEST(cut);
  BOOST_TEST(b.refresh());  // back
  BOOST_TEST(watcher.present("b"));
  BOOST_TEST(store::PgPresence::keyOf("a") != store::PgPresence::keyOf("b"));
}

BOOST_AUTO_TEST_CASE(an_unreachable_server_is_a_lease_not_held) {
  store::PgLease lease("host=127.0.0.1 port=1 dbname=none connect_timeout=2", 1);
  BOOST_TEST(!lease.refresh());
  BOOST_TEST(!lease.held());
}

BOOST_AUTO_TEST_CASE(an_event_published_on_one_node_reaches_the_other_once_and_not_back) {
  auto conninfo = server().conninfo(freshDatabase());
  Node a(conninfo, "a"), b(conninfo, "b");
  auto onA = a.bus.subscribe("provider-on-a", 64);
  auto onB = b.bus.subscribe("provider-on-b", 64);
  b.bus.publish(events::AlertRaised{42, 7, "bp_high", "critical", 3});
  auto got = nextWithin(*onA, 10s);
  BOOST_REQUIRE(got);
  auto* raised = std::get_if<events::AlertRaised>(&got->event);
  BOOST_REQUIRE(raised);
  BOOST_TEST(raised->alertId == 42);
  BOOST_TEST(raised->severity == "critical");
  // b's own subscriber saw it once (published there), and it did not come back to b.
  BOOST_REQUIRE(nextWithin(*onB, 1s));
  a.bus.publish(events::WorkChanged{7, "note"});
  auto back = nextWithin(*onB, 10s);
  BOOST_REQUIRE(back);
  BOOST_TEST(std::get<events::WorkChanged>(back->event).area == "note");
  std::this_thread::sleep_for(500ms);  // anything echoed would be here by now
  int echoes = 0;
  while (auto e = onB->tryNext()) ++echoes;
  BOOST_TEST(echoes == 0);
  BOOST_TEST(a.relay->receivedCount() == 1u);
  BOOST_TEST(b.relay->receivedCount() == 1u);
}

BOOST_AUTO_TEST_CASE(many_events_arrive_in_order) {
  auto conninfo = server().conninfo(freshDatabase());
  Node a(conninfo, "a"), b(conninfo, "b");
  auto onB = b.bus.subscribe("provider-on-b", 5000);
  for (int i = 1; i <= 2000; ++i) a.bus.publish(events::ReadingStored{1, i, "8867-4"});
  int expect = 1;
  while (expect <= 2000) {
    auto e = nextWithin(*onB, 10s);
    BOOST_REQUIRE_MESSAGE(e, "event " << expect << " did not arrive");
    BOOST_TEST_REQUIRE(std::get<events::ReadingStored>(e->event).readingId == expect);
    ++expect;
  }
}

BOOST_AUTO_TEST_CASE(a_node_whose_listener_was_cut_drops_its_subscribers_so_they_reload) {
  auto db = freshDatabase();
  auto conninfo = server().conninfo(db);
  Node a(conninfo, "a"), b(conninfo, "b");
  auto onB = b.bus.subscribe("provider-on-b", 64);
  cutSessions(db, "query LIKE 'LISTEN%'");  // both nodes' listeners
  for (int i = 0; i < 100 && !onB->closed(); ++i) std::this_thread::sleep_for(100ms);
  BOOST_TEST(onB->closed());
  BOOST_TEST(onB->droppedAsSlow());  // "you missed events": the client reloads
  // A new subscriber after the reconnect gets the other node's events again.
  auto again = b.bus.subscribe("provider-on-b-again", 64);
  bool arrived = false;
  for (int i = 0; i < 20 && !arrived; ++i) {
    a.bus.publish(events::WorkChanged{7, "visit"});
    arrived = nextWithin(*again, 1s).has_value();
  }
  BOOST_TEST(arrived);
}
