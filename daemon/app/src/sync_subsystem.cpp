#include "sync_subsystem.hpp"

#include <filesystem>

#include "security_subsystem.hpp"
#include "store_subsystem.hpp"
#include "vigil/billing/clearinghouse.hpp"
#include "vigil/core/log.hpp"
#include "vigil/licensing/licenses.hpp"
#include "vigil/rx/prescriptions.hpp"

namespace vigil::app {

sync::BackoffPolicy backoffPolicy(const Config& config) {
  sync::BackoffPolicy policy;
  policy.base = std::chrono::milliseconds{config.integer("sync.retry_base_ms")};
  policy.cap = std::chrono::seconds{config.integer("sync.retry_cap_seconds")};
  return policy;
}

sync::LinkOptions linkOptions(const Config& config) {
  sync::LinkOptions o;
  o.url = config.string("sync.url");
  o.caFile = config.string("sync.ca_file");
  o.keysDir = std::filesystem::path(masterKeyPath(config)).parent_path();
  o.requestTimeout = std::chrono::seconds{config.integer("sync.request_timeout_seconds")};
  o.inboxInterval = std::chrono::seconds{config.integer("sync.inbox_interval_seconds")};
  o.retention = std::chrono::hours{24 * config.integer("sync.retention_days")};
  return o;
}

void SyncSubsystem::initialize(Poco::Util::Application&) {
  auto& db = store_.database();
  outbox_ = std::make_unique<sync::Outbox>(db, security_.audit(), SystemClock::instance(),
                                           backoffPolicy(config_));
  if (config_.string("sync.url").empty()) {
    log::info("sync.off", {{"reason", "sync.url is empty"}});
    return;
  }
  link_ = std::make_unique<sync::Link>(db, security_.audit(), *outbox_, SystemClock::instance(),
                                       linkOptions(config_));
  // The daily license check names the seats in use: providers and patients with an account.
  link_->setLicenseCheck([this] {
    auto& accounts = security_.accounts();
    const auto providers = accounts.listUsers(security::Role::provider, 0, 1).total;
    const auto patients = accounts.listUsers(security::Role::patient, 0, 1).total;
    return "{\"seats\":{\"providers\":" + std::to_string(providers) +
           ",\"patients\":" + std::to_string(patients) + "},\"version\":\"" VIGIL_VERSION "\"}";
  });
  // The registry's answers to license lookups (issue 22), registered before the first fetch.
  link_->onInbound("license.verification",
                   licensing::verificationHandler(security_.audit(), SystemClock::instance()));
  // The pharmacy's answers to prescriptions (issue 25), likewise.
  link_->onInbound("rx.status", rx::statusHandler(security_.audit(), SystemClock::instance()));
  // The clearinghouse's answers to claims (issue 24): 999, 277CA, 835.
  billing::registerClearinghouseHandlers(*link_, security_.audit(), SystemClock::instance());
  link_->start();
  log::info("sync.started", {{"enrolled", link_->enrolled()}});
}

void SyncSubsystem::uninitialize() {
  if (link_) link_->stop();
  link_.reset();
  outbox_.reset();
}

}  // namespace vigil::app
