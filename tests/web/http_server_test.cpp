// The real Poco server on 127.0.0.1 and port 0: routing, limits, headers, the access gate, and
// TLS (1.2+ only, HTTP redirect) with a certificate made by the openssl command.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/WebSocket.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>
#include <thread>

#include "vigil/core/error.hpp"
#include "vigil/testsupport/deadline.hpp"
#include "vigil/web/attempt_limiter.hpp"
#include "vigil/web/health.hpp"
#include "vigil/web/http.hpp"

namespace fs = std::filesystem;
using namespace vigil::web;

namespace {

struct Reply {
  int status;
  std::string body;
  Poco::Net::HTTPResponse head;
};

Reply send(std::uint16_t port, const std::string& method, const std::string& path,
           const std::string& body = {}) {
  Poco::Net::HTTPClientSession s("127.0.0.1", port);
  s.setTimeout(Poco::Timespan(5, 0));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  if (!body.empty()) req.setContentLength(static_cast<std::streamsize>(body.size()));
  s.sendRequest(req) << body;
  Reply r;
  auto& is = s.receiveResponse(r.head);
  std::stringstream ss;
  ss << is.rdbuf();
  r.status = static_cast<int>(r.head.getStatus());
  r.body = ss.str();
  return r;
}

std::shared_ptr<Router> sampleRouter() {
  auto r = std::make_shared<Router>();
  addHealthRoutes(*r, {{"store", [] { return true; }}, {"broker", [] { return false; }}});
  r->add({"POST", "/echo", Access::public_endpoint, "",
          [](Request& q) { return Response::text(200, q.body); }});
  r->add({"GET", "/private/{id}", Access::authenticated, "thing.read",
          [](Request& q) { return Response::text(200, "secret " + q.params.at("id")); }});
  r->add({"GET", "/boom", Access::public_endpoint, "",
          [](Request&) -> Response { throw std::runtime_error("patient Jane Doe exploded"); }});
  r->add({"GET", "/full", Access::public_endpoint, "", [](Request&) -> Response {
            throw vigil::StoreError("database or disk is full writing Jane Doe");
          }});
  return r;
}

/// A router with a live-update socket and a visit media socket; both hold the connection until
/// the client closes it. The gate signs in whoever the X-User header names.
std::shared_ptr<Router> socketRouter() {
  auto r = std::make_shared<Router>();
  auto hold = [](Request&, WebSocketChannel& ws) {
    while (ws.receive(std::chrono::milliseconds(200))) {
    }
  };
  Route live{"GET", "/live", Access::authenticated, "thing.read",
             [](Request&) { return Response::text(426, ""); }};
  live.upgrade = hold;
  r->add(live);
  Route media{"GET", "/media", Access::authenticated, "thing.read",
              [](Request&) { return Response::text(426, ""); }};
  media.upgrade = hold;
  media.pool = Route::Pool::media;
  r->add(media);
  return r;
}

Gate userFromHeader() {
  return [](const Route&, Request& q) -> std::optional<Response> {
    q.actor = vigil::security::Actor{std::stoll(q.header("x-user")), vigil::security::Role::nurse,
                                     std::nullopt};
    return std::nullopt;
  };
}

/// Opens a WebSocket as `user`: the socket, or nullptr with the HTTP status that refused it.
std::unique_ptr<Poco::Net::WebSocket> openSocket(std::uint16_t port, const std::string& path,
                                                 int user, int* refusedStatus = nullptr) {
  Poco::Net::HTTPClientSession s("127.0.0.1", port);
  s.setTimeout(Poco::Timespan(5, 0));
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, path,
                             Poco::Net::HTTPMessage::HTTP_1_1);
  req.set("X-User", std::to_string(user));
  Poco::Net::HTTPResponse resp;
  try {
    return std::make_unique<Poco::Net::WebSocket>(s, req, resp);
  } catch (const Poco::Net::WebSocketException&) {
    if (refusedStatus) *refusedStatus = static_cast<int>(resp.getStatus());
    return nullptr;
  }
}

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(HttpServerBehaviour)

