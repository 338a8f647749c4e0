#include "vigil/gateway/mqtt_client.hpp"

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include <algorithm>

#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/metrics.hpp"

namespace vigil::gateway {
namespace {

std::once_flag g_libInit;

std::string mosqError(int rc) {
  return mosquitto_strerror(rc);
}

Counter& connectFailures() {
  return Metrics::global().counter("vigil_mqtt_connect_failures_total",
                                   "Failed attempts to connect to the broker");
}

}  // namespace

MqttClient::MqttClient(MqttOptions options, MessageHandler onMessage,
                       ConnectionHandler onConnection)
    : options_(std::move(options)),
      onMessage_(std::move(onMessage)),
      onConnection_(std::move(onConnection)) {
  std::call_once(g_libInit, [] { mosquitto_lib_init(); });
  mosq_ = mosquitto_new(options_.clientId.empty() ? nullptr : options_.clientId.c_str(),
                        options_.cleanStart, this);
  if (!mosq_) throw MqttError("mosquitto_new failed (client id required for a persistent session)");
  mosquitto_threaded_set(mosq_, true);
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  mosquitto_int_option(mosq_, MOSQ_OPT_RECEIVE_MAXIMUM, options_.receiveMaximum);
  mosquitto_int_option(mosq_, MOSQ_OPT_TCP_NODELAY, 1);
  if (!options_.caFile.empty()) {
    int rc =
        mosquitto_tls_set(mosq_, options_.caFile.c_str(), nullptr,
                          options_.certFile.empty() ? nullptr : options_.certFile.c_str(),
                          options_.keyFile.empty() ? nullptr : options_.keyFile.c_str(), nullptr);
    if (rc != MOSQ_ERR_SUCCESS) throw MqttError("mqtt TLS setup failed: " + mosqError(rc));
    rc = mosquitto_tls_opts_set(mosq_, 1, "tlsv1.2", nullptr);
    if (rc != MOSQ_ERR_SUCCESS) throw MqttError("mqtt TLS options failed: " + mosqError(rc));
  }
  if (!options_.username.empty()) {
    int rc =
        mosquitto_username_pw_set(mosq_, options_.username.c_str(),
                                  options_.password.empty() ? nullptr : options_.password.c_str());
    if (rc != MOSQ_ERR_SUCCESS) throw MqttError("mqtt credentials rejected: " + mosqError(rc));
  }
  mosquitto_connect_v5_callback_set(mosq_, &MqttClient::onConnect);
  mosquitto_disconnect_v5_callback_set(mosq_, &MqttClient::onDisconnect);
  mosquitto_message_v5_callback_set(mosq_, &MqttClient::onMessage);
}

MqttClient::~MqttClient() {
  stop();
  if (mosq_) mosquitto_destroy(mosq_);
}

void MqttClient::addSubscription(std::string topicFilter, int qos) {
  std::lock_guard lock(mutex_);
  subscriptions_.emplace_back(std::move(topicFilter), qos);
}

void MqttClient::start() {
  if (running_.exchange(true)) return;
  thread_ = std::thread([this] { run(); });
}

void MqttClient::stop() {
  if (!running_.exchange(false)) return;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MqttClient::pause() {
  if (!paused_.exchange(true)) log::warn("mqtt.paused");
}

void MqttClient::resume() {
  if (paused_.exchange(false)) {
    log::info("mqtt.resumed");
    cv_.notify_all();
  }
}

bool MqttClient::waitConnected(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [this] { return connected_.load(); });
}

MqttStatus MqttClient::publish(const std::string& topic, const std::string& payload, int qos,
                               bool retain) {
  if (payload.size() > 256 * 1024 * 1024) return MqttStatus::too_large;
  int rc = mosquitto_publish_v5(mosq_, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                                payload.data(), qos, retain, nullptr);
  switch (rc) {
    case MOSQ_ERR_SUCCESS:
      return MqttStatus::ok;
    case MOSQ_ERR_NO_CONN:
      return MqttStatus::not_connected;
    case MOSQ_ERR_PAYLOAD_SIZE:
    case MOSQ_ERR_OVERSIZE_PACKET:
      return MqttStatus::too_large;
    default:
      return MqttStatus::failed;
  }
}

bool MqttClient::connectOnce() {
  mosquitto_property* props = nullptr;
  mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL,
                               options_.sessionExpirySeconds);
  int rc = mosquitto_connect_bind_v5(mosq_, options_.host.c_str(), options_.port,
                                     options_.keepaliveSeconds, nullptr, props);
  mosquitto_property_free_all(&props);
  if (rc != MOSQ_ERR_SUCCESS) {
    connectFailures().inc();
    log::warn("mqtt.connect_failed", {{"reason", mosqError(rc)}});
    return false;
  }
  return true;
}

