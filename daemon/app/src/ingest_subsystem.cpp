#include "ingest_subsystem.hpp"

#include <filesystem>

#include "alerts_subsystem.hpp"
#include "security_subsystem.hpp"
#include "store_subsystem.hpp"
#include "update_command.hpp"
#include "vigil/core/log.hpp"
#include "vigil/ingest/broker_session.hpp"
#include "vigil/ingest/devices_decoder.hpp"

namespace vigil::app {
namespace {

std::string orDefault(const std::string& value, const std::filesystem::path& fallback) {
  return value.empty() ? fallback.string() : value;
}

}  // namespace

IngestSubsystem::IngestSubsystem(const Config& config, StoreSubsystem& store,
                                 SecuritySubsystem& security, AlertsSubsystem& alerting)
    : config_(config), store_(store), security_(security), alerting_(alerting) {}

bool IngestSubsystem::ready() const {
  return ingest_ && ingest_->ready() && (!withBroker_ || (client_ && client_->connected()));
}

void IngestSubsystem::initialize(Poco::Util::Application&) {
  ingest::IngestOptions io;
  io.queueCapacity = static_cast<std::size_t>(config_.integer("ingest.queue_capacity"));
  io.pauseAbove = static_cast<std::size_t>(config_.integer("ingest.pause_above"));
  io.resumeBelow = static_cast<std::size_t>(config_.integer("ingest.resume_below"));
  io.maxPayloadBytes = static_cast<std::size_t>(config_.integer("ingest.max_payload_bytes"));
  io.deviceRatePerSecond = static_cast<double>(config_.integer("ingest.device_rate"));
  io.deviceBurst = static_cast<double>(config_.integer("ingest.device_burst"));
  io.quarantineRowsPerDevice = config_.integer("ingest.quarantine_rows_per_device");
  io.quarantineBytesPerDevice = config_.integer("ingest.quarantine_bytes_per_device");
  io.quarantineRows = config_.integer("ingest.quarantine_rows");
  io.quarantineBytes = config_.integer("ingest.quarantine_bytes");
  io.quarantineRetention =
      std::chrono::hours(24 * config_.integer("ingest.quarantine_retention_days"));
  io.futureSlack = std::chrono::minutes(config_.integer("ingest.future_slack_minutes"));
  io.queueForAlertNode = clustered(config_);  // another node may judge them

  withBroker_ = config_.boolean("mqtt.enabled");
  if (!withBroker_) {
    ingest_ = std::make_unique<ingest::IngestService>(
        store_.database(), SystemClock::instance(), io, ingest::makeDevicesDecoder(),
        [](const std::string&, const std::string&) {},  // no broker: acks have nowhere to go
        [](bool) {},                                    // nothing to pause
        &security_.keys().cipher());
    ingest_->setStoredListener(
        [this](const std::vector<ingest::StoredReading>& r) { alerting_.onStored(r); });
    ingest_->start();
    log::info("ingest.started", {{"broker", "none"}});
    return;
  }

  std::filesystem::path pki = std::filesystem::path(config_.string("data.dir")) / "pki";
  // One box: client `vigild`, plain subscriptions, a persistent session. A cluster node
  // (cluster.node_id): client `vigild-<node>`, `$share/vigil/…` subscriptions, a session that
  // ends with its connection, so a dead node's turn goes to the others (broker_session.hpp).
  const auto session =
      ingest::brokerSession(config_.string("mqtt.client_id"), config_.string("cluster.node_id"));
  const auto& id = session.clientId;
  gateway::MqttOptions mo;
  mo.host = config_.string("mqtt.host");
  mo.port = static_cast<int>(config_.integer("mqtt.port"));
  mo.clientId = id;
  mo.caFile = orDefault(config_.string("mqtt.ca_file"), pki / "ca.pem");
  mo.certFile = orDefault(config_.string("mqtt.cert_file"), pki / "clients" / (id + ".pem"));
  mo.keyFile = orDefault(config_.string("mqtt.key_file"), pki / "clients" / (id + ".key"));
  mo.keepaliveSeconds = static_cast<int>(config_.integer("mqtt.keepalive_s"));
  mo.cleanStart = session.cleanStart;
  mo.sessionExpirySeconds = session.sessionExpirySeconds;

  // The client is created first (it validates the TLS files), the service second: the service's
  // callbacks use the client, the client's message handler uses the service.
  client_ = std::make_unique<gateway::MqttClient>(mo, [this](gateway::MqttMessage&& m) {
    if (ingest_)
      ingest_->submit({std::move(m.topic), std::move(m.payload), SystemClock::instance().now()});
  });
  // A device's acks still follow its commits on whichever node stored it: the ack topic is the
  // device's own (vigil/v1/devices/<uid>/ack), published by that node after the commit.
  for (const auto& filter : session.filters) client_->addSubscription(filter, 1);
  io.coalesceAcks = true;  // one ack message per device per commit (docs/device-protocol.md)
  ingest_ = std::make_unique<ingest::IngestService>(
      store_.database(), SystemClock::instance(), io, ingest::makeDevicesDecoder(),
      [this](const std::string& uid, const std::string& payload) {
        // QoS 0: the device resends until acked, so a lost ack costs a duplicate, never a
        // reading; QoS 1 would add two packets per ack and queue behind the broker's per-client
        // in-flight window (docs/device-protocol.md, Acknowledgements).
        client_->publish(ingest::ackTopic(uid), payload, 0);
      },
      [this](bool pause) {
        if (pause) {
          client_->pause();
        } else {
          client_->resume();
        }
      },
      &security_.keys().cipher());
  ingest_->setStoredListener(
      [this](const std::vector<ingest::StoredReading>& r) { alerting_.onStored(r); });
  ingest_->start();
  client_->start();
  firmware_ = std::make_unique<update::FirmwareCatalog>(firmwareDirOf(config_),
                                                        config_.string("update.firmware_keys_dir"));
  offers_ = std::make_unique<update::FirmwareOffers>(
      store_.database(), *firmware_,
      [this](const std::string& topic, const std::string& payload, bool retain) {
        return client_->connected() &&
               client_->publish(topic, payload, 1, retain) == gateway::MqttStatus::ok;
      });
  offerTask_ = std::make_unique<PeriodicTask>(
      "firmware_offers", std::chrono::seconds(config_.integer("update.firmware_offer_interval_s")),
      [this] { offers_->publishDue(); });
  log::info("ingest.started", {{"broker", mo.host + ":" + std::to_string(mo.port)},
                               {"client_id", id},
                               {"shared", !config_.string("cluster.node_id").empty()}});
}

void IngestSubsystem::uninitialize() {
  // Drain what is queued while still connected, so its acks go out; messages arriving meanwhile
  // are refused (not acked), and their devices resend them after the restart.
  offerTask_.reset();
  if (ingest_) ingest_->stop();
  if (client_) client_->stop();
  ingest_.reset();
  client_.reset();
}

}  // namespace vigil::app
