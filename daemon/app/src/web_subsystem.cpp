#include "web_subsystem.hpp"

#include <fstream>

#include "vigil/core/error.hpp"
#include "vigil/web/static_files.hpp"

namespace vigil::app {

WebSubsystem::WebSubsystem(const Config& config)
    : config_(config), router_(std::make_shared<web::Router>()) {}

void WebSubsystem::initialize(Poco::Util::Application&) {
  web::addHealthRoutes(*router_, checks_, {config_.string("web.metrics_token")}, alertNode_);
  if (const auto& assets = config_.string("web.assets_dir"); !assets.empty())
    web::addStaticRoutes(*router_, assets);
  for (auto& fn : onStart_) fn(*router_, gate_);
  web::ServerOptions opts;
  opts.bind = config_.string("web.bind");
  opts.port = static_cast<std::uint16_t>(config_.integer("web.port"));
  opts.threads = static_cast<int>(config_.integer("web.threads"));
  opts.maxBodyBytes = static_cast<std::size_t>(config_.integer("web.max_body_bytes"));
  opts.tlsCertFile = config_.string("web.tls.cert");
  opts.tlsKeyFile = config_.string("web.tls.key");
  opts.redirectPort = static_cast<std::uint16_t>(config_.integer("web.redirect_port"));
  opts.maxWebSockets = static_cast<int>(config_.integer("web.max_websockets"));
  opts.maxMediaSockets = static_cast<int>(config_.integer("web.max_media_websockets"));
  opts.maxWebSocketsPerUser = static_cast<int>(config_.integer("web.max_websockets_per_user"));
  server_ = std::make_unique<web::HttpServer>(opts, router_, gate_);
  server_->start();
  const auto& portFile = config_.string("web.port_file");
  if (!portFile.empty()) {
    std::string tmp = portFile + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << server_->port() << "\n";
      if (!out) throw Error("web.port_file: cannot write " + portFile);
    }
    if (std::rename(tmp.c_str(), portFile.c_str()) != 0)
      throw Error("web.port_file: cannot write " + portFile);
  }
}

void WebSubsystem::uninitialize() {
  if (server_) server_->stop();
  server_.reset();
}

}  // namespace vigil::app
