#include "vigil/core/metrics.hpp"

#include <boost/test/unit_test.hpp>

BOOST_AUTO_TEST_SUITE(MetricsRegistry)

BOOST_AUTO_TEST_CASE(renders_prometheus_text_with_labels) {
  vigil::Metrics m;
  m.counter("vigil_requests_total", "HTTP requests", {{"route", "/healthz"}}).inc(3);
  m.gauge("vigil_queue_depth", "Queue depth").set(2);
  m.callbackGauge("vigil_store_bytes", "Store size", [] { return 4096.0; });
  auto text = m.render();
  BOOST_TEST(text.find("# TYPE vigil_requests_total counter") != std::string::npos);
  BOOST_TEST(text.find("vigil_requests_total{route=\"/healthz\"} 3") != std::string::npos);
  BOOST_TEST(text.find("vigil_queue_depth 2") != std::string::npos);
  BOOST_TEST(text.find("vigil_store_bytes 4096") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(returns_the_same_counter_for_the_same_labels) {
  vigil::Metrics m;
  auto& a = m.counter("c", "h", {{"reason", "x"}});
  auto& b = m.counter("c", "h", {{"reason", "x"}});
  a.inc();
  b.inc();
  BOOST_TEST(a.value() == 2u);
  BOOST_TEST(&a == &b);
}

BOOST_AUTO_TEST_SUITE_END()
