#pragma once
// A libmosquitto client for the box's own connection to the broker: MQTT v5 over TLS, a fixed
// client id with a persistent session (clean start off, session expiry set), QoS 1, reconnect
// with exponential back-off, and a pause switch for back-pressure.
//
// Design: the network side of a client runs on an MqttReactor: one thread with an epoll set that
// drives many clients through mosquitto_loop_read / loop_write / loop_misc. A client without a
// reactor of its own gets a private one (one thread, as the box's single connection needs); the
// fleet simulator shares a few reactors among a thousand device connections. mosquitto_loop()
// is not used because it select()s: a descriptor numbered 1024 or more overflows fd_set, which
// capped one simulator process at about 220 devices. The reactor also decides when to reconnect:
// while paused a client stays disconnected and the broker keeps queueing QoS 1 messages for the
// persistent session. The TCP connect itself is blocking (the TLS handshake is not); towards a
// host that drops packets it holds up the other clients of the same reactor until it fails.
// libmosquitto sends PUBACK before the message callback runs, so a message handed to the
// callback is the application's responsibility; Vigil makes "confirmed" mean "on disk" with an
// application-level acknowledgement after the store commits (see docs/device-protocol.md).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
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

class MqttClient;

/// One network thread driving many MqttClients (epoll; see the design note above). Callbacks of
/// its clients run on this thread, so they must not block for long.
class MqttReactor {
 public:
  MqttReactor();
  ~MqttReactor();  // every client must be stopped (or destroyed) before
  MqttReactor(const MqttReactor&) = delete;
  MqttReactor& operator=(const MqttReactor&) = delete;

  std::size_t clientCount() const;

 private:
  friend class MqttClient;
  void attach(MqttClient& client);
  /// Disconnects the client cleanly and forgets it; returns when the reactor let go of it.
  void detach(MqttClient& client);
  /// Asks the reactor to look at the client soon (a publish was queued, pause, resume).
  void poke(MqttClient& client);
  bool onReactorThread() const;
  void run();
  void wake();
  void service(MqttClient& c, std::chrono::steady_clock::time_point now);
  void handleIo(MqttClient& c, std::uint32_t events);
  /// After a libmosquitto call on c: true while the connection stands, else forgets the socket
  /// (lost()) and returns false.
  bool keep(MqttClient& c, int rc);
  void flush(MqttClient& c);
  void watch(MqttClient& c);
  void unwatch(MqttClient& c);
  void lost(MqttClient& c, int rc);
  void disconnectNow(MqttClient& c);

  int epoll_ = -1;
  int wakeFd_ = -1;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable detached_;
  bool quit_ = false;
  std::vector<MqttClient*> attaching_, detaching_, poked_;
  std::vector<MqttClient*> clients_;  // reactor thread only
  std::atomic<std::size_t> count_{0};
};

/// Status of a non-throwing call on the hot path.
enum class MqttStatus { ok, not_connected, too_large, failed };

/// The box's MQTT connection.
class MqttClient {
 public:
  using MessageHandler = std::function<void(MqttMessage&&)>;
  using ConnectionHandler = std::function<void(bool connected)>;
  /// The broker acknowledged the QoS 1 publish with this message id (PUBACK); runs on the
  /// reactor thread, possibly before publish() has returned the id to its caller.
  using PublishedHandler = std::function<void(int mid)>;

  /// Throws vigil::MqttError when the options are unusable (bad TLS files …). Without a reactor
  /// the client runs on a private one.
  MqttClient(MqttOptions options, MessageHandler onMessage, ConnectionHandler onConnection = {},
             std::shared_ptr<MqttReactor> reactor = nullptr);
  ~MqttClient();
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

  /// Subscriptions are (re)made on every connect.
  void addSubscription(std::string topicFilter, int qos);
  /// Hands the client to its reactor; it connects and keeps reconnecting until stop().
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

  /// Queues a publish (thread-safe). Never throws. `mid` (when given) receives the message id
  /// the PublishedHandler will be called with.
  MqttStatus publish(const std::string& topic, const std::string& payload, int qos,
                     bool retain = false, int* mid = nullptr);
  /// Set before start(): called for each publish the broker acknowledged.
  void onPublished(PublishedHandler handler) { onPublished_ = std::move(handler); }

 private:
  friend class MqttReactor;
  static void onConnect(mosquitto*, void* self, int rc, int flags, const mqtt5__property*);
  static void onDisconnect(mosquitto*, void* self, int rc, const mqtt5__property*);
  static void onMessage(mosquitto*, void* self, const mosquitto_message* msg,
                        const mqtt5__property*);
  static void onPublish(mosquitto*, void* self, int mid, int reasonCode, const mqtt5__property*);
  bool connectOnce();
  void setConnected(bool connected);

  MqttOptions options_;
  MessageHandler onMessage_;
  ConnectionHandler onConnection_;
  PublishedHandler onPublished_;
  std::shared_ptr<MqttReactor> reactor_;
  mosquitto* mosq_ = nullptr;
  std::atomic<bool> running_{false};
  std::atomic<bool> paused_{false};
  std::atomic<bool> connected_{false};
  std::atomic<bool> everConnected_{false};
  std::atomic<bool> poked_{false};
  std::atomic<std::uint64_t> connects_{0};
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  std::vector<std::pair<std::string, int>> subscriptions_;
  // Owned by the reactor thread.
  int fd_ = -1;  // the socket in the epoll set, -1 when none
  std::uint32_t interest_ = 0;
  std::chrono::steady_clock::time_point nextConnectAt_{};
  std::chrono::steady_clock::time_point lastMisc_{};
  std::chrono::milliseconds delay_{0};
  bool detached_ = false;  // under reactor mutex
};

}  // namespace vigil::gateway
