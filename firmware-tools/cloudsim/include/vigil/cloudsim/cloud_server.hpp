#pragma once
// The cloud stand-in's HTTPS front (docs/cloud-api.md, "The stand-in"): one Poco server on
// 127.0.0.1 for the four services, mutual TLS with the stand-in's own CA (a client certificate is
// asked for and verified when given; every route but enrolment needs one whose CN is an enrolled
// box), the contract's routes over a Cloud, and the fault injection tests use.
//
// Design: the listening socket is plain TCP and each accepted connection is wrapped in TLS by the
// connection itself (SecureStreamSocket::attach), so --down-for can close connections before any
// TLS, as a host that is down or a firewall that resets would; Poco's HTTPServerConnection then
// serves the requests of the connection.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "vigil/cloudsim/cloud.hpp"

namespace vigil::cloudsim {

/// Fault injection (each off by default).
struct Faults {
  /// This fraction of requests (all but enrolment) is answered 503 before anything is applied.
  double failRate = 0.0;
  /// Every answer waits this long.
  std::chrono::milliseconds latency{0};
  /// A random 25 % of first acceptances are applied and committed, then the connection is closed
  /// without an answer.
  bool dropResponses = false;
  /// Each inbox page also carries the message delivered last before its cursor again.
  bool duplicate = false;
  /// Each inbox page comes newest first.
  bool reorder = false;
  /// For this long after start every connection is closed at once, before TLS.
  std::chrono::seconds downFor{0};
  /// Seed of the random choices of failRate and dropResponses (runs are repeatable).
  std::uint64_t seed = 20;
};

/// The fraction of first acceptances --drop-responses leaves unanswered.
inline constexpr double kDropFraction = 0.25;
/// The largest request body (the contract's limit); larger ones are answered 413.
inline constexpr std::size_t kMaxBodyBytes = 1024 * 1024;

class CloudServer {
 public:
  /// port 0: a free port. The Cloud must outlive the server.
  CloudServer(Cloud& cloud, int port, const Faults& faults);
  ~CloudServer();
  CloudServer(const CloudServer&) = delete;
  CloudServer& operator=(const CloudServer&) = delete;

  /// Listens on 127.0.0.1 and writes the base URL to DIR/url. Throws vigil::Error when the port
  /// is taken or the certificate does not load.
  void start();
  /// "https://127.0.0.1:<port>".
  std::string url() const;
  /// Stops accepting, ends open connections and waits for their threads.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::cloudsim
