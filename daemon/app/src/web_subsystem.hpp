#pragma once
// The portal/API server as a Poco Subsystem.

#include <functional>
#include <memory>
#include <vector>

#include "service_subsystem.hpp"
#include "vigil/app/config.hpp"
#include "vigil/web/health.hpp"
#include "vigil/web/http.hpp"

namespace vigil::app {

/// Owns the HTTP server; other subsystems add their routes and readiness checks before start.
class WebSubsystem final : public ServiceSubsystem {
 public:
  explicit WebSubsystem(const Config& config);
  const char* name() const override { return "web"; }
  void addReadinessCheck(web::ReadinessCheck check) { checks_.push_back(std::move(check)); }
  /// Several nodes: GET /healthz/alert-node answers from `fn` (docs/scale-out.md).
  void setAlertNode(std::function<bool()> fn) { alertNode_ = std::move(fn); }
  web::Router& router() { return *router_; }
  /// Runs at start, after the subsystems before web have started: adds routes and may set the
  /// gate (the portal API needs the security core up).
  void onStart(std::function<void(web::Router&, web::Gate&)> fn) {
    onStart_.push_back(std::move(fn));
  }
  std::uint16_t port() const { return server_ ? server_->port() : 0; }

 protected:
  void initialize(Poco::Util::Application& app) override;
  void uninitialize() override;

 private:
  const Config& config_;
  std::shared_ptr<web::Router> router_;
  std::vector<web::ReadinessCheck> checks_;
  std::function<bool()> alertNode_;
  std::vector<std::function<void(web::Router&, web::Gate&)>> onStart_;
  web::Gate gate_;
  std::unique_ptr<web::HttpServer> server_;
};

}  // namespace vigil::app
