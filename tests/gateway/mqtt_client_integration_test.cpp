// MqttClient against a real Mosquitto configured as on the appliance (TLS, client
// certificates, ACL): delivery, the persistent session across our own restart, pause/resume,
// and reconnection after a broker restart.
#define BOOST_TEST_MODULE gateway_mqtt
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <mutex>
#include <thread>

#include "vigil/core/error.hpp"
#include "vigil/gateway/mqtt_client.hpp"
#include "vigil/testsupport/deadline.hpp"
#include "vigil/testsupport/mosquitto_fixture.hpp"

using namespace vigil;
using namespace vigil::gateway;
using namespace std::chrono_literals;

namespace {

struct Inbox {
  std::mutex m;
  std::vector<MqttMessage> messages;
  void add(MqttMessage&& msg) {
    std::lock_guard lock(m);
    messages.push_back(std::move(msg));
  }
  std::size_t size() {
    std::lock_guard lock(m);
    return messages.size();
  }
  bool waitFor(std::size_t n, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (size() >= n) return true;
      std::this_thread::sleep_for(10ms);
    }
    return size() >= n;
  }
};

struct Broker {
  testsupport::MosquittoFixture broker;
  std::filesystem::path deviceDir;
  Broker() {
    deviceDir = broker.dir() / "bundle-cuff-01";
    broker.provisioner().provisionCertificate("cuff-01", deviceDir);
  }
  MqttOptions service() {
    MqttOptions o;
    o.port = broker.certificatePort();
    o.clientId = "vigild-test";
    o.caFile = broker.caFile().string();
    o.certFile = broker.serviceCert().string();
    o.keyFile = broker.serviceKey().string();
    o.reconnectMin = 100ms;
    o.reconnectMax = 500ms;
    return o;
  }
  MqttOptions device() {
    MqttOptions o;
    o.port = broker.certificatePort();
    o.clientId = "cuff-01";
    o.caFile = (deviceDir / "ca.pem").string();
    o.certFile = (deviceDir / "device.pem").string();
    o.keyFile = (deviceDir / "device.key").string();
    o.cleanStart = true;
    return o;
  }
};

constexpr const char* kTopic = "vigil/v1/devices/cuff-01/readings";

}  // namespace

BOOST_FIXTURE_TEST_SUITE(MqttClientWithBroker, Broker)

BOOST_AUTO_TEST_CASE(delivers_qos1_messages_over_tls_with_client_certificates) {
  Inbox inbox;
  MqttClient svc(service(), [&](MqttMessage&& m) { inbox.add(std::move(m)); });
  svc.addSubscription("vigil/v1/devices/+/readings", 1);
  svc.start();
  BOOST_REQUIRE_MESSAGE(svc.waitConnected(10s), broker.log());
  MqttClient dev(device(), {});
  dev.start();
  BOOST_REQUIRE(dev.waitConnected(10s));
  std::this_thread::sleep_for(200ms);  // the subscription is made in the connect callback
  for (int i = 0; i < 10; ++i)
    BOOST_TEST((dev.publish(kTopic, "{\"seq\":" + std::to_string(i) + "}", 1) == MqttStatus::ok));
  BOOST_REQUIRE(inbox.waitFor(10, 10s));
  BOOST_TEST(inbox.messages[0].topic == kTopic);
  BOOST_TEST(inbox.messages[0].qos == 1);
}

