#include "vigil/sync/transport.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/URI.h>

#include <charconv>
#include <istream>
#include <ostream>

#include "vigil/sync/envelope.hpp"

namespace vigil::sync {

namespace {

using Poco::Net::Context;

// Poco's SSL library is initialised once for the process (and never torn down while a
// transport may exist: the web server shares it).
void initializeSslOnce() {
  static const bool done = [] {
    Poco::Net::initializeSSL();
    return true;
  }();
  (void)done;
}

std::optional<std::chrono::seconds> retryAfterOf(const Poco::Net::HTTPResponse& response) {
  if (!response.has("Retry-After")) return std::nullopt;
  const std::string& text = response.get("Retry-After");
  std::int64_t seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc{} || end != text.data() + text.size() || seconds < 0) return std::nullopt;
  return std::chrono::seconds{seconds};
}

std::string readCapped(std::istream& in) {
  std::string body;
  char buffer[16 * 1024];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    body.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (body.size() > kMaxEnvelopeBytes)
      throw TransportError("no_answer", "sync: the answer is larger than 1 MiB");
  }
  return body;
}

// What went wrong before the request was on the wire: the link is down.
[[noreturn]] void throwBeforeSend(const Poco::Exception& e) {
  if (dynamic_cast<const Poco::Net::SSLException*>(&e) != nullptr)
    throw TransportError("tls_failed", "sync: TLS with the cloud failed: " + e.displayText());
  throw TransportError("connect_failed", "sync: cannot reach the cloud: " + e.displayText());
}

}  // namespace

struct HttpsTransport::Impl {
  TransportOptions options;
  Poco::URI uri;
  Context::Ptr context;
  std::unique_ptr<Poco::Net::HTTPSClientSession> session;
  bool sessionUsed = false;

  Poco::Net::HTTPSClientSession& open() {
    if (!session) {
      session =
          std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), context);
      const auto timeout = Poco::Timespan(options.timeout.count() * 1000);
      session->setTimeout(timeout, timeout, timeout);
      session->setKeepAlive(true);
      sessionUsed = false;
    }
    return *session;
  }
};

HttpsTransport::HttpsTransport(TransportOptions options) : impl_(std::make_unique<Impl>()) {
  initializeSslOnce();
  impl_->options = std::move(options);
  try {
    impl_->uri = Poco::URI(impl_->options.baseUrl);
  } catch (const Poco::Exception&) {
    throw ValidationError("sync.url: not a URL");
  }
  if (impl_->uri.getScheme() != "https" || impl_->uri.getHost().empty())
    throw ValidationError("sync.url: must be https://host[:port]");
  if (impl_->options.caFile.empty()) throw ValidationError("sync.ca_file: required");
  try {
    impl_->context =
        new Context(Context::TLS_CLIENT_USE, impl_->options.clientKeyFile,
                    impl_->options.clientCertFile, impl_->options.caFile, Context::VERIFY_STRICT, 9,
                    false, "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES:@STRENGTH");
    impl_->context->requireMinimumProtocol(Context::PROTO_TLSV1_2);
  } catch (const Poco::Exception& e) {
    throw CryptoError("sync: cannot load the TLS files: " + e.displayText());
  }
}

HttpsTransport::~HttpsTransport() = default;

void HttpsTransport::reset() {
  impl_->session.reset();
}

HttpAnswer HttpsTransport::post(std::string_view path, std::string_view body) {
  return exchange(Poco::Net::HTTPRequest::HTTP_POST, path, body);
}

HttpAnswer HttpsTransport::get(std::string_view pathAndQuery) {
  return exchange(Poco::Net::HTTPRequest::HTTP_GET, pathAndQuery, {});
}

HttpAnswer HttpsTransport::exchange(std::string_view method, std::string_view path,
                                    std::string_view body) {
  // A kept-alive session the server has closed meanwhile fails without an answer: that one
  // attempt goes again once on a new connection (every request the box sends is idempotent).
  for (int attempt = 0;; ++attempt) {
    const bool reused = impl_->session != nullptr && impl_->sessionUsed;
    Poco::Net::HTTPRequest request(std::string(method), std::string(path),
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.setHost(impl_->uri.getHost(), impl_->uri.getPort());
    request.setKeepAlive(true);
    if (!body.empty() || method == Poco::Net::HTTPRequest::HTTP_POST) {
      request.setContentType("application/json");
      request.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    auto& session = impl_->open();
    try {
      std::ostream& out = session.sendRequest(request);
      out.write(body.data(), static_cast<std::streamsize>(body.size()));
      out.flush();
      if (!out) throw Poco::Net::NetException("the request could not be written");
    } catch (const Poco::Exception& e) {
      reset();
      if (reused && attempt == 0) continue;
      throwBeforeSend(e);
    }
    try {
      Poco::Net::HTTPResponse response;
      std::istream& in = session.receiveResponse(response);
      HttpAnswer answer{static_cast<int>(response.getStatus()), readCapped(in),
                        retryAfterOf(response)};
      impl_->sessionUsed = true;
      if (answer.status >= 300) reset();
      return answer;
    } catch (const Poco::TimeoutException& e) {
      reset();
      throw TransportError("timeout", "sync: no answer within the timeout");
    } catch (const TransportError&) {
      reset();
      throw;
    } catch (const Poco::Exception& e) {
      reset();
      if (reused && attempt == 0 && dynamic_cast<const Poco::Net::NoMessageException*>(&e))
        continue;
      throw TransportError("no_answer",
                           "sync: the connection closed before an answer: " + e.displayText());
    }
  }
}

}  // namespace vigil::sync
