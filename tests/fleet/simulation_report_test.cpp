#include <boost/test/unit_test.hpp>

#include "vigil/fleet/simulation.hpp"

using namespace vigil::fleet;

BOOST_AUTO_TEST_SUITE(SimulationReportTest)

BOOST_AUTO_TEST_CASE(sums_publishers_and_computes_percentiles_over_all_latencies) {
  SimulationReport r;
  r.devices = 2;
  r.connected = 2;
  PublisherStats a;
  a.sent = 60;
  a.acked = 60;
  a.resent = 3;
  a.duplicatesReported = 2;
  for (int i = 1; i <= 60; ++i) a.ackLatencyMs.push_back(i);
  PublisherStats b;
  b.sent = 42;
  b.acked = 40;
  b.rejected = 1;
  b.rejectedByReason["rate_limited"] = 1;
  b.duplicateAcks = 1;
  b.publishErrors = 4;
  for (int i = 61; i <= 100; ++i) b.ackLatencyMs.push_back(i);
  r.add(a);
  r.add(b);
  r.seconds = 2;
  r.finish();
  BOOST_TEST(r.sent == 102u);
  BOOST_TEST(r.acknowledged == 100u);
  BOOST_TEST(r.rejected == 1u);
  BOOST_TEST(r.resent == 3u);
  BOOST_TEST(r.duplicates == 3u);
  BOOST_TEST(r.unacknowledged == 1u);
  BOOST_TEST(r.p50Ms == 50);
  BOOST_TEST(r.p95Ms == 95);
  BOOST_TEST(r.p99Ms == 99);
  BOOST_TEST(r.maxMs == 100);
  BOOST_TEST(r.acknowledgedPerSecond() == 50);
  BOOST_TEST(r.errors.at("rejected:rate_limited") == 1u);
  BOOST_TEST(r.errors.at("publish_failed") == 4u);
  BOOST_TEST(r.errors.at("unacknowledged") == 1u);
  BOOST_TEST(r.errors.count("not_connected") == 0u);
}