BOOST_AUTO_TEST_CASE(a_spray_of_fresh_keys_cannot_reset_a_limited_key) {
  AttemptLimiter limiter(3, std::chrono::seconds(60), 100);
  const vigil::TimePoint t0{};
  for (int i = 0; i < 3; ++i) BOOST_TEST(limiter.allow("203.0.113.9", t0));
  BOOST_TEST(!limiter.allow("203.0.113.9", t0));
  // 10,000 fresh addresses within the window: the table stays bounded, the limited key stays
  // limited, and the keys beyond the table share one overflow key (3 attempts, not 9,900).
  int allowed = 0;
  for (int i = 0; i < 10'000; ++i)
    allowed += limiter.allow("198.51." + std::to_string(i / 256) + "." + std::to_string(i % 256),
                             t0 + std::chrono::seconds(1))
                   ? 1
                   : 0;
  BOOST_TEST(allowed == 99 + 3);  // 99 keys fit beside the limited one, then the shared key
  BOOST_TEST(limiter.keys() <= 101u);
  BOOST_TEST(!limiter.allow("203.0.113.9", t0 + std::chrono::seconds(2)));
  // Once the window has passed, room comes back (expired keys go first).
  BOOST_TEST(limiter.allow("203.0.113.9", t0 + std::chrono::seconds(61)));
  BOOST_TEST(limiter.allow("192.0.2.1", t0 + std::chrono::seconds(62)));
}

BOOST_AUTO_TEST_CASE(client_keys_group_an_ipv6_subscriber_by_its_64) {
  BOOST_TEST(clientKey("192.0.2.7") == "192.0.2.7");
  BOOST_TEST(clientKey("::ffff:192.0.2.7") == "::ffff:192.0.2.7");
  BOOST_TEST(clientKey("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64");
  BOOST_TEST(clientKey("2001:db8:1:2:bbbb:cccc:dddd:eeee") == "2001:db8:1:2::/64");
  BOOST_TEST(clientKey("2001:db8::1") == "2001:db8:0:0::/64");
  BOOST_TEST(clientKey("::1") == "0:0:0:0::/64");
}

BOOST_AUTO_TEST_CASE(metrics_answer_loopback_clients_and_the_scrape_token_only) {
  const std::string token(40, 'k');
  Router r;
  addHealthRoutes(r, {}, {token});
  auto scrape = [&](const std::string& from, const std::string& authorization) {
    auto m = r.match("GET", "/metrics");
    BOOST_REQUIRE(m.route != nullptr);
    Request q;
    q.method = "GET";
    q.path = "/metrics";
    q.remoteAddress = from;
    if (!authorization.empty()) q.headers["authorization"] = authorization;
    return m.route->handler(q).status;
  };
  // Expected by hand: the box itself always; anyone else only with the exact token.
  BOOST_TEST(scrape("127.0.0.1", "") == 200);
  BOOST_TEST(scrape("::1", "") == 200);
  BOOST_TEST(scrape("::ffff:127.0.0.1", "") == 200);
  BOOST_TEST(scrape("192.0.2.7", "") == 401);
  BOOST_TEST(scrape("192.0.2.7", "Bearer " + token) == 200);
  BOOST_TEST(scrape("192.0.2.7", "Bearer " + token + "x") == 401);
  BOOST_TEST(scrape("192.0.2.7", "Bearer " + std::string(40, 'j')) == 401);
  BOOST_TEST(scrape("::ffff:192.0.2.7", token) == 401);
  BOOST_TEST(scrape("128.0.0.1", "") == 401);
  // Without a token, nobody off the box.
  Router closed;
  addHealthRoutes(closed, {});
  Request q;
  q.remoteAddress = "192.0.2.7";
  q.headers["authorization"] = "Bearer ";
  BOOST_TEST(closed.match("GET", "/metrics").route->handler(q).status == 401);
}

BOOST_AUTO_TEST_CASE(serves_routes_with_security_headers_and_status_codes) {
  ServerOptions o;
  HttpServer server(o, sampleRouter());
  server.start();
  auto health = send(server.port(), "GET", "/healthz");
  BOOST_TEST(health.status == 200);
  BOOST_TEST(health.head.get("X-Content-Type-Options") == "nosniff");
  BOOST_TEST(health.head.get("Content-Security-Policy").find("script-src 'self'") !=
             std::string::npos);
  BOOST_TEST(send(server.port(), "GET", "/nothing").status == 404);
  BOOST_TEST(send(server.port(), "DELETE", "/healthz").status == 405);
  auto ready = send(server.port(), "GET", "/readyz");
  BOOST_TEST(ready.status == 503);
  BOOST_TEST(ready.body ==
             "{\"checks\":{\"store\":true,\"broker\":false},\"status\":\"not_ready\"}");
  BOOST_TEST(send(server.port(), "POST", "/echo", "hello").body == "hello");
}

BOOST_AUTO_TEST_CASE(the_alert_node_check_answers_200_only_on_the_alert_node) {
  // Several nodes (docs/scale-out.md): the load balancer's health check of the alert queue.
  std::atomic<bool> here{false};
  auto router = std::make_shared<Router>();
  addHealthRoutes(*router, {}, {}, [&here] { return here.load(); });
  HttpServer server(ServerOptions{}, router);
  server.start();
  auto elsewhere = send(server.port(), "GET", "/healthz/alert-node");
  BOOST_TEST(elsewhere.status == 503);
  BOOST_TEST(elsewhere.body == "{\"alertNode\":false}");
  here = true;
  auto atNode = send(server.port(), "GET", "/healthz/alert-node");
  BOOST_TEST(atNode.status == 200);
  BOOST_TEST(atNode.body == "{\"alertNode\":true}");
  // A single box registers no such route.
  auto single = std::make_shared<Router>();
  addHealthRoutes(*single, {});
  HttpServer box(ServerOptions{}, single);
  box.start();
  BOOST_TEST(send(box.port(), "GET", "/healthz/alert-node").status == 404);
}

BOOST_AUTO_TEST_CASE(refuses_bodies_over_the_limit_with_413) {
  ServerOptions o;
  o.maxBodyBytes = 1024;
  HttpServer server(o, sampleRouter());
  server.start();
  BOOST_TEST(send(server.port(), "POST", "/echo", std::string(1024, 'a')).status == 200);
  BOOST_TEST(send(server.port(), "POST", "/echo", std::string(1025, 'a')).status == 413);
}

BOOST_AUTO_TEST_CASE(authenticated_routes_need_the_gate) {
  {
    HttpServer server(ServerOptions{}, sampleRouter());
    server.start();
    BOOST_TEST(send(server.port(), "GET", "/private/7").status == 401);
  }
  std::string seenPermission;
  Gate gate = [&](const Route& r, Request& q) -> std::optional<Response> {
    seenPermission = r.permission;
    if (q.params.at("id") == "7") return std::nullopt;
    return Response::error(403, "forbidden", "not allowed");
  };
  HttpServer server(ServerOptions{}, sampleRouter(), gate);
  server.start();
  BOOST_TEST(send(server.port(), "GET", "/private/7").body == "secret 7");
  BOOST_TEST(seenPermission == "thing.read");
  BOOST_TEST(send(server.port(), "GET", "/private/8").status == 403);
}

BOOST_AUTO_TEST_CASE(handler_failure_gives_500_without_its_message) {
  HttpServer server(ServerOptions{}, sampleRouter());
  server.start();
  auto r = send(server.port(), "GET", "/boom");
  BOOST_TEST(r.status == 500);
  BOOST_TEST(r.body.find("Jane") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_store_that_refuses_writes_gives_503_with_retry_after) {
  HttpServer server(ServerOptions{}, sampleRouter());
  server.start();
  auto r = send(server.port(), "GET", "/full");
  BOOST_TEST(r.status == 503);
  BOOST_TEST(r.head.get("Retry-After", "") == "30");
  BOOST_TEST(r.body.find("storage_unavailable") != std::string::npos);
  BOOST_TEST(r.body.find("Jane") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(metrics_label_requests_by_pattern_not_by_id) {
  HttpServer server(ServerOptions{}, sampleRouter());
  server.start();
  send(server.port(), "GET", "/private/123456");
  auto m = send(server.port(), "GET", "/metrics").body;
  BOOST_TEST(m.find("route=\"/private/{id}\"") != std::string::npos);
  BOOST_TEST(m.find("123456") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(tls_serves_1_2_and_1_3_refuses_older_and_redirects_http) {
  auto dir = fs::temp_directory_path() / ("vigil-web-tls-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto cert = (dir / "cert.pem").string();
  auto key = (dir / "key.pem").string();
  auto made =
      run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
          "-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 -keyout " +
          key + " -out " + cert);
  BOOST_REQUIRE_MESSAGE(fs::exists(cert), made);
  ServerOptions o;
  o.tlsCertFile = cert;
  o.tlsKeyFile = key;
  o.redirectPort = 0;
  HttpServer server(o, sampleRouter());
  server.start();
  BOOST_TEST(server.tls());
  auto target = "127.0.0.1:" + std::to_string(server.port());
  auto sclient = "echo | timeout 10 openssl s_client -connect " + target + " ";
  auto ok12 = run(sclient + "-tls1_2");
  BOOST_TEST(ok12.find("Protocol  : TLSv1.2") != std::string::npos, ok12);
  auto ok13 = run(sclient + "-tls1_3");
  BOOST_TEST(ok13.find("TLSv1.3") != std::string::npos, ok13);
  auto old = run(sclient + "-tls1_1 -cipher DEFAULT@SECLEVEL=0");
  BOOST_TEST(old.find("Cipher is (NONE)") != std::string::npos, old);
  auto weak = run(sclient + "-tls1_2 -cipher AES128-SHA");
  BOOST_TEST(weak.find("Cipher is (NONE)") != std::string::npos, weak);
  auto curl = run("curl -sk --max-time 30 -D - https://" + target + "/healthz");
  BOOST_TEST(curl.find("Strict-Transport-Security: max-age=") != std::string::npos, curl);
  server.stop();
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(plain_http_redirect_points_at_https) {
  auto dir = fs::temp_directory_path() / ("vigil-web-redir-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto cert = (dir / "cert.pem").string();
  auto key = (dir / "key.pem").string();
  run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
      "-subj /CN=localhost -keyout " +
      key + " -out " + cert);
  // Port for the redirect listener: bind an ephemeral one first to learn a free port.
  ServerOptions o;
  o.tlsCertFile = cert;
  o.tlsKeyFile = key;
  o.redirectPort = 0;
  o.publicTlsPort = 443;
  {
    Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
    o.redirectPort = probe.address().port();
  }
  HttpServer server(o, sampleRouter());
  server.start();
  auto r = send(server.redirectPort(), "GET", "/portal/?x=1");
  BOOST_TEST(r.status == 301);
  BOOST_TEST(r.head.get("Location") == "https://127.0.0.1/portal/?x=1");
  server.stop();
  fs::remove_all(dir);
}

// Issue 18: one signed-in user cannot take every WebSocket slot, and live-update sockets
// cannot keep a video visit from connecting.
BOOST_AUTO_TEST_CASE(one_user_cannot_take_every_socket_and_visits_have_their_own_pool) {
  ServerOptions o;
  o.maxWebSockets = 3;
  o.maxMediaSockets = 2;
  o.maxWebSocketsPerUser = 2;
  HttpServer server(o, socketRouter(), userFromHeader());
  server.start();
  const auto port = server.port();
  std::vector<std::unique_ptr<Poco::Net::WebSocket>> open;
  // User 1 opens two live sockets; the third is refused, and only theirs.
  for (int i = 0; i < 2; ++i) {
    open.push_back(openSocket(port, "/live", 1));
    BOOST_REQUIRE(open.back());
  }
  int status = 0;
  BOOST_TEST(!openSocket(port, "/live", 1, &status));
  BOOST_TEST(status == 503);
  open.push_back(openSocket(port, "/live", 2));
  BOOST_REQUIRE(open.back());
  // The live pool is full now (3): user 3 waits for a slot there ...
  BOOST_TEST(!openSocket(port, "/live", 3, &status));
  BOOST_TEST(status == 503);
  // ... but visit media has its own slots, per user too.
  auto visit = openSocket(port, "/media", 3);
  BOOST_TEST(visit != nullptr);
  auto visitToo = openSocket(port, "/media", 1);
  BOOST_TEST(visitToo != nullptr);
  BOOST_TEST(!openSocket(port, "/media", 4, &status));
  BOOST_TEST(status == 503);
  // A closed socket gives its slot back (the server notices the close within moments).
  open.front()->shutdown();
  open.front().reset();
  std::unique_ptr<Poco::Net::WebSocket> again;
  for (int i = 0; i < 50 && !again; ++i) {
    again = openSocket(port, "/live", 3);
    if (!again) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  BOOST_TEST(again != nullptr, "the slot came back within 5 s");
}

BOOST_AUTO_TEST_SUITE_END()
