// The live alert path end to end with real processes: a device publishes over MQTT/TLS with its
// own certificate to a real Mosquitto, a real vigild stores the reading, its alert engine raises
// an alert, and the alert arrives on the /api/v1/events WebSocket of a provider signed in (with
// TOTP) who is on the patient's care team, while a provider outside the care team, connected
// at the same time, never receives it (nor any event of that patient).
#define BOOST_TEST_MODULE app_portal_integration
#include <boost/test/unit_test.hpp>
#include <ctime>
#include <set>
#include <sstream>
#include <thread>

#include "vigil/fleet/device_publisher.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/testsupport/box_fixture.hpp"
#include "vigil/testsupport/portal_client.hpp"

using namespace vigil;
using namespace vigil::testsupport;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<fleet::DevicePublisher> hub(BoxFixture& box, const std::string& uid) {
  auto bundle = box.bundle(uid);
  fleet::PublisherOptions o;
  o.deviceUid = uid;
  o.mqtt.port = box.broker().certificatePort();
  o.mqtt.clientId = uid;
  o.mqtt.caFile = (bundle / "ca.pem").string();
  o.mqtt.certFile = (bundle / "device.pem").string();
  o.mqtt.keyFile = (bundle / "device.key").string();
  o.resendAfter = 2s;
  return std::make_unique<fleet::DevicePublisher>(o);
}

std::string bloodPressure(std::uint64_t seq, int systolic, int diastolic) {
  return "{\"v\":1,\"seq\":" + std::to_string(seq) +
         ",\"readings\":[{\"kind\":\"blood_pressure\",\"unit\":\"mm[Hg]\",\"components\":{"
         "\"systolic\":" +
         std::to_string(systolic) + ",\"diastolic\":" + std::to_string(diastolic) + "}}]}";
}

/// Reads events until one matches `want` or `timeout` passes; every event read is kept in `seen`.
std::optional<std::string> waitFor(EventStream& stream, std::chrono::milliseconds timeout,
                                   const std::function<bool(const std::string&)>& want,
                                   std::vector<std::string>& seen) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto e = stream.next(std::max(left, 1ms));
    if (!e) continue;
    seen.push_back(*e);
    if (want(*e)) return e;
  }
  return std::nullopt;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(LiveAlertStream)

