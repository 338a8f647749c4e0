// The Poco HTTPServer behind vigil::web::HttpServer. One handler object per request; the body is
// read with a hard limit before any route code runs, and every response carries the security
// headers. Request metrics are labelled with the route pattern, never the concrete path, so ids
// in paths never reach /metrics.

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/WebSocket.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <istream>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/web/http.hpp"

namespace vigil::web {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Mozilla "intermediate" TLS 1.2 suites (forward secrecy + AEAD only); TLS 1.3 suites are
// OpenSSL's defaults, all strong.
constexpr const char* kCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

void addSecurityHeaders(Poco::Net::HTTPServerResponse& out, bool tls) {
  if (tls) out.set("Strict-Transport-Security", "max-age=63072000; includeSubDomains");
  out.set("X-Content-Type-Options", "nosniff");
  out.set("X-Frame-Options", "DENY");
  out.set("Referrer-Policy", "no-referrer");
  out.set("Cache-Control", "no-store");
  out.set("Content-Security-Policy",
          "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
          "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
}

/// A Poco WebSocket as a WebSocketChannel. Frames are small JSON texts; a frame larger than
/// the buffer is refused by closing the connection (1009).
class PocoWebSocketChannel final : public WebSocketChannel {
  static constexpr int kFin = static_cast<int>(Poco::Net::WebSocket::FRAME_FLAG_FIN);

 public:
  explicit PocoWebSocketChannel(Poco::Net::WebSocket& ws) : ws_(ws) {}

  bool sendText(const std::string& text) override {
    if (closed_) return false;
    try {
      ws_.sendFrame(text.data(), static_cast<int>(text.size()), Poco::Net::WebSocket::FRAME_TEXT);
      return true;
    } catch (const Poco::Exception&) {
      closed_ = true;
      return false;
    }
  }

  std::optional<std::string> receive(std::chrono::milliseconds timeout) override {
    if (closed_) return std::nullopt;
    try {
      if (!ws_.poll(Poco::Timespan(static_cast<long>(timeout.count()) * 1000),
                    Poco::Net::Socket::SELECT_READ | Poco::Net::Socket::SELECT_ERROR))
        return std::string{};
      // Large enough for a browser's SDP answer on the video signalling socket (several kB).
      static thread_local std::vector<char> frame(64 * 1024);
      char* buf = frame.data();
      int flags = 0;
      int n = ws_.receiveFrame(buf, static_cast<int>(frame.size()), flags);
      int op = flags & Poco::Net::WebSocket::FRAME_OP_BITMASK;
      if (n <= 0 && op != Poco::Net::WebSocket::FRAME_OP_PING &&
          op != Poco::Net::WebSocket::FRAME_OP_PONG) {
        closed_ = true;
        return std::nullopt;
      }
      if (op == Poco::Net::WebSocket::FRAME_OP_CLOSE) {
        closed_ = true;
        return std::nullopt;
      }
      if (op == Poco::Net::WebSocket::FRAME_OP_PING) {
        ws_.sendFrame(buf, n, kFin | static_cast<int>(Poco::Net::WebSocket::FRAME_OP_PONG));
        return std::string{};
      }
      if (op == Poco::Net::WebSocket::FRAME_OP_PONG) return std::string{};
      return std::string(buf, static_cast<std::size_t>(n));
    } catch (const Poco::Net::WebSocketException&) {
      closed_ = true;
      return std::nullopt;
    } catch (const Poco::Exception&) {
      closed_ = true;
      return std::nullopt;
    }
  }

  void close(std::uint16_t code, const std::string& reason) override {
    if (closed_) return;
    closed_ = true;
    try {
      std::string payload;
      payload.push_back(static_cast<char>(code >> 8));
      payload.push_back(static_cast<char>(code & 0xff));
      payload += reason.substr(0, 120);
      ws_.sendFrame(payload.data(), static_cast<int>(payload.size()),
                    kFin | static_cast<int>(Poco::Net::WebSocket::FRAME_OP_CLOSE));
    } catch (const Poco::Exception&) {
      // the peer is gone already
    }
  }

 private:
  Poco::Net::WebSocket& ws_;
  bool closed_ = false;
};

/// Limits concurrent WebSocket connections of one pool (each keeps a server thread busy), in
/// all and per signed-in user, so one user's sockets cannot take every slot.
class WebSocketSlots {
 public:
  WebSocketSlots(int limit, int perUser) : max_(limit), perUser_(perUser) {}
  enum class Refusal { none, full, userLimit };
  Refusal take(std::optional<std::int64_t> user) {
    std::lock_guard lock(mutex_);
    if (used_ >= max_) return Refusal::full;
    if (user && byUser_[*user] >= perUser_) return Refusal::userLimit;
    ++used_;
    if (user) ++byUser_[*user];
    return Refusal::none;
  }
  void give(std::optional<std::int64_t> user) {
    std::lock_guard lock(mutex_);
    --used_;
    if (user && --byUser_[*user] <= 0) byUser_.erase(*user);
  }

 private:
  std::mutex mutex_;
  const int max_;
  const int perUser_;
  int used_ = 0;
  std::map<std::int64_t, int> byUser_;
};

struct SocketPools {
  SocketPools(int liveMax, int mediaMax, int perUser)
      : live(liveMax, perUser), media(mediaMax, perUser) {}
  WebSocketSlots& of(Route::Pool pool) { return pool == Route::Pool::media ? media : live; }
  WebSocketSlots live;
  WebSocketSlots media;
};

class RouteHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  RouteHandler(const Router& router, const Gate& gate, std::size_t maxBody, bool tls,
               SocketPools& pools)
      : router_(router), gate_(gate), maxBody_(maxBody), tls_(tls), pools_(pools) {}

  void handleRequest(Poco::Net::HTTPServerRequest& in,
                     Poco::Net::HTTPServerResponse& out) override {
    auto started = std::chrono::steady_clock::now();
    std::string metricRoute = "unmatched";
    Response resp;
    try {
      resp = dispatch(in, out, metricRoute);
    } catch (const StoreError&) {
      // A full disk or a closing store: every PHI read writes its audit entry first, so reads
      // are refused too. The client is told to come back; the text names no data.
      log::warn("http.store_unavailable", {{"route", metricRoute}});
      if (upgraded_) return;
      resp = Response::storeUnavailable();
    } catch (const std::exception& e) {
      // The exception text may come from deep inside; log its type of failure only.
      log::error("http.handler_failed", {{"route", metricRoute}});
      if (upgraded_) return;
      resp = Response::error(500, "internal", "internal error");
    }
    if (upgraded_) {
      Metrics::global()
          .counter("vigil_http_websocket_sessions_total", "WebSocket connections served",
                   {{"route", metricRoute}})
          .inc();
      return;
    }
    addSecurityHeaders(out, tls_);
    for (const auto& [k, v] : resp.headers) out.set(k, v);
    out.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(resp.status));
    out.setContentType(resp.contentType);
    out.setContentLength(static_cast<std::streamsize>(resp.body.size()));
    auto& os = out.send();
    if (in.getMethod() != "HEAD")
      os.write(resp.body.data(), static_cast<std::streamsize>(resp.body.size()));

    auto& m = Metrics::global();
    m.counter("vigil_http_requests_total", "HTTP requests by route pattern and status",
              {{"route", metricRoute}, {"status", std::to_string(resp.status)}})
        .inc();
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
    m.counter("vigil_http_request_microseconds_total", "Time spent serving requests",
              {{"route", metricRoute}})
        .inc(static_cast<std::uint64_t>(micros));
  }

