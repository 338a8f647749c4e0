#include "vigil/cloudsim/cloud_server.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerConnection.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/Net/TCPServerParams.h>
#include <Poco/Net/X509Certificate.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"

namespace vigil::cloudsim {
namespace {

using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

constexpr std::size_t kDrainLimit = 16 * 1024 * 1024;  // beyond this a body is not read: close
constexpr int kThreads = 16;
constexpr int kIdleSeconds = 30;

/// Thrown by a handler to end the connection without an answer (--drop-responses). Not a
/// Poco::Exception, so Poco's connection passes it up instead of answering 500.
struct DropConnection : std::exception {};

/// What every connection and request shares.
struct Shared {
  Cloud* cloud = nullptr;
  Faults faults;
  std::chrono::steady_clock::time_point downUntil;
  Poco::Net::Context::Ptr context;
  Poco::Net::HTTPServerParams::Ptr httpParams;
  Poco::Net::HTTPRequestHandlerFactory::Ptr handlers;
  std::mutex rngMu;
  std::mt19937_64 rng;

  bool chance(double p) {
    if (p <= 0.0) return false;
    std::lock_guard lock(rngMu);
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng) < p;
  }
};

struct Body {
  std::string text;
  bool tooLarge = false;
  bool complete = true;  // false: more than kDrainLimit, the rest was not read
};

Body readBody(HTTPServerRequest& req) {
  Body body;
  std::istream& in = req.stream();
  char buf[16 * 1024];
  std::size_t total = 0;
  while (in) {
    in.read(buf, sizeof buf);
    auto n = static_cast<std::size_t>(in.gcount());
    if (n == 0) break;
    total += n;
    if (body.text.size() + n <= kMaxBodyBytes)
      body.text.append(buf, n);
    else
      body.tooLarge = true;
    if (total > kDrainLimit) {
      body.complete = false;
      break;
    }
  }
  return body;
}

/// The CN of the verified client certificate, if the client presented one.
std::optional<std::string> peerName(HTTPServerRequest& req) {
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&req);
  if (impl == nullptr) return std::nullopt;
  try {
    Poco::Net::SecureStreamSocket tls(impl->socket());
    if (!tls.havePeerCertificate()) return std::nullopt;
    return tls.peerCertificate().commonName();
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

Answer reason(int status, std::string_view why) {
  return Answer{status, "{\"reason\":\"" + std::string(why) + "\"}", false};
}

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(Shared& shared) : shared_(shared) {}

  void handleRequest(HTTPServerRequest& req, HTTPServerResponse& resp) override {
    Body body = readBody(req);  // all of it before any answer: the connection stays usable
    Answer answer;
    try {
      answer = route(req, body);
    } catch (const vigil::StoreError&) {
      log::warn("cloud.store_busy", {});
      answer = reason(503, "busy");
    } catch (const std::exception& e) {
      log::error("cloud.request_failed", {{"error", std::string(e.what())}});
      answer = reason(500, "internal");
    }
    if (shared_.faults.latency.count() > 0) std::this_thread::sleep_for(shared_.faults.latency);
    if (answer.firstAcceptance && shared_.faults.dropResponses && shared_.chance(kDropFraction))
      throw DropConnection{};
    resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status));
    resp.setContentType("application/json");
    resp.setContentLength64(static_cast<Poco::Int64>(answer.body.size()));
    if (!body.complete) resp.setKeepAlive(false);
    resp.send() << answer.body;
  }

 private:
  Answer route(HTTPServerRequest& req, const Body& body) {
    Poco::URI uri(req.getURI());
    const std::string& path = uri.getPath();
    const std::string& method = req.getMethod();
    if (body.tooLarge) return reason(413, "too_large");
    if (path == "/v1/boxes/enrol") {
      if (method != "POST") return reason(405, "method_not_allowed");
      return shared_.cloud->enrol(body.text);
    }
    if (path != "/v1/keys" && path != "/v1/outbox" && path != "/v1/inbox")
      return reason(404, "not_found");
    std::optional<std::string> box = peerName(req);
    if (!box || !shared_.cloud->knownBox(*box)) return reason(401, "unknown_box");
    if (shared_.chance(shared_.faults.failRate)) return reason(503, "unavailable");
    if (path == "/v1/keys") {
      if (method != "GET") return reason(405, "method_not_allowed");
      return shared_.cloud->keys();
    }
    if (path == "/v1/outbox") {
      if (method != "POST") return reason(405, "method_not_allowed");
      return shared_.cloud->outbox(*box, body.text);
    }
    if (method != "GET") return reason(405, "method_not_allowed");
    std::string after, limit;
    for (const auto& [name, value] : uri.getQueryParameters()) {
      if (name == "after") after = value;
      if (name == "limit") limit = value;
    }
    return shared_.cloud->inbox(*box, after, limit, shared_.faults.duplicate,
                                shared_.faults.reorder);
  }

  Shared& shared_;
};