BOOST_AUTO_TEST_CASE(alert_from_mqtt_reaches_care_team_websocket_and_no_other_provider) {
  BoxFixture::Options options;
  options.deviceUids = {"bp-live-1", "bp-live-2"};
  options.settings = {"ingest.device_rate=0"};
  options.start = false;
  BoxFixture box(options);
  auto patientIn = box.patientOf("bp-live-1");
  auto patientOut = box.patientOf("bp-live-2");
  seedPortalUsers(box.dataDir(), box.databasePath(),
                  {{security::Role::provider, "dr.in@clinic.test", "Dr In", {}, {patientIn}},
                   {security::Role::provider, "dr.out@clinic.test", "Dr Out", {}, {patientOut}}});
  box.start();

  PortalClient caring(box.webPort());
  PortalClient other(box.webPort());
  caring.signIn("dr.in@clinic.test");
  other.signIn("dr.out@clinic.test");
  BOOST_TEST(!caring.totpSecret().empty());  // signed in with a TOTP code
  auto caringEvents = caring.openEvents();
  auto otherEvents = other.openEvents();

  auto deviceIn = hub(box, "bp-live-1");
  BOOST_REQUIRE(deviceIn->start(10s));
  auto published = std::chrono::steady_clock::now();
  deviceIn->send(1, bloodPressure(1, 195, 92));

  std::vector<std::string> caringSeen;
  auto raised = waitFor(
      *caringEvents, 20s,
      [&](const std::string& e) {
        return jsonString(e, "type") == "alert.raised" && jsonInt(e, "patientId") == patientIn;
      },
      caringSeen);
  BOOST_REQUIRE_MESSAGE(raised,
                        "no alert.raised on the care team's stream; vigild log: " << box.log());
  auto latency = std::chrono::steady_clock::now() - published;
  BOOST_TEST_MESSAGE("publish -> alert on the WebSocket: "
                     << std::chrono::duration_cast<std::chrono::milliseconds>(latency).count()
                     << " ms");
  BOOST_TEST(jsonString(*raised, "ruleKey") == "bp.systolic.high");
  BOOST_TEST(jsonString(*raised, "severity") == "critical");
  auto alertId = jsonInt(*raised, "alertId");
  BOOST_REQUIRE(alertId);
  BOOST_TEST(deviceIn->waitAllAcknowledged(10s));

  // Over REST too: in the caring provider's queue, not in the other's; the detail is denied.
  auto queue = caring.request("GET", "/api/v1/alerts");
  BOOST_TEST(queue.status == 200);
  BOOST_TEST(queue.body.find("\"id\":" + std::to_string(*alertId)) != std::string::npos);
  auto otherQueue = other.request("GET", "/api/v1/alerts");
  BOOST_TEST(otherQueue.status == 200);
  BOOST_TEST(jsonInt(otherQueue.body, "total").value_or(-1) == 0);
  BOOST_TEST(other.request("GET", "/api/v1/alerts/" + std::to_string(*alertId)).status == 403);

  // The other provider's stream is alive: an event of their own patient arrives on it, and
  // nothing about the caring provider's patient came before it (events arrive in order).
  auto deviceOut = hub(box, "bp-live-2");
  BOOST_REQUIRE(deviceOut->start(10s));
  deviceOut->send(1, bloodPressure(1, 122, 78));
  std::vector<std::string> otherSeen;
  auto own = waitFor(
      *otherEvents, 20s,
      [&](const std::string& e) {
        return jsonString(e, "type") == "reading.stored" && jsonInt(e, "patientId") == patientOut;
      },
      otherSeen);
  BOOST_REQUIRE_MESSAGE(own, "the other provider's stream got nothing of their own patient");
  for (const auto& e : otherSeen) BOOST_TEST(jsonInt(e, "patientId").value_or(0) == patientOut, e);
  BOOST_TEST(!otherEvents->closed());

  // And the caring provider never gets the other patient's reading.
  waitFor(
      *caringEvents, 1s, [](const std::string&) { return false; }, caringSeen);
  for (const auto& e : caringSeen) BOOST_TEST(jsonInt(e, "patientId").value_or(0) == patientIn, e);
  deviceIn->stop();
  deviceOut->stop();
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

/// A scale's weigh-in: `kg` measured at `at` (UTC).
std::string weighIn(std::uint64_t seq, double kg, std::chrono::system_clock::time_point at) {
  auto t = std::chrono::system_clock::to_time_t(at);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::ostringstream out;
  out << "{\"v\":1,\"seq\":" << seq
      << ",\"readings\":[{\"kind\":\"body_weight\",\"unit\":\"kg\",\"value\":" << kg
      << ",\"time\":\"" << when << "\"}]}";
  return out.str();
}

/// Breaches folded into the patient's weight.gain.day alerts (one open alert takes repeats).
std::int64_t weightGainBreaches(const BoxFixture& box, std::int64_t patient) {
  store::Connection c(box.databasePath(), store::Connection::Mode::readOnly);
  return c
      .queryValue<std::int64_t>(
          "SELECT coalesce(sum(count), 0) FROM alerts WHERE rule_key = 'weight.gain.day' AND "
          "patient_id = ?1",
          patient)
      .value_or(0);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(AlertStateAcrossRestarts)

// Issue 17: weigh, vigild stops (cleanly, then by SIGKILL) and starts again, the next weigh-in
// (+2 kg) arrives live over MQTT: the engine's windows were warmed up at start from the
// stored history, so weight.gain.day fires on the live reading (the catch-up path, a reading
// stored while vigild was down, is vigild_process_integration_test's).
BOOST_AUTO_TEST_CASE(a_live_weight_gain_after_a_restart_or_a_kill_raises_an_alert) {
  BoxFixture::Options options;
  // One scale (and patient) per round. Readings count for a patient from the device's
  // assignment on, which the fixture makes now: the weigh-ins are minutes apart, not a day
  // (the rule's 24 h window holds both alike).
  options.deviceUids = {"scale-live-1", "scale-live-2"};
  options.settings = {"ingest.device_rate=0"};
  BoxFixture box(options);
  std::uint64_t seq = 0;
  auto weigh = [&](const std::string& uid, double kg, std::chrono::system_clock::time_point at) {
    auto scale = hub(box, uid);
    BOOST_REQUIRE(scale->start(10s));
    ++seq;
    scale->send(seq, weighIn(seq, kg, at));
    BOOST_REQUIRE_MESSAGE(scale->waitAllAcknowledged(20s),
                          "weigh-in " << seq << " not acknowledged; vigild log: " << box.log());
  };
  for (bool kill : {false, true}) {
    BOOST_TEST_CONTEXT((kill ? "kill -9" : "clean restart")) {
      const std::string uid = kill ? "scale-live-2" : "scale-live-1";
      const auto patient = box.patientOf(uid);
      // The patient's first weigh-in: nothing to compare with. (Times are whole seconds: a
      // second weigh-in in the same second would be the same measurement to the box.)
      const auto first = std::chrono::system_clock::now();
      weigh(uid, 80.0, first);
      if (kill) {
        box.kill9();
      } else {
        BOOST_TEST(box.stop() == 0);
      }
      box.start();
      BOOST_TEST(weightGainBreaches(box, patient) == 0);
      // 2 kg more, live: judged against the window warmed up at start.
      weigh(uid, 82.0, first + 30s);
      std::int64_t breaches = 0;
      auto deadline = std::chrono::steady_clock::now() + 20s;
      while ((breaches = weightGainBreaches(box, patient)) == 0 &&
             std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(100ms);
      BOOST_TEST(breaches == 1,
                 "waited 20 s for weight.gain.day on the +2 kg weigh-in; "
                 "vigild log: "
                     << box.log());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
