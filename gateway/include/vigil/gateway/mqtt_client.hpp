#pragma once
// A libmosquitto client for the box's own connection to the broker: MQTT v5 over TLS, a fixed
// client id with a persistent session (clean start off, session expiry set), QoS 1, reconnect
// with exponential back-off, and a pause switch for back-pressure.
//
// Design: the client runs its own network thread (mosquitto_loop in a loop) instead of
// mosquitto_loop_start, so that it decides when to reconnect: while paused it stays
// disconnected and the broker keeps queueing QoS 1 messages for the persistent session.
// libmosquitto sends PUBACK before the message callback runs, so a message handed to the
// callback is the application's responsibility; Vigil makes "confirmed" mean "on disk" with an
// application-level acknowledgement after the store commits (see docs/device-protocol.md).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

struct mosquitto;
struct mosquitto_message;
struct mqtt5__property;

namespace vigil::gateway {

/// How to reach and authenticate to the broker.
struct MqttOptions {
  std::string host = "127.0.0.1";
  int port = 8883;
  std::string clientId;
  std::string caFile;    // CA that signed the broker's certificate (TLS on when set)
  std::string certFile;  // our client certificate (optional)
  std::string keyFile;
  std::string username;  // optional (password listener)
  std::string password;
  int keepaliveSeconds = 30;
  bool cleanStart = false;
  std::uint32_t sessionExpirySeconds = 7 * 24 * 3600;
  int receiveMaximum = 100;  // QoS 1 messages in flight towards us
  std::chrono::milliseconds reconnectMin{250};
  std::chrono::milliseconds reconnectMax{10'000};
};

/// One message as delivered by the broker.
struct MqttMessage {
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retain = false;
};

/// Status of a non-throwing call on the hot path.
enum class MqttStatus { ok, not_connected, too_large, failed };

/// The box's MQTT connection.
class MqttClient {
 public:
  using MessageHandler = std::function<void(MqttMessage&&)>;
  using ConnectionHandler = std::function<void(bool connected)>;

  /// Throws vigil::MqttError when the options are unusable (bad TLS files …).
  MqttClient(MqttOptions options, MessageHandler onMessage, ConnectionHandler onConnection = {});
  ~MqttClient();
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

  /// Subscriptions are (re)made on every connect.
  void addSubscription(std::string topicFilter, int qos);
  /// Starts the network thread; it connects and keeps reconnecting until stop().
  void start();
  void stop();
  /// Disconnects and stays disconnected until resume() (back-pressure).
  void pause();
  void resume();

  bool connected() const { return connected_.load(); }
  bool everConnected() const { return everConnected_.load(); }
  std::uint64_t connectCount() const { return connects_.load(); }
  /// Waits until connected or the timeout passes.
  bool waitConnected(std::chrono::milliseconds timeout) const;

  /// Queues a publish (thread-safe). Never throws.
  MqttStatus publish(const std::string& topic, const std::string& payload, int qos,
                     bool retain = false);

 private:
  static void onConnect(mosquitto*, void* self, int rc, int flags, const mqtt5__property*);
  static void onDisconnect(mosquitto*, void* self, int rc, const mqtt5__property*);
  static void onMessage(mosquitto*, void* self, const mosquitto_message* msg,
                        const mqtt5__property*);
  void run();
  bool connectOnce();

  MqttOptions options_;
  MessageHandler onMessage_;
  ConnectionHandler onConnection_;
  mosquitto* mosq_ = nullptr;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<bool> paused_{false};
  std::atomic<bool> connected_{false};
  std::atomic<bool> everConnected_{false};
  std::atomic<std::uint64_t> connects_{0};
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  std::vector<std::pair<std::string, int>> subscriptions_;
};

}  // namespace vigil::gateway
