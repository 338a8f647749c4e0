#define BOOST_TEST_MODULE vigil_core
#include "vigil/core/log.hpp"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "vigil/core/error.hpp"

BOOST_AUTO_TEST_SUITE(Log)

BOOST_AUTO_TEST_CASE(formats_one_event_per_line_with_key_values) {
  auto line = vigil::log::format(vigil::log::Level::info, "store.open",
                                 {{"schema", 3}, {"path", "/var/lib/vigil/vigil.db"}});
  BOOST_TEST(line.find(" level=info event=store.open schema=3 path=/var/lib/vigil/vigil.db") !=
             std::string::npos);
  BOOST_TEST(line.rfind("ts=", 0) == 0u);
  BOOST_TEST(line.find('\n') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(quotes_and_escapes_values_so_a_line_cannot_be_forged) {
  auto line = vigil::log::format(vigil::log::Level::warn, "x", {{"reason", "a b\nlevel=error"}});
  BOOST_TEST(line.find("reason=\"a b\\nlevel=error\"") != std::string::npos);
  BOOST_TEST(line.find('\n') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(drops_events_below_the_configured_level) {
  std::vector<std::string> lines;
  vigil::log::setSink([&](std::string_view l) { lines.emplace_back(l); });
  vigil::log::setLevel(vigil::log::Level::warn);
  vigil::log::info("ignored");
  vigil::log::error("kept", {{"code", 7}});
  vigil::log::setLevel(vigil::log::Level::info);
  vigil::log::setSink(nullptr);
  BOOST_REQUIRE_EQUAL(lines.size(), 1u);
  BOOST_TEST(lines[0].find("event=kept code=7") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_unknown_level_names) {
  BOOST_CHECK(vigil::log::parseLevel("debug") == vigil::log::Level::debug);
  BOOST_CHECK_THROW(vigil::log::parseLevel("verbose"), vigil::ConfigError);
}

BOOST_AUTO_TEST_SUITE_END()
