#include "vigil/gateway/mqtt_client.hpp"

#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstring>

#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/core/thread_name.hpp"

namespace vigil::gateway {
namespace {

std::once_flag g_libInit;

std::string mosqError(int rc) {
  return mosquitto_strerror(rc);
}

std::string mqttErrorText(int rc) {
  return rc == MOSQ_ERR_SUCCESS ? "closed" : mosqError(rc);
}

Counter& connectFailures() {
  return Metrics::global().counter("vigil_mqtt_connect_failures_total",
                                   "Failed attempts to connect to the broker");
}

}  // namespace

MqttClient::MqttClient(MqttOptions options, MessageHandler onMessage,
                       ConnectionHandler onConnection, std::shared_ptr<MqttReactor> reactor)
    : options_(std::move(options)),
      onMessage_(std::move(onMessage)),
      onConnection_(std::move(onConnection)),
      reactor_(std::move(reactor)) {
  std::call_once(g_libInit, [] { mosquitto_lib_init(); });
  mosq_ = mosquitto_new(options_.clientId.empty() ? nullptr : options_.clientId.c_str(),
                        options_.cleanStart, this);
  if (!mosq_) throw MqttError("mosquitto_new failed (client id required for a persistent session)");
  // Publishes come from other threads: libmosquitto then only queues them and the reactor writes.
  mosquitto_threaded_set(mosq_, true);
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  mosquitto_int_option(mosq_, MOSQ_OPT_RECEIVE_MAXIMUM, options_.receiveMaximum);
  mosquitto_int_option(mosq_, MOSQ_OPT_TCP_NODELAY, 1);
  auto fail = [this](const std::string& what) {
    mosquitto_destroy(mosq_);
    mosq_ = nullptr;
    throw MqttError(what);
  };
  if (!options_.caFile.empty()) {
    int rc =
        mosquitto_tls_set(mosq_, options_.caFile.c_str(), nullptr,
                          options_.certFile.empty() ? nullptr : options_.certFile.c_str(),
                          options_.keyFile.empty() ? nullptr : options_.keyFile.c_str(), nullptr);
    if (rc != MOSQ_ERR_SUCCESS) fail("mqtt TLS setup failed: " + mosqError(rc));
    rc = mosquitto_tls_opts_set(mosq_, 1, "tlsv1.2", nullptr);
    if (rc != MOSQ_ERR_SUCCESS) fail("mqtt TLS options failed: " + mosqError(rc));
  }
  if (!options_.username.empty()) {
    int rc =
        mosquitto_username_pw_set(mosq_, options_.username.c_str(),
                                  options_.password.empty() ? nullptr : options_.password.c_str());
    if (rc != MOSQ_ERR_SUCCESS) fail("mqtt credentials rejected: " + mosqError(rc));
  }
  mosquitto_connect_v5_callback_set(mosq_, &MqttClient::onConnect);
  mosquitto_disconnect_v5_callback_set(mosq_, &MqttClient::onDisconnect);
  mosquitto_message_v5_callback_set(mosq_, &MqttClient::onMessage);
  mosquitto_publish_v5_callback_set(mosq_, &MqttClient::onPublish);
  if (!reactor_) reactor_ = std::make_shared<MqttReactor>();
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
  reactor_->attach(*this);
}

void MqttClient::stop() {
  if (!running_.exchange(false)) return;
  reactor_->detach(*this);
  cv_.notify_all();
}

void MqttClient::pause() {
  if (!paused_.exchange(true)) {
    log::warn("mqtt.paused");
    if (running_.load()) reactor_->poke(*this);
  }
}

void MqttClient::resume() {
  if (paused_.exchange(false)) {
    log::info("mqtt.resumed");
    if (running_.load()) reactor_->poke(*this);
  }
}

bool MqttClient::waitConnected(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [this] { return connected_.load(); });
}

