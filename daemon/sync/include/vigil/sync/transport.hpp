#pragma once
// HTTPS to the cloud (docs/cloud-api.md, "Transport"): Poco's HTTPS client, TLS 1.2+, the
// cloud's server certificate checked against the configured CA, the box's client certificate
// presented once enrolled (mutual TLS). One keep-alive session, reopened after any failure or
// any answer that is not a success, so a half-read or refused exchange never leaks into the
// next request.
//
// Failures the caller must tell apart are typed by a reason word (TransportError::word()):
//   connect_failed  nothing listened or the route is down: the link is down
//   tls_failed      the TLS handshake failed (wrong CA, refused client certificate): link down
//   timeout         the request was sent but no answer came within the timeout
//   no_answer       the connection closed after the request was sent, before an answer
// The last two mean "the service may have applied it": the entry is sent again with the same id.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "vigil/core/error.hpp"

namespace vigil::sync {

struct TransportOptions {
  std::string baseUrl;         // https://host:port, without a trailing slash
  std::string caFile;          // PEM: the CA of the cloud's server certificate
  std::string clientCertFile;  // PEM; empty: no client certificate (enrolment)
  std::string clientKeyFile;   // PEM
  std::chrono::milliseconds timeout{30'000};
};

/// An HTTP answer: status, body (at most 1 MiB read), Retry-After in seconds when given.
struct HttpAnswer {
  int status = 0;
  std::string body;
  std::optional<std::chrono::seconds> retryAfter;
};

class TransportError : public vigil::Error {
 public:
  TransportError(std::string word, const std::string& message)
      : vigil::Error(message), word_(std::move(word)) {}
  const std::string& word() const { return word_; }
  /// True when nothing was sent (the link is down: connect or TLS failed).
  bool linkDown() const { return word_ == "connect_failed" || word_ == "tls_failed"; }

 private:
  std::string word_;
};

class HttpsTransport {
 public:
  /// Throws vigil::ValidationError for a URL that is not https://host[:port], vigil::CryptoError
  /// for CA or client files OpenSSL cannot load.
  explicit HttpsTransport(TransportOptions options);
  ~HttpsTransport();
  HttpsTransport(const HttpsTransport&) = delete;
  HttpsTransport& operator=(const HttpsTransport&) = delete;

  /// POST `body` as application/json to baseUrl + path. Throws TransportError.
  HttpAnswer post(std::string_view path, std::string_view body);
  /// GET baseUrl + pathAndQuery. Throws TransportError.
  HttpAnswer get(std::string_view pathAndQuery);
  /// Closes the session; the next request opens a new one.
  void reset();

 private:
  HttpAnswer exchange(std::string_view method, std::string_view path, std::string_view body);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::sync
