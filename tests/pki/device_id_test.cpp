#include "vigil/pki/device_id.hpp"

#include <boost/test/unit_test.hpp>

#include "vigil/core/error.hpp"

BOOST_AUTO_TEST_SUITE(DeviceId)

BOOST_AUTO_TEST_CASE(accepts_ids_safe_in_topics_and_file_names) {
  for (const char* ok : {"a", "BP-cuff_0042", "hub.ward-3", "0"}) {
    BOOST_TEST(vigil::pki::isValidDeviceId(ok), ok);
  }
  BOOST_TEST(vigil::pki::isValidDeviceId(std::string(64, 'z')));
}

BOOST_AUTO_TEST_CASE(refuses_wildcards_separators_and_dot_names) {
  for (const char* bad : {"", "+", "#", "a/b", ".", "..", "_x", "-x", "a b", "a:b"}) {
    BOOST_TEST(!vigil::pki::isValidDeviceId(bad), bad);
  }
  BOOST_TEST(!vigil::pki::isValidDeviceId(std::string_view("a\0b", 3)));
  BOOST_TEST(!vigil::pki::isValidDeviceId(std::string(65, 'z')));
  BOOST_CHECK_THROW(vigil::pki::validateDeviceId("a/b"), vigil::ValidationError);
}

BOOST_AUTO_TEST_CASE(topics_follow_the_device_protocol) {
  auto t = vigil::pki::topicsFor("cuff-1");
  BOOST_TEST(t.readings == "vigil/v1/devices/cuff-1/readings");
  BOOST_TEST(t.gatt == "vigil/v1/devices/cuff-1/gatt");
  BOOST_TEST(t.ack == "vigil/v1/devices/cuff-1/ack");
  BOOST_TEST(t.config == "vigil/v1/devices/cuff-1/config");
  BOOST_CHECK_THROW(vigil::pki::topicsFor("+"), vigil::ValidationError);
}

BOOST_AUTO_TEST_SUITE_END()