 private:
  Response dispatch(Poco::Net::HTTPServerRequest& in, Poco::Net::HTTPServerResponse& out,
                    std::string& metricRoute) {
    Poco::URI uri(in.getURI());
    auto match = router_.match(in.getMethod(), uri.getPath());
    if (!match.route) {
      if (match.pathKnown) return Response::error(405, "method_not_allowed", "method not allowed");
      return Response::error(404, "not_found", "no such resource");
    }
    metricRoute = match.route->metricName;

    Request req;
    req.method = in.getMethod();
    req.path = uri.getPath();
    req.rawQuery = uri.getRawQuery();
    req.query = parseQuery(req.rawQuery);
    req.params = std::move(match.params);
    req.remoteAddress = in.clientAddress().host().toString();
    for (const auto& [k, v] : in) req.headers[lower(k)] = v;

    if (in.hasContentLength() && in.getContentLength64() > static_cast<std::int64_t>(maxBody_))
      return Response::error(413, "too_large", "request body too large");
    if (in.getChunkedTransferEncoding() || in.hasContentLength()) {
      auto& is = in.stream();
      char buf[8192];
      while (is.read(buf, sizeof buf) || is.gcount() > 0) {
        req.body.append(buf, static_cast<std::size_t>(is.gcount()));
        if (req.body.size() > maxBody_)
          return Response::error(413, "too_large", "request body too large");
      }
    }
    bool wantsUpgrade = lower(req.header("upgrade")) == "websocket";
    if (match.route->upgrade && !wantsUpgrade)
      return Response::error(426, "upgrade_required", "this resource is a WebSocket");
    if (match.route->access == Access::authenticated) {
      if (!gate_) return Response::error(401, "unauthenticated", "sign-in required");
      if (auto refused = gate_(*match.route, req)) return *refused;
    }
    if (match.route->upgrade) {
      if (auto failed = auditFailure(req, metricRoute)) return *failed;
      return upgrade(in, out, *match.route, req);
    }
    auto resp = match.route->handler(req);
    if (auto failed = auditFailure(req, metricRoute)) return *failed;
    return resp;
  }

