#pragma once
// GET /healthz (the process answers), GET /readyz (every readiness check passes) and
// GET /metrics (Prometheus text; loopback clients or a scrape token, MetricsAccess). Readiness
// checks are named so an operator sees which part is not ready; none of them reports PHI.

#include <functional>
#include <string>
#include <vector>

#include "vigil/web/http.hpp"

namespace vigil::web {

/// A named readiness check, e.g. {"store", [&]{ return db.isOpen(); }}.
struct ReadinessCheck {
  std::string name;
  std::function<bool()> ready;
};

/// Who may read /metrics (operational counters, no PHI, but they tell an outsider how busy the
/// clinic is and which devices fail): loopback clients, and others only with
/// `Authorization: Bearer <token>` when a token is set (web.metrics_token).
struct MetricsAccess {
  std::string token;  // empty: loopback clients only
};

/// Whether `address` (as the server reports the peer) is a loopback address.
bool isLoopbackAddress(const std::string& address);

/// `alertNode` (several nodes only): GET /healthz/alert-node answers 200 on the alert node and
/// 503 on the others, for the load balancer's health check of the alert queue's backend.
void addHealthRoutes(Router& router, std::vector<ReadinessCheck> checks, MetricsAccess metrics = {},
                     std::function<bool()> alertNode = {});

}  // namespace vigil::web
