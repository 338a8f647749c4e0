#pragma once
// GET /healthz (the process answers), GET /readyz (every readiness check passes) and
// GET /metrics (Prometheus text). Readiness checks are named so an operator sees which part is
// not ready; none of them reports PHI.

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

void addHealthRoutes(Router& router, std::vector<ReadinessCheck> checks);

}  // namespace vigil::web