  /// Waits for the request's pending audit entry (Request::beforeResponse). When it could not
  /// be written, the answer that replaces the response: nothing is sent unaudited. A store that
  /// refuses writes (a full disk) gives 503 with Retry-After, anything else 500.
  static std::optional<Response> auditFailure(Request& req, const std::string& metricRoute) {
    if (!req.beforeResponse) return std::nullopt;
    try {
      req.beforeResponse();
      return std::nullopt;
    } catch (const StoreError&) {
      log::warn("http.audit_failed", {{"route", metricRoute}, {"reason", "store_unavailable"}});
      return Response::storeUnavailable();
    } catch (const std::exception&) {
      log::error("http.audit_failed", {{"route", metricRoute}});
      return Response::error(500, "internal", "the access could not be recorded; nothing was sent");
    }
  }

  Response upgrade(Poco::Net::HTTPServerRequest& in, Poco::Net::HTTPServerResponse& out,
                   const Route& route, Request& req) {
    auto& slots = pools_.of(route.pool);
    std::optional<std::int64_t> user;
    if (req.actor) user = req.actor->id;
    const auto pool = route.pool == Route::Pool::media ? "media" : "live";
    if (auto refused = slots.take(user); refused != WebSocketSlots::Refusal::none) {
      const bool mine = refused == WebSocketSlots::Refusal::userLimit;
      Metrics::global()
          .counter("vigil_http_websocket_refused_total",
                   "WebSocket connections refused for want of a slot",
                   {{"pool", pool}, {"reason", mine ? "user_limit" : "full"}})
          .inc();
      return Response::error(503, "unavailable",
                             mine ? "too many open connections of yours; close another tab"
                                  : "too many live connections; retry later");
    }
    struct Release {
      WebSocketSlots& s;
      std::optional<std::int64_t> user;
      ~Release() { s.give(user); }
    } release{slots, user};
    addSecurityHeaders(out, tls_);
    out.erase("Cache-Control");
    std::unique_ptr<Poco::Net::WebSocket> ws;
    try {
      ws = std::make_unique<Poco::Net::WebSocket>(in, out);  // sends 101 Switching Protocols
    } catch (const Poco::Net::WebSocketException&) {
      return Response::error(400, "bad_request", "bad WebSocket handshake");
    }
    upgraded_ = true;
    ws->setReceiveTimeout(Poco::Timespan(0, 0));
    PocoWebSocketChannel channel(*ws);
    try {
      route.upgrade(req, channel);
    } catch (const std::exception&) {
      log::error("http.websocket_failed", {{"route", route.metricName}});
    }
    channel.close(1000, "bye");  // no-op when the route closed with its own code already
    try {
      // Not WebSocket::shutdown(): that sends a second close frame, which browsers treat as a
      // protocol error (the close code the route chose becomes 1006).
      ws->shutdownSend();
    } catch (const Poco::Exception&) {
    }
    return {};
  }

  const Router& router_;
  const Gate& gate_;
  std::size_t maxBody_;
  bool tls_;
  SocketPools& pools_;
  bool upgraded_ = false;
};

/// Answers every plain-HTTP request with a permanent redirect to the HTTPS origin.
class RedirectHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit RedirectHandler(std::uint16_t tlsPort) : tlsPort_(tlsPort) {}
  void handleRequest(Poco::Net::HTTPServerRequest& in,
                     Poco::Net::HTTPServerResponse& out) override {
    std::string host = in.getHost();
    if (host.empty()) host = in.serverAddress().host().toString();
    if (auto colon = host.rfind(':');
        colon != std::string::npos && host.find(']') == std::string::npos)
      host.resize(colon);
    std::string target =
        "https://" + host + (tlsPort_ == 443 ? "" : ":" + std::to_string(tlsPort_)) + in.getURI();
    out.set("Location", target);
    out.setStatus(Poco::Net::HTTPResponse::HTTP_MOVED_PERMANENTLY);
    out.setContentLength(0);
    out.send();
  }

 private:
  std::uint16_t tlsPort_;
};

class RedirectFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit RedirectFactory(std::uint16_t tlsPort) : tlsPort_(tlsPort) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new RedirectHandler(tlsPort_);
  }

 private:
  std::uint16_t tlsPort_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Factory(std::shared_ptr<const Router> router, Gate gate, const ServerOptions& o, bool tls)
      : router_(std::move(router)),
        gate_(std::move(gate)),
        maxBody_(o.maxBodyBytes),
        tls_(tls),
        pools_(o.maxWebSockets, o.maxMediaSockets, o.maxWebSocketsPerUser) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new RouteHandler(*router_, gate_, maxBody_, tls_, pools_);
  }

 private:
  std::shared_ptr<const Router> router_;
  Gate gate_;
  std::size_t maxBody_;
  bool tls_;
  SocketPools pools_;
};