void MqttClient::run() {
  auto delay = options_.reconnectMin;
  bool socketOpen = false;
  while (running_.load()) {
    if (paused_.load()) {
      if (socketOpen) {
        mosquitto_disconnect_v5(mosq_, MQTT_RC_NORMAL_DISCONNECTION, nullptr);
        mosquitto_loop(mosq_, 100, 1);
        socketOpen = false;
        connected_.store(false);
        if (onConnection_) onConnection_(false);
      }
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, std::chrono::milliseconds(200),
                   [this] { return !running_.load() || !paused_.load(); });
      continue;
    }
    if (!socketOpen) {
      socketOpen = connectOnce();
      if (!socketOpen) {
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, delay, [this] { return !running_.load(); });
        delay = std::min(delay * 2, options_.reconnectMax);
        continue;
      }
    }
    int rc = mosquitto_loop(mosq_, 100, 1);
    if (rc != MOSQ_ERR_SUCCESS) {
      socketOpen = false;
      if (connected_.exchange(false)) {
        log::warn("mqtt.connection_lost", {{"reason", mosqError(rc)}});
        if (onConnection_) onConnection_(false);
      }
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, delay, [this] { return !running_.load(); });
      delay = std::min(delay * 2, options_.reconnectMax);
    } else if (connected_.load()) {
      delay = options_.reconnectMin;
    }
  }
  if (socketOpen) {
    mosquitto_disconnect_v5(mosq_, MQTT_RC_NORMAL_DISCONNECTION, nullptr);
    mosquitto_loop(mosq_, 100, 1);
  }
  if (connected_.exchange(false) && onConnection_) onConnection_(false);
}

void MqttClient::onConnect(mosquitto* m, void* self, int rc, int flags, const mqtt5__property*) {
  auto* c = static_cast<MqttClient*>(self);
  if (rc != 0) {
    connectFailures().inc();
    log::warn("mqtt.connack_refused", {{"reason", mosquitto_reason_string(rc)}});
    return;
  }
  std::vector<std::pair<std::string, int>> subs;
  {
    std::lock_guard lock(c->mutex_);
    subs = c->subscriptions_;
  }
  for (const auto& [filter, qos] : subs)
    mosquitto_subscribe_v5(m, nullptr, filter.c_str(), qos, 0, nullptr);
  c->connects_.fetch_add(1);
  c->everConnected_.store(true);
  {
    std::lock_guard lock(c->mutex_);
    c->connected_.store(true);
  }
  c->cv_.notify_all();
  log::info("mqtt.connected", {{"session_present", (flags & 1) != 0}});
  if (c->onConnection_) c->onConnection_(true);
}

void MqttClient::onDisconnect(mosquitto*, void* self, int rc, const mqtt5__property*) {
  auto* c = static_cast<MqttClient*>(self);
  if (c->connected_.exchange(false)) {
    log::info("mqtt.disconnected", {{"rc", rc}});
    if (c->onConnection_) c->onConnection_(false);
  }
}

void MqttClient::onMessage(mosquitto*, void* self, const mosquitto_message* msg,
                           const mqtt5__property*) {
  auto* c = static_cast<MqttClient*>(self);
  MqttMessage m;
  m.topic = msg->topic ? msg->topic : "";
  if (msg->payloadlen > 0)
    m.payload.assign(static_cast<const char*>(msg->payload),
                     static_cast<std::size_t>(msg->payloadlen));
  m.qos = msg->qos;
  m.retain = msg->retain;
  if (c->onMessage_) c->onMessage_(std::move(m));
}

}  // namespace vigil::gateway
