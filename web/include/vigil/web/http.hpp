#pragma once
// The HTTP layer every endpoint goes through. A Route declares its method, path pattern and who
// may call it; the Router refuses to register a route without a declared access policy, so an
// endpoint can never be public by accident. Handlers get a buffered Request and return a
// Response: bodies are small (JSON, pages, assets) and the size limit is enforced before the
// handler runs.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/security/access.hpp"

namespace vigil::web {

/// A request as handlers see it: method, path, decoded query, headers (lower-case names), body.
struct Request {
  std::string method;
  std::string path;
  std::map<std::string, std::string> query;
  std::string rawQuery;  // as sent (a FHIR search repeats parameters: date=ge…&date=lt…)
  std::map<std::string, std::string> headers;
  std::map<std::string, std::string> params;  // from `{name}` segments of the route pattern
  std::string body;
  std::string remoteAddress;  // PHI for patients: never logged
  /// Who is calling; set by the gate before an authenticated route's handler runs.
  std::optional<security::Actor> actor;
  /// The session token from the cookie (set by the gate); never logged.
  std::string sessionToken;
  /// Set by the gate when the request's audit entry is still being committed: the server runs
  /// the handler meanwhile, then calls this (it waits for the commit and throws if it failed)
  /// before anything is sent, so no answer leaves before its audit entry is durable.
  std::function<void()> beforeResponse;

  std::string header(const std::string& lowerName) const;
  /// The value of one cookie from the Cookie header ("" if absent).
  std::string cookie(const std::string& name) const;
};

/// A buffered response.
struct Response {
  int status = 200;
  std::string contentType = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static Response text(int status, std::string body);
  static Response json(int status, std::string body);
  /// `{"error": code, "message": message}`; messages never contain PHI.
  static Response error(int status, const std::string& code, const std::string& message);
  /// 503 `storage_unavailable` with Retry-After: the store refused a write (a full disk, the
  /// store closing); nothing the request asked for was done, and it may be tried again.
  static Response storeUnavailable();
};

/// Who may call a route. `authenticated` routes name the permission the security core checks.
enum class Access { public_endpoint, authenticated };

using Handler = std::function<Response(Request&)>;

/// One accepted WebSocket connection, as an upgrade route sees it (text frames only).
class WebSocketChannel {
 public:
  virtual ~WebSocketChannel() = default;
  /// Sends one text frame; false once the peer is gone.
  virtual bool sendText(const std::string& text) = 0;
  /// Waits up to `timeout` for a frame from the peer: its text, "" on timeout (pings are
  /// answered here), or nullopt once the peer closed or the connection failed.
  virtual std::optional<std::string> receive(std::chrono::milliseconds timeout) = 0;
  /// Sends a close frame with a code (1000 normal, 4000+ application) and a short reason.
  virtual void close(std::uint16_t code, const std::string& reason) = 0;
};

/// Runs for the lifetime of an upgraded WebSocket connection (on one server thread).
using UpgradeHandler = std::function<void(Request&, WebSocketChannel&)>;

/// Where a route finds the patient it is about, for the access check and the role matrix test.
inline constexpr const char* kPatientSelf = "@self";  // the caller's own patient record

struct Route {
  std::string method;
  std::string pattern;  // "/api/v1/alerts/{id}"
  Access access;
  std::string permission;  // required when access == authenticated
  Handler handler;
  std::string metricName;  // the pattern, filled by the router: labels never hold ids
  /// The `{param}` holding the patient id the route touches, kPatientSelf, or "" when the route
  /// touches no single patient or finds it itself (then the handler authorises).
  std::string patientParam;
  /// Set for WebSocket routes (method GET): called after the gate, owns the connection.
  UpgradeHandler upgrade;
  /// Which pool of connection slots a WebSocket route draws on: visit media has its own, so
  /// live-update sockets cannot keep a video visit from connecting.
  enum class Pool { live, media } pool = Pool::live;
  /// The handler's service writes the audit entry of an allowed call itself, in the same
  /// transaction as the change it makes (sync::Outbox::retry and cancel): the gate then checks
  /// the role and step-up and audits only a denial, so each action is on record once.
  bool auditedByHandler = false;
};

/// Matches requests to routes. Patterns are literal segments, `{name}` placeholders (one
/// segment) and a final `{*name}` (the rest of the path, one or more segments).
class Router {
 public:
  /// Throws std::invalid_argument for a duplicate route, an authenticated route without a
  /// permission, or a public route that says its handler audits it.
  void add(Route route);
  struct Match {
    const Route* route = nullptr;
    std::map<std::string, std::string> params;
    bool pathKnown = false;  // path matched some route but not this method (405)
  };
  Match match(const std::string& method, const std::string& path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

/// Runs before each authenticated route (the security core plugs in here). Returns a response to
/// send instead of calling the handler (401/403), or nothing to go on.
using Gate = std::function<std::optional<Response>(const Route&, Request&)>;

/// Options of the HTTP server.
struct ServerOptions {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 0;
  int threads = 8;
  std::size_t maxBodyBytes = 1 << 20;
  std::chrono::seconds timeout{30};
  /// TLS: serve HTTPS with this certificate chain and key (PEM). Empty: plain HTTP (tests and
  /// loopback-only development).
  std::string tlsCertFile;
  std::string tlsKeyFile;
  /// When > 0 (and TLS is on), a plain-HTTP listener on this port answers every request with a
  /// redirect to HTTPS.
  std::uint16_t redirectPort = 0;
  /// Port the redirect points at when it differs from the bound port (behind a port forward).
  std::uint16_t publicTlsPort = 0;
  /// Most live-update WebSocket connections open at once (each holds a server thread); more
  /// get 503.
  int maxWebSockets = 4;
  /// The same for visit media sockets (Route::Pool::media), a pool of their own.
  int maxMediaSockets = 4;
  /// Most WebSocket connections one signed-in user holds in each pool (several tabs, a
  /// reconnect overlapping the old socket); more get 503 and leave the others' slots alone.
  int maxWebSocketsPerUser = 4;
};

/// The Poco HTTP server bound to a Router.
class HttpServer {
 public:
  HttpServer(ServerOptions options, std::shared_ptr<const Router> router, Gate gate = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  void start();
  void stop();
  /// The port actually bound (useful with port 0).
  std::uint16_t port() const;
  /// The port of the HTTP→HTTPS redirect listener (0 when off).
  std::uint16_t redirectPort() const;
  bool tls() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Percent-decodes a query string into a map (later keys win).
std::map<std::string, std::string> parseQuery(const std::string& query);

/// One byte range of a resource: bytes first..last, both included.
struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
};
/// Parses an HTTP Range header holding a single "bytes=a-b", "bytes=a-" or "bytes=-n" range of a
/// resource of `size` bytes, cut to at most `maxBytes` (the client asks again for the rest).
/// nullopt when malformed, multiple or not satisfiable (answer 416).
std::optional<ByteRange> parseByteRange(std::string_view header, std::uint64_t size,
                                        std::uint64_t maxBytes);

}  // namespace vigil::web