BOOST_AUTO_TEST_CASE(json_and_text_carry_every_figure) {
  SimulationReport r;
  r.devices = 3;
  r.connected = 2;
  PublisherStats a;
  a.sent = 10;
  a.acked = 10;
  a.ackLatencyMs = {5, 7};
  r.add(a);
  r.seconds = 4;
  r.finish();
  auto j = r.json();
  BOOST_TEST(j.find("\"sent\":10") != std::string::npos);
  BOOST_TEST(j.find("\"acknowledged\":10") != std::string::npos);
  BOOST_TEST(j.find("\"acknowledged_per_second\":2.5") != std::string::npos);
  BOOST_TEST(j.find("\"not_connected\":1") != std::string::npos);
  BOOST_TEST(j.find("\"p99\":7.000") != std::string::npos);
  auto t = r.text();
  BOOST_TEST(t.find("2/3 connected") != std::string::npos);
  BOOST_TEST(t.find("p50 5.0") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(parses_duplicates_from_a_stored_ack) {
  std::uint64_t seq = 0, dups = 9;
  std::string status, reason;
  BOOST_TEST(
      DevicePublisher::parseAck(R"({"v":1,"seq":12,"status":"stored","stored":1,"duplicates":2})",
                                seq, status, reason, &dups));
  BOOST_TEST(seq == 12u);
  BOOST_TEST(dups == 2u);
  BOOST_TEST(DevicePublisher::parseAck(R"({"v":1,"seq":13,"status":"rejected","reason":"x"})", seq,
                                       status, reason, &dups));
  BOOST_TEST(dups == 0u);
  BOOST_TEST(reason == "x");
}

BOOST_AUTO_TEST_CASE(parses_a_coalesced_ack_in_order_and_refuses_a_bad_entry) {
  auto acks = DevicePublisher::parseAcks(
      R"({"v":1,"acks":[{"seq":3,"status":"stored","stored":1,"duplicates":0},)"
      R"({"seq":4,"status":"rejected","reason":"malformed"},)"
      R"({"seq":5,"status":"stored","stored":0,"duplicates":1}]})");
  BOOST_REQUIRE_EQUAL(acks.size(), 3u);
  BOOST_TEST(acks[0].seq == 3u);
  BOOST_TEST(acks[1].status == "rejected");
  BOOST_TEST(acks[1].reason == "malformed");
  BOOST_TEST(acks[2].duplicates == 1u);
  BOOST_TEST(DevicePublisher::parseAcks(R"({"v":1,"seq":7,"status":"stored"})").size() == 1u);
  // One bad entry spoils the message: nothing in it is trusted, the device resends.
  BOOST_TEST(DevicePublisher::parseAcks(
                 R"({"v":1,"acks":[{"seq":3,"status":"stored"},{"seq":4,"status":"maybe"}]})")
                 .empty());
  BOOST_TEST(DevicePublisher::parseAcks(R"({"v":1,"acks":[]})").empty());
  BOOST_TEST(DevicePublisher::parseAcks("not json").empty());
  // "acks" that is not a list spoils the message for both parsers, even beside a valid single ack
  // (found by fuzz_acks: the single-form parser used to accept it).
  const std::string mixed = R"({"seq":1043,"status":"rejected","reason":"x","acks":0})";
  BOOST_TEST(DevicePublisher::parseAcks(mixed).empty());
  std::uint64_t seq = 0;
  std::string status, reason;
  BOOST_TEST(!DevicePublisher::parseAck(mixed, seq, status, reason));
}

BOOST_AUTO_TEST_CASE(skips_unknown_members_of_any_shape_and_decodes_escapes) {
  auto acks = DevicePublisher::parseAcks(
      " {\"v\":1, \"x\":{\"a\":[1,-2.5e3,true,false,null,{}],\"b\":\"\\\"\"},"
      "\"acks\":[{\"seq\":9,\"status\":\"rejected\",\"reason\":\"a\\u00e9\\n\\ud83d\\ude00\","
      "\"extra\":[]}]}\n");
  BOOST_REQUIRE_EQUAL(acks.size(), 1u);
  BOOST_TEST(acks[0].seq == 9u);
  BOOST_TEST(acks[0].reason == "a\xc3\xa9\n\xf0\x9f\x98\x80");
  // The last of a member given twice counts.
  auto twice = DevicePublisher::parseAcks(R"({"seq":1,"seq":2,"status":"stored"})");
  BOOST_REQUIRE_EQUAL(twice.size(), 1u);
  BOOST_TEST(twice[0].seq == 2u);
}

BOOST_AUTO_TEST_CASE(refuses_acks_that_are_not_exactly_json_of_the_ack_shape) {
  for (const char* bad : {
           R"({"seq":"12","status":"stored"})",                  // a number as a string
           R"({"seq":12.0,"status":"stored"})",                  // a fraction
           R"({"seq":1e3,"status":"stored"})",                   // an exponent
           R"({"seq":-1,"status":"stored"})",                    // negative
           R"({"seq":012,"status":"stored"})",                   // a leading zero
           R"({"seq":18446744073709551616,"status":"stored"})",  // past 2^64-1
           R"({"seq":1,"status":"stored"} x)",                   // trailing bytes
           R"({"seq":1,"status":"stored",})",                    // trailing comma
           R"({"seq":1,"status":"st\q"})",                       // a bad escape
           R"({"seq":1,"status":"stored","r":"\udc00"})",        // a lone low surrogate
           R"([{"seq":1,"status":"stored"}])",                   // not an object
           R"({"seq":1})",                                       // no status
       }) {
    BOOST_TEST_INFO(bad);
    BOOST_TEST(DevicePublisher::parseAcks(bad).empty());
  }
  BOOST_TEST(
      DevicePublisher::parseAcks(R"({"seq":18446744073709551615,"status":"stored"})").at(0).seq ==
      18446744073709551615u);
  // Nesting beyond what an ack could need is refused, not followed into a deep recursion.
  std::string deep = R"({"seq":1,"status":"stored","x":)" + std::string(10'000, '[') +
                     std::string(10'000, ']') + "}";
  BOOST_TEST(DevicePublisher::parseAcks(deep).empty());
}

BOOST_AUTO_TEST_SUITE_END()
