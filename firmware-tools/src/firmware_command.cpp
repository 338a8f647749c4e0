// vigil-devtool firmware fetch (issue 27): the device side of the firmware offer
// (docs/device-protocol.md, "Firmware"), as a device implements it:
//
//   vigil-devtool firmware fetch --bundle DIR --trusted PUB [--trusted PUB …] [--out FILE]
//                                [--kind KIND] [--timeout SECONDS]
//
// Connects with the device bundle's credentials, reads the retained offer on its config topic and
// the chunks it names, checks size, SHA-256 and the signature (purpose firmware) with the
// device's own trusted key(s), then "installs" the image (writes it to --out) and reports the
// installed version in the `firmware` member of its next readings message (one simulated
// measurement of --kind, default blood_pressure), waiting for the box's ack. Exit 0 when
// installed and acknowledged; 1 when nothing was offered in time, a refusal (reason printed) or
// no ack; 2 for usage.

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <vector>

#include "commands.hpp"
#include "vigil/core/files.hpp"
#include "vigil/crypto/signed_artefact.hpp"
#include "vigil/fleet/device_payload.hpp"
#include "vigil/fleet/device_publisher.hpp"
#include "vigil/fleet/persona.hpp"
#include "vigil/fleet/simulation.hpp"
#include "vigil/gateway/mqtt_client.hpp"

