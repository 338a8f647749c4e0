#include "vigil/web/health.hpp"

#include "vigil/core/metrics.hpp"

namespace vigil::web {

void addHealthRoutes(Router& router, std::vector<ReadinessCheck> checks) {
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
  router.add({"GET", "/metrics", Access::public_endpoint, "", [](Request&) {
                Response r = Response::text(200, Metrics::global().render());
                r.contentType = "text/plain; version=0.0.4; charset=utf-8";
                return r;
              }});
}

}  // namespace vigil::web
