// A vigild node's broker side alone, as a process a test can kill -9: the product's session
// (ingest::brokerSession: client id vigild-<node>, `$share/vigil/…` filters, clean start) on the
// product's gateway::MqttClient, as IngestSubsystem sets it up. It prints "connected" once, then
// each message's payload on a line. With --hold-after K it takes no message after the K-th: its
// network thread stays in the message handler, as a node stuck or dying mid-stream, so the
// broker's later deliveries to it are never read and never get a PUBACK (libmosquitto PUBACKs a
// QoS 1 message before its handler runs, so the K printed ones were PUBACKed).
// --persistent gives the node the single box's session instead (clean start off, 7 days), to
// show what Mosquitto does with a dead member that keeps its session (tests only).
//
// usage: ingest_node_probe --port P --ca F --cert F --key F --node ID [--hold-after K]
//                          [--persistent]

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>

#include "vigil/gateway/mqtt_client.hpp"
#include "vigil/ingest/broker_session.hpp"

int main(int argc, char** argv) {
  std::map<std::string, std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--persistent") {
      args[a] = "1";
    } else if (i + 1 < argc) {
      args[a] = argv[++i];
    }
  }
  const auto session = vigil::ingest::brokerSession("vigild", args["--node"]);
  vigil::gateway::MqttOptions o;
  o.port = std::stoi(args["--port"]);
  o.caFile = args["--ca"];
  o.certFile = args["--cert"];
  o.keyFile = args["--key"];
  o.clientId = session.clientId;
  o.cleanStart = session.cleanStart;
  o.sessionExpirySeconds = session.sessionExpirySeconds;
  if (args.count("--persistent")) {
    const auto box = vigil::ingest::brokerSession("vigild", "");
    o.cleanStart = box.cleanStart;
    o.sessionExpirySeconds = box.sessionExpirySeconds;
  }
  o.reconnectMin = std::chrono::milliseconds(100);
  const long holdAfter = args.count("--hold-after") ? std::stol(args["--hold-after"]) : -1;
  long taken = 0;
  vigil::gateway::MqttClient client(
      o,
      [&](vigil::gateway::MqttMessage&& m) {
        std::printf("%s\n", m.payload.c_str());
        std::fflush(stdout);
        if (holdAfter >= 0 && ++taken >= holdAfter) {
          for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));  // killed by the test
        }
      },
      [](bool connected) {
        if (connected) {
          std::printf("connected\n");
          std::fflush(stdout);
        }
      });
  for (const auto& f : session.filters) client.addSubscription(f, 1);
  client.start();
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));  // until the test kills it
}