namespace vigil::devtool {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const char* kUsage =
    "usage: vigil-devtool firmware fetch --bundle DIR --trusted PUB [--trusted PUB ...]\n"
    "                                    [--out FILE] [--kind KIND] [--timeout SECONDS]\n";

/// What arrives on the device's topics, kept by topic (the retained offer and chunks, acks).
class Inbox {
 public:
  void put(gateway::MqttMessage&& m) {
    std::lock_guard lock(mutex_);
    messages_[m.topic] = std::move(m.payload);
    cv_.notify_all();
  }
  /// Waits until `ready` holds for the messages, or `deadline`.
  template <class F>
  bool waitFor(Clock::time_point deadline, F ready) {
    std::unique_lock lock(mutex_);
    return cv_.wait_until(lock, deadline, [&] { return ready(messages_); });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::string, std::string> messages_;
};

struct Offer {
  std::string model, version, sha256, keyId, signature, chunkTopic;
  std::uint64_t size = 0, chunks = 0;
};

std::optional<Offer> parseOffer(const std::string& payload) {
  try {
    auto root = Poco::JSON::Parser().parse(payload).extract<Poco::JSON::Object::Ptr>();
    auto f = root->getObject("firmware");
    if (!f) return std::nullopt;
    Offer o;
    o.model = f->getValue<std::string>("model");
    o.version = f->getValue<std::string>("version");
    o.sha256 = f->getValue<std::string>("sha256");
    o.keyId = f->getValue<std::string>("key_id");
    o.signature = f->getValue<std::string>("signature");
    o.chunkTopic = f->getValue<std::string>("chunk_topic");
    o.size = f->getValue<std::uint64_t>("size");
    o.chunks = f->getValue<std::uint64_t>("chunks");
    return o;
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

struct Options {
  std::string bundle, out, kind = "blood_pressure";
  std::vector<std::string> trusted;
  int timeoutSeconds = 60;
};

std::optional<Options> parse(std::span<const std::string> args) {
  if (args.empty() || args[0] != "fetch") return std::nullopt;
  Options o;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (i + 1 >= args.size()) return std::nullopt;
    const auto& a = args[i];
    const auto& v = args[++i];
    if (a == "--bundle")
      o.bundle = v;
    else if (a == "--trusted")
      o.trusted.push_back(v);
    else if (a == "--out")
      o.out = v;
    else if (a == "--kind")
      o.kind = v;
    else if (a == "--timeout")
      o.timeoutSeconds = std::stoi(v);
    else
      return std::nullopt;
  }
  if (o.bundle.empty() || o.trusted.empty() || o.timeoutSeconds <= 0) return std::nullopt;
  return o;
}

/// Reports the installed version with one measurement; true when the box acknowledged it.
bool report(gateway::MqttClient& client, Inbox& inbox, const std::string& uid,
            fleet::VitalDevice kind, const std::string& version, Clock::time_point deadline) {
  using namespace std::chrono;
  const auto now = time_point_cast<milliseconds>(system_clock::now());
  const auto seq = static_cast<std::uint64_t>(now.time_since_epoch().count());
  fleet::Persona persona(fleet::PersonaKind::normal, seq, now);
  auto payload =
      fleet::readingsPayload(seq, persona.measure(kind, now), now, now, std::nullopt, version);
  const auto ackTopic = "vigil/v1/devices/" + uid + "/ack";
  for (;;) {
    client.publish("vigil/v1/devices/" + uid + "/readings", payload, 1);
    bool acked = inbox.waitFor(std::min(deadline, Clock::now() + seconds(3)), [&](auto& m) {
      auto it = m.find(ackTopic);
      if (it == m.end()) return false;
      for (const auto& a : fleet::DevicePublisher::parseAcks(it->second))
        if (a.seq == seq) return a.status == "stored";
      return false;
    });
    if (acked) return true;
    if (Clock::now() >= deadline) return false;
  }
}

int fetch(const Options& o) {
  auto device = fleet::deviceFromBundle(o.bundle);
  auto kind = fleet::vitalDeviceFromName(o.kind);
  if (!kind) {
    std::fprintf(stderr, "vigil-devtool firmware: --kind: unknown device kind '%s'\n",
                 o.kind.c_str());
    return kExitInvalid;
  }
  std::vector<crypto::TrustedKey> trusted;
  for (const auto& t : o.trusted) trusted.push_back(crypto::parsePublicKey(files::readFile(t)));
  const auto deadline = Clock::now() + std::chrono::seconds(o.timeoutSeconds);
  const auto config = "vigil/v1/devices/" + device.uid + "/config";

  Inbox inbox;
  auto mqtt = device.mqtt;
  if (mqtt.clientId.empty()) mqtt.clientId = device.uid;
  gateway::MqttClient client(mqtt, [&](gateway::MqttMessage&& m) { inbox.put(std::move(m)); });
  client.addSubscription(config + "/#", 1);  // the offer and its chunks
  client.addSubscription("vigil/v1/devices/" + device.uid + "/ack", 1);
  client.start();

  std::optional<Offer> offer;
  bool complete = inbox.waitFor(deadline, [&](auto& m) {
    auto it = m.find(config);
    if (it == m.end() || !(offer = parseOffer(it->second))) return false;
    for (std::uint64_t i = 0; i < offer->chunks; ++i)
      if (!m.count(offer->chunkTopic + std::to_string(i))) return false;
    return true;
  });
  if (!complete) {
    client.stop();
    std::fprintf(stderr, "vigil-devtool firmware: %s\n",
                 offer ? "the offer's chunks did not all arrive in time"
                       : "no firmware offered to this device in time");
    return kExitFailure;
  }
  std::string image;
  inbox.waitFor(deadline, [&](auto& m) {
    for (std::uint64_t i = 0; i < offer->chunks; ++i)
      image += m.at(offer->chunkTopic + std::to_string(i));
    return true;
  });
  // The device's own check: its trusted key signed exactly these bytes as firmware.
  try {
    crypto::Sha256Stream sha;
    sha.update(crypto::asBytes(image));
    const auto size = sha.size();
    auto signature = crypto::parseSignature(offer->signature);
    const auto& key = crypto::verifyArtefact(signature, "firmware", size, sha.finish(), trusted);
    std::printf("verified: %s %s (%llu bytes) signed by key %s\n", offer->model.c_str(),
                offer->version.c_str(), static_cast<unsigned long long>(size), key.id.c_str());
  } catch (const crypto::SignatureError& e) {
    client.stop();
    std::fprintf(stderr, "vigil-devtool firmware: refused (%s): %s; nothing installed\n",
                 std::string(crypto::toString(e.reason)).c_str(), e.what());
    return kExitFailure;
  }
  if (!o.out.empty()) {
    std::ofstream out(o.out, std::ios::binary | std::ios::trunc);
    out << image;
    if (!out) throw std::runtime_error(o.out + ": cannot be written");
  }
  std::printf("installed: %s %s\n", offer->model.c_str(), offer->version.c_str());
  bool acked = report(client, inbox, device.uid, *kind, offer->version, deadline);
  client.stop();
  if (!acked) {
    std::fprintf(stderr, "vigil-devtool firmware: the box did not acknowledge the report\n");
    return kExitFailure;
  }
  std::printf("reported: firmware %s\n", offer->version.c_str());
  return kExitOk;
}

}  // namespace

int runFirmware(std::span<const std::string> args) {
  std::optional<Options> o;
  try {
    o = parse(args);
  } catch (const std::exception&) {
  }
  if (!o) {
    std::fprintf(stderr, "%s", kUsage);
    return kExitInvalid;
  }
  return fetch(*o);
}

}  // namespace vigil::devtool
