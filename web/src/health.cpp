#include "vigil/web/health.hpp"

#include "vigil/core/metrics.hpp"

namespace vigil::web {

namespace {

bool sameSecret(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

bool isLoopbackAddress(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address == "::1" || address.rfind("::ffff:127.", 0) == 0;
}

void addHealthRoutes(Router& router, std::vector<ReadinessCheck> checks, MetricsAccess metrics,
                     std::function<bool()> alertNode) {
  if (alertNode) {
    router.add({"GET", "/healthz/alert-node", Access::public_endpoint, "",
                [alertNode = std::move(alertNode)](Request&) {
                  return alertNode() ? Response::json(200, "{\"alertNode\":true}")
                                     : Response::json(503, "{\"alertNode\":false}");
                }});
  }
  router.add({"GET", "/healthz", Access::public_endpoint, "",
              [](Request&) { return Response::json(200, "{\"status\":\"ok\"}"); }});
  router.add(
      {"GET", "/readyz", Access::public_endpoint, "", [checks = std::move(checks)](Request&) {
         bool all = true;
         std::string body = "{\"checks\":{";
         bool first = true;
         for (const auto& c : checks) {
           bool ok = false;
           try {
             ok = c.ready();
           } catch (...) {
             ok = false;
           }
           all = all && ok;
           body += (first ? "\"" : ",\"") + c.name + "\":" + (ok ? "true" : "false");
           first = false;
         }
         body += std::string("},\"status\":\"") + (all ? "ready" : "not_ready") + "\"}";
         return Response::json(all ? 200 : 503, body);
       }});
  router.add({"GET", "/metrics", Access::public_endpoint, "",
              [token = std::move(metrics.token)](Request& q) {
                if (!isLoopbackAddress(q.remoteAddress) &&
                    (token.empty() || !sameSecret(q.header("authorization"), "Bearer " + token))) {
                  Response r = Response::error(
                      401, "unauthorized",
                      "metrics: scrape from the box itself or with the scrape token "
                      "(web.metrics_token)");
                  r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"metrics\"");
                  return r;
                }
                Response r = Response::text(200, Metrics::global().render());
                r.contentType = "text/plain; version=0.0.4; charset=utf-8";
                return r;
              }});
}

}  // namespace vigil::web