BOOST_AUTO_TEST_CASE(persistent_session_keeps_messages_while_we_are_away_or_paused) {
  Inbox inbox;
  MqttClient dev(device(), {});
  dev.start();
  BOOST_REQUIRE(dev.waitConnected(10s));
  {
    MqttClient svc(service(), [&](MqttMessage&& m) { inbox.add(std::move(m)); });
    svc.addSubscription("vigil/v1/devices/+/readings", 1);
    svc.start();
    BOOST_REQUIRE(svc.waitConnected(10s));
    std::this_thread::sleep_for(200ms);
  }  // vigild goes away; its session stays with the broker
  for (int i = 0; i < 5; ++i) dev.publish(kTopic, "away-" + std::to_string(i), 1);
  std::this_thread::sleep_for(300ms);
  MqttClient svc(service(), [&](MqttMessage&& m) { inbox.add(std::move(m)); });
  svc.addSubscription("vigil/v1/devices/+/readings", 1);
  svc.start();
  BOOST_REQUIRE(inbox.waitFor(5, 10s));

  svc.pause();
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (svc.connected() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  BOOST_TEST(!svc.connected());
  for (int i = 0; i < 5; ++i) dev.publish(kTopic, "paused-" + std::to_string(i), 1);
  std::this_thread::sleep_for(500ms);
  BOOST_TEST(inbox.size() == 5u);  // nothing taken while paused
  svc.resume();
  BOOST_REQUIRE(inbox.waitFor(10, 10s));
  BOOST_TEST(inbox.messages[9].payload.rfind("paused-", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(reconnects_and_resumes_after_a_broker_restart) {
  Inbox inbox;
  MqttClient svc(service(), [&](MqttMessage&& m) { inbox.add(std::move(m)); });
  svc.addSubscription("vigil/v1/devices/+/readings", 1);
  svc.start();
  BOOST_REQUIRE(svc.waitConnected(10s));
  auto before = svc.connectCount();
  broker.restart();
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (svc.connectCount() == before && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  BOOST_REQUIRE(svc.connectCount() > before);
  MqttClient dev(device(), {});
  dev.start();
  BOOST_REQUIRE(dev.waitConnected(10s));
  dev.publish(kTopic, "after-restart", 1);
  BOOST_REQUIRE(inbox.waitFor(1, 10s));
  BOOST_TEST(inbox.messages[0].payload == "after-restart");
}

BOOST_AUTO_TEST_CASE(shared_reactor_drives_many_clients_on_descriptors_above_1024) {
  // Descriptors numbered 1024 and up overflow select()'s fd_set: take the low ones first so every
  // client socket lands above it, then run several device connections on one shared reactor.
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  BOOST_TEST_REQUIRE(limit.rlim_max >= 1300u, "the test needs a file limit of at least 1300");
  rlimit raised = limit;
  raised.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &raised);
  std::vector<int> ballast;
  for (int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC); fd >= 0 && fd < 1100;
       fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC))
    ballast.push_back(fd);

  constexpr int kDevices = 8;
  for (int i = 1; i < kDevices; ++i)
    broker.provisioner().provisionCertificate("cuff-0" + std::to_string(i + 1),
                                              broker.dir() / ("bundle-" + std::to_string(i)));
  Inbox inbox;
  auto reactor = std::make_shared<MqttReactor>();
  MqttClient svc(
      service(), [&](MqttMessage&& m) { inbox.add(std::move(m)); }, {}, reactor);
  svc.addSubscription("vigil/v1/devices/+/readings", 1);
  svc.start();
  BOOST_REQUIRE(svc.waitConnected(10s));
  std::vector<std::unique_ptr<MqttClient>> devices;
  for (int i = 0; i < kDevices; ++i) {
    auto o = device();
    if (i > 0) {
      auto dir = broker.dir() / ("bundle-" + std::to_string(i));
      o.clientId = "cuff-0" + std::to_string(i + 1);
      o.certFile = (dir / "device.pem").string();
      o.keyFile = (dir / "device.key").string();
    }
    devices.push_back(std::make_unique<MqttClient>(o, MqttClient::MessageHandler{},
                                                   MqttClient::ConnectionHandler{}, reactor));
    devices.back()->start();
  }
  for (auto& d : devices) BOOST_REQUIRE(d->waitConnected(10s));
  BOOST_TEST(reactor->clientCount() == std::size_t(kDevices + 1));
  std::this_thread::sleep_for(200ms);
  for (int i = 0; i < kDevices; ++i)
    for (int n = 0; n < 50; ++n)
      devices[std::size_t(i)]->publish(
          "vigil/v1/devices/cuff-0" + std::to_string(i + 1) + "/readings", std::to_string(n), 1);
  BOOST_TEST(inbox.waitFor(kDevices * 50, 10s), inbox.size());
  devices.clear();
  {
    testsupport::Deadline bound("stopping the MQTT client", 30s);
    svc.stop();
  }
  BOOST_TEST(reactor->clientCount() == 0u);
  for (int fd : ballast) ::close(fd);
  setrlimit(RLIMIT_NOFILE, &limit);
}

BOOST_AUTO_TEST_CASE(unusable_tls_files_are_a_clear_error) {
  auto o = service();
  o.caFile = "/nonexistent/ca.pem";
  BOOST_CHECK_THROW(MqttClient(o, {}), vigil::MqttError);
}

BOOST_AUTO_TEST_SUITE_END()