MqttStatus MqttClient::publish(const std::string& topic, const std::string& payload, int qos,
                               bool retain, int* mid) {
  if (payload.size() > 256 * 1024 * 1024) return MqttStatus::too_large;
  int rc = mosquitto_publish_v5(mosq_, mid, topic.c_str(), static_cast<int>(payload.size()),
                                payload.data(), qos, retain, nullptr);
  switch (rc) {
    case MOSQ_ERR_SUCCESS:
      if (!poked_.exchange(true)) reactor_->poke(*this);
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

void MqttClient::setConnected(bool connected) {
  {
    std::lock_guard lock(mutex_);
    if (connected_.exchange(connected) == connected) return;
  }
  cv_.notify_all();
  if (onConnection_) onConnection_(connected);
}

// --- MqttReactor ---------------------------------------------------------------------------

MqttReactor::MqttReactor() {
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  wakeFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_ < 0 || wakeFd_ < 0) {
    if (epoll_ >= 0) ::close(epoll_);
    if (wakeFd_ >= 0) ::close(wakeFd_);
    throw MqttError(std::string("mqtt reactor: ") + std::strerror(errno));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // the wake-up descriptor
  epoll_ctl(epoll_, EPOLL_CTL_ADD, wakeFd_, &ev);
  thread_ = std::thread([this] {
    nameThisThread("vigil-mqtt");
    run();
  });
}

MqttReactor::~MqttReactor() {
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
  }
  wake();
  if (thread_.joinable()) thread_.join();
  ::close(wakeFd_);
  ::close(epoll_);
}

std::size_t MqttReactor::clientCount() const {
  return count_.load();
}

bool MqttReactor::onReactorThread() const {
  return std::this_thread::get_id() == thread_.get_id();
}

void MqttReactor::wake() {
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wakeFd_, &one, sizeof one);
}

void MqttReactor::attach(MqttClient& client) {
  {
    std::lock_guard lock(mutex_);
    client.detached_ = false;
    attaching_.push_back(&client);
  }
  wake();
}

void MqttReactor::detach(MqttClient& client) {
  assert(!onReactorThread() && "an MqttClient cannot be stopped from its own callback");
  std::unique_lock lock(mutex_);
  detaching_.push_back(&client);
  wake();
  detached_.wait(lock, [&] { return client.detached_; });
}

void MqttReactor::poke(MqttClient& client) {
  {
    std::lock_guard lock(mutex_);
    poked_.push_back(&client);
  }
  wake();
}

void MqttReactor::watch(MqttClient& c) {
  int fd = mosquitto_socket(c.mosq_);
  if (fd < 0) return;
  epoll_event ev{};
  ev.events = EPOLLIN | (mosquitto_want_write(c.mosq_) ? EPOLLOUT : 0u);
  ev.data.ptr = &c;
  if (fd == c.fd_) {
    if (ev.events == c.interest_) return;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, fd, &ev);
  } else {
    unwatch(c);
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) != 0) return;
    c.fd_ = fd;
  }
  c.interest_ = ev.events;
}

void MqttReactor::unwatch(MqttClient& c) {
  // The descriptor may already be closed by libmosquitto (then the kernel dropped it from the
  // set and this fails harmlessly: nothing else on this thread can have reused the number yet).
  if (c.fd_ >= 0) epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd_, nullptr);
  c.fd_ = -1;
  c.interest_ = 0;
}

void MqttReactor::lost(MqttClient& c, int rc) {
  unwatch(c);
  if (c.connected_.load()) log::warn("mqtt.connection_lost", {{"reason", mqttErrorText(rc)}});
  c.setConnected(false);
  c.nextConnectAt_ = std::chrono::steady_clock::now() + c.delay_;
  c.delay_ = std::min(c.delay_ * 2, c.options_.reconnectMax);
}

void MqttReactor::disconnectNow(MqttClient& c) {
  if (c.fd_ >= 0 && mosquitto_socket(c.mosq_) >= 0) {
    mosquitto_disconnect_v5(c.mosq_, MQTT_RC_NORMAL_DISCONNECTION, nullptr);
    mosquitto_loop_write(c.mosq_, 1);  // sends DISCONNECT; libmosquitto then closes the socket
  }
  unwatch(c);
  c.setConnected(false);
}

bool MqttReactor::keep(MqttClient& c, int rc) {
  if (rc == MOSQ_ERR_SUCCESS && mosquitto_socket(c.mosq_) >= 0) return true;
  lost(c, rc);
  return false;
}

void MqttReactor::flush(MqttClient& c) {
  if (c.fd_ < 0) return;
  int rc = mosquitto_want_write(c.mosq_) ? mosquitto_loop_write(c.mosq_, 1) : MOSQ_ERR_SUCCESS;
  if (keep(c, rc)) watch(c);
}