Poco::Net::Context::Ptr serverContext(const ServerOptions& o) {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
  Poco::Net::Context::Params params;
  params.privateKeyFile = o.tlsKeyFile;
  params.certificateFile = o.tlsCertFile;
  params.verificationMode = Poco::Net::Context::VERIFY_NONE;
  params.loadDefaultCAs = false;
  params.cipherList = kCiphers;
  params.dhUse2048Bits = true;
  Poco::Net::Context::Ptr ctx;
  try {
    ctx = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
  } catch (const Poco::Exception& e) {
    throw Error("web TLS: cannot load certificate or key (" + e.displayText() + ")");
  }
  ctx->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
  ctx->preferServerCiphers();
  ctx->disableStatelessSessionResumption();
  return ctx;
}

}  // namespace

struct HttpServer::Impl {
  ServerOptions options;
  std::shared_ptr<const Router> router;
  Gate gate;
  std::unique_ptr<Poco::ThreadPool> pool;  // declared before the servers: outlives them
  std::unique_ptr<Poco::Net::HTTPServer> server;
  std::unique_ptr<Poco::Net::HTTPServer> redirect;
  std::uint16_t port = 0;
  std::uint16_t redirectPort = 0;
};

HttpServer::HttpServer(ServerOptions options, std::shared_ptr<const Router> router, Gate gate)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->router = std::move(router);
  impl_->gate = std::move(gate);
}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::start() {
  const auto& o = impl_->options;
  bool tls = !o.tlsCertFile.empty();
  Poco::Net::SocketAddress addr(o.bind, o.port);
  Poco::Net::ServerSocket socket = tls ? Poco::Net::SecureServerSocket(addr, 64, serverContext(o))
                                       : Poco::Net::ServerSocket(addr, 64);
  impl_->port = socket.address().port();
  auto params = new Poco::Net::HTTPServerParams;
  int maxThreads = o.threads + o.maxWebSockets + o.maxMediaSockets;
  params->setMaxThreads(maxThreads);
  params->setMaxQueued(256);
  params->setTimeout(Poco::Timespan(impl_->options.timeout.count(), 0));
  params->setKeepAlive(true);
  params->setServerName("vigild");
  // An idle connection-dispatching thread looks at the server's stop flag at least this often:
  // one that missed stop()'s wake-up would otherwise wait out Poco's 10 s default, as long as the
  // thread pool's destructor gives each thread before it abandons it (and the dispatcher it
  // holds: a leak LeakSanitizer reported once under load).
  params->setThreadIdleTime(Poco::Timespan(1, 0));
  impl_->pool = std::make_unique<Poco::ThreadPool>(2, maxThreads);
  impl_->server = std::make_unique<Poco::Net::HTTPServer>(
      new Factory(impl_->router, impl_->gate, o, tls), *impl_->pool, socket, params);
  impl_->server->start();
  log::info("web.listening", {{"bind", o.bind}, {"port", unsigned{impl_->port}}, {"tls", tls}});
  if (tls && o.redirectPort > 0) {
    Poco::Net::ServerSocket plain(Poco::Net::SocketAddress(o.bind, o.redirectPort), 64);
    impl_->redirectPort = plain.address().port();
    auto rp = new Poco::Net::HTTPServerParams;
    rp->setMaxThreads(2);
    impl_->redirect = std::make_unique<Poco::Net::HTTPServer>(
        new RedirectFactory(o.publicTlsPort ? o.publicTlsPort : impl_->port), plain, rp);
    impl_->redirect->start();
    log::info("web.redirecting", {{"port", unsigned{impl_->redirectPort}}});
  }
}

void HttpServer::stop() {
  if (impl_ && impl_->redirect) {
    impl_->redirect->stopAll(true);
    impl_->redirect.reset();
  }
  if (impl_ && impl_->server) {
    impl_->server->stopAll(true);
    impl_->server.reset();
    // Connection threads finish their requests after stopAll() returns; wait (bounded) until
    // the pool is idle, so that its destructor, which waits 10 s for each thread and then
    // abandons it, finds every thread done.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (impl_->pool && impl_->pool->used() > 0 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (impl_->pool && impl_->pool->used() > 0)
      log::warn("web.stop_threads_busy", {{"threads", impl_->pool->used()}});
    log::info("web.stopped");
  }
}

std::uint16_t HttpServer::port() const {
  return impl_->port;
}
std::uint16_t HttpServer::redirectPort() const {
  return impl_->redirectPort;
}
bool HttpServer::tls() const {
  return !impl_->options.tlsCertFile.empty();
}

}  // namespace vigil::web
