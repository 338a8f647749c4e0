#include "vigil/ingest/broker_session.hpp"

#include <boost/test/unit_test.hpp>

#include "vigil/core/error.hpp"

using namespace vigil::ingest;

BOOST_AUTO_TEST_SUITE(BrokerSessionSuite)

BOOST_AUTO_TEST_CASE(a_single_box_keeps_its_identity_plain_subscriptions_and_persistent_session) {
  auto s = brokerSession("vigild", "");
  BOOST_TEST(s.clientId == "vigild");
  BOOST_TEST((s.filters ==
              std::vector<std::string>{"vigil/v1/devices/+/readings", "vigil/v1/devices/+/gatt"}));
  BOOST_TEST(!s.cleanStart);
  BOOST_TEST(s.sessionExpirySeconds == 604800u);  // 7 days
}

BOOST_AUTO_TEST_CASE(a_cluster_node_has_its_own_identity_and_shares_the_device_topics) {
  auto s = brokerSession("vigild", "node-2");
  BOOST_TEST(s.clientId == "vigild-node-2");
  BOOST_TEST((s.filters == std::vector<std::string>{"$share/vigil/vigil/v1/devices/+/readings",
                                                    "$share/vigil/vigil/v1/devices/+/gatt"}));
  BOOST_TEST(s.cleanStart);  // its session ends with its connection
  BOOST_TEST(s.sessionExpirySeconds == 0u);
  BOOST_TEST(brokerSession("box7", "a").clientId == "box7-a");
}

BOOST_AUTO_TEST_CASE(node_ids_are_short_names_fit_for_a_client_id) {
  for (const char* ok : {"a", "node-2", "Site_B", "0", "abcdefghijklmnopqrstuvwxyz012345"})
    BOOST_TEST(isValidNodeId(ok), ok);
  for (const char* bad :
       {"", "-a", "_a", "a/b", "a+", "#", "a b", "n\u00e9", "abcdefghijklmnopqrstuvwxyz0123456"})
    BOOST_TEST(!isValidNodeId(bad), bad);
  BOOST_CHECK_THROW(brokerSession("vigild", "a/b"), vigil::ConfigError);
}

BOOST_AUTO_TEST_SUITE_END()
