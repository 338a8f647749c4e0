// Several nodes (issue 29, docs/scale-out.md "Video rooms"): the node each visit's room lives on
// (video::RoomPins, on this run's store: SQLite, or PostgreSQL in unit-video-pg), and the visit
// routes sending requests there (307 with ?node=<id>, 421 when the balancer did not follow it).
#include "vigil/video/room_pins.hpp"

#include <boost/test/unit_test.hpp>
#include <map>
#include <set>
#include <string>

#include "visit_api_fixture.hpp"

using namespace vigil;
using video::RoomPins;

namespace {

/// Which nodes are up, as the presence locks would say.
struct Presence {
  std::set<std::string> up;
  RoomPins::Presence fn() {
    return [this](const std::string& node) { return up.count(node) > 0; };
  }
};

std::string pinnedTo(store::Database& db, std::int64_t visitId) {
  return db.read([&](store::Connection& c) {
    return c.queryValue<std::string>("SELECT node_id FROM visit_rooms WHERE visit_id = ?1", visitId)
        .value_or("");
  });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(RoomPinning)

BOOST_AUTO_TEST_CASE(the_first_node_pins_the_room_and_another_takes_it_only_when_it_is_gone) {
  video::test::VisitApiFixture f;
  Presence presence{{"a", "b"}};
  RoomPins a(*f.db, "a", presence.fn(), f.clock), b(*f.db, "b", presence.fn(), f.clock);
  BOOST_TEST(b.roomNode(f.visitId) == "b");  // first asked: b
  BOOST_TEST(a.roomNode(f.visitId) == "b");  // b is up: a sends it there
  BOOST_TEST(b.roomNode(f.visitId) == "b");
  BOOST_TEST(pinnedTo(*f.db, f.visitId) == "b");
  presence.up.erase("b");                    // b died (its presence lock ended)
  BOOST_TEST(a.roomNode(f.visitId) == "b");  // a's answer of a moment ago
  f.clock.advance(RoomPins::kRecheck);
  BOOST_TEST(a.roomNode(f.visitId) == "a");  // a takes the room over
  BOOST_TEST(pinnedTo(*f.db, f.visitId) == "a");
  presence.up.insert("b");  // b is back: the room stays on a
  f.clock.advance(RoomPins::kRecheck);
  BOOST_TEST(b.roomNode(f.visitId) == "a");
  // No such visit: nothing pinned, the route answers 404 wherever it is.
  BOOST_TEST(b.roomNode(f.visitId + 1000) == "b");
  BOOST_TEST(pinnedTo(*f.db, f.visitId + 1000).empty());
}

BOOST_AUTO_TEST_CASE(a_rooms_node_is_asked_again_only_after_a_second) {
  video::test::VisitApiFixture f;
  Presence presence{{"a", "b"}};
  int asked = 0;
  RoomPins b(*f.db, "b", presence.fn(), f.clock);
  RoomPins a(
      *f.db, "a",
      [&](const std::string& node) {
        ++asked;
        return presence.up.count(node) > 0;
      },
      f.clock);
  BOOST_TEST(b.roomNode(f.visitId) == "b");
  for (int poll = 0; poll < 10; ++poll) BOOST_TEST(a.roomNode(f.visitId) == "b");
  BOOST_TEST(asked == 1);  // ten polls of the visit page, one look
  f.clock.advance(std::chrono::milliseconds(999));
  BOOST_TEST(a.roomNode(f.visitId) == "b");
  BOOST_TEST(asked == 1);
  f.clock.advance(std::chrono::milliseconds(1));
  BOOST_TEST(a.roomNode(f.visitId) == "b");
  BOOST_TEST(asked == 2);
  // Each visit has its own answer.
  BOOST_TEST(a.roomNode(f.visitId + 1000) == "a");
}

BOOST_AUTO_TEST_CASE(a_visits_requests_go_to_its_rooms_node_and_others_stay) {
  video::test::VisitApiFixture f;
  std::optional<std::string> elsewhere = "b";
  f.services.visitRoomElsewhere = [&](std::int64_t id) {
    return id == f.visitId ? elsewhere : std::nullopt;
  };
  auto& provider = f.clients.at(f.providerId);
  const auto id = std::to_string(f.visitId);
  // Expected by hand from docs/scale-out.md: the same request at ?node=b, any other query kept.
  auto join = f.request("POST", f.visit("/join"), &provider, "{}");
  BOOST_TEST(join.status == 307);
  BOOST_TEST(join.headers["Location"] == "/api/v1/visits/" + id + "/join?node=b");
  auto view = f.request("GET", f.visit("?view=full"), &provider);
  BOOST_TEST(view.status == 307);
  BOOST_TEST(view.headers["Location"] == "/api/v1/visits/" + id + "?view=full&node=b");
  auto media = f.request("GET", f.visit("/messages?node=a&after=3"), &provider);
  BOOST_TEST(media.headers["Location"] == "/api/v1/visits/" + id + "/messages?after=3&node=b");
  // The balancer was told node b and sent it here anyway: no loop, a clear answer.
  BOOST_TEST(f.request("POST", f.visit("/join?node=b"), &provider, "{}").status == 421);
  // Nothing happened here: the provider has not joined.
  BOOST_TEST(f.audited("visit.join") == 0);
  // The session is checked first; routes of no visit are served here.
  BOOST_TEST(f.request("POST", f.visit("/join"), nullptr, "{}").status == 401);
  BOOST_TEST(f.request("GET", "/api/v1/visits", &provider).status == 200);
  // The room here: served.
  elsewhere.reset();
  BOOST_TEST(f.call("POST", f.visit("/join"), f.providerId, "{}") == 200);
}

BOOST_AUTO_TEST_SUITE_END()
