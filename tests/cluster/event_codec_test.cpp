#define BOOST_TEST_MODULE vigil_cluster
// The events as nodes send them to each other (vigil::cluster::encodeEvents/decodeEvents): the
// payload text is written here by hand from the format in event_codec.hpp.
#include "vigil/cluster/event_codec.hpp"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

using namespace vigil;
using cluster::decodeEvents;
using cluster::encodeEvents;

BOOST_AUTO_TEST_CASE(an_alert_raised_is_sent_as_its_ids_and_words) {
  auto payloads = encodeEvents("a", {events::AlertRaised{42, 7, "bp_high", "critical", 3}});
  BOOST_REQUIRE_EQUAL(payloads.size(), 1u);
  auto m = decodeEvents(payloads[0]);
  BOOST_REQUIRE(m);
  BOOST_TEST(m->node == "a");
  BOOST_TEST(!m->resync);
  BOOST_REQUIRE_EQUAL(m->events.size(), 1u);
  auto* raised = std::get_if<events::AlertRaised>(&m->events[0]);
  BOOST_REQUIRE(raised);
  BOOST_TEST(raised->alertId == 42);
  BOOST_TEST(raised->patientId == 7);
  BOOST_TEST(raised->ruleKey == "bp_high");
  BOOST_TEST(raised->severity == "critical");
  BOOST_TEST(raised->assignee.value_or(-1) == 3);
}

BOOST_AUTO_TEST_CASE(a_payload_written_by_hand_decodes_to_every_event_type) {
  const std::string payload = R"({"node":"b","events":[
    {"t":"reading_stored","patient":7,"reading":900,"code":"8867-4"},
    {"t":"alert_changed","alert":42,"patient":7,"rule":"bp_high","change":"escalated",
     "state":"escalated","severity":"high","count":3,"level":1,"previous":3},
    {"t":"work_changed","patient":7,"area":"note"},
    {"t":"ondemand_changed","patient":8,"request":5,"provider":11,"state":"waiting"}]})";
  auto m = decodeEvents(payload);
  BOOST_REQUIRE(m);
  BOOST_TEST(m->node == "b");
  BOOST_REQUIRE_EQUAL(m->events.size(), 4u);
  auto& r = std::get<events::ReadingStored>(m->events[0]);
  BOOST_TEST(r.patientId == 7);
  BOOST_TEST(r.readingId == 900);
  BOOST_TEST(r.code == "8867-4");
  auto& c = std::get<events::AlertChanged>(m->events[1]);
  BOOST_TEST(c.alertId == 42);
  BOOST_TEST(c.change == "escalated");
  BOOST_TEST(c.state == "escalated");
  BOOST_TEST(c.count == 3);
  BOOST_TEST(!c.assignee.has_value());  // nobody left in the chain
  BOOST_TEST(c.escalationLevel == 1);
  BOOST_TEST(c.previousAssignee.value_or(-1) == 3);
  auto& w = std::get<events::WorkChanged>(m->events[2]);
  BOOST_TEST(w.area == "note");
  auto& o = std::get<events::OnDemandChanged>(m->events[3]);
  BOOST_TEST(o.requestId == 5);
  BOOST_TEST(o.providerUserId.value_or(-1) == 11);
  BOOST_TEST(!o.previousProviderUserId.has_value());
  BOOST_TEST(o.state == "waiting");
}

BOOST_AUTO_TEST_CASE(every_event_comes_back_as_it_went) {
  std::vector<events::Event> sent{
      events::ReadingStored{1, 2, "29463-7"},
      events::AlertChanged{3, 1, "weight_gain", "claimed", "claimed", "low", 2, 9, 0, std::nullopt},
      events::OnDemandChanged{1, 4, std::nullopt, 12, "cancelled"}};
  auto payloads = encodeEvents("node-1", sent);
  BOOST_REQUIRE_EQUAL(payloads.size(), 1u);
  auto m = decodeEvents(payloads[0]);
  BOOST_REQUIRE(m);
  BOOST_REQUIRE_EQUAL(m->events.size(), 3u);
  auto& c = std::get<events::AlertChanged>(m->events[1]);
  BOOST_TEST(c.ruleKey == "weight_gain");
  BOOST_TEST(c.assignee.value_or(-1) == 9);
  BOOST_TEST(!c.previousAssignee.has_value());
  auto& o = std::get<events::OnDemandChanged>(m->events[2]);
  BOOST_TEST(!o.providerUserId.has_value());
  BOOST_TEST(o.previousProviderUserId.value_or(-1) == 12);
}

BOOST_AUTO_TEST_CASE(many_events_split_into_payloads_under_the_limit_and_none_is_lost) {
  std::vector<events::Event> sent;
  for (int i = 1; i <= 1000; ++i) sent.push_back(events::ReadingStored{i, 10'000 + i, "8867-4"});
  auto payloads = encodeEvents("a", sent, 8000);  // NOTIFY's limit is 8000 bytes
  BOOST_TEST(payloads.size() > 1u);
  std::int64_t expect = 10'001;
  for (const auto& p : payloads) {
    BOOST_TEST(p.size() < 8000u);
    auto m = decodeEvents(p);
    BOOST_REQUIRE(m);
    for (auto& e : m->events) BOOST_TEST(std::get<events::ReadingStored>(e).readingId == expect++);
  }
  BOOST_TEST(expect == 11'001);
}

BOOST_AUTO_TEST_CASE(a_resync_says_so_and_carries_no_events) {
  auto m = decodeEvents(cluster::encodeResync("a"));
  BOOST_REQUIRE(m);
  BOOST_TEST(m->resync);
  BOOST_TEST(m->node == "a");
  BOOST_TEST(m->events.empty());
}

BOOST_AUTO_TEST_CASE(anything_else_is_refused_and_unknown_types_are_skipped) {
  BOOST_TEST(!decodeEvents(""));
  BOOST_TEST(!decodeEvents("not json"));
  BOOST_TEST(!decodeEvents(R"({"events":[]})"));                                 // no node
  BOOST_TEST(!decodeEvents(R"({"node":"a"})"));                                  // nothing in it
  BOOST_TEST(!decodeEvents(R"({"node":"a","events":[{"t":"alert_raised"}]})"));  // fields missing
  BOOST_TEST(!decodeEvents(R"({"node":"a","events":[1]})"));
  auto m = decodeEvents(
      R"({"node":"a","events":[{"t":"from_a_newer_node","x":1},{"t":"work_changed","patient":3,"area":"visit"}]})");
  BOOST_REQUIRE(m);
  BOOST_REQUIRE_EQUAL(m->events.size(), 1u);
  BOOST_TEST(std::get<events::WorkChanged>(m->events[0]).area == "visit");
}