void MqttReactor::handleIo(MqttClient& c, std::uint32_t events) {
  if (c.fd_ < 0) return;
  // Before the CONNACK, reading also advances the TLS handshake (libmosquitto's want_connect),
  // whichever direction the socket became ready in.
  if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0 || !c.connected_.load())
    if (!keep(c, mosquitto_loop_read(c.mosq_, 1))) return;
  flush(c);
}

void MqttReactor::service(MqttClient& c, std::chrono::steady_clock::time_point now) {
  if (c.paused_.load()) {
    if (c.fd_ >= 0) disconnectNow(c);
    return;
  }
  if (c.fd_ < 0) {
    if (now < c.nextConnectAt_) return;
    if (c.connectOnce()) {
      watch(c);
      c.lastMisc_ = now;
    } else {
      c.nextConnectAt_ = now + c.delay_;
      c.delay_ = std::min(c.delay_ * 2, c.options_.reconnectMax);
    }
    return;
  }
  if (now - c.lastMisc_ >= std::chrono::seconds(1)) {
    c.lastMisc_ = now;
    if (keep(c, mosquitto_loop_misc(c.mosq_))) flush(c);  // keepalive PINGREQ, ping timeout
  }
}

void MqttReactor::run() {
  using namespace std::chrono;
  std::vector<epoll_event> events(256);
  auto lastScan = steady_clock::now();
  for (;;) {
    int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 100);
    for (int i = 0; i < n; ++i) {
      auto* c = static_cast<MqttClient*>(events[static_cast<std::size_t>(i)].data.ptr);
      if (c == nullptr) {
        std::uint64_t drained = 0;
        [[maybe_unused]] auto r = ::read(wakeFd_, &drained, sizeof drained);
        continue;
      }
      handleIo(*c, events[static_cast<std::size_t>(i)].events);
    }
    std::vector<MqttClient*> attaching, detaching, poked;
    bool quit = false;
    {
      std::lock_guard lock(mutex_);
      attaching.swap(attaching_);
      detaching.swap(detaching_);
      poked.swap(poked_);
      quit = quit_;
    }
    auto now = steady_clock::now();
    for (auto* c : attaching) {
      // A publish between an earlier stop() and this start() may have left the flag set with
      // its poke dropped (the client was not attached): clear it so publishes poke again.
      c->poked_.store(false);
      c->delay_ = c->options_.reconnectMin;
      c->nextConnectAt_ = now;
      clients_.push_back(c);
      count_.store(clients_.size());
      service(*c, now);
    }
    for (auto* c : poked) {
      if (std::find(clients_.begin(), clients_.end(), c) == clients_.end()) continue;
      c->poked_.store(false);
      service(*c, now);
      flush(*c);
    }
    for (auto* c : detaching) {
      disconnectNow(*c);
      clients_.erase(std::remove(clients_.begin(), clients_.end(), c), clients_.end());
      count_.store(clients_.size());
      std::lock_guard lock(mutex_);
      c->detached_ = true;
    }
    if (!detaching.empty()) detached_.notify_all();
    if (now - lastScan >= milliseconds(100)) {
      lastScan = now;
      for (auto* c : clients_) service(*c, now);
    }
    if (quit) break;
  }
  assert(clients_.empty() && "MqttReactor destroyed with clients attached");
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
  c->delay_ = c->options_.reconnectMin;  // on the reactor thread, like every callback
  log::info("mqtt.connected", {{"session_present", (flags & 1) != 0}});
  c->setConnected(true);
}

void MqttClient::onDisconnect(mosquitto*, void* self, int rc, const mqtt5__property*) {
  auto* c = static_cast<MqttClient*>(self);
  if (c->connected_.load()) log::info("mqtt.disconnected", {{"rc", rc}});
  c->setConnected(false);
}

void MqttClient::onPublish(mosquitto*, void* self, int mid, int reasonCode,
                           const mqtt5__property*) {
  auto* c = static_cast<MqttClient*>(self);
  // A reason code of 0x80 or more is the broker refusing the message: not acknowledged.
  if (reasonCode < 0x80 && c->onPublished_) c->onPublished_(mid);
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
