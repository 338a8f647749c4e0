#define BOOST_TEST_MODULE vigil_app
#include "vigil/app/config.hpp"

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "vigil/core/error.hpp"

namespace fs = std::filesystem;
using vigil::app::Config;

namespace {

struct TempFile {
  fs::path path;
  explicit TempFile(const std::string& text) {
    path = fs::temp_directory_path() /
           ("vigil-config-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::ofstream(path) << text;
  }
  ~TempFile() { fs::remove(path); }
  static int& counter() {
    static int c = 0;
    return c;
  }
};

std::string readFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

template <class F>
std::string errorOf(F&& f) {
  try {
    f();
  } catch (const vigil::Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ConfigLoading)

BOOST_AUTO_TEST_CASE(defaults_cover_every_schema_key) {
  auto c = Config::defaults();
  for (const auto& k : vigil::app::configSchema()) BOOST_TEST(c.values().count(k.name) == 1u);
  BOOST_TEST(c.integer("web.port") == 8443);
  BOOST_TEST(c.string("log.level") == "info");
}

// Issue 17: the deadline of every severity is the clinic's to set (low and info were 24 h,
// fixed).
BOOST_AUTO_TEST_CASE(ack_deadlines_of_every_severity_come_from_the_configuration) {
  TempFile f("alerts.ack_low_minutes = 720\nalerts.ack_info_minutes = 2880\n");
  auto policy = vigil::app::escalationPolicy(Config::load(f.path.string()));
  using vigil::alerts::Severity;
  BOOST_TEST(policy.deadlineFor(Severity::low).count() == 720 * 60);
  BOOST_TEST(policy.deadlineFor(Severity::info).count() == 2880 * 60);
  BOOST_TEST(policy.deadlineFor(Severity::high).count() == 60 * 60);
  BOOST_TEST(policy.deadlineFor(Severity::critical).count() == 15 * 60);
}

BOOST_AUTO_TEST_CASE(reads_nested_keys_from_a_properties_file) {
  TempFile f("# comment\nweb.port = 9000\nstore.readers=2\nlog.level = debug\n");
  auto c = Config::load(f.path.string());
  BOOST_TEST(c.integer("web.port") == 9000);
  BOOST_TEST(c.integer("store.readers") == 2);
  BOOST_TEST(c.string("log.level") == "debug");
}

BOOST_AUTO_TEST_CASE(unknown_key_is_named_in_the_error) {
  TempFile f("web.prot = 9000\n");
  auto msg = errorOf([&] { Config::load(f.path.string()); });
  BOOST_TEST(msg == "web.prot: unknown configuration key");
}

BOOST_AUTO_TEST_CASE(non_integer_value_is_refused) {
  TempFile f("web.port = eighty\n");
  auto msg = errorOf([&] { Config::load(f.path.string()); });
  BOOST_TEST(msg.find("web.port: expected an integer") == 0u);
}

BOOST_AUTO_TEST_CASE(out_of_range_value_is_refused_with_the_range) {
  auto msg = errorOf([] { Config::fromMap({{"web.port", "70000"}}); });
  BOOST_TEST(msg == "web.port: 70000 is outside 0..65535");
}

BOOST_AUTO_TEST_CASE(bad_choice_lists_the_allowed_values) {
  auto msg = errorOf([] { Config::fromMap({{"log.level", "loud"}}); });
  BOOST_TEST(msg == "log.level: 'loud' is not one of debug, info, warn, error");
}

BOOST_AUTO_TEST_CASE(bad_boolean_is_refused) {
  auto msg = errorOf([] { Config::fromMap({{"systemd.watchdog", "maybe"}}); });
  BOOST_TEST(msg.find("systemd.watchdog: expected true or false") == 0u);
}

BOOST_AUTO_TEST_CASE(plain_http_off_loopback_is_refused) {
  auto msg = errorOf([] { Config::fromMap({{"web.bind", "0.0.0.0"}}); });
  BOOST_TEST(msg == "web.tls.cert: required when web.bind is not a loopback address");
  msg = errorOf([] { Config::fromMap({{"web.tls.cert", "/etc/vigil/web.pem"}}); });
  BOOST_TEST(msg == "web.tls.key: web.tls.cert and web.tls.key must be set together");
}

BOOST_AUTO_TEST_CASE(cluster_node_id_is_empty_by_default_and_checked_when_set) {
  BOOST_TEST(Config::defaults().string("cluster.node_id") == "");
  BOOST_TEST(Config::fromMap({{"cluster.node_id", "node-2"}}).string("cluster.node_id") ==
             "node-2");
  auto msg = errorOf([] { Config::fromMap({{"cluster.node_id", "a/b"}}); });
  BOOST_TEST(msg.find("cluster.node_id: ") == 0u);
}

BOOST_AUTO_TEST_CASE(the_store_is_sqlite_by_default_and_postgres_needs_its_conninfo) {
  BOOST_TEST(Config::defaults().string("store.backend") == "sqlite");
  auto msg = errorOf([] { Config::fromMap({{"store.backend", "postgres"}}); });
  BOOST_TEST(msg == "store.conninfo: required when store.backend is postgres");
  auto c = Config::fromMap(
      {{"store.backend", "postgres"}, {"store.conninfo", "host=db dbname=vigil user=vigil"}});
  BOOST_TEST(c.string("store.conninfo") == "host=db dbname=vigil user=vigil");
  msg = errorOf([] { Config::fromMap({{"store.backend", "mysql"}}); });
  BOOST_TEST(msg.find("store.backend: ") == 0u);
}

BOOST_AUTO_TEST_CASE(missing_file_is_a_distinct_error) {
  BOOST_CHECK_THROW(Config::load("/nonexistent/vigild.conf"), vigil::FileMissing);
}

BOOST_AUTO_TEST_CASE(shipped_sample_config_is_the_generated_one) {
  // image/vigild.conf is what `vigild config sample` prints: regenerate it when the schema changes.
  auto shipped = readFile(fs::path(VIGIL_SOURCE_DIR) / "image" / "vigild.conf");
  BOOST_TEST(shipped == vigil::app::renderSampleConfig());
  TempFile f(shipped);
  BOOST_CHECK_NO_THROW(Config::load(f.path.string()));
}

BOOST_AUTO_TEST_CASE(configuration_doc_lists_every_key) {
  auto doc = readFile(fs::path(VIGIL_SOURCE_DIR) / "docs" / "configuration.md");
  for (const auto& k : vigil::app::configSchema())
    BOOST_TEST(doc.find("`" + k.name + "`") != std::string::npos, "docs lack " << k.name);
}

BOOST_AUTO_TEST_SUITE_END()