class Handlers : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Handlers(Shared& shared) : shared_(shared) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new Handler(shared_);
  }
  /// Ends every open HTTP connection (they listen to this event), as HTTPServer::stopAll does.
  void stopConnections() {
    bool abortCurrent = true;
    serverStopped(this, abortCurrent);
  }

 private:
  Shared& shared_;
};

/// One accepted TCP connection: closed at once while the stand-in plays down, otherwise TLS
/// and then Poco's HTTP connection over it.
class Connection : public Poco::Net::TCPServerConnection {
 public:
  Connection(const Poco::Net::StreamSocket& socket, Shared& shared)
      : Poco::Net::TCPServerConnection(socket), shared_(shared) {}

  void run() override {
    try {
      if (std::chrono::steady_clock::now() < shared_.downUntil) {
        socket().setLinger(true, 0);  // a reset, not a TLS alert: the host is "down"
        socket().close();
        return;
      }
      socket().setReceiveTimeout(Poco::Timespan(kIdleSeconds, 0));
      socket().setNoDelay(true);  // an answer leaves at once, not after the client's delayed ACK
      Poco::Net::SecureStreamSocket tls =
          Poco::Net::SecureStreamSocket::attach(socket(), shared_.context);
      Poco::Net::HTTPServerConnection http(tls, shared_.httpParams, shared_.handlers);
      http.run();
    } catch (const DropConnection&) {
      // --drop-responses: the entry is applied; the connection ends without an answer.
    } catch (const std::exception&) {
      // A failed handshake (no or a foreign certificate), a client gone: nothing to answer.
    }
  }

 private:
  Shared& shared_;
};

class Connections : public Poco::Net::TCPServerConnectionFactory {
 public:
  explicit Connections(Shared& shared) : shared_(shared) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override {
    return new Connection(socket, shared_);
  }

 private:
  Shared& shared_;
};

Poco::Net::Context::Ptr serverContext(const CloudDir& dir) {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
  Poco::Net::Context::Params params;
  params.privateKeyFile = dir.serverKeyPath().string();
  params.certificateFile = dir.serverCertPath().string();
  params.caLocation = dir.caCertPath().string();
  // Ask for a client certificate and verify it when given; enrolment comes without one, the
  // other routes check that there was one (401 otherwise).
  params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
  params.loadDefaultCAs = false;
  Poco::Net::Context::Ptr ctx;
  try {
    ctx = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
  } catch (const Poco::Exception& e) {
    throw Error("cloud TLS: cannot load the server certificate or key (" + e.displayText() + ")");
  }
  ctx->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
  ctx->enableSessionCache(true, "vigil-cloudsim");
  return ctx;
}

}  // namespace

struct CloudServer::Impl {
  Shared shared;
  int port = 0;
  std::unique_ptr<Poco::ThreadPool> pool;  // outlives the server
  std::unique_ptr<Poco::Net::TCPServer> server;
};

CloudServer::CloudServer(Cloud& cloud, int port, const Faults& faults)
    : impl_(std::make_unique<Impl>()) {
  impl_->shared.cloud = &cloud;
  impl_->shared.faults = faults;
  impl_->shared.rng.seed(faults.seed);
  impl_->port = port;
}

CloudServer::~CloudServer() {
  stop();
}

void CloudServer::start() {
  Shared& s = impl_->shared;
  s.context = serverContext(s.cloud->dir());
  s.httpParams = new Poco::Net::HTTPServerParams;
  s.httpParams->setKeepAlive(true);
  s.httpParams->setTimeout(Poco::Timespan(kIdleSeconds, 0));
  s.httpParams->setServerName("vigil-cloudsim");
  s.handlers = new Handlers(s);
  Poco::Net::ServerSocket socket;
  try {
    socket.bind(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(impl_->port)),
                true);
    socket.listen(64);
  } catch (const Poco::Exception& e) {
    throw Error("cloud: cannot listen on 127.0.0.1:" + std::to_string(impl_->port) + " (" +
                e.displayText() + ")");
  }
  impl_->port = socket.address().port();
  auto params = new Poco::Net::TCPServerParams;
  params->setMaxThreads(kThreads);
  params->setMaxQueued(128);
  params->setThreadIdleTime(Poco::Timespan(1, 0));
  impl_->pool = std::make_unique<Poco::ThreadPool>(2, kThreads);
  s.downUntil = std::chrono::steady_clock::now() + s.faults.downFor;
  impl_->server =
      std::make_unique<Poco::Net::TCPServer>(new Connections(s), *impl_->pool, socket, params);
  impl_->server->start();
  writeFileAtomic(s.cloud->dir().urlPath(), url(), 0644);
  log::info("cloud.listening", {{"port", impl_->port}});
}

std::string CloudServer::url() const {
  return "https://127.0.0.1:" + std::to_string(impl_->port);
}

void CloudServer::stop() {
  if (!impl_->server) return;
  impl_->server->stop();
  static_cast<Handlers&>(*impl_->shared.handlers).stopConnections();
  impl_->pool->joinAll();
  impl_->server.reset();
  log::info("cloud.stopped", {});
}

}  // namespace vigil::cloudsim
