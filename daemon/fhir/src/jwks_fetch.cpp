// The default JwksFetcher: a client's published JWKS over HTTPS (Poco NetSSL), bounded in size
// and time, no redirects (a redirect could point the box at its own network). See
// smart_clients.hpp.
#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/URI.h>

#include <istream>

#include "vigil/fhir/smart_clients.hpp"

namespace vigil::fhir {

JwksFetcher httpsJwksFetcher() {
  return [](const std::string& url) -> std::optional<std::string> {
    try {
      Poco::URI uri(url);
      if (uri.getScheme() != "https" || uri.getHost().empty()) return std::nullopt;
      using Poco::Net::Context;
      // The system's CA store, strict verification, TLS 1.2 or later.
      Context::Ptr context =
          new Context(Context::TLS_CLIENT_USE, "", "", "", Context::VERIFY_STRICT, 9, true,
                      "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES:@STRENGTH");
      context->requireMinimumProtocol(Context::PROTO_TLSV1_2);
      Poco::Net::HTTPSClientSession session(uri.getHost(), uri.getPort(), context);
      const Poco::Timespan timeout(5, 0);
      session.setTimeout(timeout, timeout, timeout);
      Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, uri.getPathAndQuery(),
                                 Poco::Net::HTTPMessage::HTTP_1_1);
      req.set("Accept", "application/json, application/jwk-set+json");
      session.sendRequest(req);
      Poco::Net::HTTPResponse resp;
      std::istream& in = session.receiveResponse(resp);
      if (resp.getStatus() != Poco::Net::HTTPResponse::HTTP_OK) return std::nullopt;
      std::string body;
      char buf[4096];
      while (in.read(buf, sizeof buf) || in.gcount() > 0) {
        body.append(buf, static_cast<std::size_t>(in.gcount()));
        if (body.size() > kMaxJwksBytes) return std::nullopt;
      }
      return body;
    } catch (const Poco::Exception&) {
      return std::nullopt;
    } catch (const std::exception&) {
      return std::nullopt;
    }
  };
}

}  // namespace vigil::fhir
