#define BOOST_TEST_MODULE vigil_ingest
#include <boost/test/unit_test.hpp>

#include "vigil/ingest/decoded.hpp"

using namespace vigil::ingest;

BOOST_AUTO_TEST_SUITE(DeviceTopics)

BOOST_AUTO_TEST_CASE(parses_readings_and_gatt_topics) {
  auto r = parseDeviceTopic("vigil/v1/devices/cuff-01/readings");
  BOOST_REQUIRE(r);
  BOOST_TEST(r->uid == "cuff-01");
  BOOST_TEST((r->kind == TopicKind::readings));
  auto g = parseDeviceTopic("vigil/v1/devices/hub.7_a/gatt");
  BOOST_REQUIRE(g);
  BOOST_TEST((g->kind == TopicKind::gatt));
  BOOST_TEST(ackTopic("cuff-01") == "vigil/v1/devices/cuff-01/ack");
}

BOOST_AUTO_TEST_CASE(refuses_other_topics_and_bad_uids) {
  for (const char* t : {"vigil/v1/devices/cuff-01/ack", "vigil/v1/devices//readings",
                        "vigil/v1/devices/a+b/readings", "vigil/v2/devices/x/readings",
                        "vigil/v1/devices/x/readings/extra", "vigil/v1/devices/x"}) {
    BOOST_TEST(!parseDeviceTopic(t), t);
  }
  BOOST_TEST(!parseDeviceTopic("vigil/v1/devices/" + std::string(65, 'a') + "/readings"));
}

BOOST_AUTO_TEST_SUITE_END()
